"""Empty in-memory DuckDB databases, the next one opened ahead of need on another thread."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb

# One DuckDB thread: parallel aggregation would order GROUP BY results differently run to run,
# and a warehouse whose UNLOAD files change by themselves cannot be replayed.
_CONFIG = {"threads": 1}
# Opening and closing a database is ~25 ms of DuckDB's own work with the GIL released: done
# here while a scenario runs, it is off the path of the next scenario's Background.
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlops-labs-duckdb")
_lock = threading.Lock()
_next: Future[duckdb.DuckDBPyConnection] | None = None


def _open() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:", config=_CONFIG)


def fresh() -> duckdb.DuckDBPyConnection:
    """An empty database of the caller's own; the one after it starts opening at once."""
    global _next
    with _lock:
        ready, _next = _next, _worker.submit(_open)
    return ready.result() if ready is not None else _open()


def release(database: duckdb.DuckDBPyConnection) -> None:
    """Close ``database`` without waiting for it."""
    _worker.submit(database.close)
