-- larkdesk schema, version 13 (PostgreSQL only): FAQ search by character bigrams.
-- pg_trgm makes no trigrams from Chinese text (the cluster's C locale counts no CJK
-- character as a word character), so a rare Chinese term read every FAQ (p99 214 ms at
-- 100,000 FAQs). Each FAQ now keeps the distinct two-character pieces of its casefolded
-- search text in a generated column with a GIN index; a search asks for the rows holding
-- every bigram of each term (`@>`), then checks the term itself (LIKE). Generated, so
-- every write path (the API, the demo, `larkdesk migrate`) fills it; SQLite keeps FTS5.

CREATE FUNCTION larkdesk_bigrams(t TEXT) RETURNS TEXT[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
    FROM generate_series(1, char_length(t) - 1) AS i
$$;

ALTER TABLE faqs ADD COLUMN search_grams TEXT[]
    GENERATED ALWAYS AS (larkdesk_bigrams(search_text)) STORED;
CREATE INDEX faqs_grams ON faqs USING gin (search_grams);
-- The trigram index served only Latin terms; the bigram index serves every script.
DROP INDEX faqs_search;
