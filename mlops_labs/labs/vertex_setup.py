"""Lab 6.4 — Cloud Storage and Vertex AI set-up: SDKs, credentials, project, bucket, identity.

The steps of the workshop's starter notebook as functions a notebook or a pipeline calls in
order: check the SDKs, authenticate, set and check the project and region, create the staging
bucket, check the pipeline's service account, and initialise the Vertex AI and BigQuery SDKs.
Each refuses bad input with a message that says how to fix it, before anything is created.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from packaging.version import InvalidVersion, Version

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"

# The workshop's install line, and the lowest versions these labs were written against.
INSTALL_COMMAND = "pip3 install --upgrade --quiet"
REQUIRED_SDKS = {
    "google-cloud-aiplatform": "1.38",
    "google-cloud-bigquery": "3.11",
    "google-cloud-storage": "2.10",
    "db-dtypes": "1.1",
    "pyarrow": "14.0",
}
# Faster BigQuery -> DataFrame reads; the labs work without it.
RECOMMENDED_SDKS = {"google-cloud-bigquery-storage": "2.20"}

# Regions where Vertex AI runs training, the Model Registry and endpoints.
VERTEX_AI_LOCATIONS = frozenset(
    {
        "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2",
        "us-west3", "us-west4", "northamerica-northeast1", "northamerica-northeast2",
        "southamerica-east1", "southamerica-west1", "europe-central2", "europe-north1",
        "europe-southwest1", "europe-west1", "europe-west2", "europe-west3", "europe-west4",
        "europe-west6", "europe-west8", "europe-west9", "europe-west12", "me-central1",
        "me-central2", "me-west1", "africa-south1", "asia-east1", "asia-east2",
        "asia-northeast1", "asia-northeast2", "asia-northeast3", "asia-south1",
        "asia-southeast1", "asia-southeast2", "australia-southeast1", "australia-southeast2",
    }
)  # fmt: skip


class SetupError(ValueError):
    """A set-up value or step that cannot work; the message says how to fix it."""


@dataclass(frozen=True)
class SdkStatus:
    """One SDK: the version installed (None when missing) against the version the labs need."""

    package: str
    installed: str | None
    minimum: str
    required: bool = True

    @property
    def ok(self) -> bool:
        """Installed, at or above the minimum."""
        if self.installed is None:
            return False
        try:
            return Version(self.installed) >= Version(self.minimum)
        except InvalidVersion:
            return True


@dataclass(frozen=True)
class Preflight:
    """Every SDK's status, and the command that installs what is missing or too old."""

    sdks: tuple[SdkStatus, ...]

    @property
    def ready(self) -> bool:
        """Whether every required SDK is usable."""
        return all(sdk.ok for sdk in self.sdks if sdk.required)

    @property
    def install_command(self) -> str | None:
        """The workshop's pip line for exactly the packages to install or upgrade."""
        todo = [sdk.package for sdk in self.sdks if not sdk.ok]
        return f"{INSTALL_COMMAND} {' '.join(todo)}" if todo else None


def preflight(
    required: dict[str, str] | None = None, recommended: dict[str, str] | None = None
) -> Preflight:
    """Which SDKs are installed, at which version, and what to install."""
    # TODO: Lab 6.4.1 - Install SDKs
    # WHERE: this function.
    # WHAT:  the workshop installs pyarrow, google-cloud-aiplatform, -bigquery, -bigquery-storage
    #        and db-dtypes; this reads each installed version (importlib.metadata), compares it
    #        with the labs' minimum and builds the pip line for only what is missing or old.
    # WHY:   Vertex AI and BigQuery calls fail late and obscurely on a missing or stale SDK;
    #        a preflight fails early and says the fix (the twin of checking boto3 for Lab 6.1).
    # BEGIN SOLUTION
    required = REQUIRED_SDKS if required is None else required
    recommended = RECOMMENDED_SDKS if recommended is None else recommended
    statuses = []
    for packages, is_required in ((required, True), (recommended, False)):
        for package, minimum in packages.items():
            try:
                installed: str | None = metadata.version(package)
            except metadata.PackageNotFoundError:
                installed = None
            statuses.append(SdkStatus(package, installed, minimum, is_required))
    return Preflight(tuple(statuses))
    # END SOLUTION


@dataclass(frozen=True)
class Authenticated:
    """Working credentials: their kind, the identity behind them, and their default project."""

    credentials: Any
    project: str | None
    kind: str
    identity: str | None


