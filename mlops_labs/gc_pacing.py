"""Cyclic garbage collection paced for a scenario run: paused while modules load, then spared them.

A run imports some 4,500 modules (every SDK the labs use) and then makes little cyclic garbage,
yet CPython's collector, left as it is, walks every object those imports made in each full
collection: a whole suite paid seconds for them (docs/benchmarks.md).
So the collector pauses while the run imports and collects its tests; then what exists is
frozen (``gc.freeze``: never scanned, never freed, as the imported modules live to the end
anyway) and the young generation is collected ten times less often, which makes no difference
to memory at the scale of a scenario's objects. The run's end puts the collector back as it
was and freezes what the run made as well (after collecting the young generations, so what the
last scenarios dropped is finalized as usual): a pytest process ends there, and the
interpreter's shutdown then skips the frozen objects (walking them was a visible part of a
run's end). A process that goes on after an in-process run
(``check --watch``) unfreezes them with ``contained()``.
Nested runs (``mlops-labs check`` inside a test) leave the pacing to the outermost one.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Objects allocated (net) between young-generation collections, CPython's default being 700.
YOUNG_THRESHOLD = 10_000

_saved: list[tuple[bool, tuple[int, int, int]]] = []


def pause() -> None:
    """Stop collecting while the run loads its modules (the outermost run only)."""
    _saved.append((gc.isenabled(), gc.get_threshold()))
    if len(_saved) == 1:
        gc.disable()


def settle() -> None:
    """Freeze what loading made and collect the rest of the run at the paced rate."""
    if len(_saved) != 1:
        return
    enabled, (_, older, oldest) = _saved[0]
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
    if enabled:
        gc.enable()


def restore() -> None:
    """Put the collector back as the run found it, and freeze what the run made too."""
    if not _saved:
        return
    enabled, threshold = _saved.pop()
    if _saved:
        return
    gc.set_threshold(*threshold)
    gc.collect(1)
    gc.freeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


@contextmanager
def contained() -> Iterator[None]:
    """Around an in-process ``pytest.main`` in a process that goes on: leave no object frozen.

    It also puts the collector back after a run stopped before it was configured (a bad
    option), which never reaches its ``restore``.
    """
    depth = len(_saved)
    try:
        yield
    finally:
        while len(_saved) > depth:
            restore()
        if depth == 0:
            # The run's modules and lab code may be garbage by the next run (a watch re-check).
            gc.unfreeze()


def before_exit() -> None:
    """The process ends now: freeze the heap, so the interpreter's shutdown skips walking it."""
    gc.freeze()
