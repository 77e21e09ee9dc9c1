"""Live mode's settings: from flags, then environment variables, then a TOML file, then defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..errors import KitError

CONFIG_ENV = "MLOPS_LABS_LIVE_CONFIG"
CONFIG_FILE = "mlops-labs-live.toml"
# Lab 6.2 on the kit's embedded warehouse instead of a cluster (COPY / UNLOAD still use real S3).
EMBEDDED_REDSHIFT = "embedded"
GIB = 1024**3


@dataclass(frozen=True)
class LiveSettings:
    """Where a live run works, and the caps that keep its cost bounded."""

    aws_region: str | None = None
    project: str | None = None
    location: str = "us-central1"
    redshift_url: str | None = None
    redshift_iam_role: str | None = None
    run_prefix: str = "mlops-labs"
    max_bytes_billed: int = GIB
    max_upload_bytes: int = GIB
    # read_with_data_api's target on a real cluster (database, cluster_identifier or
    # workgroup_name, db_user or secret_arn): a [live.redshift_data_api] table in the file.
    redshift_data_api: Mapping[str, str] = field(default_factory=dict)
    # Where each run's ledger is written (default: .mlops-labs/live/ in the project).
    ledger_dir: str | None = None
    config_file: Path | None = None

    @property
    def embedded_redshift(self) -> bool:
        """Lab 6.2 on the kit's embedded warehouse rather than a cluster."""
        return self.redshift_url == EMBEDDED_REDSHIFT


# Each setting's environment variables, first found wins; the standard SDK ones are honoured.
ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "aws_region": ("MLOPS_LABS_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    "project": ("MLOPS_LABS_PROJECT", "GOOGLE_CLOUD_PROJECT"),
    "location": ("MLOPS_LABS_LOCATION",),
    "redshift_url": ("MLOPS_LABS_REDSHIFT_URL",),
    "redshift_iam_role": ("MLOPS_LABS_REDSHIFT_IAM_ROLE",),
    "run_prefix": ("MLOPS_LABS_RUN_PREFIX",),
    "max_bytes_billed": ("MLOPS_LABS_MAX_BYTES_BILLED",),
    "max_upload_bytes": ("MLOPS_LABS_MAX_UPLOAD_BYTES",),
    "ledger_dir": ("MLOPS_LABS_LEDGER_DIR",),
}


class SettingsError(KitError):
    """A live setting that cannot be used as given."""


def load(
    flags: Mapping[str, str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> LiveSettings:
    """The settings: ``flags`` over environment variables over the TOML file over defaults."""
    environ = os.environ if environ is None else environ
    path = config_file or _config_path(environ)
    values: dict[str, object] = dict(_read_file(path)) if path else {}
    for name, variables in ENVIRONMENT.items():
        found = next((environ[v] for v in variables if environ.get(v)), None)
        if found is not None:
            values[name] = found
    values.update({name: value for name, value in (flags or {}).items() if value})
    known = {field.name for field in fields(LiveSettings)} - {"config_file"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(
            f"unknown live setting {unknown[0]!r} in {path or 'the flags'}: "
            f"the settings are {', '.join(sorted(known))}"
        )
    for cap in ("max_bytes_billed", "max_upload_bytes"):
        if cap in values:
            values[cap] = _bytes(cap, values[cap])
    return LiveSettings(**values, config_file=path)  # type: ignore[arg-type]


def _config_path(environ: Mapping[str, str]) -> Path | None:
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    here = Path(CONFIG_FILE)
    return here if here.is_file() else None


def _read_file(path: Path) -> Mapping[str, object]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SettingsError(
            f"no live settings file at {path}: create it or unset {CONFIG_ENV}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML ({exc}): fix it and run again") from None
    live = data.get("live", data)
    if not isinstance(live, dict):
        raise SettingsError(f"{path}: [live] must be a table of settings")
    return live


def _bytes(name: str, value: object) -> int:
    try:
        number = int(str(value).replace("_", ""))
    except ValueError:
        number = -1
    if number <= 0:
        raise SettingsError(f"{name} must be a positive whole number of bytes, not {value!r}")
    return number
