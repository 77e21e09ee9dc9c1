"""A second process for ``check --watch``: it runs half of each re-check's scenarios.

Python runs one scenario at a time per process; a re-check of a task with five scenarios (each
loading a warehouse, say) waits for all five in a row. The helper keeps its own SDKs and
sandboxes loaded, like the watcher, and takes about half of each re-check's scenarios (shared
out by how long each took last time), so on a machine with two cores the learner waits for about
half. It is only ever an aid: until it is ready, or if it fails, the watcher runs them all.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from multiprocessing.connection import Connection
from pathlib import Path

from .. import gc_pacing, stop_signals
from ..cloud.modes import CloudMode
from ..coursework.catalogue import Task
from . import scenario_runner
from .scenario_runner import RunError, Share, TaskResult

READY = "ready"


class Helper:
    """The helper process, started at once, useful once it says it is ready."""

    def __init__(self, cloud: CloudMode, project: Path, warm: tuple[str, ...] = ()) -> None:
        """Start the helper; it runs the ``warm`` tasks' scenarios once before it is ready."""
        # spawn, not fork: the watcher has sandbox threads running, which a fork would not copy.
        self._cloud = cloud
        self._project = project
        context = multiprocessing.get_context("spawn")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(
            target=serve,
            # The resolved objects themselves (pickled), not strings to parse again there.
            args=(theirs, cloud, project, warm),
            name="mlops-labs-check-helper",
            daemon=True,
        )
        self._process.start()
        theirs.close()
        self._ready = False
        # Each scenario's tags and seconds the last time it ran, to share out the next run.
        self._seconds: dict[str, tuple[frozenset[str], float]] = {}

    def ready(self) -> bool:
        """Whether the helper has its SDKs and sandboxes up and is still there (never waits)."""
        if not self._process.is_alive():
            return False
        with contextlib.suppress(EOFError, OSError):
            if not self._ready and self._connection.poll():
                self._ready = self._connection.recv() == READY
        return self._ready

    def run(self, tasks: tuple[Task, ...], labs_dir: Path | None) -> list[TaskResult]:
        """Run ``tasks``' scenarios: shared with the helper once it is ready, else all here."""
        if not self.ready():
            return self._learnt(self._here(tasks, labs_dir, None))
        helpers = self._plan(tasks)
        request = ([task.id for task in tasks], labs_dir)
        try:
            self._connection.send((*request, helpers))
        except OSError:  # the helper is gone: everything runs here, now and from now on
            self.close()
            return self._learnt(self._here(tasks, labs_dir, None))
        try:
            mine = self._here(tasks, labs_dir, Share(helper=False, helpers=helpers))
        except Exception:
            self._answer()  # read now, or the next run would take it for its own
            raise
        except BaseException:  # Ctrl-C: no waiting for the helper's share
            self.close()
            raise
        answer = self._answer()
        if isinstance(answer, RunError):
            raise answer
        if answer is None:  # it went away mid-run: its share runs here
            self.close()
            answer = self._here(tasks, labs_dir, Share(helper=True, helpers=helpers))
        return self._learnt(scenario_runner.merge(mine, answer))

    def _answer(self) -> object:
        try:
            return self._connection.recv()
        except (EOFError, OSError):
            return None

    def _here(
        self, tasks: tuple[Task, ...], labs_dir: Path | None, share: Share | None
    ) -> list[TaskResult]:
        return scenario_runner.run(
            tasks, project=self._project, cloud=self._cloud, labs_dir=labs_dir, share=share
        )

    def _learnt(self, results: list[TaskResult]) -> list[TaskResult]:
        for result in results:
            for scenario in result.scenarios:
                self._seconds[scenario.nodeid] = (frozenset(scenario.tags), scenario.seconds)
        return results

    def _plan(self, tasks: tuple[Task, ...]) -> frozenset[str] | None:
        tags = {task.tag for task in tasks}
        known = {node: s for node, (marks, s) in self._seconds.items() if marks & tags}
        return split(known) if known else None  # never run yet: they alternate

    def close(self) -> None:
        """Stop the helper now; it stops its sandboxes and removes their key as it goes."""
        self._ready = False
        if self._connection.closed:
            return
        # Asked politely first; a helper busy with a run gets SIGTERM, which ends the run and
        # unwinds through the same cleanup (see ``serve``), so a learner's Ctrl-C never waits
        # for the run.
        with contextlib.suppress(OSError):
            self._connection.send(None)
        self._process.join(timeout=0.2)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        if self._process.is_alive():  # stuck: SIGKILL cannot clean up, but cannot hang either
            self._process.kill()
            self._process.join()
        self._connection.close()


