-- larkdesk schema, version 4: how far `larkdesk sync` has mirrored each remote helpdesk.
CREATE TABLE sync_state (
    helpdesk_id        TEXT PRIMARY KEY,
    source             TEXT NOT NULL,     -- the base URL synced from
    high_water_ms      BIGINT NOT NULL,  -- changes up to here are mirrored, -1 while the first pass runs
    initial_until_ms   BIGINT NOT NULL,  -- the first pass copies tickets created up to here
    initial_through_ms BIGINT NOT NULL    -- and has copied those created up to here
);
