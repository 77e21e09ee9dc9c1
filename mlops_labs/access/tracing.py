"""Record which code made each request in the cassettes: the lab code, or the step definitions.

A cassette holds every request of its scenario, the harness's set-up and checks as well as the
lab code's. This pytest plugin replays the scenarios and, as each recorded response is played,
notes the lab functions on the caller's stack (threads started through a thread pool, such as
boto3's ``upload_file`` workers, carry the stack that submitted them). ``python -m
mlops_labs.access.tracing`` replays every scenario this way and rewrites ``policies/callers.json``.
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from ..coursework import project
from .callers import CALLERS_FILE, HARNESS
from .operations import request_line

OPTION = "--trace-callers"
ABOUT = (
    "Which code made each request recorded in cassettes/: the lab functions on the caller's "
    "stack, outermost first (warehouse.* marks the embedded Redshift's own COPY / UNLOAD "
    "traffic), or 'harness' for the step definitions' set-up and checks. Made by "
    "`python -m mlops_labs.access.tracing`; tests/test_access_policies.py checks it."
)
_PACKAGE = Path(__file__).resolve().parent.parent
_LABS = _PACKAGE / "labs"
_WAREHOUSE = _PACKAGE / "warehouse"
_local = threading.local()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--trace-callers PATH``."""
    parser.addoption(OPTION, metavar="PATH", help="write who made each replayed request to PATH")


def pytest_configure(config: pytest.Config) -> None:
    """With ``--trace-callers``, record who makes each replayed request."""
    target = config.getoption(OPTION)
    if target:
        recorder = _Recorder(Path(target))
        config.pluginmanager.register(recorder, "mlops-labs-callers")
        recorder.install()


class _Recorder:
    """Patches vcrpy's replay and thread pools while the session runs; writes at its end."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.seen: dict[str, dict[int, tuple[str, str]]] = {}

    def install(self) -> None:
        """Wrap vcrpy's replay and thread pools' submit for the rest of the process."""
        import vcr.cassette

        play = vcr.cassette.Cassette.play_response
        submit = concurrent.futures.ThreadPoolExecutor.submit
        recorder = self

        def play_response(cassette: Any, request: Any) -> Any:
            before = dict(cassette.play_counts)
            response = play(cassette, request)
            for index, count in cassette.play_counts.items():
                if count != before.get(index, 0):
                    recorder.note(cassette, index)
            return response

        def traced_submit(pool: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
            return submit(pool, _carrying(_frames(), fn), *args, **kwargs)

        vcr.cassette.Cassette.play_response = play_response
        concurrent.futures.ThreadPoolExecutor.submit = traced_submit  # type: ignore[method-assign]

    def note(self, cassette: Any, index: int) -> None:
        """Remember who is calling for interaction ``index`` of ``cassette``."""
        path = Path(cassette._path)
        name = f"{path.parent.name}/{path.name}"
        stored = cassette.data[index][0]
        self.seen.setdefault(name, {})[index] = (
            request_line(stored.method, stored.uri),
            caller_chain(_frames()),
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write what was seen."""
        self.target.write_text(json.dumps(self.seen_as_lists()))

    def seen_as_lists(self) -> dict[str, list[list[str]]]:
        """Cassette -> ``[request line, caller chain]`` per interaction, in order."""
        return {
            name: [list(entries[index]) for index in sorted(entries)]
            for name, entries in sorted(self.seen.items())
        }


def _carrying(origin: list[tuple[str, str]], fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_local, "origin", None)
        _local.origin = origin
        try:
            return fn(*args, **kwargs)
        finally:
            _local.origin = outer

    return run


def _frames() -> list[tuple[str, str]]:
    """``(file, function)`` of the lab and warehouse frames calling now, outermost first."""
    found: list[tuple[str, str]] = []
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith((str(_LABS), str(_WAREHOUSE))):
            found.append((filename, frame.f_code.co_name))
        frame = frame.f_back
    found.reverse()
    return list(getattr(_local, "origin", None) or []) + found


