"""Benchmark: the offline Lab 6.1 run against the import time of the SDKs it loads.

Each command runs in a fresh interpreter several times (cold: see fresh.COLD), its temporary
files in a folder removed after it; the median wall time counts.
Usage: python benchmarks/lab_6_1_offline.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys

import fresh

# What the Lab 6.1 trainer and its scenarios import: the AWS SDK, the data and ML stack.
SDK_IMPORTS = (
    "import boto3, joblib, pandas, sklearn.compose, sklearn.impute, sklearn.linear_model, "
    "sklearn.metrics, sklearn.model_selection, sklearn.pipeline, sklearn.preprocessing"
)

COMMANDS = {
    "SDK imports": [sys.executable, "-c", SDK_IMPORTS],
    "SDK imports + pytest + moto": [
        sys.executable,
        "-c",
        SDK_IMPORTS + ", pytest, pytest_bdd, moto.server",
    ],
    "Lab 6.1 scenarios (pytest)": [
        sys.executable,
        "-m",
        "pytest",
        "step_defs/test_lab_6_1.py",
        "-q",
        "-p",
        "no:cacheprovider",
    ],
    "mlops-labs check 6.1": [sys.executable, "-m", "mlops_labs.course.cli", "check", "6.1"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per command (default 3)")
    repeat = parser.parse_args().repeat
    # Round by round, so the shared machine's drifting load weighs on every command alike.
    runs: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeat):
        for name, command in COMMANDS.items():
            runs[name].append(fresh.seconds(command))
    results = {name: statistics.median(times) for name, times in runs.items()}
    base = results["SDK imports"]
    print(f"median of {repeat} runs each, every run cold\n{fresh.COLD}")
    for name, seconds in results.items():
        print(f"{name:<30} {seconds:6.2f} s   {seconds / base:4.2f}x SDK imports")


if __name__ == "__main__":
    main()
