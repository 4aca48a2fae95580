"""`larkdesk doctor`: what an operator should know about a database, read without changing
it (no migration, read-only connections): `probes` opens SQLite or PostgreSQL, `checks`
looks at the schema, integrity, indexes, size, tickets and the event outbox."""
