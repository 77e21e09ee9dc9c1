"""Label each resource a live run makes with the run's id, where the service takes labels.

S3 buckets and SageMaker package groups get the tag ``mlops-labs-run``; Cloud Storage buckets,
BigQuery datasets and Vertex AI models and endpoints the label of that name, so a console or a
billing report shows what a run made. Redshift schemas take no labels: they are named after
the run. Labels a resource already has are kept. The requests are the kit's own, marked so
that a recording leaves them out; a failure to label is reported, never fatal: the ledger,
not the label, is what removal relies on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..cloud.loopback_server import INTERNAL_HEADER
from .resources import Resource

KEY = "mlops-labs-run"
_log = logging.getLogger(__name__)


def label(resource: Resource, run_id: str) -> bool:
    """Put the run's label on ``resource``; False when its kind takes none or labelling failed."""
    labeller = _LABELLERS.get(resource.kind)
    if labeller is None:
        return False
    try:
        labeller(resource, run_id)
    except Exception as exc:  # a label is a convenience; the run goes on without it
        _log.warning("could not label %s: %s", resource, exc)
        return False
    return True


def _marked(client: Any) -> Any:
    def mark(request: Any, **_: Any) -> None:
        request.headers[INTERNAL_HEADER] = "label"

    client.meta.events.register("before-sign.*.*", mark)
    return client


def _s3_bucket(resource: Resource, run_id: str) -> None:
    import boto3
    from botocore.exceptions import ClientError

    s3 = _marked(boto3.client("s3"))
    try:
        tags = s3.get_bucket_tagging(Bucket=resource.name)["TagSet"]
    except ClientError:  # NoSuchTagSet: none yet
        tags = []
    kept = [tag for tag in tags if tag["Key"] != KEY]
    s3.put_bucket_tagging(
        Bucket=resource.name, Tagging={"TagSet": [*kept, {"Key": KEY, "Value": run_id}]}
    )


def _package_group(resource: Resource, run_id: str) -> None:
    import boto3

    sagemaker = _marked(boto3.client("sagemaker"))
    group = sagemaker.describe_model_package_group(ModelPackageGroupName=resource.name)
    sagemaker.add_tags(
        ResourceArn=group["ModelPackageGroupArn"], Tags=[{"Key": KEY, "Value": run_id}]
    )


def _session() -> Any:
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    session = AuthorizedSession(credentials)
    session.headers[INTERNAL_HEADER] = "label"
    return session


def _gcs_bucket(resource: Resource, run_id: str) -> None:
    from google.cloud import storage

    client = storage.Client(project=resource.project, _http=_session())
    bucket = client.get_bucket(resource.name)
    bucket.labels = {**bucket.labels, KEY: run_id}
    bucket.patch()


def _bigquery_dataset(resource: Resource, run_id: str) -> None:
    from google.cloud import bigquery

    client = bigquery.Client(project=resource.project, _http=_session())
    dataset = client.get_dataset(resource.name)
    dataset.labels = {**dataset.labels, KEY: run_id}
    client.update_dataset(dataset, ["labels"])


def _vertex(resource: Resource, run_id: str) -> None:
    from .teardown import vertex_base

    session = _session()
    url = f"{vertex_base(resource)}/v1/{resource.name}"
    found = session.get(url)
    found.raise_for_status()
    labels = {**found.json().get("labels", {}), KEY: run_id}
    session.patch(url, params={"updateMask": "labels"}, json={"labels": labels}).raise_for_status()


_LABELLERS: dict[str, Callable[[Resource, str], None]] = {
    "s3-bucket": _s3_bucket,
    "sagemaker-model-package-group": _package_group,
    "gcs-bucket": _gcs_bucket,
    "bigquery-dataset": _bigquery_dataset,
    "vertex-model": _vertex,
    "vertex-endpoint": _vertex,
}
