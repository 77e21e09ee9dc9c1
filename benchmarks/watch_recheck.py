"""Benchmark: how soon ``check --watch`` answers after a save that changes one task's code.

As the watcher does it: one process with the SDKs imported and the sandboxes kept, its helper
process ready, the reference solution checked. Each task is re-checked ``--repeat`` times after
a first warm-up run; the median is compared with the issue's target of one second.
Usage: python benchmarks/watch_recheck.py [--repeat 5] [--cloud offline] [--labs-dir DIR] [TASK ...]
(``--labs-dir``: a workspace's lab code instead of the reference, stand-ins and all.)
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time

from rich.console import Console

from mlops_labs import catalogue, project
from mlops_labs.check import check
from mlops_labs.cloud import modes
from mlops_labs.pytest_plugin import kept_sandboxes
from mlops_labs.scenario_helper import Helper

TARGET_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", help="task ids (default: every task)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cloud", default="offline", choices=[m.value for m in modes.CloudMode])
    parser.add_argument("--labs-dir", help="lab code to check (default: the reference)")
    args = parser.parse_args()
    options = {
        "cloud": args.cloud,
        "labs_dir": args.labs_dir,
        "console": Console(file=io.StringIO()),
    }
    tasks = [t.id for t in catalogue.select(args.tasks)]
    mode = modes.resolve(args.cloud)
    sys.dont_write_bytecode = True  # as the watcher runs
    helper = Helper(mode, project.find_root())
    try:
        with kept_sandboxes(mode):
            check(tasks, **options, helper=helper)  # the watcher's first check
            while not helper.ready():
                time.sleep(0.1)
            print(f"median of {args.repeat} re-checks per task, helper ready ({args.cloud})")
            for task in tasks:
                check([task], **options, helper=helper)
                seconds = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    check([task], **options, helper=helper)
                    seconds.append(time.perf_counter() - started)
                median = statistics.median(seconds)
                ratio = median / TARGET_SECONDS
                print(f"  {task:6} {median:5.2f} s   {ratio:4.2f}x the one-second target")
    finally:
        helper.close()


if __name__ == "__main__":
    main()
