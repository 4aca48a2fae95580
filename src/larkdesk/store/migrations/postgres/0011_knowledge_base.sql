-- larkdesk schema, version 11 (issue 12): the knowledge base, FAQ categories and FAQs.
-- The same tables and columns as SQLite's 0011, so `larkdesk migrate` copies them; search
-- uses a pg_trgm index (0001 enabled the extension) where SQLite has FTS5's trigram index.

CREATE TABLE faq_categories (
    category_id TEXT COLLATE "C" PRIMARY KEY,
    helpdesk_id TEXT COLLATE "C" NOT NULL,
    parent_id   TEXT COLLATE "C" NOT NULL,
    name        TEXT NOT NULL,
    language    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX faq_categories_helpdesk ON faq_categories (helpdesk_id, created_at);

CREATE TABLE faqs (
    faq_row       BIGSERIAL PRIMARY KEY,
    faq_id        TEXT COLLATE "C" NOT NULL UNIQUE,
    helpdesk_id   TEXT COLLATE "C" NOT NULL,
    category_id   TEXT COLLATE "C" NOT NULL,
    status        BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    question_text TEXT NOT NULL,
    search_text   TEXT NOT NULL,
    body          BYTEA NOT NULL
);
CREATE INDEX faqs_order ON faqs (helpdesk_id, status, faq_row DESC);
CREATE INDEX faqs_category ON faqs (helpdesk_id, category_id, status, faq_row DESC);
CREATE INDEX faqs_search ON faqs USING gin (search_text public.gin_trgm_ops);
