"""The offline BigQuery sandbox: BigQuery's REST API v2 served from DuckDB on 127.0.0.1."""
