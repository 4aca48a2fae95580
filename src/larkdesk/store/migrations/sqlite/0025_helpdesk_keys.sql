-- The helpdesk's key in the per-ticket tables (issue 13: the file at most 1.25x the NDJSON
-- it was imported from). Every index of tickets, agent_tickets, tag_tickets and guest_names
-- leads with the helpdesk, and its 19-character id was about a third of each entry (18
-- indexes on tickets); so do the primary keys of metric_counts and metric_durations (0014).
-- Those tables' helpdesk_id column now holds a small integer, the
-- helpdesk's key in helpdesk_keys (0-1 byte in a record); the statements are unchanged,
-- only the value bound for the column (store/helpdesk_keys.py, docs/storage.md).
-- PostgreSQL keeps the id. A key is assigned when a helpdesk's first ticket is written and
-- is never changed or deleted.
--
-- SQLite cannot change a column's type in place: each table is rebuilt (copied in key
-- order, then its indexes created, as a bulk load does), and the triggers that keep
-- agent_tickets / tag_tickets (0003, 0023, 0024) are dropped first and created again as
-- they were (they copy the column, whatever it holds).
CREATE TABLE helpdesk_keys (
    key         INTEGER PRIMARY KEY,
    helpdesk_id TEXT NOT NULL UNIQUE
);
INSERT INTO helpdesk_keys (helpdesk_id)
SELECT helpdesk_id FROM helpdesks
UNION SELECT DISTINCT helpdesk_id FROM tickets
UNION SELECT helpdesk_id FROM guest_names
UNION SELECT DISTINCT helpdesk_id FROM metric_counts
UNION SELECT DISTINCT helpdesk_id FROM metric_durations
ORDER BY 1;

DROP TRIGGER agent_tickets_add;
DROP TRIGGER tag_tickets_add;
DROP TRIGGER agent_tickets_remove;
DROP TRIGGER tag_tickets_remove;
DROP TRIGGER link_order_drops;
DROP TRIGGER link_order_follows;
DROP TRIGGER link_updated_at_follows;

CREATE TABLE tickets_keyed (
    seq          INTEGER PRIMARY KEY,
    ticket_id    TEXT NOT NULL UNIQUE,
    helpdesk_id  INTEGER NOT NULL,  -- helpdesk_keys.key
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    ticket_type  INTEGER,
    channel      INTEGER,
    solve        INTEGER,
    score        INTEGER,
    status       INTEGER,
    guest_id     TEXT,
    guest_name   TEXT,  -- casefolded, for the case-insensitive substring filter
    closed_by_id TEXT
);
INSERT INTO tickets_keyed
SELECT t.seq, t.ticket_id, k.key, t.created_at, t.updated_at, t.ticket_type, t.channel,
    t.solve, t.score, t.status, t.guest_id, t.guest_name, t.closed_by_id
FROM tickets t JOIN helpdesk_keys k ON k.helpdesk_id = t.helpdesk_id
ORDER BY t.seq;
DROP TABLE tickets;
ALTER TABLE tickets_keyed RENAME TO tickets;

CREATE TABLE agent_tickets_keyed (
    helpdesk_id INTEGER NOT NULL,  -- helpdesk_keys.key
    agent_id    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    ticket_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (helpdesk_id, agent_id, created_at DESC, ticket_id DESC)
) WITHOUT ROWID;
INSERT INTO agent_tickets_keyed
SELECT k.key, a.agent_id, a.created_at, a.ticket_id, a.seq
FROM agent_tickets a JOIN helpdesk_keys k ON k.helpdesk_id = a.helpdesk_id
ORDER BY k.key, a.agent_id, a.created_at DESC, a.ticket_id DESC;
DROP TABLE agent_tickets;
ALTER TABLE agent_tickets_keyed RENAME TO agent_tickets;

CREATE TABLE tag_tickets_keyed (
    helpdesk_id INTEGER NOT NULL,  -- helpdesk_keys.key
    tag_name    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    ticket_id   TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (helpdesk_id, tag_name, created_at DESC, ticket_id DESC)
) WITHOUT ROWID;
INSERT INTO tag_tickets_keyed
SELECT k.key, g.tag_name, g.created_at, g.ticket_id, g.updated_at, g.seq
FROM tag_tickets g JOIN helpdesk_keys k ON k.helpdesk_id = g.helpdesk_id
ORDER BY k.key, g.tag_name, g.created_at DESC, g.ticket_id DESC;
DROP TABLE tag_tickets;
ALTER TABLE tag_tickets_keyed RENAME TO tag_tickets;

