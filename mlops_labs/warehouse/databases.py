"""Empty in-memory DuckDB databases, locked down, the next one opened ahead of need.

Each database may read and write files only in the warehouse's private folder (COPY stages
the files it fetched from S3 there), and nothing else of the host.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb

from ..cloud import duckdb_guard

# One DuckDB thread: parallel aggregation would order GROUP BY results differently run to run,
# and a warehouse whose UNLOAD files change by themselves cannot be replayed.
_CONFIG = {"threads": 1}
# Opening and closing a database is DuckDB's own work with the GIL released (its cost: see
# docs/benchmarks.md): done here while a scenario runs, it is off the next Background's path.
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlops-labs-duckdb")
_lock = threading.Lock()
_next: Future[duckdb.DuckDBPyConnection] | None = None


_folder: Path | None = None
_folder_lock = threading.Lock()


def private_folder() -> Path:
    """The warehouse's own folder for staged files, made once, removed when the process ends."""
    global _folder
    with _folder_lock:
        if _folder is None:
            _folder = Path(tempfile.mkdtemp(prefix="mlops-labs-warehouse-", dir=_system_temp()))
            atexit.register(shutil.rmtree, _folder, ignore_errors=True)
        else:
            # A temp cleaner may have removed it; the databases are allowed this path for good.
            _folder.mkdir(mode=0o700, exist_ok=True)
        return _folder


def _system_temp() -> str:
    """The system's temporary folder, even while a test points ``tempfile.tempdir`` elsewhere.

    The folder outlives any one scenario (every database opened may use it), so it must not
    live in a scenario's temporary folder, which pytest removes.
    """
    for name in ("TMPDIR", "TEMP", "TMP"):
        folder = os.environ.get(name)
        if folder and os.path.isdir(folder):
            return folder
    saved = tempfile.tempdir
    try:
        tempfile.tempdir = None  # gettempdir() then looks up the platform's own folder
        return tempfile.gettempdir()
    finally:
        tempfile.tempdir = saved


def _open() -> duckdb.DuckDBPyConnection:
    database = duckdb.connect(":memory:", config={**_CONFIG, **duckdb_guard.OPEN_CONFIG})
    duckdb_guard.harden(database, private_folder())
    return database


def fresh() -> duckdb.DuckDBPyConnection:
    """An empty database of the caller's own; the one after it starts opening at once."""
    global _next
    with _lock:
        ready, _next = _next, _worker.submit(_open)
    return ready.result() if ready is not None else _open()


def release(database: duckdb.DuckDBPyConnection) -> None:
    """Close ``database`` without waiting for it."""
    _worker.submit(database.close)
