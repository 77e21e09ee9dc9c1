"""A job's stop switch: deadlines and jobs.cancel interrupt the DuckDB work it is doing.

A job registers what would interrupt it (``running``) while DuckDB works for it; ``stop``
records why it must end and interrupts that work at once, so a runaway query costs its
caller a timeout and nobody else anything.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .errors import BigQueryError, Invalid, Stopped, TimedOut

# jobs.insert waits this long for a job before answering with it RUNNING: the labs' jobs are
# DONE in the insert's answer, a runaway one keeps its client waiting no longer than this.
SYNC_WINDOW_S = 2.0
# The longest a job may run in the sandbox (BigQuery's own limit is six hours).
MAX_JOB_S = 300.0
# A stopped job's work is interrupted this often, for at most this long, until it has ended.
REPEAT_EVERY_S = 0.05
REPEAT_FOR_S = 30.0


class Stopper:
    """Why a job was stopped, if it was, and the interrupts of the work it is doing now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._interrupts: list[Callable[[], None]] = []
        self.reason: BigQueryError | None = None
        self._handover: Handover | None = None

    def stop(self, reason: BigQueryError) -> None:
        """Stop the job for ``reason``: interrupt what it runs now, refuse what it runs next."""
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
            interrupts = list(self._interrupts)
        _interrupt_all(interrupts)
        if interrupts:
            _keep_interrupting(self, lambda: True)

    @contextlib.contextmanager
    def running(self, interrupt: Callable[[], None]) -> Iterator[None]:
        """Let ``stop`` call ``interrupt`` while the block runs; refuse to start once stopped."""
        with self._lock:
            if self.reason is not None:
                raise self.reason
            if self._handover is not None and self._handover._fired:
                raise HandedOver("The query is handed over to a worker")
            self._interrupts.append(interrupt)
        try:
            yield
        finally:
            with self._lock:
                self._interrupts.remove(interrupt)


class HandedOver(BigQueryError):
    """Work a try on the request's thread would start after its time ran out (never answered)."""


def _keep_interrupting(stopper: Stopper, wanted: Callable[[], bool]) -> None:
    """Interrupt the stopper's work again and again until it ends (or is no longer ``wanted``).

    DuckDB forgets an interrupt that arrives while a query is about to start (its flag is reset
    when execution begins): one interrupt alone could leave a runaway running to its deadline.
    """

    def repeat() -> None:
        for _ in range(int(REPEAT_FOR_S / REPEAT_EVERY_S)):
            time.sleep(REPEAT_EVERY_S)
            with stopper._lock:
                interrupts = list(stopper._interrupts) if wanted() else []
            if not interrupts:
                return
            _interrupt_all(interrupts)

    threading.Thread(target=repeat, name="bigquery-sandbox-interrupts", daemon=True).start()


def _interrupt_all(interrupts: list[Callable[[], None]]) -> None:
    for interrupt in interrupts:
        # The work may have ended (its cursor closed) since: nothing is left to interrupt.
        with contextlib.suppress(Exception):
            interrupt()


class Handover:
    """A query tried on the request's own thread, handed over to a worker when it runs long.

    Most queries end in a millisecond or two: running them where the request waits spares two
    thread switches each. One that is still running at ``fire`` is interrupted and runs again,
    from the start, on a worker, so the request can answer at its timeout while the job runs on.
    """

    def __init__(self, stopper: Stopper) -> None:
        self._stopper = stopper
        self._fired = False
        self._closed = False
        stopper._handover = self  # work the try starts after ``fire`` is refused at once

    def fire(self) -> None:
        """Interrupt the try, unless it has ended or the job was stopped."""
        stopper = self._stopper
        with stopper._lock:
            if self._closed or stopper.reason is not None:
                return
            self._fired = True
            interrupts = list(stopper._interrupts)
        _interrupt_all(interrupts)
        if interrupts:
            _keep_interrupting(stopper, lambda: not self._closed)

    def close(self) -> bool:
        """End the try; was it interrupted (so the job must run again on a worker)?"""
        with self._stopper._lock:
            self._closed = True
            self._stopper._handover = None
            return self._fired


class Deadlines:
    """One thread that stops each job at its deadline: a timer thread per job cost more than
    the job's query (a sandbox answers hundreds of queries a second)."""

    _IDLE_S = 5.0  # the watcher ends after this long with no job to watch

    def __init__(self) -> None:
        self._due: list[list[Any]] = []  # [when, order, action, active], soonest first
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._watcher: threading.Thread | None = None

    def watch(self, seconds: float, stopper: Stopper, reason: BigQueryError) -> list[Any]:
        """Stop ``stopper`` for ``reason`` in ``seconds`` unless ``release`` comes first."""
        return self.call(seconds, functools.partial(stopper.stop, reason))

    def call(self, seconds: float, action: Callable[[], None]) -> list[Any]:
        """Call ``action`` in ``seconds`` unless ``release`` comes first."""
        entry = [time.monotonic() + seconds, next(self._order), action, True]
        with self._changed:
            heapq.heappush(self._due, entry)
            if self._watcher is None:
                self._watcher = threading.Thread(
                    target=self._watch, name="bigquery-sandbox-deadlines", daemon=True
                )
                self._watcher.start()
            elif self._due[0] is entry:
                self._changed.notify()
        return entry

    def release(self, entry: list[Any]) -> None:
        """The job ended: its deadline no longer applies."""
        entry[3] = False

    def _watch(self) -> None:
        while True:
            with self._changed:
                while self._due and not self._due[0][3]:
                    heapq.heappop(self._due)
                if not self._due:
                    self._changed.wait(self._IDLE_S)
                    if not self._due:
                        self._watcher = None
                        return
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                _, _, action, active = heapq.heappop(self._due)
            if active:
                action()


def milliseconds(value: Any, name: str, *, zero_allowed: bool) -> int | None:
    """A duration field (``timeoutMs``, ``jobTimeoutMs``) as milliseconds; None if absent."""
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or (number == 0 and not zero_allowed):
        kind = "non-negative" if zero_allowed else "positive"
        raise Invalid(f"Invalid value for {name}: {value!r}: it must be a {kind} number")
    return number


def cancelled() -> Stopped:
    """The error of a job stopped by jobs.cancel, in BigQuery's words."""
    return Stopped("Job execution was cancelled: User requested cancellation")


def timed_out(job_timeout_ms: int | None, limit_s: float) -> BigQueryError:
    """The error of a job that ran past its jobTimeoutMs, or past the sandbox's limit."""
    if job_timeout_ms is not None and job_timeout_ms / 1000 <= limit_s:
        return Stopped(
            f"Job execution was cancelled: Job timed out after {job_timeout_ms / 1000:g} sec"
        )
    return TimedOut(
        f"Operation timed out after {limit_s:g} seconds (the BigQuery sandbox's limit). "
        "Consider reducing the amount of work performed by your operation so that it can "
        "complete within this limit."
    )


def deadline_s(job_timeout_ms: int | None, limit_s: float) -> float:
    """How long a job may run: its jobTimeoutMs, never more than the sandbox's limit."""
    if job_timeout_ms is None:
        return limit_s
    return min(job_timeout_ms / 1000, limit_s)
