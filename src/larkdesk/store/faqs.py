"""The knowledge base: each helpdesk's FAQ categories and FAQs, and FAQ text search.

Search matches every term of the query as a casefolded substring of a FAQ's question or
answer (any script: Chinese has no spaces between words). SQLite answers terms of three
characters or more from FTS5's trigram index (`faq_search`, migration 0011), shorter ones by
scanning the helpdesk's FAQs; PostgreSQL answers both from a pg_trgm GIN index on the
column (LIKE, metacharacters escaped).
"""

from __future__ import annotations

from typing import Any

from .faq_records import CategoryRecord, FaqFilter, FaqPage, FaqRecord
from .filters import Dialect
from .identities import names_nothing
from .sql import REPLACE, Sql, Table

TRIGRAM = 3  # the shortest term FTS5's trigram index can answer

CATEGORIES = Table(
    "faq_categories",
    (
        ("category_id", "text"),
        ("helpdesk_id", "text"),
        ("parent_id", "text"),
        ("name", "text"),
        ("language", "text"),
        ("created_at", "bigint"),
        ("updated_at", "bigint"),
    ),
    key=("category_id",),
)
_CATEGORY_COLUMNS = ", ".join(CATEGORIES.names)
_FAQ_COLUMNS = (
    "faq_id, helpdesk_id, category_id, status, created_at, updated_at,"
    " question_text, search_text, body"
)


def save_category(db: Sql, record: CategoryRecord) -> None:
    r = record
    row = (r.category_id, r.helpdesk_id, r.parent_id, r.name, r.language)
    db.insert_rows(CATEGORIES, [(*row, r.created_at, r.updated_at)], REPLACE)


def get_category(db: Sql, helpdesk_id: str, category_id: str) -> CategoryRecord | None:
    if names_nothing(category_id):
        return None
    row = db.one(
        f"SELECT {_CATEGORY_COLUMNS} FROM faq_categories WHERE category_id = ? AND helpdesk_id = ?",
        (category_id, helpdesk_id),
    )
    return CategoryRecord(*row) if row else None


def list_categories(db: Sql, helpdesk_id: str) -> list[CategoryRecord]:
    rows = db.all(
        f"SELECT {_CATEGORY_COLUMNS} FROM faq_categories WHERE helpdesk_id = ?"
        " ORDER BY created_at, category_id",
        (helpdesk_id,),
    )
    return [CategoryRecord(*row) for row in rows]


def delete_category(db: Sql, helpdesk_id: str, category_id: str) -> str | None:
    """Delete an empty category; else why not: "missing", "faqs" or "children"."""
    if get_category(db, helpdesk_id, category_id) is None:
        return "missing"
    if db.one(
        "SELECT 1 FROM faqs WHERE helpdesk_id = ? AND category_id = ? AND status = 1 LIMIT 1",
        (helpdesk_id, category_id),
    ):
        return "faqs"
    if db.one(
        "SELECT 1 FROM faq_categories WHERE helpdesk_id = ? AND parent_id = ? LIMIT 1",
        (helpdesk_id, category_id),
    ):
        return "children"
    db.run("DELETE FROM faq_categories WHERE category_id = ?", (category_id,))
    return None


def insert_faqs(db: Sql, records: list[FaqRecord]) -> None:
    for r in records:
        db.run(
            f"INSERT INTO faqs ({_FAQ_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                r.faq_id,
                r.helpdesk_id,
                r.category_id,
                r.status,
                r.created_at,
                r.updated_at,
                r.question_text,
                r.search_text,
                r.body,
            ),
        )


def update_faq(db: Sql, r: FaqRecord) -> bool:
    changed = db.run(
        "UPDATE faqs SET category_id = ?, status = ?, updated_at = ?, question_text = ?,"
        " search_text = ?, body = ? WHERE faq_id = ? AND helpdesk_id = ?",
        (
            r.category_id,
            r.status,
            r.updated_at,
            r.question_text,
            r.search_text,
            r.body,
            r.faq_id,
            r.helpdesk_id,
        ),
    )
    return changed > 0


def get_faq(db: Sql, helpdesk_id: str, faq_id: str) -> FaqRecord | None:
    if names_nothing(faq_id):
        return None
    row = db.one(
        f"SELECT {_FAQ_COLUMNS} FROM faqs WHERE faq_id = ? AND helpdesk_id = ?",
        (faq_id, helpdesk_id),
    )
    if row is None:
        return None
    faq_id_, helpdesk, category, status, created, updated, question, text, body = row
    return FaqRecord(
        faq_id_, helpdesk, category, status, created, updated, question, text, bytes(body)
    )


