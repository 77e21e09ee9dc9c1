"""The embedded warehouse: Redshift SQL executed in-process by DuckDB, with COPY and UNLOAD."""
