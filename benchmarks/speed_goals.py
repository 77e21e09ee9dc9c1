"""Benchmark: the suite's and the main command's time against importing the SDKs the labs use.

The baseline is a fresh interpreter importing boto3, moto, google-cloud-bigquery, -storage and
-aiplatform, scikit-learn, pandas, duckdb, sqlglot, vcrpy and pytest-bdd. Each run is a fresh
interpreter too, cold (see fresh.COLD): ``pytest step_defs --cloud replay``, ``pytest step_defs``
(offline), ``mlops-labs check`` (the reference lab code) and ``mlops-labs check`` in a fresh
starter workspace (every code task failing, as a learner's first check). Each round times the
baseline and every run back to back, so the machine's load weighs on both alike; a ratio is the
median of the rounds' ratios. Goals (issue 19): replay <= 1.5x, offline <= 2.0x, check <= 2.0x.
Usage: python benchmarks/speed_goals.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import fresh

SDKS = (
    "boto3", "moto", "google.cloud.bigquery", "google.cloud.storage", "google.cloud.aiplatform",
    "sklearn", "pandas", "duckdb", "sqlglot", "vcr", "pytest_bdd",
)  # fmt: skip
GOALS = {"replay": 1.5, "offline": 2.0, "check": 2.0, "starter check": 2.0}
# A learner's first check fails every code task: its exit code says so.
STARTER_CODES = (0, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    if not 1 <= repeat <= 20:
        parser.error("--repeat must be between 1 and 20")
    bin_dir = Path(sys.executable).parent
    pytest = str(bin_dir / "pytest") if (bin_dir / "pytest").is_file() else "pytest"
    kit = str(bin_dir / "mlops-labs") if (bin_dir / "mlops-labs").is_file() else "mlops-labs"
    quiet = ["-q", "-p", "no:cacheprovider"]
    baseline = [sys.executable, "-c", "import " + ", ".join(SDKS)]
    print(f"median of {repeat}; {fresh.COLD}")
    with fresh.scratch() as scratch:
        starter = scratch / "workspace"
        fresh.run([kit, "start", str(starter)], scratch)
        runs = {
            "replay": ([pytest, *quiet, "step_defs", "--cloud=replay"], fresh.ROOT, (0,)),
            "offline": ([pytest, *quiet, "step_defs"], fresh.ROOT, (0,)),
            "check": ([kit, "check"], fresh.ROOT, (0,)),
            "starter check": ([kit, "check"], starter, STARTER_CODES),
        }
        rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for _ in range(repeat):
            for name, (command, cwd, codes) in runs.items():
                base = fresh.seconds(baseline)
                rounds[name].append((base, fresh.seconds(command, cwd=cwd, codes=codes)))
    imported = statistics.median(b for each in rounds.values() for b, _ in each)
    print(f"  import the SDKs ({len(SDKS)} packages) {imported:26.2f} s")
    for name, goal in GOALS.items():
        run = statistics.median(r for _, r in rounds[name])
        ratio = statistics.median(r / b for b, r in rounds[name])
        verdict = "met" if ratio <= goal else "MISSED"
        print(
            f"  {name:15} {run:27.2f} s   {ratio:5.2f}x the import   goal <= {goal:.1f}x {verdict}"
        )


if __name__ == "__main__":
    main()
