"""Stop cleanly on signals: SIGTERM and SIGHUP end the kit's own processes as Ctrl-C does.

Python's default for SIGTERM and SIGHUP ends the process on the spot: no ``finally``, no
``atexit``, so the sandboxes' service-account key and temporary folders stay behind. Turned into
a KeyboardInterrupt, they unwind through the cleanup every command already has for Ctrl-C.
Only the kit's own processes install this (the ``mlops-labs`` command, the watcher's helper),
never the pytest plugin: signal handling in someone else's test run is theirs.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# SIGHUP: the terminal running the command was closed (POSIX only).
_STOPS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

_received: int | None = None
_stopping = False


def install() -> None:
    """From now on SIGTERM and SIGHUP stop this process as Ctrl-C does (call in the main thread)."""
    for number in _STOPS:
        # Ignored on purpose (nohup): whoever started it asked it to outlive a hang-up.
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, _stop)


def requested() -> int | None:
    """The stop signal that arrived, if one did (for the exit status)."""
    return _received


def under_way() -> None:
    """The process is stopping: later stop signals are ignored, so they cannot cut cleanup short."""
    global _stopping
    _stopping = True


@contextmanager
def interruptible() -> Iterator[None]:
    """Inside, SIGINT stops the process even if it was inherited ignored.

    A shell without job control starts background commands with SIGINT ignored; a long-running
    command (the sandbox, the watcher) must still stop on it, or a ``kill -INT`` leaves it
    running with its keys. No-op outside the main thread, the only one that may set handlers.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
    ):
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(number: int, frame: FrameType | None) -> None:
    global _received
    if _stopping:
        return
    _received = number
    under_way()
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        # Ctrl-C's own handler: it raises, or holds the interrupt until a cloud call is recorded
        # (the live observer), which a stop request must respect as much as a Ctrl-C.
        handler(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt  # Ctrl-C is ignored here (the watcher's helper): stop anyway