def split(seconds: dict[str, float]) -> frozenset[str]:
    """The scenarios for the helper: two halves as even in time as the last run's ``seconds``."""
    mine, theirs = 0.0, 0.0
    helpers = set()
    # Longest first, each to the lighter side: alternating would leave a five-scenario task's
    # long scenario and two more on one side.
    for node, duration in sorted(seconds.items(), key=lambda item: (-item[1], item[0])):
        if theirs < mine:
            helpers.add(node)
            theirs += duration
        else:
            mine += duration
    return frozenset(helpers)


def serve(
    connection: Connection, mode: CloudMode, project: Path, warm: tuple[str, ...] = ()
) -> None:
    """The helper's loop: load, say ready, then run the second share of each request."""
    from ..cloud.sandbox_sharing import kept_sandboxes

    # Ctrl-C in the terminal reaches the whole process group: the watcher decides when to stop,
    # and stops the helper with SIGTERM (close), which unwinds through the sandboxes' cleanup.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop_signals.install()
    # The board is the watcher's; whatever the SDKs print here would only garble it.
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the process's life
    sys.dont_write_bytecode = True
    try:
        with kept_sandboxes(mode):
            _serve(connection, mode, project, warm)
            # Asked to stop: the SIGTERM that close() may send now would cut the cleanup short.
            stop_signals.under_way()
    except KeyboardInterrupt:
        pass  # a SIGTERM: the sandboxes are stopped and their key removed, as the watcher asked
    finally:
        # What is left is unloading the SDKs, which the watcher (and the learner) would wait for.
        gc_pacing.before_exit()


def _serve(connection: Connection, mode: CloudMode, project: Path, warm: tuple[str, ...]) -> None:
    """Warm up, say ready, then answer requests until the watcher says stop or goes away."""
    from ..coursework import catalogue

    _warm_up(catalogue.select(list(warm)) if warm else (), mode, project)
    connection.send(READY)
    while (request := _receive(connection)) is not None:
        ids, labs_dir, helpers = request
        try:
            answer: object = scenario_runner.run(
                catalogue.select(ids),
                project=project,
                cloud=mode,
                labs_dir=labs_dir,
                share=Share(helper=True, helpers=helpers),
            )
        except RunError as exc:
            answer = exc
        connection.send(answer)


def _receive(
    connection: Connection,
) -> tuple[list[str], Path | None, frozenset[str] | None] | None:
    try:
        return connection.recv()
    except (EOFError, OSError):
        return None  # the watcher is gone


def _warm_up(tasks: tuple[Task, ...], mode: CloudMode, project: Path) -> None:
    """Import what the scenarios use and run ``tasks``' scenarios once on the reference.

    A scenario's first run in a process pays for more than imports (moto loading a service's
    backend, DuckDB's first database, the step modules): paid here, while the watcher runs its
    own first check, the learner's first save is answered as fast as the next.
    """
    import boto3  # noqa: F401
    import pandas  # noqa: F401
    import sklearn  # noqa: F401
    from google.cloud import aiplatform, bigquery, storage  # noqa: F401

    if tasks:
        with contextlib.suppress(Exception):  # only a warm-up: the real runs report failures
            scenario_runner.run(tasks, project=project, cloud=mode)
