"""`larkdesk export`: every ticket to NDJSON, CSV or Parquet, resumable from a checkpoint."""
