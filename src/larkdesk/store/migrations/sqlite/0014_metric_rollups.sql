-- The console's metrics rollups (store/rollups.py, docs/metrics.md), kept by every ticket
-- write in its own transaction. larkdesk fills them from the stored tickets right after
-- this script runs (migrations.AFTER), in the same transaction.
CREATE TABLE metric_counts (
    helpdesk_id TEXT NOT NULL,
    day         BIGINT NOT NULL,  -- UTC days since 1970-01-01 of created_at
    dim         TEXT NOT NULL,
    key         TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (helpdesk_id, day, dim, key)
) WITHOUT ROWID;

CREATE TABLE metric_durations (
    helpdesk_id TEXT NOT NULL,
    kind        TEXT NOT NULL,    -- frt (first response) or res (resolution)
    day         BIGINT NOT NULL,
    agent_id    TEXT NOT NULL,    -- '' for no agent
    value       BIGINT NOT NULL,  -- ms
    n           BIGINT NOT NULL,
    PRIMARY KEY (helpdesk_id, kind, day, agent_id, value)
) WITHOUT ROWID;

CREATE TABLE metric_agents (
    helpdesk_id TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (helpdesk_id, agent_id)
);

-- Bumped by every write that changes a day's rollups (and for every day by a rebuild):
-- what the console's in-memory copy of a day is checked against (console/rollup_cache.py).
CREATE TABLE metric_day_versions (
    helpdesk_id TEXT NOT NULL,
    day         BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    PRIMARY KEY (helpdesk_id, day)
) WITHOUT ROWID;
