"""What the BigQuery sandbox tests share: a sandbox that keeps every exchange, and its check.

Every response the client receives is checked on the wire against BigQuery's discovery
document (the one google-api-python-client ships): no member the schema lacks, every member of
its type; errors in the API's JSON error envelope.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import google.auth.credentials
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery, storage

from mlops_labs.bigquery.server import BigQuerySandbox
from mlops_labs.cloud.gcs_sandbox import GcsSandbox
from tests.wire import WireRecorder, assert_fits

PROJECT = "mlops-labs-sandbox"


class RecordingSandbox(WireRecorder, BigQuerySandbox):
    """The sandbox with every exchange kept, for the discovery-document check."""


def assert_fits_discovery(method: str, path: str, status: int, body: bytes) -> None:
    """A success fits its method's response schema; an error fits the error envelope."""
    assert_fits("bigquery.v2", method, path, status, body)


def storage_client_for(gcs: GcsSandbox) -> storage.Client:
    """A google-cloud-storage client on a Cloud Storage sandbox, with no credentials."""
    return storage.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": gcs.endpoint},
    )


def assert_wire_fits_discovery(sandbox: RecordingSandbox) -> None:
    """Every exchange the sandbox kept fits the discovery document."""
    for method, path, status, body in sandbox.wire:
        assert_fits_discovery(method, path, status, body)


@contextmanager
def client_for(sandbox: BigQuerySandbox) -> Iterator[bigquery.Client]:
    """A real client pointed at ``sandbox``, with no credentials, for the block."""
    saved = os.environ.get("BIGQUERY_EMULATOR_HOST")
    os.environ.update(sandbox.environment())
    try:
        yield bigquery.Client(
            project=PROJECT, credentials=google.auth.credentials.AnonymousCredentials()
        )
    finally:
        if saved is None:
            os.environ.pop("BIGQUERY_EMULATOR_HOST", None)
        else:
            os.environ["BIGQUERY_EMULATOR_HOST"] = saved
