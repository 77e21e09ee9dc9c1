"""Before a live run creates anything: is every credential and setting it needs there?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import KitError
from .settings import CONFIG_FILE, LiveSettings

AWS_LABS = frozenset({"6.1", "6.2"})
GOOGLE_LABS = frozenset({"6.4", "6.5"})


@dataclass(frozen=True)
class Missing:
    """One thing a live run lacks, and how to provide it."""

    what: str
    how: str

    def __str__(self) -> str:
        return f"{self.what}: {self.how}"


class PreflightFailed(KitError):
    """Live mode cannot start: the message lists everything missing."""


def check(settings: LiveSettings, labs: Iterable[str]) -> list[Missing]:
    """What the labs in ``labs`` (``"6.1"`` ...) need and ``settings`` / the machine lack."""
    wanted = set(labs)
    missing: list[Missing] = []
    if wanted & AWS_LABS:
        missing += _aws(settings)
    if "6.2" in wanted:
        missing += _redshift(settings)
    if wanted & GOOGLE_LABS:
        missing += _google(settings)
    return missing


def require(settings: LiveSettings, labs: Iterable[str]) -> None:
    """PreflightFailed listing every missing item, unless nothing is missing."""
    missing = check(settings, labs)
    if missing:
        items = "; ".join(str(item) for item in missing)
        raise PreflightFailed(
            f"live mode needs {len(missing)} more setting(s), nothing was created: {items}"
        )


def _aws(settings: LiveSettings) -> list[Missing]:
    import boto3

    missing = []
    session = boto3.Session()
    if session.get_credentials() is None:
        missing.append(
            Missing(
                "AWS credentials",
                "set AWS_PROFILE to a profile from `aws configure --profile NAME`, or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            )
        )
    if not (settings.aws_region or session.region_name):
        missing.append(Missing("AWS region", f"set AWS_REGION, or aws_region in {CONFIG_FILE}"))
    return missing


def _redshift(settings: LiveSettings) -> list[Missing]:
    missing = []
    if not settings.redshift_url:
        missing.append(
            Missing(
                "Redshift connection (Lab 6.2)",
                "set MLOPS_LABS_REDSHIFT_URL to redshift+redshift_connector://USER:PASSWORD@HOST:"
                "5439/DATABASE (pip install 'mlops-labs[live]'), or to 'embedded' for the kit's "
                "own warehouse",
            )
        )
    if not settings.redshift_iam_role:
        missing.append(
            Missing(
                "the IAM role Redshift assumes for COPY / UNLOAD (Lab 6.2)",
                "set MLOPS_LABS_REDSHIFT_IAM_ROLE to its ARN (policies/ has its policy)",
            )
        )
    return missing


def _google(settings: LiveSettings) -> list[Missing]:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    missing = []
    try:
        google.auth.default()
    except DefaultCredentialsError:
        missing.append(
            Missing(
                "Google Cloud credentials",
                "run `gcloud auth application-default login`, or set "
                "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file",
            )
        )
    if not settings.project:
        missing.append(
            Missing("Google Cloud project", f"set MLOPS_LABS_PROJECT, or project in {CONFIG_FILE}")
        )
    return missing
