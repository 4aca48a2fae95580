-- larkdesk schema, version 11 (issue 12): the knowledge base, FAQ categories and FAQs.

CREATE TABLE faq_categories (
    category_id TEXT PRIMARY KEY,
    helpdesk_id TEXT NOT NULL,
    parent_id   TEXT NOT NULL,  -- '0': a top-level category
    name        TEXT NOT NULL,
    language    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX faq_categories_helpdesk ON faq_categories (helpdesk_id, created_at);

-- One row per FAQ: filter columns, the casefolded text search reads, and the wire JSON
-- (lark-oapi's `Faq` without `categories`, which are attached from faq_categories on read).
-- `faq_row` is the rowid the full-text index refers to.
CREATE TABLE faqs (
    faq_row       INTEGER PRIMARY KEY,
    faq_id        TEXT NOT NULL UNIQUE,
    helpdesk_id   TEXT NOT NULL,
    category_id   TEXT NOT NULL,  -- '' without a category
    status        INTEGER NOT NULL,  -- 1 online, 0 deleted
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    question_text TEXT NOT NULL,  -- casefolded question
    search_text   TEXT NOT NULL,  -- casefolded question and answer text
    body          BLOB NOT NULL
);
CREATE INDEX faqs_order ON faqs (helpdesk_id, status, faq_row DESC);
CREATE INDEX faqs_category ON faqs (helpdesk_id, category_id, status, faq_row DESC);

-- Substring search in any script (Chinese has no spaces): FTS5's trigram tokenizer over
-- search_text, an external-content index kept in step by triggers.
CREATE VIRTUAL TABLE faq_search USING fts5(
    search_text, content='faqs', content_rowid='faq_row', tokenize='trigram'
);
CREATE TRIGGER faqs_search_insert AFTER INSERT ON faqs BEGIN
    INSERT INTO faq_search (rowid, search_text) VALUES (new.faq_row, new.search_text);
END;
CREATE TRIGGER faqs_search_delete AFTER DELETE ON faqs BEGIN
    INSERT INTO faq_search (faq_search, rowid, search_text)
    VALUES ('delete', old.faq_row, old.search_text);
END;
CREATE TRIGGER faqs_search_update AFTER UPDATE OF search_text ON faqs BEGIN
    INSERT INTO faq_search (faq_search, rowid, search_text)
    VALUES ('delete', old.faq_row, old.search_text);
    INSERT INTO faq_search (rowid, search_text) VALUES (new.faq_row, new.search_text);
END;
