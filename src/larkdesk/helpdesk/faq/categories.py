"""FAQ categories: create, read, list, rename or move, delete. No HTTP, no SQL here.

Decisions where Feishu's documents are silent (docs/api.md):
- `parent_id` "0" (or none) is a top-level category; a parent must be one of the
  helpdesk's categories, and a category cannot be moved under itself or its descendants;
- `language` is one of zh_cn, en_us, ja_jp (default zh_cn);
- list `order_by` 1 orders by update time, 2 (the default) by creation time; `asc`
  defaults to true;
- a category that still holds online FAQs or subcategories is not deleted (400).
"""

from __future__ import annotations

from collections.abc import Callable

from ...errors import BadRequest, ResourceNotFound
from ...store.base import Store
from ...store.faq_records import CategoryRecord
from ..ids import now_ms, snowflake
from ..json_body import check_text
from .bodies import Category, CategoryBody

LANGUAGES = ("zh_cn", "en_us", "ja_jp")
ROOT = "0"
MAX_NAME = 100
ORDER_UPDATED, ORDER_CREATED = 1, 2


def wire_category(record: CategoryRecord) -> Category:
    return Category(
        category_id=record.category_id,
        id=record.category_id,
        name=record.name,
        parent_id=record.parent_id,
        helpdesk_id=record.helpdesk_id,
        language=record.language,
    )


class FaqCategories:
    def __init__(self, store: Store, clock: Callable[[], int] = now_ms) -> None:
        self._store = store
        self._clock = clock

    def get(self, helpdesk_id: str, category_id: str) -> CategoryRecord:
        found = self._store.get_faq_category(helpdesk_id, category_id)
        if found is None:
            raise ResourceNotFound(f"the helpdesk has no FAQ category {category_id!r}")
        return found

    def create(self, helpdesk_id: str, body: CategoryBody) -> CategoryRecord:
        if body.name is None:
            raise BadRequest("name is required")
        check_text("name", body.name, MAX_NAME)
        language = _language(body.language)
        parent = self._parent(helpdesk_id, body.parent_id, None)
        at = self._clock()
        record = CategoryRecord(
            str(snowflake(at)), helpdesk_id, parent, body.name.strip(), language, at, at
        )
        self._store.save_faq_category(record)
        return record

    def list(
        self, helpdesk_id: str, lang: str | None, order_by: int | None, asc: bool
    ) -> list[CategoryRecord]:
        records = self._store.list_faq_categories(helpdesk_id)
        if lang is not None:
            language = _language(lang, "lang")
            records = [r for r in records if r.language == language]
        if order_by not in (None, ORDER_UPDATED, ORDER_CREATED):
            raise BadRequest(f"order_by must be 1 (update time) or 2 (creation time): {order_by}")
        if order_by == ORDER_UPDATED:
            records.sort(key=lambda r: (r.updated_at, r.category_id))
        if not asc:
            records.reverse()
        return records

    def patch(self, helpdesk_id: str, category_id: str, body: CategoryBody) -> CategoryRecord:
        current = self.get(helpdesk_id, category_id)
        if body.name is None and body.parent_id is None and body.language is None:
            raise BadRequest("nothing to change: give name, parent_id or language")
        check_text("name", body.name, MAX_NAME)
        parent = current.parent_id
        if body.parent_id is not None:
            parent = self._parent(helpdesk_id, body.parent_id, category_id)
        changed = CategoryRecord(
            category_id,
            helpdesk_id,
            parent,
            body.name.strip() if body.name is not None else current.name,
            _language(body.language) if body.language is not None else current.language,
            current.created_at,
            max(self._clock(), current.updated_at + 1),
        )
        self._store.save_faq_category(changed)
        return changed

    def delete(self, helpdesk_id: str, category_id: str) -> None:
        refused = self._store.delete_faq_category(helpdesk_id, category_id)
        if refused == "missing":
            raise ResourceNotFound(f"the helpdesk has no FAQ category {category_id!r}")
        if refused == "faqs":
            raise BadRequest(f"category {category_id!r} still holds FAQs; move or delete them")
        if refused == "children":
            raise BadRequest(f"category {category_id!r} still has subcategories")

    def _parent(self, helpdesk_id: str, parent_id: str | None, moving: str | None) -> str:
        if not parent_id or parent_id == ROOT:
            return ROOT
        by_id = {r.category_id: r for r in self._store.list_faq_categories(helpdesk_id)}
        if parent_id not in by_id:
            raise BadRequest(f"parent_id: the helpdesk has no category {parent_id!r}")
        step: str | None = parent_id
        while step not in (None, ROOT):
            if step == moving:
                raise BadRequest("parent_id: a category cannot move under itself")
            step = by_id[step].parent_id if step in by_id else None
        return parent_id


def _language(value: str | None, name: str = "language") -> str:
    if value is None or value == "":
        return LANGUAGES[0]
    if value not in LANGUAGES:
        raise BadRequest(f"{name} must be one of {', '.join(LANGUAGES)}, got {value!r}")
    return value