def authenticate() -> Authenticated:
    """Colab's sign-in where Colab runs, else application-default credentials, proven live."""
    # TODO: Lab 6.4.2 - Authenticate Environment
    # WHERE: this function.
    # WHAT:  in Colab, auth.authenticate_user() signs the notebook's user in; anywhere else the
    #        client libraries find application-default credentials (GOOGLE_APPLICATION_CREDENTIALS
    #        or `gcloud auth application-default login`, or the VM's service account); a token
    #        is fetched now so bad credentials fail here, not at the first API call.
    # WHY:   every Google Cloud call is authorised by these credentials, as boto3's credential
    #        chain authorises every AWS call in Labs 6.1 and 6.2.
    # BEGIN SOLUTION
    import google.auth
    import google.auth.exceptions
    import google.auth.transport.requests

    if "google.colab" in sys.modules:
        from google.colab import auth  # type: ignore[import-not-found]

        auth.authenticate_user()
    try:
        credentials, project = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
    except google.auth.exceptions.DefaultCredentialsError:
        raise SetupError(
            "no Google Cloud credentials found: run `gcloud auth application-default login`, "
            "or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file"
        ) from None
    try:
        credentials.refresh(google.auth.transport.requests.Request())
    except google.auth.exceptions.GoogleAuthError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SetupError(f"the credentials found could not get a token: {first}") from None
    identity = getattr(credentials, "service_account_email", None) or getattr(
        credentials, "account", None
    )
    kind = "service account" if "service_account" in type(credentials).__module__ else "user"
    return Authenticated(credentials, project, kind, identity or None)
    # END SOLUTION


_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_RESTRICTED = ("google", "ssl", "undefined", "null")


@dataclass(frozen=True)
class ProjectInfo:
    """The project and region every Google Cloud call of the labs uses."""

    project_id: str
    location: str


def project_info(project_id: str, location: str) -> ProjectInfo:
    """``PROJECT_ID`` and ``LOCATION``, checked against Google Cloud's rules."""
    # TODO: Lab 6.4.3 - Set Project Information
    # WHERE: this function.
    # WHAT:  PROJECT_ID must be a real project ID (6-30 characters: lower-case letters, digits
    #        and hyphens, starting with a letter, not ending with a hyphen, no restricted words)
    #        and LOCATION a region where Vertex AI runs (the workshop uses us-east1).
    # WHY:   every API call names the project and the region; a display name or a zone instead
    #        fails later as a confusing 403 or 404 (AWS's account id and region play this part).
    # BEGIN SOLUTION
    if not isinstance(project_id, str) or not _PROJECT_ID.match(project_id):
        raise SetupError(
            f"{project_id!r} is not a project ID: use 6-30 lower-case letters, digits or "
            "hyphens, starting with a letter and not ending with a hyphen (the ID, not the name)"
        )
    restricted = [word for word in _RESTRICTED if word in project_id]
    if restricted:
        raise SetupError(f"project IDs cannot contain {restricted[0]!r}: {project_id!r}")
    if location not in VERTEX_AI_LOCATIONS:
        hint = " (that is a zone: drop the -a/-b/-c)" if re.match(r".*\d-[a-z]$", location) else ""
        raise SetupError(
            f"{location!r} is not a Vertex AI location{hint}: use a region such as us-east1 "
            "or us-central1"
        )
    return ProjectInfo(project_id, location)
    # END SOLUTION


def bucket_uri(project_id: str, user: str) -> str:
    """The workshop's staging bucket: ``gs://churn-<user>-<project>-unique``."""
    return f"gs://churn-{user}-{project_id}-unique"


