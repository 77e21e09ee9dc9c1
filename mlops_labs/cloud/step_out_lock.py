"""A sandbox's lock, which a statement steps out of while DuckDB (or training) works for it.

Names and metadata change only under the lock, but the work a statement asks for — a
CREATE TABLE AS over a runaway query, a model's training — runs with the lock let go, on a
DuckDB cursor of the statement's own: a long statement never keeps other requests waiting.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class StepOutLock:
    """A reentrant lock whose holder can let it go for a while, whatever its depth."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> bool:
        """Take the lock, or count one more hold when this thread has it already."""
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return True
        self._lock.acquire()
        self._owner, self._depth = me, 1
        return True

    def release(self) -> None:
        """Give one hold back; the lock is free when the last one goes."""
        if self._owner != threading.get_ident():
            raise RuntimeError("cannot release a lock this thread does not hold")
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def held(self) -> bool:
        """Whether this thread holds the lock."""
        return self._owner == threading.get_ident()

    @contextlib.contextmanager
    def stepped_out(self) -> Iterator[None]:
        """Let the lock go entirely for the block, and take it back as deep as it was."""
        me = threading.get_ident()
        if self._owner != me:
            yield
            return
        depth = self._depth
        self._owner, self._depth = None, 0
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()
            self._owner, self._depth = me, depth
