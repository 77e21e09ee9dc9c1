"""The ``mlops-labs`` command line."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .cloud import modes
from .errors import KitError
from .scenario_runner import RunError


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
            from .check import check

            return check(args.targets, cloud=args.cloud, labs_dir=args.labs_dir)
        if args.command == "sandbox":
            from .sandbox_command import run

            return run(sys.stdout, style=args.format)
    except (KitError, RunError) as exc:
        print(f"mlops-labs: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mlops-labs: interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
