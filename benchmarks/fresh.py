"""Fresh interpreters for the benchmarks: each run starts cold and leaves nothing behind."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What "cold" means in every benchmark that runs through here: bytecode is a disk cache too.
_BYTECODE = (
    "PYTHONDONTWRITEBYTECODE set, so the kit's own modules compile every run"
    if os.environ.get("PYTHONDONTWRITEBYTECODE")
    else ".pyc files from earlier runs read"
)
COLD = (
    "cold: a fresh interpreter per run, nothing imported, cached or reused from another run\n"
    f"({_BYTECODE}; OS file cache warm)"
)


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder, removed on every exit path (Ctrl-C included)."""
    folder = Path(tempfile.mkdtemp(prefix="mlops-labs-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(
    command: Sequence[str], temp: Path, *, cwd: Path = ROOT, codes: Sequence[int] = (0,)
) -> str:
    """Run ``command`` in a fresh process (from the project root); its stdout.

    It must exit with one of ``codes`` (success unless told otherwise).
    """
    # Its temporary files (pytest's basetemp, sandbox keys) go under ``temp``, so anything it
    # leaves behind, killed say, goes with that folder.
    env = {**os.environ, "TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp)}
    # Its own session: a Ctrl-C at the terminal reaches it once, from _stop, not twice.
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate()
        except BaseException:
            _stop(process)
            raise
    if process.returncode not in codes:
        sys.exit(f"benchmark command failed: {shlex.join(command)}\n{out}{err}")
    return out


def _stop(process: subprocess.Popen[str]) -> None:
    """Interrupt ``process`` and let it clean up (stop sandboxes, remove its keys) first."""
    try:
        process.send_signal(signal.SIGINT if os.name == "posix" else signal.SIGTERM)
        process.wait(timeout=30)
    finally:  # it would not end, or a second Ctrl-C came: no orphan either way
        if process.poll() is None:
            process.kill()
            process.wait()


def seconds(command: Sequence[str], *, cwd: Path = ROOT, codes: Sequence[int] = (0,)) -> float:
    """Wall-clock seconds of ``command`` run in a fresh process (see ``run``)."""
    with scratch() as temp:
        started = time.perf_counter()
        run(command, temp, cwd=cwd, codes=codes)
        return time.perf_counter() - started


def figures(command: Sequence[str]) -> dict[str, float]:
    """Run ``command`` in a fresh process; the figures it printed as JSON on its last line."""
    with scratch() as temp:
        return json.loads(run(command, temp).splitlines()[-1])


def report(measured: dict[str, float]) -> None:
    """Print a fresh run's figures as ``figures`` reads them."""
    print(json.dumps(measured))
