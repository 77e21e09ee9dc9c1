"""``mlops-labs translate``: a Redshift script in, BigQuery SQL out, every finding reported.

The BigQuery script goes to standard output (each statement's findings as comments above it);
the findings, one per line as ``FILE:LINE:COLUMN: outcome: construct: reason``, and a summary go
to standard error. Exit 0 when everything was translated, 1 when something was left for a
person (untranslatable), 2 for input that cannot be read at all (the CLI prints that error).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TextIO

from ..errors import KitError
from .errors import UnreadableInput
from .translate import check_dialects, translate

STDIN = "-"
_DATASET = re.compile(r"[A-Za-z0-9_]{1,1024}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")


class BadOption(KitError):
    """A --dataset or --bucket value the translator cannot use."""


def run(
    file: str | None,
    *,
    source: str,
    target: str,
    dataset: str | None,
    buckets: list[str],
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Translate ``file`` (or standard input); the exit code."""
    check_dialects(source, target)
    if dataset is not None and not _DATASET.fullmatch(dataset):
        raise BadOption(
            f"--dataset {dataset!r} is not a BigQuery dataset name: use letters, digits and _"
        )
    renames = bucket_map(buckets)
    text, name = read(file, stdin)
    translation = translate(
        text, source=source, target=target, dataset=dataset, buckets=renames, name=name
    )
    stdout.write(translation.sql())
    for finding in translation.findings:
        print(finding.describe(name), file=stderr)
    print(translation.summary(), file=stderr)
    return 1 if translation.untranslatable else 0


def bucket_map(values: list[str]) -> dict[str, str]:
    """``S3_BUCKET=GCS_BUCKET`` pairs as a mapping; BadOption for a malformed one."""
    renames = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not _BUCKET.fullmatch(old) or not _BUCKET.fullmatch(new):
            raise BadOption(
                f"--bucket {value!r} is not S3_BUCKET=GCS_BUCKET (two bucket names, e.g. "
                "churn-lake=churn-lake-gcs)"
            )
        renames[old] = new
    return renames


def read(file: str | None, stdin: TextIO) -> tuple[str, str]:
    """The SQL text and the name to report it by; UnreadableInput if it cannot be read."""
    if file in (None, STDIN):
        if file is None and stdin.isatty():
            raise UnreadableInput(
                "no SQL to translate: give a FILE, or pipe SQL in and give - as the FILE"
            )
        try:
            return stdin.read(), "<stdin>"
        except UnicodeDecodeError as error:
            raise UnreadableInput(f"standard input is not UTF-8 text: {error.reason}") from None
    path = Path(file)
    try:
        return path.read_text(encoding="utf-8"), file
    except FileNotFoundError:
        raise UnreadableInput(f"{file}: no such file") from None
    except IsADirectoryError:
        raise UnreadableInput(f"{file}: is a folder, not a file of SQL") from None
    except UnicodeDecodeError as error:
        raise UnreadableInput(f"{file}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise UnreadableInput(f"{file}: {error.strerror or error}") from None
