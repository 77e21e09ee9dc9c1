"""What the BigQuery sandbox tests share: a sandbox that keeps every exchange, and its check.

Every response the client receives is checked on the wire against BigQuery's discovery
document (the one google-api-python-client ships): no member the schema lacks, every member of
its type; errors in the API's JSON error envelope.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

import google.auth.credentials
from google.cloud import bigquery

from mlops_labs.bigquery.server import BigQuerySandbox
from mlops_labs.cloud.discovery import DiscoveryDocument
from tests.wire import WireRecorder

PROJECT = "mlops-labs-sandbox"


class RecordingSandbox(WireRecorder, BigQuerySandbox):
    """The sandbox with every exchange kept, for the discovery-document check."""


def assert_fits_discovery(method: str, path: str, status: int, body: bytes) -> None:
    """A success fits its method's response schema; an error fits the error envelope."""
    document = DiscoveryDocument.load("bigquery.v2")
    found = document.find_method(method, path)
    assert found is not None, f"no BigQuery method answers {method} {path}"
    if status in (204, 308) or (status == 200 and not body):
        assert not body, f"{method} {path} answered {status} with a body"
        return
    data = json.loads(body)
    if status >= 400:
        assert document.check_error(data) == [], data
        assert data["error"]["code"] == status
        assert "\n" not in data["error"]["message"]
        return
    assert found.response is not None, f"{found.id} answers no body, got one"
    assert document.check(found.response, data) == [], (found.id, data)


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
