"""Fill in a policy file's ``${Name}`` placeholders: ``python -m mlops_labs.access.render``.

    python -m mlops_labs.access.render policies/aws/lab-6.1-trainer.json \\
        Region=us-east-1 Account=123456789012 ArtifactBucket=my-artifacts ... > trainer.json

Prints the document with every placeholder replaced; a placeholder left without a value is
named on stderr (exit 2), since IAM would read an unfilled ``${Name}`` as a policy variable
that matches nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .policies import placeholders, render


def main(argv: list[str] | None = None) -> int:
    """Print the file named first, with the NAME=VALUE pairs after it filled in."""
    args = sys.argv[1:] if argv is None else argv
    if not args or any("=" not in pair for pair in args[1:]):
        print("usage: python -m mlops_labs.access.render FILE NAME=VALUE ...", file=sys.stderr)
        return 2
    path = Path(args[0])
    if not path.is_file():
        print(f"no policy file at {path}", file=sys.stderr)
        return 2
    text = path.read_text()
    values = dict(pair.split("=", 1) for pair in args[1:])
    try:
        sys.stdout.write(render(text, values))
    except KeyError as exc:
        wanted = " ".join(f"{name}=..." for name in placeholders(text))
        print(f"{exc.args[0]}: give {wanted}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
