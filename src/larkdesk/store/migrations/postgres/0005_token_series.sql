-- larkdesk schema, version 5: each app's tokens as one series Feishu-style (the same token
-- answered while it has more than 30 minutes left). `salt` makes a token reproducible only
-- by whoever holds the app secret: token = "t-" + HMAC-SHA256(app_secret, salt)[:40 hex];
-- the value itself is still never stored. Rows issued before this version have no salt and
-- are never answered again (they stay valid until they expire, then are purged).
ALTER TABLE access_tokens ADD COLUMN salt TEXT;
CREATE INDEX access_tokens_app ON access_tokens (app_id, expires_at_ms);

-- Secrets of the server itself (e.g. the key that signs the token entries cached in
-- Redis), generated at first use; the database is their one source.
CREATE TABLE server_secrets (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);
