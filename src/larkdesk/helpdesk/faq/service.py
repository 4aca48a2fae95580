"""FAQs: create, read, list, search, change, delete, and the images their answers name.
No HTTP, no SQL here.

Decisions where Feishu's documents are silent (docs/api.md):
- `status` 1 is online, 0 deleted; DELETE marks a FAQ deleted (listed with `status=0`,
  otherwise not found); a list without `status` lists online FAQs;
- lists and searches are newest first; page tokens are opaque strings this API gave (the
  offset);
- a FAQ needs a question and an answer (`answer`, `answer_richtext` or both);
- `create_user` / `update_user` are the user of a user access token; a tenant token's
  writes leave them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from ...errors import BadRequest, ResourceNotFound
from ...store.base import ImageRecord, Store
from ...store.faq_records import FaqFilter, FaqRecord
from ..ids import now_ms, snowflake
from ..json_body import check_text
from ..models import TicketUser
from ..params import parse_int
from .bodies import (
    CreateFaqBody,
    Faq,
    PatchFaqBody,
    Richtext,
    decode_faq,
    decode_richtext,
    encode_faq,
)
from .categories import wire_category
from .text import answer_text, folded

ONLINE, DELETED = 1, 0
STATUSES = (DELETED, ONLINE, 2)  # 2: deleted for good (Feishu's); larkdesk keeps none
MAX_FAQ_PAGE = 100
DEFAULT_FAQ_PAGE = 20
MAX_QUESTION = 1000
MAX_ANSWER = 30_000
MAX_TAGS, MAX_TAG = 20, 50


@dataclass(frozen=True, slots=True)
class FaqPageOut:
    total: int
    items: list[Faq]
    has_more: bool
    page_token: str | None


def parse_page_token(token: str | None) -> int:
    """The offset a page token stands for (the token is the offset this API gave)."""
    if not token:
        return 0
    if not (token.isascii() and token.isdigit()) or len(token) > 9:
        raise BadRequest(f"page_token {token[:40]!r} is not a token this API gave")
    return int(token)


class Faqs:
    def __init__(self, store: Store, clock: Callable[[], int] = now_ms) -> None:
        self._store = store
        self._clock = clock

    def get(self, helpdesk_id: str, faq_id: str) -> Faq:
        record = self._online(helpdesk_id, faq_id)
        return self._with_categories(helpdesk_id, [(record.category_id, record.body)])[0]

    def create(self, helpdesk_id: str, body: CreateFaqBody, actor: TicketUser | None) -> Faq:
        info = body.faq
        if info is None:
            raise BadRequest("faq is required")
        if info.question is None:
            raise BadRequest("faq.question is required")
        richtext = _richtext_of(info.answer_richtext)
        if info.answer is None and not richtext:
            raise BadRequest("faq.answer or faq.answer_richtext is required")
        _check(info.question, info.answer, info.tags)
        category = self._category(helpdesk_id, info.category_id)
        at = self._clock()
        faq_id = str(snowflake(at))
        faq = Faq(
            faq_id=faq_id,
            id=faq_id,
            helpdesk_id=helpdesk_id,
            question=info.question,
            answer=info.answer,
            answer_richtext=richtext or None,
            create_time=at,
            update_time=at,
            tags=info.tags,
            create_user=actor,
            update_user=actor,
        )
        self._store.insert_faqs([record_of(faq, category, ONLINE)])
        return self._with_categories(helpdesk_id, [(category, encode_faq(faq))])[0]

    def patch(
        self, helpdesk_id: str, faq_id: str, body: PatchFaqBody, actor: TicketUser | None
    ) -> Faq:
        info = body.faq
        if info is None:
            raise BadRequest("faq is required")
        record = self._online(helpdesk_id, faq_id)
        faq = decode_faq(record.body)
        names = ("category_id", "question", "answer", "answer_richtext", "tags")
        if all(getattr(info, name) is None for name in names):
            raise BadRequest(f"nothing to change: give one of faq.{', faq.'.join(names)}")
        _check(info.question, info.answer, info.tags)
        category = record.category_id
        if info.category_id is not None:
            category = self._category(helpdesk_id, info.category_id)
        for name in ("question", "answer", "tags"):
            if getattr(info, name) is not None:
                setattr(faq, name, getattr(info, name))
        if info.answer_richtext is not None:
            faq.answer_richtext = _checked_richtext(info.answer_richtext) or None
        faq.update_time = max(self._clock(), record.updated_at + 1)
        if actor is not None:
            faq.update_user = actor
        self._store.update_faq(record_of(faq, category, ONLINE))
        return self._with_categories(helpdesk_id, [(category, encode_faq(faq))])[0]

    def delete(self, helpdesk_id: str, faq_id: str, actor: TicketUser | None) -> None:
        record = self._online(helpdesk_id, faq_id)
        faq = decode_faq(record.body)
        faq.update_time = max(self._clock(), record.updated_at + 1)
        if actor is not None:
            faq.update_user = actor
        self._store.update_faq(record_of(faq, record.category_id, DELETED))

    def find(
        self, helpdesk_id: str, where: FaqFilter, page_token: str | None, page_size: int
    ) -> FaqPageOut:
        """A page of FAQs by `where`; the next page's token while more are left."""
        offset = parse_page_token(page_token)
        if where.category_id is not None:
            self._category(helpdesk_id, where.category_id, "category_id")
        found = self._store.find_faqs(helpdesk_id, where, offset, page_size)
        has_more = offset + len(found.rows) < found.total
        token = str(offset + len(found.rows)) if has_more else None
        items = self._with_categories(helpdesk_id, found.rows)
        return FaqPageOut(found.total, items, has_more, token)

    def image(self, helpdesk_id: str, faq_id: str, image_key: str) -> ImageRecord:
        """An image the FAQ's rich-text answer names (an item of type image)."""
        faq = decode_faq(self._online(helpdesk_id, faq_id).body)
        named = {i.content for i in faq.answer_richtext or () if i.type == "image"}
        image = self._store.get_image(helpdesk_id, image_key) if image_key in named else None
        if image is None:
            raise ResourceNotFound(f"FAQ {faq_id!r} has no image {image_key!r}")
        return image

    def _online(self, helpdesk_id: str, faq_id: str) -> FaqRecord:
        record = self._store.get_faq(helpdesk_id, faq_id)
        if record is None or record.status != ONLINE:
            raise ResourceNotFound(f"the helpdesk has no FAQ {faq_id!r}")
        return record

    def _category(self, helpdesk_id: str, category_id: str | None, name: str = "") -> str:
        if not category_id:
            return ""
        if self._store.get_faq_category(helpdesk_id, category_id) is None:
            raise BadRequest(
                f"{name or 'faq.category_id'}: the helpdesk has no category {category_id!r}"
            )
        return category_id

    def _with_categories(self, helpdesk_id: str, rows: list[tuple[str, bytes]]) -> list[Faq]:
        """Each stored FAQ with its category attached as it is now."""
        records = {r.category_id: r for r in self._store.list_faq_categories(helpdesk_id)}
        faqs = []
        for category_id, body in rows:
            faq = decode_faq(body)
            category = records.get(category_id)
            faq.categories = [wire_category(category)] if category else None
            faqs.append(faq)
        return faqs


