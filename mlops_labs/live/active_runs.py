"""The live runs in progress in this process; the newest is the one that records."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .run import LiveRun

_active: list[LiveRun] = []


def active() -> LiveRun | None:
    """The live run in progress in this process, if any."""
    return _active[-1] if _active else None


def begin(run: LiveRun) -> None:
    """``run`` is now the live run in progress."""
    _active.append(run)


def end(run: LiveRun) -> None:
    """``run`` is no longer in progress (nothing happens if it never began)."""
    if run in _active:
        _active.remove(run)