def create_bucket(uri: str, info: ProjectInfo) -> Any:
    """Create the staging bucket in the project's region, or reuse it if this project has it."""
    # TODO: Lab 6.4.4 - Create Cloud Storage Bucket
    # WHERE: this function (bucket_uri() above builds BUCKET_URI).
    # WHAT:  the name is checked against Cloud Storage's rules before any call; the bucket is
    #        made in LOCATION (`gsutil mb -l LOCATION BUCKET_URI`), and running it again reuses
    #        it, refusing one that sits in another region.
    # WHY:   buckets hold datasets, staging files and exported models; keeping them in the
    #        region of the Vertex AI jobs avoids egress and latency, as S3 buckets do for Lab 6.1.
    # BEGIN SOLUTION
    from google.api_core import exceptions
    from google.cloud import storage

    name = uri.removeprefix("gs://").rstrip("/")
    if not uri.startswith("gs://") or "/" in name:
        raise SetupError(f"{uri!r} is not a bucket URI: write it as gs://BUCKET")
    problem = _bucket_name_problem(name)
    if problem:
        raise SetupError(f"{name!r} is not a valid bucket name: {problem}")
    client = storage.Client(project=info.project_id)
    existing = client.lookup_bucket(name)
    if existing is not None:
        if existing.location.lower() != info.location.lower():
            raise SetupError(
                f"bucket {uri} exists in {existing.location}, not in {info.location.upper()}: "
                "use that location or another bucket name"
            )
        return existing
    try:
        return client.create_bucket(name, location=info.location)
    except exceptions.Conflict:
        raise SetupError(
            f"bucket name {name!r} is taken by another project: bucket names are global, "
            "pick another (e.g. change the user part)"
        ) from None
    # END SOLUTION


def _bucket_name_problem(name: str) -> str | None:
    """Why ``name`` breaks Cloud Storage's bucket naming rules, or None."""
    if not re.match(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$", name) or not 3 <= len(name) <= 222:
        return (
            "use 3-63 characters: lower-case letters, digits, '-', '_' and '.', starting and "
            "ending with a letter or digit"
        )
    if "." not in name and len(name) > 63:
        return "use at most 63 characters (222 with dots)"
    if name.startswith("goog") or "google" in name:
        return "it must not start with 'goog' or contain 'google'"
    return None


_SERVICE_ACCOUNT = re.compile(
    r"^(?P<name>[a-z][a-z0-9-]{4,28}[a-z0-9])@(?P<project>[a-z][a-z0-9-]{4,28}[a-z0-9])"
    r"\.iam\.gserviceaccount\.com$"
)


def service_account(email: str, info: ProjectInfo) -> str:
    """``SERVICE_ACCOUNT``, checked to be a service account of this project."""
    # TODO: Lab 6.4.5 - Configure Service Account
    # WHERE: this function.
    # WHAT:  a user-managed service account email (name@PROJECT.iam.gserviceaccount.com) of the
    #        lab's own project; Vertex AI pipelines and jobs run as this identity.
    # WHY:   jobs act with the roles granted to this account, not yours: auditable and least
    #        privilege, like the IAM role a SageMaker job assumes.
    # BEGIN SOLUTION
    found = _SERVICE_ACCOUNT.match(email or "")
    if not found:
        raise SetupError(
            f"{email!r} is not a service account email: write it as "
            f"NAME@{info.project_id}.iam.gserviceaccount.com"
        )
    if found["project"] != info.project_id:
        raise SetupError(
            f"{email} belongs to project {found['project']!r}, not {info.project_id!r}: use a "
            "service account of the lab's project"
        )
    return email
    # END SOLUTION


@dataclass(frozen=True)
class Sdks:
    """The initialised SDKs: Vertex AI's global configuration and a BigQuery client."""

    aiplatform: Any
    bigquery: Any


def init_sdks(
    info: ProjectInfo,
    staging_bucket: str,
    account: str | None = None,
    api_endpoint: str | None = None,
) -> Sdks:
    """``aiplatform.init`` and a ``bigquery.Client`` for the project, region and bucket.

    ``api_endpoint``: None for Vertex AI's regional endpoint; a sandbox's address otherwise.
    """
    # TODO: Lab 6.4.6 - Initialize SDKs
    # WHERE: this function.
    # WHAT:  aiplatform.init(project=, location=, staging_bucket=, service_account=) sets the
    #        defaults every Vertex AI call uses (REST transport: plain HTTPS, which proxies,
    #        sandboxes and recorders can see, where gRPC is opaque); bigquery.Client(project=,
    #        location=) is the handle for queries and BigQuery ML.
    # WHY:   set once, the defaults keep every later call short and consistent; neither makes a
    #        network call, so a wrong value shows at first use (hence the checks above).
    # BEGIN SOLUTION
    from google.cloud import aiplatform, bigquery

    aiplatform.init(
        project=info.project_id,
        location=info.location,
        staging_bucket=staging_bucket,
        service_account=account,
        api_endpoint=api_endpoint,
        api_transport="rest",
    )
    return Sdks(aiplatform, bigquery.Client(project=info.project_id, location=info.location))
    # END SOLUTION