CREATE TABLE guest_names_keyed (
    helpdesk_id INTEGER NOT NULL,  -- helpdesk_keys.key
    guest_name  TEXT NOT NULL,
    PRIMARY KEY (helpdesk_id, guest_name)
) WITHOUT ROWID;
INSERT INTO guest_names_keyed
SELECT k.key, n.guest_name
FROM guest_names n JOIN helpdesk_keys k ON k.helpdesk_id = n.helpdesk_id
ORDER BY k.key, n.guest_name;
DROP TABLE guest_names;
ALTER TABLE guest_names_keyed RENAME TO guest_names;

-- The two big metric rollup tables (0014) are led by the helpdesk too.
CREATE TABLE metric_counts_keyed (
    helpdesk_id INTEGER NOT NULL,  -- helpdesk_keys.key
    day         BIGINT NOT NULL,  -- UTC days since 1970-01-01 of created_at
    dim         TEXT NOT NULL,
    key         TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (helpdesk_id, day, dim, key)
) WITHOUT ROWID;
INSERT INTO metric_counts_keyed
SELECT k.key, m.day, m.dim, m.key, m.n
FROM metric_counts m JOIN helpdesk_keys k ON k.helpdesk_id = m.helpdesk_id
ORDER BY k.key, m.day, m.dim, m.key;
DROP TABLE metric_counts;
ALTER TABLE metric_counts_keyed RENAME TO metric_counts;

CREATE TABLE metric_durations_keyed (
    helpdesk_id INTEGER NOT NULL,  -- helpdesk_keys.key
    kind        TEXT NOT NULL,    -- frt (first response) or res (resolution)
    day         BIGINT NOT NULL,
    agent_id    TEXT NOT NULL,    -- '' for no agent
    value       BIGINT NOT NULL,  -- ms
    n           BIGINT NOT NULL,
    PRIMARY KEY (helpdesk_id, kind, day, agent_id, value)
) WITHOUT ROWID;
INSERT INTO metric_durations_keyed
SELECT k.key, m.kind, m.day, m.agent_id, m.value, m.n
FROM metric_durations m JOIN helpdesk_keys k ON k.helpdesk_id = m.helpdesk_id
ORDER BY k.key, m.kind, m.day, m.agent_id, m.value;
DROP TABLE metric_durations;
ALTER TABLE metric_durations_keyed RENAME TO metric_durations;

