"""Moving tickets in and out: NDJSON import (`importer`), export (`export/`), mirroring a
remote helpdesk (`sync`, with `remote` for its settings) and SQLite → PostgreSQL (`migrate`)."""
