-- larkdesk schema, version 9: the live long connections (WebSocket event delivery).
-- The same table and columns as PostgreSQL's 0009. Not copied by `larkdesk migrate`:
-- a row only means something while the worker that holds the connection lives.

-- One row per open long connection: which worker process holds it, for which app. A
-- worker claims long-connection outbox rows only for apps it holds a connection for (or
-- that nobody does: that attempt fails and is retried on the schedule), and the 50
-- connections an app may open are counted here, across workers. A worker refreshes
-- expires_at of its rows while it lives; a row past it is a dead worker's, ignored and
-- swept.
CREATE TABLE event_connections (
    conn_id      TEXT PRIMARY KEY,  -- the device_id in the connection's URL
    app_id       TEXT NOT NULL,
    worker_id    TEXT NOT NULL,
    connected_at INTEGER NOT NULL,  -- ms
    expires_at   INTEGER NOT NULL   -- ms
);
CREATE INDEX event_connections_app ON event_connections (app_id, expires_at);
CREATE INDEX event_connections_worker ON event_connections (worker_id);