-- The indexes as they were (0001, 0003, 0017, 0023, 0024), built once from the copies.
CREATE INDEX tickets_order ON tickets (helpdesk_id, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_status ON tickets (helpdesk_id, status, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_type ON tickets (helpdesk_id, ticket_type, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_channel ON tickets (helpdesk_id, channel, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_solve ON tickets (helpdesk_id, solve, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_score ON tickets (helpdesk_id, score, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_guest ON tickets (helpdesk_id, guest_id, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_closed_by ON tickets (helpdesk_id, closed_by_id, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_guest_name ON tickets (helpdesk_id, guest_name, created_at DESC, ticket_id DESC);
CREATE INDEX tag_tickets_updated ON tag_tickets (helpdesk_id, tag_name, updated_at, seq);
CREATE INDEX tickets_sort_updated ON tickets (helpdesk_id, updated_at, ticket_id);
CREATE INDEX tickets_sort_status ON tickets (helpdesk_id, COALESCE(status, -2), ticket_id);
CREATE INDEX tickets_sort_score ON tickets (helpdesk_id, COALESCE(score, -2), ticket_id);
CREATE INDEX tickets_sort_channel ON tickets (helpdesk_id, COALESCE(channel, -2), ticket_id);
CREATE INDEX tickets_sort_type ON tickets (helpdesk_id, COALESCE(ticket_type, -2), ticket_id);
CREATE INDEX tickets_status_updated ON tickets (helpdesk_id, status, updated_at, ticket_id);
CREATE INDEX tickets_status_score ON tickets (helpdesk_id, status, COALESCE(score, -2), ticket_id);
CREATE INDEX tickets_status_channel ON tickets (helpdesk_id, status, COALESCE(channel, -2), ticket_id);
CREATE INDEX tickets_status_type ON tickets (helpdesk_id, status, COALESCE(ticket_type, -2), ticket_id);

-- ticket_id's UNIQUE index was filled in seq (random id) order: packed, half the size.
REINDEX sqlite_autoindex_tickets_1;

-- The triggers as they were.
CREATE TRIGGER agent_tickets_add AFTER INSERT ON ticket_agents BEGIN
    INSERT OR REPLACE INTO agent_tickets
    SELECT helpdesk_id, NEW.agent_id, created_at, ticket_id, seq FROM tickets WHERE seq = NEW.seq;
END;
CREATE TRIGGER tag_tickets_add AFTER INSERT ON ticket_tags BEGIN
    INSERT OR REPLACE INTO tag_tickets
    SELECT helpdesk_id, NEW.tag_name, created_at, ticket_id, updated_at, seq
    FROM tickets WHERE seq = NEW.seq;
END;
CREATE TRIGGER agent_tickets_remove AFTER DELETE ON ticket_agents BEGIN
    DELETE FROM agent_tickets
    WHERE helpdesk_id = (SELECT helpdesk_id FROM tickets WHERE seq = OLD.seq)
        AND agent_id = OLD.agent_id
        AND created_at = (SELECT created_at FROM tickets WHERE seq = OLD.seq)
        AND ticket_id = (SELECT ticket_id FROM tickets WHERE seq = OLD.seq);
END;
CREATE TRIGGER tag_tickets_remove AFTER DELETE ON ticket_tags BEGIN
    DELETE FROM tag_tickets
    WHERE helpdesk_id = (SELECT helpdesk_id FROM tickets WHERE seq = OLD.seq)
        AND tag_name = OLD.tag_name
        AND created_at = (SELECT created_at FROM tickets WHERE seq = OLD.seq)
        AND ticket_id = (SELECT ticket_id FROM tickets WHERE seq = OLD.seq);
END;
CREATE TRIGGER link_order_drops AFTER DELETE ON tickets BEGIN
    DELETE FROM agent_tickets
    WHERE helpdesk_id = OLD.helpdesk_id
        AND agent_id IN (SELECT agent_id FROM ticket_agents WHERE seq = OLD.seq)
        AND created_at = OLD.created_at AND ticket_id = OLD.ticket_id;
    DELETE FROM tag_tickets
    WHERE helpdesk_id = OLD.helpdesk_id
        AND tag_name IN (SELECT tag_name FROM ticket_tags WHERE seq = OLD.seq)
        AND created_at = OLD.created_at AND ticket_id = OLD.ticket_id;
END;
CREATE TRIGGER link_order_follows AFTER UPDATE OF helpdesk_id, created_at, ticket_id
ON tickets
WHEN NEW.helpdesk_id IS NOT OLD.helpdesk_id OR NEW.created_at IS NOT OLD.created_at
    OR NEW.ticket_id IS NOT OLD.ticket_id
BEGIN
    UPDATE agent_tickets
    SET helpdesk_id = NEW.helpdesk_id, created_at = NEW.created_at, ticket_id = NEW.ticket_id
    WHERE helpdesk_id = OLD.helpdesk_id
        AND agent_id IN (SELECT agent_id FROM ticket_agents WHERE seq = OLD.seq)
        AND created_at = OLD.created_at AND ticket_id = OLD.ticket_id;
    UPDATE tag_tickets
    SET helpdesk_id = NEW.helpdesk_id, created_at = NEW.created_at, ticket_id = NEW.ticket_id,
        updated_at = NEW.updated_at
    WHERE helpdesk_id = OLD.helpdesk_id
        AND tag_name IN (SELECT tag_name FROM ticket_tags WHERE seq = OLD.seq)
        AND created_at = OLD.created_at AND ticket_id = OLD.ticket_id;
END;
CREATE TRIGGER link_updated_at_follows AFTER UPDATE OF updated_at ON tickets
WHEN NEW.updated_at IS NOT OLD.updated_at AND NEW.helpdesk_id IS OLD.helpdesk_id
    AND NEW.created_at IS OLD.created_at AND NEW.ticket_id IS OLD.ticket_id
BEGIN
    UPDATE tag_tickets SET updated_at = NEW.updated_at
    WHERE helpdesk_id = NEW.helpdesk_id
        AND tag_name IN (SELECT tag_name FROM ticket_tags WHERE seq = NEW.seq)
        AND created_at = NEW.created_at AND ticket_id = NEW.ticket_id;
END;

-- Dropping the tables dropped their statistics: the planner needs them back (sampled, as
-- the store's own ANALYZE).
PRAGMA analysis_limit = 1000;
ANALYZE tickets;
ANALYZE agent_tickets;
ANALYZE tag_tickets;
ANALYZE guest_names;
ANALYZE metric_counts;
ANALYZE metric_durations;
