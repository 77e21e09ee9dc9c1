"""Benchmark: every scenario in offline and in replay mode, against importing what each loads.

Each run is a fresh interpreter, as CI starts one, with pytest's cache off (as pyproject's
addopts has it), so every figure is cold (see fresh.COLD), and each run's temporary files
go. A mode's baseline imports, in a fresh interpreter and in the order a run first loaded
them, every module its scenarios load apart from the kit's own and the step modules: the
SDKs, the libraries under them and pytest. The
run is ``pytest`` as users run it, in one process.
Targets (issue "Cassettes"): replay at most 1.5x its import time, offline at most 2x.
Usage: python benchmarks/scenario_modes.py [--repeat 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import fresh

TARGETS = {"replay": 1.5, "offline": 2.0}
# The kit and the tests are what is measured, not part of the baseline.
OWN = ("mlops_labs", "step_defs", "conftest", "test_", "__main__", "__mp_main__")

# Runs pytest in this interpreter, then lists what it loaded (sys.modules keeps load order).
LIST_LOADED = """
import sys, pytest
code = pytest.main(sys.argv[2:])
with open(sys.argv[1], "w") as listing:
    listing.write("\\n".join(sys.modules))
sys.exit(code)
"""
# Imports the listed modules in order; a submodule's import brings its parents first.
IMPORT_LISTED = """
import importlib, sys
for name in open(sys.argv[1]).read().split():
    if name not in sys.modules:
        try:
            importlib.import_module(name)
        except Exception:  # one loaded as a side effect of another, or a private shim
            pass
"""


def loaded_modules(pytest_args: list[str], listing: Path) -> None:
    """Write to ``listing`` the modules a run of ``pytest_args`` loads, minus the kit's own."""
    fresh.run([sys.executable, "-c", LIST_LOADED, str(listing), *pytest_args], listing.parent)
    names = listing.read_text().split()
    listing.write_text("\n".join(n for n in names if not n.startswith(OWN)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    repeat = parser.parse_args().repeat
    # The pytest command the README and CI run. ``python -m pytest`` would put this folder on
    # sys.path, where setuptools' egg-info lists every module of the kit: pytest would then
    # assert-rewrite all of them on each run (about 0.8 s the README's ``pytest`` does not pay).
    script = Path(sys.executable).with_name("pytest")
    pytest = [str(script) if script.is_file() else "pytest"]
    print(f"median of {repeat}: every scenario of step_defs/, every run cold\n{fresh.COLD}")
    with fresh.scratch() as scratch:
        commands, counts = {}, {}
        for mode in TARGETS:
            # pyproject's addopts says it already; said again so the runs stay cold if it changes.
            args = ["-q", "step_defs", f"--cloud={mode}", "-p", "no:cacheprovider"]
            listing = Path(scratch, f"{mode}.txt")
            loaded_modules(args, listing)
            counts[mode] = len(listing.read_text().split())
            commands[mode] = ([sys.executable, "-c", IMPORT_LISTED, str(listing)], [*pytest, *args])
        # Each round times a mode's baseline and its run back to back, so the machine's load
        # (it drifts by 20-30% over minutes on a shared host) weighs on both alike.
        rounds: dict[str, list[tuple[float, float]]] = {mode: [] for mode in TARGETS}
        for _ in range(repeat):
            for mode, (baseline, run) in commands.items():
                rounds[mode].append((fresh.seconds(baseline), fresh.seconds(run)))
    for mode, target in TARGETS.items():
        baseline = statistics.median(b for b, _ in rounds[mode])
        print(f"  {mode:8} import what it loads ({counts[mode]} modules) {baseline:6.2f} s")
        run = statistics.median(r for _, r in rounds[mode])
        ratio = statistics.median(r / b for b, r in rounds[mode])
        print(
            f"  {mode:8} every scenario {run:27.2f} s   {ratio:5.2f}x the import"
            f"   target <= {target:.1f}x"
        )


if __name__ == "__main__":
    main()