def find_faqs(
    db: Sql, dialect: Dialect, helpdesk_id: str, where: FaqFilter, offset: int, limit: int
) -> FaqPage:
    """One page of the helpdesk's FAQs that pass `where`, newest first, and how many pass
    in all (unless `where.count` is False)."""
    if dialect.faq_grams and where.terms and not where.count:
        return _search_by_window(db, dialect, helpdesk_id, where, offset, limit)
    tables, order, clauses, params = _query(dialect, helpdesk_id, where)
    condition = " AND ".join(clauses)
    wanted = limit if where.count else limit + 1
    rows = db.all(
        f"SELECT f.category_id, f.body FROM {tables} WHERE {condition}"
        f" ORDER BY {order} DESC LIMIT ? OFFSET ?",
        [*params, wanted, offset],
    )
    if where.count:
        total_row = db.one(f"SELECT count(*) FROM {tables} WHERE {condition}", params)
        total = int(total_row[0]) if total_row else 0
    else:
        total = offset + len(rows)
    return FaqPage(total, [(r[0], bytes(r[1])) for r in rows[:limit]])


# PostgreSQL's planner takes a search's bigrams as independent and expects almost no row
# to hold them all, so it reads every match of frequent terms through the GIN index (47 ms
# at 100,000 FAQs) where the newest rows would have filled a page at once. So a search
# first tests the newest WINDOW rows in order, then, only if they did not fill the page,
# asks the bigram index for the older rows (rare terms: few matches, fast).
WINDOW = 2000


def _search_by_window(
    db: Sql, dialect: Dialect, helpdesk_id: str, where: FaqFilter, offset: int, limit: int
) -> FaqPage:
    needed = offset + limit + 1  # one more than asked for: `has_more`
    _, _, base, base_params = _query(
        dialect, helpdesk_id, FaqFilter(where.category_id, where.status)
    )
    match = " AND ".join(dialect.substring.format(col="f.search_text") for _ in where.terms)
    rows = db.all(
        f"SELECT f.faq_row, f.category_id, CASE WHEN {match} THEN f.body END FROM faqs f"
        f" WHERE {' AND '.join(base)} ORDER BY f.faq_row DESC LIMIT ?",
        [*where.terms, *base_params, WINDOW],
    )
    hits = [(r[1], bytes(r[2])) for r in rows if r[2] is not None]
    if len(hits) < needed and len(rows) == WINDOW:
        _, _, clauses, params = _query(dialect, helpdesk_id, where)
        older = db.all(
            f"SELECT f.category_id, f.body FROM faqs f WHERE {' AND '.join(clauses)}"
            " AND f.faq_row < ? ORDER BY f.faq_row DESC LIMIT ?",
            [*params, rows[-1][0], needed - len(hits)],
        )
        hits += [(r[0], bytes(r[1])) for r in older]
    page = hits[offset:needed]
    return FaqPage(offset + len(page), page[:limit])


def _query(
    dialect: Dialect, helpdesk_id: str, where: FaqFilter
) -> tuple[str, str, list[str], list[Any]]:
    """FROM, the newest-first order column, WHERE clauses and their parameters. On SQLite
    terms of 3+ characters drive the query from the trigram index, newest row first (FTS5
    walks its rowids backwards), so a frequent term stops after one page instead of
    materialising every match."""
    tables, order = "faqs f", "f.faq_row"
    clauses = ["f.helpdesk_id = ?"]
    params: list[Any] = [helpdesk_id]
    indexed = [t for t in where.terms if len(t) >= TRIGRAM] if dialect.faq_fts else []
    if indexed:
        tables = "faq_search JOIN faqs f ON f.faq_row = faq_search.rowid"
        order = "faq_search.rowid"
        clauses.insert(0, "faq_search MATCH ?")
        params.insert(0, " AND ".join('"' + t.replace('"', '""') + '"' for t in indexed))
    if where.status is not None:
        clauses.append("f.status = ?")
        params.append(where.status)
    if where.category_id is not None:
        clauses.append("f.category_id = ?")
        params.append(where.category_id)
    for term in where.terms:
        if term not in indexed:
            if dialect.faq_grams and len(term) >= 2:
                clauses.append("f.search_grams @> ?")
                params.append(bigrams(term))
            clauses.append(dialect.substring.format(col="f.search_text"))
            params.append(term)
    return tables, order, clauses, params


def bigrams(term: str) -> list[str]:
    """The distinct two-character pieces of `term`, as PostgreSQL's `larkdesk_bigrams`
    cuts a FAQ's search text (migration 0013): every one is in a FAQ that contains it."""
    return sorted({term[i : i + 2] for i in range(len(term) - 1)})
