"""A scenario run shared with a second pytest process: the Google Cloud half runs there.

Most of a scenario run is importing SDKs. Run alone, the Lab 6.1/6.2 step modules and the Lab
6.4/6.5/migration ones each take about 60% of the whole run, as each half imports only its own
SDKs (pytest-xdist's workers each collect, so import, everything). So when a run collects whole
folders that hold both halves, with two cores or more, a second process runs the ``SECOND``
step modules while this one runs the rest; the second one's reports come back through a pipe
and are reported here as this run's own (progress, failures, collection errors, exit code,
JUnit report). This half starts its tests without waiting for the second to count its own when
the same run counted them before (kept in pytest's cache). Each process keeps its native
thread pools (OpenBLAS, OpenMP) to its share of the cores.
Not shared: a run given files or node ids, live mode or recording (one account, one
PROVENANCE.json), --basetemp or --trace-callers (one folder, one file), pytest-bdd's Cucumber
JSON and Gherkin reporters, --pdb, -x, -s, --collect-only, a run inside a test, --no-split.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

import pytest

# The best balance of whole modules measured: in a shared replay run this half ends ~0.5 s after
# the second; the migration module here, it ends ~3 s after.
SECOND = ("test_lab_6_4.py", "test_lab_6_5.py", "test_migration.py")
_PIPE_OPTION = "--split-report-fd"
_CACHE_KEY = "mlops_labs/split_run_second_counts"
# Runs whose count is remembered, the latest first: a few kinds of run (cloud modes, -k) each.
_REMEMBERED = 8
# The native thread pools numpy, scipy, scikit-learn and pyarrow size from the environment when
# they load. Each defaults to every core: two processes each running two OpenBLAS threads, which
# spin while they wait, on two cores took 1-1.5 s more than one thread each.
THREAD_POOLS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# Options that make pytest print something and stop.
_SHOWS = ("help", "version", "showfixtures", "show_fixtures_per_test", "markers")
_REPORTED = (
    pytest.ExitCode.OK,
    pytest.ExitCode.TESTS_FAILED,
    pytest.ExitCode.INTERRUPTED,
    pytest.ExitCode.NO_TESTS_COLLECTED,
)


def add_options(group: Any) -> None:
    """``--no-split``, and the hidden option that hands the second process its pipe."""
    group.addoption(
        "--no-split",
        action="store_true",
        default=False,
        help="run every scenario in this one process (no second process for the Google labs)",
    )
    group.addoption(_PIPE_OPTION, type=int, default=None, help=argparse.SUPPRESS)


def start(early_config: pytest.Config, mode_allows: bool) -> None:
    """Start the second process as early as the options are known, if the run is shared.

    Before the initial conftests load: the second process's start-up then overlaps them.
    """
    option = early_config.known_args_namespace
    if mode_allows and _may_split(option) and _holds_both_halves(early_config, option):
        _share_the_cores()
        early_config.pluginmanager.register(FirstProcess(early_config))


def _share_the_cores() -> None:
    """Half the cores for each process's native thread pools, unless the user sized them."""
    # Set here, before the conftests load numpy: the second process inherits the settings.
    share = str(max(1, _cores() // 2))
    for name in THREAD_POOLS:
        os.environ.setdefault(name, share)


def register(config: pytest.Config) -> None:
    """In the second process: run only the SECOND modules and report to the first."""
    fd = config.getoption(_PIPE_OPTION)
    if fd is not None:
        # The first process writes the run's JUnit report; this one must not overwrite it.
        config.option.xmlpath = None
        config.pluginmanager.register(SecondProcess(config, os.fdopen(fd, "w", buffering=1)))


def _holds_both_halves(early_config: pytest.Config, option: Any) -> bool:
    """Whether the run's folders hold SECOND step modules and others to keep here."""
    # What pytest will collect: the paths given, else testpaths (see Config._decide_args).
    given = option.file_or_dir or (
        early_config.getini("testpaths")
        if early_config.invocation_params.dir == early_config.rootpath
        else []
    )
    folders = [Path(early_config.invocation_params.dir, arg) for arg in given or ["."]]
    if not all(folder.is_dir() for folder in folders):
        return False  # files or node ids: run as given
    steps = {p.name for f in folders for p in f.rglob("test_*.py") if "step_defs" in p.parts}
    return bool(steps & set(SECOND)) and bool(steps - set(SECOND))


def _may_split(option: Any) -> bool:
    refused = (
        option.no_split,
        option.record_cassettes,
        getattr(option, "split_report_fd", None) is not None,  # the second process itself
        option.usepdb,
        getattr(option, "trace", False),
        option.maxfail,
        option.collectonly,
        *(getattr(option, name, False) for name in _SHOWS),  # prints something, runs nothing
        getattr(option, "setuponly", False) or getattr(option, "setupplan", False),
        option.capture == "no",
        option.basetemp,  # one folder, emptied by each process as it starts
        getattr(option, "trace_callers", None),  # one record of calls, written whole
        # pytest-bdd keeps a scenario's steps beside its report, not in it: they would not
        # cross the pipe.
        getattr(option, "cucumber_json_path", None),
        getattr(option, "gherkin_terminal_reporter", False),
        getattr(option, "generate_missing", False),
        "PYTEST_CURRENT_TEST" in os.environ,  # a run inside a test
        os.name != "posix",  # the report pipe is an inherited file descriptor
    )
    return not any(refused) and _cores() >= 2


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


class FirstProcess:
    """Starts the second process, leaves it the SECOND modules, reports what it ran."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        read_end, write_end = os.pipe()
        # What the second process says on stderr, shown if it fails; closed at unconfigure.
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115
        # -P: not the working folder on sys.path, where pytest would rewrite the kit's asserts
        # through setuptools' egg-info (as ``python -m pytest`` does).
        command = [sys.executable, "-P", "-m", "pytest", *config.invocation_params.args]
        self.process = subprocess.Popen(
            [*command, f"{_PIPE_OPTION}={write_end}"],
            cwd=config.invocation_params.dir,
            pass_fds=(write_end,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.errors,
        )
        os.close(write_end)
        # Drained as the reports come: a pipe holds 64 KiB, and a second process whose reports
        # wait for this one to finish its own tests would wait with them.
        self.messages: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self.counted = threading.Event()
        self.second_collected = 0
        # A daemon: joined at unconfigure, but a run that dies before then must not hang on it.
        self.reader = threading.Thread(
            target=self._drain,
            args=(os.fdopen(read_end, "r"),),
            name="split-run-reports",
            daemon=True,
        )
        self.reader.start()
        self.session: pytest.Session | None = None
        self.counted_in = 0

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        return True if collection_path.name in SECOND else None

    @pytest.hookimpl(wrapper=True)
    def pytest_collection(self, session: pytest.Session) -> Any:
        # The run's total counts both processes' scenarios, for its progress and exit code.
        # The second process counts its own once it has imported the Google Cloud SDKs, a
        # second or two after this one: until then the total takes the count it said the last
        # time the same run was made (the tests here start at once), else it waits.
        result = yield
        self.session = session
        last = self._last_count()
        if last is None:
            self.counted.wait()
            last = self.second_collected
        self.counted_in = last
        session.testscollected += last
        return result

    def pytest_report_collectionfinish(self, config: pytest.Config) -> list[str]:
        if config.get_verbosity() < 0:
            return []
        return [f"+ the scenarios of {', '.join(SECOND)}, collected in a second process"]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self) -> None:
        self._correct_count()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        # Interrupted (Ctrl-C), the run reports nothing more: unconfigure stops the second.
        result = yield
        self._report_second()
        return result

    def pytest_unconfigure(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join()
        self.errors.close()

    def _drain(self, reports: IO[str]) -> None:
        with reports:
            for line in reports:
                message = json.loads(line)
                if "collected" in message:
                    self.second_collected = message["collected"]
                    self.counted.set()
                else:
                    self.messages.put(message)
        self.counted.set()  # ended without a count: it collected nothing it could say
        self.messages.put(None)

    def _correct_count(self) -> None:
        """Once the second process has said its count, the run's total takes it."""
        if self.session is not None and self.counted.is_set():
            self.session.testscollected += self.second_collected - self.counted_in
            self.counted_in = self.second_collected

    def _run_key(self) -> dict[str, Any]:
        params = self.config.invocation_params
        return {"dir": str(params.dir), "args": list(params.args)}

    def _last_count(self) -> int | None:
        """What the second process counted the last time this same run was made."""
        run = self._run_key()
        return next((e["collected"] for e in self._remembered() if e["run"] == run), None)

    def _remember_count(self) -> None:
        if self._cache is not None:
            run = self._run_key()
            others = [e for e in self._remembered() if e["run"] != run]
            latest = {"run": run, "collected": self.second_collected}
            self._cache.set(_CACHE_KEY, [latest, *others][:_REMEMBERED])

    @property
    def _cache(self) -> Any:
        """pytest's cache, or None when its plugin is off (``-p no:cacheprovider``)."""
        return getattr(self.config, "cache", None)

    def _remembered(self) -> list[dict[str, Any]]:
        entries = self._cache.get(_CACHE_KEY, []) if self._cache is not None else []
        # A cache written by hand or by another version: only well-formed entries count.
        return [
            e
            for e in (entries if isinstance(entries, list) else [])
            if isinstance(e, dict) and isinstance(e.get("collected"), int) and "run" in e
        ]

    def _report_second(self) -> None:
        hook = self.config.hook
        self.counted.wait()
        self._correct_count()
        while (message := self.messages.get()) is not None:
            data = message["report"]
            report = hook.pytest_report_from_serializable(config=self.config, data=data)
            if isinstance(report, pytest.CollectReport):
                hook.pytest_collectreport(report=report)
                continue
            if report.when == "setup":
                hook.pytest_runtest_logstart(nodeid=report.nodeid, location=report.location)
            hook.pytest_runtest_logreport(report=report)
            if report.when == "teardown":
                hook.pytest_runtest_logfinish(nodeid=report.nodeid, location=report.location)
        code = self.process.wait()
        # Failures, collection errors and "no tests" came through as reports; anything else
        # (a crash, a usage error) is said here, with the end of what it wrote on stderr.
        if code in _REPORTED:
            self._remember_count()
        else:
            self.errors.seek(0)
            said = self.errors.read().decode(errors="replace").strip().splitlines()[-15:]
            hook.pytest_collectreport(
                report=pytest.CollectReport(
                    nodeid=" ".join(SECOND),
                    outcome="failed",
                    longrepr=f"the second process, running {', '.join(SECOND)}, exited with "
                    f"{code}:\n" + "\n".join(said),
                    result=[],
                )
            )


class SecondProcess:
    """Runs only the SECOND modules and sends each report to the first process."""

    def __init__(self, config: pytest.Config, pipe: IO[str]) -> None:
        self.config = config
        self.pipe = pipe

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        if collection_path.is_dir():
            return None if any(any(collection_path.rglob(n)) for n in SECOND) else True
        if collection_path.suffix == ".py" and collection_path.name != "conftest.py":
            return None if collection_path.name in SECOND else True
        return None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._send({"collected": len(session.items)})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._send_report(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._send_report(report)

    def pytest_unconfigure(self) -> None:
        self.pipe.close()

    def _send_report(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        self._send({"report": data})

    def _send(self, message: dict[str, Any]) -> None:
        self.pipe.write(json.dumps(message) + "\n")
