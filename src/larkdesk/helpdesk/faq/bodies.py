"""The knowledge base on the wire: lark-oapi's `Faq`, `Category`, `Richtext` and the
bodies of the FAQ and category APIs."""

from __future__ import annotations

import msgspec

from ..models import TicketUser


class Richtext(msgspec.Struct, omit_defaults=True):
    content: str | None = None
    type: str | None = None


class Category(msgspec.Struct, omit_defaults=True):
    """One category as the APIs answer it (`id` repeats `category_id`, as Feishu's)."""

    category_id: str | None = None
    id: str | None = None
    name: str | None = None
    parent_id: str | None = None
    helpdesk_id: str | None = None
    language: str | None = None


class Faq(msgspec.Struct, omit_defaults=True):
    """One FAQ (`id` repeats `faq_id`); times in milliseconds. Stored without
    `categories`, which are attached on read."""

    faq_id: str
    id: str
    helpdesk_id: str
    question: str
    answer: str | None = None
    answer_richtext: list[Richtext] | None = None
    create_time: int | None = None
    update_time: int | None = None
    categories: list[Category] | None = None
    tags: list[str] | None = None
    expire_time: int | None = None
    update_user: TicketUser | None = None
    create_user: TicketUser | None = None


encode_faq = msgspec.json.Encoder().encode
decode_faq = msgspec.json.Decoder(Faq).decode
decode_richtext = msgspec.json.Decoder(list[Richtext]).decode


class FaqCreateInfo(msgspec.Struct):
    """lark-oapi's `FaqCreateInfo`: `answer_richtext` is a JSON string of `[Richtext]`."""

    category_id: str | None = None
    question: str | None = None
    answer: str | None = None
    answer_richtext: str | None = None
    tags: list[str] | None = None


class CreateFaqBody(msgspec.Struct):
    faq: FaqCreateInfo | None = None


class FaqUpdateInfo(msgspec.Struct):
    """lark-oapi's `FaqUpdateInfo`: here `answer_richtext` is a list."""

    category_id: str | None = None
    question: str | None = None
    answer: str | None = None
    answer_richtext: list[Richtext] | None = None
    tags: list[str] | None = None


class PatchFaqBody(msgspec.Struct):
    faq: FaqUpdateInfo | None = None


class CategoryBody(msgspec.Struct):
    """Create and patch send lark-oapi's `Category`; ids in it are ignored."""

    name: str | None = None
    parent_id: str | None = None
    language: str | None = None
    category_id: str | None = None
    id: str | None = None
    helpdesk_id: str | None = None
