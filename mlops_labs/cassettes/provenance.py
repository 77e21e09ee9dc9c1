"""What answered each cassette, when, and with which versions of the packages that shaped it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

PROVENANCE = "PROVENANCE.json"
# The packages whose output lands in a cassette: the SDKs and services that shape the traffic,
# and the libraries that write the data and model files the labs upload.
VERSIONED = (
    "boto3", "botocore", "moto", "google-cloud-storage", "google-cloud-bigquery",
    "google-cloud-aiplatform", "google-auth", "gcp-storage-emulator", "vcrpy",
    "pandas", "pyarrow", "numpy", "duckdb", "sqlglot", "scikit-learn", "joblib",
)  # fmt: skip
# Those that write the data and model files: a body that differs names their change of version.
DATA_WRITERS = ("pandas", "pyarrow", "numpy", "duckdb", "scikit-learn", "joblib")


def write_provenance(path: Path, answered_by: str) -> None:
    """Say in ``cassettes/PROVENANCE.json`` what answered this cassette, when, with what."""
    root = path.parent.parent
    record_file = root / PROVENANCE
    entries: dict[str, Any] = {}
    if record_file.is_file():
        entries = json.loads(record_file.read_text())
    entries[path.relative_to(root).as_posix()] = {
        "answered_by": answered_by,
        "recorded_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "versions": installed_versions(),
    }
    text = json.dumps(dict(sorted(entries.items())), indent=2) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=".provenance.", dir=root)
    with os.fdopen(handle, "w") as out:
        out.write(text)
    os.replace(temporary, record_file)


def installed_versions(names: tuple[str, ...] = VERSIONED) -> dict[str, str]:
    """The installed versions of ``names`` (the packages that shape a cassette)."""
    found = {}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def recorded_versions(path: Path) -> dict[str, str]:
    """The versions a cassette was recorded with, as its ``PROVENANCE.json`` entry says."""
    root = path.parent.parent
    with contextlib.suppress(OSError, ValueError, AttributeError):
        entry = json.loads((root / PROVENANCE).read_text()).get(
            path.relative_to(root).as_posix(), {}
        )
        return {str(name): str(version) for name, version in entry.get("versions", {}).items()}
    return {}


def data_writer_changes(path: Path) -> list[str]:
    """ "pandas 3.1.1, this run has 3.1.2" for each data writer whose version has changed."""
    recorded = recorded_versions(path)
    running = installed_versions(DATA_WRITERS)
    return [
        f"{name} {recorded[name]}, this run has {running[name]}"
        for name in DATA_WRITERS
        if name in recorded and name in running and recorded[name] != running[name]
    ]
