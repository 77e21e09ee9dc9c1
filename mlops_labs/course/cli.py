"""The ``mlops-labs`` command line."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from .. import __version__, gc_pacing, stop_signals
from ..cloud import modes
from ..coursework import project
from ..errors import KitError
from ..harness.scenario_runner import RunError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlops-labs",
        description="An executable MLOps workshop: AWS to Google Cloud, as scenarios.",
    )
    parser.add_argument("--version", action="version", version=f"mlops-labs {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="run the lab scenarios and show which tasks pass")
    check.add_argument(
        "targets", nargs="*", metavar="LAB|TASK", help="lab ids (6.1) or task ids (6.1.4); all"
    )
    check.add_argument(
        "--cloud",
        default=None,
        help=f"where the SDKs talk: {', '.join(m.value for m in modes.AVAILABLE)} "
        f"(default: ${modes.ENV_VAR} or offline)",
    )
    check.add_argument(
        "--labs-dir",
        default=None,
        help="check the lab code in this folder instead of the reference",
    )
    check.add_argument(
        "--watch",
        action="store_true",
        help="check again each time a lab file is saved (Ctrl-C to stop)",
    )
    check.add_argument(
        "--no-helper",
        action="store_true",
        help="with --watch: no second process sharing the scenarios (less memory, slower)",
    )
    start = commands.add_parser(
        "start", help="make a learner workspace: the starter lab code and a hunt worksheet"
    )
    start.add_argument(
        "directory", nargs="?", default="mlops-labs-workspace", help="a new or empty folder"
    )
    hint = commands.add_parser("hint", help="the next hint for a task (one more each time)")
    hint.add_argument("task", metavar="TASK", help="a task id, e.g. 6.1.4")
    hunt = commands.add_parser(
        "hunt", help="list every task marker, or grade a scavenger-hunt worksheet"
    )
    hunt.add_argument(
        "--check", metavar="WORKSHEET", default=None, help="grade this worksheet file"
    )
    syllabus = commands.add_parser("syllabus", help="the labs and their scenarios as a course")
    syllabus.add_argument("--format", choices=("md", "html"), default="md")
    verify = commands.add_parser(
        "verify",
        help="check the course: reference passes, starter fails, markers, hints, worksheet",
    )
    verify.add_argument(
        "--thorough",
        action="store_true",
        help="also check that each task fails when its solution is replaced by `pass`",
    )
    translate = commands.add_parser(
        "translate",
        help="translate Redshift SQL to BigQuery SQL, reporting what changes and what cannot",
    )
    translate.add_argument(
        "file", nargs="?", default=None, metavar="FILE|-", help="a SQL file; - reads stdin"
    )
    translate.add_argument(
        "--from", dest="source", default="redshift", help="the dialect read (redshift)"
    )
    translate.add_argument(
        "--to", dest="target", default="bigquery", help="the dialect written (bigquery)"
    )
    translate.add_argument(
        "--dataset", default=None, help="the BigQuery dataset for tables named without a schema"
    )
    translate.add_argument(
        "--bucket",
        action="append",
        default=[],
        metavar="S3_BUCKET=GCS_BUCKET",
        help="the Cloud Storage bucket an S3 bucket's files moved to (default: the same name)",
    )
    cleanup = commands.add_parser(
        "cleanup",
        help="remove what interrupted live runs left behind, as their ledgers record it",
    )
    cleanup.add_argument(
        "--force", action="store_true", help="also clean up runs that still seem to be running"
    )
    sandbox = commands.add_parser(
        "sandbox",
        help="start every offline service and print the settings that point SDKs at them",
    )
    sandbox.add_argument(
        "--format",
        choices=("sh", "dotenv", "json"),
        default="sh",
        help="how to print the settings (default: shell export lines)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors are one line on stderr and a non-zero exit, never a traceback."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            from .check_command import check

            if args.no_helper and not args.watch:
                raise KitError("--no-helper only applies to --watch: add --watch, or leave it out")
            if args.watch:
                from .watch import watch

                with stop_signals.interruptible():
                    return watch(
                        args.targets,
                        cloud=args.cloud,
                        labs_dir=args.labs_dir,
                        helper=not args.no_helper,
                    )
            return check(args.targets, cloud=args.cloud, labs_dir=args.labs_dir)
        if args.command == "start":
            return _start(args.directory)
        if args.command == "hint":
            from .hint_command import hint

            return hint(args.task, _console())
        if args.command == "hunt":
            from . import hunt_command

            if args.check:
                return hunt_command.check_worksheet(Path(args.check), _console())
            return hunt_command.list_markers(_console())
        if args.command == "syllabus":
            from .syllabus_command import render

            print(render(project.find_root(), args.format))
            return 0
        if args.command == "verify":
            from .verify import verify

            return verify(_console(), thorough=args.thorough)
        if args.command == "cleanup":
            from ..live import settings
            from ..live.cleanup import cleanup

            return cleanup(settings.load(), project.find_root(), _console(), force=args.force)
        if args.command == "sandbox":
            from .sandbox_command import run

            with stop_signals.interruptible():
                return run(sys.stdout, style=args.format)
        if args.command == "translate":
            from ..migration import command

            return command.run(
                args.file,
                source=args.source,
                target=args.target,
                dataset=args.dataset,
                buckets=args.bucket,
                stdin=sys.stdin,
                stdout=sys.stdout,
                stderr=sys.stderr,
            )
    except (KitError, RunError) as exc:
        print(f"mlops-labs: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mlops-labs: interrupted", file=sys.stderr)
        # The shell's convention for a command ended by a signal: 130 for Ctrl-C, 143 for SIGTERM.
        return 128 + (stop_signals.requested() or signal.SIGINT)
    return 2


def run() -> None:
    """The ``mlops-labs`` command: ``main``, then exit with its code."""
    # Here, not in main(): tests call main() inside pytest, whose signals are its own.
    stop_signals.install()
    code = main()
    # Cleaned up already or exiting now: a SIGTERM must not break into atexit's removals.
    stop_signals.under_way()
    gc_pacing.before_exit()
    sys.exit(code)


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _start(directory: str) -> int:
    from ..coursework.catalogue import all_tasks
    from .learner_workspace import start

    made = start(Path(directory))
    print(f"Your workspace is ready: {made}")
    count = len(all_tasks())
    print(f"  labs/          the lab code, each task's solution left for you ({count} tasks)")
    print("  WORKSHEET.md   the scavenger hunt: where each task is, what it does, why")
    print("Next:")
    print(f"  cd {directory}")
    print("  mlops-labs check            every task, with the first failing step and a hint")
    print("  mlops-labs hint 6.1.2       a hint for one task, one more each time you ask")
    print("  mlops-labs check --watch    re-checks each time you save")
    return 0


if __name__ == "__main__":
    run()
