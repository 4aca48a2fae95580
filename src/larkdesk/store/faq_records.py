"""The knowledge base's records, as the store trades them (store/faqs.py holds the SQL)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CategoryRecord:
    category_id: str
    helpdesk_id: str
    parent_id: str
    name: str
    language: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class FaqRecord:
    faq_id: str
    helpdesk_id: str
    category_id: str
    status: int
    created_at: int
    updated_at: int
    question_text: str
    search_text: str
    body: bytes


@dataclass(frozen=True, slots=True)
class FaqFilter:
    """What a FAQ list or search keeps: a category, a status, casefolded terms that must
    all occur in the question or answer."""

    category_id: str | None = None
    status: int | None = None
    terms: tuple[str, ...] = ()
    # False: no count; `FaqPage.total` is then the offset plus the rows read (one more than
    # asked for when there are more), enough for `has_more` (search has no total).
    count: bool = True


@dataclass(frozen=True, slots=True)
class FaqPage:
    total: int
    rows: list[tuple[str, bytes]]  # (category_id, body) of each FAQ on the page
