"""Runs leave nothing behind: keys and temporary folders go on every exit, signals included.

Real processes, each with TMPDIR pointed at a folder of the test's own, so what a run leaves
there is exactly what it made.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_labs.cloud import modes
from mlops_labs.course import learner_workspace
from mlops_labs.coursework import lab_code
from mlops_labs.coursework.lab_code import REFERENCE_DIR

ROOT = Path(__file__).resolve().parents[1]
# The installed ``mlops-labs`` command, whichever PATH the test run has.
COMMAND = [sys.executable, "-c", "from mlops_labs.course.cli import run; run()"]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture
def temp(tmp_path: Path) -> Path:
    """The subprocesses' temporary folder."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


def _environment(temp: Path) -> dict[str, str]:
    environment = {**os.environ, "TMPDIR": str(temp)}
    # Offline and on the code each test names, whatever the shell running the tests chose.
    for name in (modes.ENV_VAR, lab_code.ENV_VAR):
        environment.pop(name, None)
    return environment


def _leftovers(temp: Path) -> list[str]:
    return sorted(path.name for path in temp.iterdir() if path.name.startswith("mlops-labs-"))


class _Started:
    """A command started in a session of its own, its output read as it comes."""

    def __init__(self, args: list[str], temp: Path, **options: object) -> None:
        self.process = subprocess.Popen(
            args,
            env=_environment(temp),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            **options,  # type: ignore[call-overload]
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """The first line holding ``text`` (failing after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.1)
            except queue.Empty:
                assert self.process.poll() is None, f"it ended: {''.join(self.lines)}"
                continue
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in {timeout} s: {''.join(self.lines)}")

    def stop(self, number: signal.Signals, timeout: float = 20) -> int:
        """Send ``number``; the exit status, which must come within ``timeout`` seconds."""
        self.process.send_signal(number)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {timeout} s after {number.name}") from None

    def output(self) -> str:
        """Everything it printed (all of it once it has ended)."""
        self._reader.join(5)
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return "".join(self.lines)

    def kill(self) -> None:
        """Whatever of its session still runs (a test that failed midway)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


@pytest.fixture
def started() -> Iterator[list[_Started]]:
    """Commands started by a test, killed after it if they are still running."""
    commands: list[_Started] = []
    yield commands
    for command in commands:
        command.kill()


def _start(started: list[_Started], *args: str, temp: Path, **options: object) -> _Started:
    command = _Started([*COMMAND, *args], temp, **options)
    started.append(command)
    return command


def _running_in_group(group: int) -> list[str]:
    """The processes of ``group`` that still run (zombies waiting for init are gone already)."""
    if shutil.which("ps") is None:
        return []
    listing = subprocess.run(
        ["ps", "-A", "-o", "pid=,pgid=,stat=,command="], capture_output=True, text=True
    ).stdout
    return [
        line
        for line in listing.splitlines()
        if len(fields := line.split(None, 3)) >= 3
        and fields[1] == str(group)
        and not fields[2].startswith("Z")
    ]


def test_a_test_run_of_the_watcher_leaves_no_key_behind(temp, tmp_path):
    # The test that left a key each run: its watcher's helper process was ended by SIGTERM.
    culprit = "tests/test_learner_workflow.py::test_watch_rechecks_the_task_of_a_saved_file"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", f"--basetemp={tmp_path / 'base'}", culprit],
        cwd=ROOT,
        env=_environment(temp),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert _leftovers(temp) == []


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=lambda n: n.name)
def test_the_sandbox_stopped_by_a_signal_exits_cleanly_and_removes_its_key(number, temp, started):
    # A stop request, as Ctrl-C is: the sandbox's usual end, status 0 (as servers do).
    sandbox = _start(started, "sandbox", "--format", "dotenv", temp=temp)
    key = Path(sandbox.wait_for("GOOGLE_APPLICATION_CREDENTIALS=").split("=", 1)[1].strip())
    sandbox.wait_for("REDSHIFT_DATA")  # the last setting: every service is up
    assert key.is_file()

    assert sandbox.stop(number) == 0, sandbox.output()
    assert not key.parent.exists()
    assert _leftovers(temp) == []


def test_a_sandbox_started_with_ctrl_c_ignored_still_stops_on_sigint(temp, started):
    # A shell without job control starts background commands with SIGINT ignored.
    sandbox = _start(
        started,
        "sandbox",
        "--format",
        "dotenv",
        temp=temp,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    key = Path(sandbox.wait_for("GOOGLE_APPLICATION_CREDENTIALS=").split("=", 1)[1].strip())
    sandbox.wait_for("REDSHIFT_DATA")

    assert sandbox.stop(signal.SIGINT) == 0, sandbox.output()
    assert not key.parent.exists()
    assert _leftovers(temp) == []


def test_a_watcher_stopped_by_sigterm_removes_its_keys_and_its_helpers(tmp_path, temp, started):
    folder = learner_workspace.start(tmp_path / "ws")
    watcher = _start(
        started, "check", "--watch", "--cloud", "offline", "6.1.4", temp=temp, cwd=folder
    )
    watcher.wait_for("watching")
    # The watcher's sandboxes, and the helper's once it has started them (two cores or more).
    keys = 2 if (os.cpu_count() or 1) > 1 else 1
    deadline = time.monotonic() + 60
    while len(list(temp.glob("mlops-labs-gcp-*"))) < keys and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(list(temp.glob("mlops-labs-gcp-*"))) == keys

    # Stopped as Ctrl-C stops it: the last check's status (6.1.4 is not done in a new workspace).
    assert watcher.stop(signal.SIGTERM) == 1, watcher.output()
    assert "stopped watching" in watcher.output()
    assert _leftovers(temp) == []
    assert _running_in_group(watcher.process.pid) == []


def test_a_check_stopped_by_sigterm_mid_scenario_says_so_and_removes_what_it_made(
    tmp_path, temp, started
):
    # The reference lab code, pausing inside 6.1.4's scenario once it is under way.
    labs = tmp_path / "labs"
    shutil.copytree(REFERENCE_DIR, labs, ignore=shutil.ignore_patterns("__pycache__"))
    marker = tmp_path / "inside"
    model = labs / "model.py"
    model.write_text(
        model.read_text() + "\n\nimport time as _time\n\n_persist = _s3_persist\n\n\n"
        "def _s3_persist(*args, **kwargs):\n"
        f"    open({str(marker)!r}, 'w').close()\n    _time.sleep(60)\n"
        "    return _persist(*args, **kwargs)\n"
    )
    check = _start(started, "check", "--cloud", "offline", f"--labs-dir={labs}", "6.1.4", temp=temp)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        assert check.process.poll() is None, check.output()
        time.sleep(0.05)
    assert marker.exists(), check.output()

    # pytest inside catches the interrupt and tears the run down; the command then stops too,
    # with the shell's status for a command ended by SIGTERM.
    assert check.stop(signal.SIGTERM) == 128 + signal.SIGTERM, check.output()
    assert "mlops-labs: interrupted" in check.output()
    assert _leftovers(temp) == []
