"""Remove what a run made, each kind through its own SDK, the newest first.

Only names the run itself made are removed (its prefix, or an id the service assigned to
the run's own request): a resource recorded under any other name is reported and left alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .names import RunNames
from .resources import Resource, teardown_order

_OPERATION_TIMEOUT = 600.0


@dataclass(frozen=True)
class Outcome:
    """What happened to one resource: removed, already gone, left alone or failed (why)."""

    resource: Resource
    status: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.resource}: {self.status}" + (f" ({self.detail})" if self.detail else "")


def remove_all(resources: Iterable[Resource], names: RunNames) -> list[Outcome]:
    """Remove ``resources`` in teardown order; every one gets an outcome, none is skipped."""
    outcomes = []
    for resource in teardown_order(list(resources)):
        if not resource.kind.startswith("vertex-") and not names.owns(resource.name):
            outcomes.append(Outcome(resource, "left alone", "not named by this run"))
            continue
        try:
            gone = _REMOVERS[resource.kind](resource)
        except Exception as exc:  # one failure must not stop the rest from being removed
            outcomes.append(Outcome(resource, "failed", f"{type(exc).__name__}: {exc}"))
            continue
        outcomes.append(Outcome(resource, "removed" if gone else "already gone"))
    return outcomes


def _s3_bucket(resource: Resource) -> bool:
    import boto3
    from botocore.exceptions import ClientError

    s3 = boto3.client("s3")
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=resource.name):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            for start in range(0, len(doomed), 1000):
                s3.delete_objects(
                    Bucket=resource.name, Delete={"Objects": doomed[start : start + 1000]}
                )
        uploads = s3.list_multipart_uploads(Bucket=resource.name).get("Uploads", [])
        for upload in uploads:
            s3.abort_multipart_upload(
                Bucket=resource.name, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        s3.delete_bucket(Bucket=resource.name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return False
        raise
    return True


def _package_group(resource: Resource) -> bool:
    import boto3
    from botocore.exceptions import ClientError

    sagemaker = boto3.client("sagemaker")
    try:
        pages = sagemaker.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName=resource.name
        )
        for page in pages:
            for package in page["ModelPackageSummaryList"]:
                sagemaker.delete_model_package(ModelPackageName=package["ModelPackageArn"])
        sagemaker.delete_model_package_group(ModelPackageGroupName=resource.name)
    except ClientError as exc:
        if "does not exist" in str(exc) or "not found" in str(exc).lower():
            return False
        raise
    return True


def _gcs_bucket(resource: Resource) -> bool:
    from google.api_core.exceptions import NotFound
    from google.cloud import storage

    bucket = storage.Client(project=resource.project).bucket(resource.name)
    try:
        for blob in bucket.list_blobs(versions=True):
            bucket.blob(blob.name, generation=blob.generation).delete()
        bucket.delete()
    except NotFound:
        return False
    return True


def _bigquery(delete: Callable[..., None]) -> Callable[[Resource], bool]:
    def remove(resource: Resource) -> bool:
        from google.api_core.exceptions import NotFound

        try:
            delete(resource)
        except NotFound:
            return False
        return True

    return remove


def _client(resource: Resource):
    from google.cloud import bigquery

    return bigquery.Client(project=resource.project or resource.name.split(".")[0])


def _vertex(resource: Resource) -> bool:
    session, base = _vertex_session(resource)
    url = f"{base}/v1/{resource.name}"
    if resource.kind == "vertex-endpoint":
        found = session.get(url)
        if found.status_code == 404:
            return False
        found.raise_for_status()
        for deployed in found.json().get("deployedModels", []):
            operation = session.post(
                f"{url}:undeployModel", json={"deployedModelId": deployed["id"]}
            )
            operation.raise_for_status()
            _wait(session, base, operation.json())
    response = session.delete(url)
    if response.status_code == 404:
        return False
    response.raise_for_status()
    _wait(session, base, response.json())
    return True


def vertex_base(resource: Resource) -> str:
    """Where Vertex AI answered for ``resource``: as recorded, the kit's setting, or its region."""
    # Here, not at the top: every kit run loads this module, and the sandbox's server module
    # brings werkzeug, grpc and google.api_core, which only a Vertex AI deletion needs.
    from ..vertex_ai.server import ENDPOINT_VARIABLE as VERTEX_ENDPOINT_ENV

    location = resource.name.split("/")[3]
    base = (
        resource.base_url
        or os.environ.get(VERTEX_ENDPOINT_ENV)
        or f"https://{location}-aiplatform.googleapis.com"
    )
    return base.rstrip("/")


def _vertex_session(resource: Resource):
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    return AuthorizedSession(credentials), vertex_base(resource)


def _wait(session, base: str, operation: dict) -> None:
    deadline = time.monotonic() + _OPERATION_TIMEOUT
    while not operation.get("done") and operation.get("name"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{operation['name']} did not finish in {_OPERATION_TIMEOUT:.0f} s")
        time.sleep(0.5)
        answer = session.get(f"{base}/v1/{operation['name']}")
        answer.raise_for_status()
        operation = answer.json()
    if operation.get("error"):
        raise RuntimeError(operation["error"].get("message", str(operation["error"])))


def _redshift_schema(resource: Resource) -> bool:
    from .redshift import drop_schema
    from .settings import load

    url = load().redshift_url
    if not url:
        raise RuntimeError("MLOPS_LABS_REDSHIFT_URL is not set, so the schema cannot be reached")
    return drop_schema(url, resource.name)


_REMOVERS: dict[str, Callable[[Resource], bool]] = {
    "s3-bucket": _s3_bucket,
    "sagemaker-model-package-group": _package_group,
    "gcs-bucket": _gcs_bucket,
    "bigquery-dataset": _bigquery(
        lambda r: _client(r).delete_dataset(r.name, delete_contents=True)
    ),
    "bigquery-table": _bigquery(lambda r: _client(r).delete_table(r.name)),
    "bigquery-model": _bigquery(lambda r: _client(r).delete_model(r.name)),
    "vertex-model": _vertex,
    "vertex-endpoint": _vertex,
    "redshift-schema": _redshift_schema,
}