def record_of(faq: Faq, category_id: str, status: int) -> FaqRecord:
    """The row that keeps `faq` (stored without its categories)."""
    text = answer_text(faq.answer, faq.answer_richtext)
    faq.categories = None
    return FaqRecord(
        faq.faq_id,
        faq.helpdesk_id,
        category_id,
        status,
        faq.create_time or 0,
        faq.update_time or 0,
        folded(faq.question),
        folded(f"{faq.question}\n{text}"),
        encode_faq(faq),
    )


def parse_status(value: str | None) -> int:
    if value is None:
        return ONLINE
    status = parse_int("status", value)
    if status not in STATUSES:
        raise BadRequest(f"status must be 0 (deleted), 1 (online) or 2, got {status}")
    return status


def _richtext_of(raw: str | None) -> list[Richtext]:
    if raw is None or not raw.strip():
        return []
    try:
        items = decode_richtext(raw)
    except (msgspec.ValidationError, msgspec.DecodeError):
        raise BadRequest(
            "faq.answer_richtext must be a JSON string of an array of {content, type}"
        ) from None
    return _checked_richtext(items)


def _checked_richtext(items: list[Richtext]) -> list[Richtext]:
    for index, item in enumerate(items):
        if not item.type:
            raise BadRequest(f"faq.answer_richtext[{index}].type is required")
        check_text(f"faq.answer_richtext[{index}].content", item.content, MAX_ANSWER, blank_ok=True)
    return items


def _check(question: str | None, answer: str | None, tags: list[str] | None) -> None:
    check_text("faq.question", question, MAX_QUESTION)
    check_text("faq.answer", answer, MAX_ANSWER, blank_ok=True)
    if tags is not None:
        if len(tags) > MAX_TAGS:
            raise BadRequest(f"faq.tags: at most {MAX_TAGS} tags")
        for index, tag in enumerate(tags):
            check_text(f"faq.tags[{index}]", tag, MAX_TAG)
