"""Benchmark: every scenario in offline and in replay mode, against importing the SDKs alone.

Each run is a fresh interpreter, as CI starts one: the import baseline loads the SDKs and
libraries the scenarios use and nothing else. Targets (issue "Cassettes"): replay at most 1.5x
the import time, offline at most 2x.
Usage: python benchmarks/scenario_modes.py [--repeat 1]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORTS = (
    "import boto3, botocore, pandas, sklearn, joblib, duckdb, sqlglot, pyarrow, sqlalchemy, "
    "pytest, pytest_bdd, google.auth, google.cloud.storage, google.cloud.bigquery, "
    "google.cloud.aiplatform"
)
TARGETS = {"replay": 1.5, "offline": 2.0}


def timed(command: list[str]) -> float:
    """Wall-clock seconds of one command run to completion (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    repeat = parser.parse_args().repeat
    # The pytest command the README and CI run. ``python -m pytest`` would put this folder on
    # sys.path, where setuptools' egg-info lists every module of the kit: pytest would then
    # assert-rewrite all of them on each run (about 0.8 s the README's ``pytest`` does not pay).
    script = Path(sys.executable).with_name("pytest")
    pytest = [str(script) if script.is_file() else "pytest", "-q", "step_defs"]
    runs = {
        "import the SDKs": [sys.executable, "-c", IMPORTS],
        "offline": [*pytest, "--cloud=offline"],
        "replay": [*pytest, "--cloud=replay"],
    }
    seconds = {
        name: statistics.median(timed(command) for _ in range(repeat))
        for name, command in runs.items()
    }
    baseline = seconds["import the SDKs"]
    print(f"median of {repeat}: every scenario of step_defs/, each run a fresh interpreter")
    for name, value in seconds.items():
        ratio = value / baseline
        target = f"   target <= {TARGETS[name]:.1f}x" if name in TARGETS else ""
        print(f"  {name:16} {value:6.2f} s   {ratio:5.2f}x the SDK import{target}")


if __name__ == "__main__":
    main()