def caller_chain(frames: list[tuple[str, str]]) -> str:
    """``model.train > dat.read_bytes``: the lab functions calling, outermost first; or harness."""
    # Repeats collapse; the outermost frame of the warehouse's COPY / UNLOAD module closes the
    # chain as ``warehouse.copy_unload.<function>``.
    chain: list[str] = []
    warehouse = None
    for filename, function in frames:
        path = Path(filename)
        if path.is_relative_to(_WAREHOUSE):
            if warehouse is None and path.stem == "copy_unload":
                warehouse = f"warehouse.{path.stem}.{function}"
            continue
        name = f"{path.stem}.{function}"
        if not chain or chain[-1] != name:
            chain.append(name)
    if not chain:
        return HARNESS
    return " > ".join([*chain, warehouse] if warehouse else chain)


def trace(root: Path | None = None) -> dict[str, list[list[str]]]:
    """Replay every scenario in a fresh interpreter and return who made each request."""
    root = root or project.find_root()
    with tempfile.TemporaryDirectory(prefix="mlops-labs-callers-") as folder:
        target = Path(folder) / "callers.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "--cloud",
            "replay",
            "step_defs",
            "-q",
            "-p",
            "mlops_labs.access.tracing",
            OPTION,
            str(target),
        ]
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
        if done.returncode != 0 or not target.is_file():
            lines = (done.stdout + done.stderr).strip().splitlines()
            failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))][:10]
            raise RuntimeError(
                f"every scenario must replay from its cassette to trace its callers (record "
                f"missing cassettes first); `pytest --cloud replay step_defs` exited "
                f"{done.returncode}:\n" + "\n".join(failed or lines[-15:])
            )
        return json.loads(target.read_text())


def dumps(cassettes: dict[str, list[list[str]]]) -> str:
    """The callers file: one line per request, so that a change reads as a small diff."""
    lines = ["{", f"  {json.dumps('about')}: {json.dumps(ABOUT)},", '  "cassettes": {']
    for position, (name, entries) in enumerate(sorted(cassettes.items())):
        lines.append(f"    {json.dumps(name)}: [")
        lines.extend(
            f"      {json.dumps(entry)}{',' if n + 1 < len(entries) else ''}"
            for n, entry in enumerate(entries)
        )
        lines.append("    ]" + ("," if position + 1 < len(cassettes) else ""))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def _write(root: Path) -> Iterator[str]:
    traced = trace(root)
    path = root / CALLERS_FILE
    path.write_text(dumps(traced))
    yield f"wrote {path.relative_to(root)}: {sum(map(len, traced.values()))} requests"


def differences(traced: dict[str, list[list[str]]], root: Path | None = None) -> list[str]:
    """The cassettes whose traced callers differ from ``policies/callers.json``."""
    root = root or project.find_root()
    committed = json.loads((root / CALLERS_FILE).read_text())["cassettes"]
    found = {name: entries for name, entries in traced.items() if entries}
    kept = {name: entries for name, entries in committed.items() if entries}
    return [name for name in sorted(set(found) | set(kept)) if found.get(name) != kept.get(name)]


def main(argv: list[str] | None = None) -> int:
    """Rewrite ``policies/callers.json`` from a replay, or (``--compare``) check it against one."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mlops_labs.access.tracing")
    parser.add_argument(
        "--compare",
        metavar="TRACED",
        help=f"compare {CALLERS_FILE} with a file written by `pytest {OPTION} TRACED`",
    )
    args = parser.parse_args(argv)
    root = project.find_root()
    if args.compare:
        differ = differences(json.loads(Path(args.compare).read_text()), root)
        if differ:
            print(
                f"{CALLERS_FILE} differs from the replay in {len(differ)} cassette(s), e.g. "
                f"{differ[0]}: regenerate it with `python -m mlops_labs.access.tracing`",
                file=sys.stderr,
            )
            return 1
        print(f"{CALLERS_FILE} matches the replay")
        return 0
    for line in _write(root):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
