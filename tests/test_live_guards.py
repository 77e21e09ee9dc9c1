"""Live mode's guards hold on every path, proven against the loopback sandboxes.

A live run is started in this process while boto3 and the Google SDKs reach the sandboxes
through their standard settings, as they would reach an account: a caller cannot raise the
bytes-billed cap. What goes out is read on the wire, below the run's observer. Nothing here
leaves 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import requests
import urllib3.connectionpool

from mlops_labs.cloud import aiplatform_state, environment
from mlops_labs.cloud.aws_sandbox import AwsSandbox
from mlops_labs.cloud.gcp_sandbox import GoogleCloudSandbox
from mlops_labs.live import settings
from mlops_labs.live.cost_guard import CostGuard
from mlops_labs.live.run import LiveRun

KIB = 1024
PENGUINS = "SELECT * FROM `bigquery-public-data.ml_datasets.penguins`"


@pytest.fixture(scope="module")
def started() -> Iterator[tuple[AwsSandbox, GoogleCloudSandbox]]:
    aws, gcp = AwsSandbox().start(), GoogleCloudSandbox().start()
    try:
        yield aws, gcp
    finally:
        gcp.stop()
        aws.stop()


@pytest.fixture
def sandboxes(started, monkeypatch):
    """Emptied sandboxes, and the standard SDK settings pointing at them."""
    aws, gcp = started
    aws.reset()
    gcp.reset()
    with environment.applied({**aws.environment(), **gcp.environment()}):
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        yield aws, gcp


@pytest.fixture
def wire() -> Iterator[list[SimpleNamespace]]:
    """Every request as it leaves for the network, after the live run's guards changed it."""
    sent: list[SimpleNamespace] = []
    pool = urllib3.connectionpool.HTTPConnectionPool
    original = pool.urlopen

    def urlopen(self: Any, method: str, url: str, body: Any = None, headers: Any = None, **kw):
        request = SimpleNamespace(method=method, url=url, headers=dict(headers or {}), body=body)
        sent.append(request)
        if body is not None and not isinstance(body, (bytes, str)):
            request.streamed = 0  # a stream: the bytes urllib3 reads from it, as it sends them
            body = _tallied(body, request)
        return original(self, method, url, body=body, headers=headers, **kw)

    pool.urlopen = urlopen  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        pool.urlopen = original  # type: ignore[method-assign]


class _Tallied:
    def __init__(self, stream: Any, request: SimpleNamespace) -> None:
        self._stream, self._request = stream, request

    def read(self, *args: Any) -> bytes:
        block = self._stream.read(*args)
        self._request.streamed += len(block)
        return block

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _tallied(body: Any, request: SimpleNamespace) -> Any:
    if hasattr(body, "read"):
        return _Tallied(body, request)

    def blocks() -> Iterator[bytes]:
        for block in body:
            request.streamed += len(block)
            yield block

    return blocks()


@pytest.fixture
def caps() -> dict[str, int]:
    """The run's caps over the defaults; a test parametrizes it to lower them."""
    return {}


@pytest.fixture
def run(sandboxes, wire, caps, tmp_path) -> Iterator[LiveRun]:
    """A live run in this process (the wire is watched below its observer)."""
    _, gcp = sandboxes
    chosen = settings.load({"project": gcp.project, "ledger_dir": str(tmp_path)}, {})
    chosen = dataclasses.replace(chosen, **caps)
    with aiplatform_state.restored(), LiveRun(chosen, tmp_path) as live:
        yield live


def _header(request: SimpleNamespace, name: str) -> str | None:
    for key, value in request.headers.items():
        if key.lower() == name:
            return value.decode() if isinstance(value, bytes) else value
    return None


def _uploaded(run: LiveRun) -> dict[str, int]:
    return dict(run.guard.traffic.uploaded)


def _blocks(*sizes: int) -> Iterator[bytes]:
    """A body of unknown length: requests sends it with Transfer-Encoding: chunked."""
    for number, size in enumerate(sizes):
        yield bytes([65 + number]) * size


# --- BigQuery's bytes-billed cap --------------------------------------------------------

FIVE_MIB = 5 * 1024**2


@pytest.mark.parametrize("caps", [{"max_bytes_billed": FIVE_MIB}])
@pytest.mark.parametrize("how", ["jobs.insert", "jobs.query"])
def test_a_callers_own_bytes_billed_cannot_raise_the_cap(run, sandboxes, how):
    from google.api_core.exceptions import GoogleAPICallError
    from google.cloud import bigquery

    client = bigquery.Client(project=sandboxes[1].project)
    config = bigquery.QueryJobConfig(maximum_bytes_billed=999_999_999_999_999)

    # The dry run's estimate (28,947 bytes) is under the cap; the bill (10 MiB: BigQuery's
    # minimum for a table read) is not, and BigQuery refuses the query under the cap.
    with pytest.raises(GoogleAPICallError, match=f"exceeded limit for bytes billed: {FIVE_MIB}"):
        if how == "jobs.insert":
            client.query(PENGUINS, job_config=config).result()
        else:
            client.query_and_wait(PENGUINS, job_config=config)

    assert run.guard.traffic.bigquery_estimated == 28_947


@pytest.mark.parametrize("caps", [{"max_bytes_billed": FIVE_MIB}])
def test_the_snake_case_field_is_capped_too(run, sandboxes, wire):
    gcp = sandboxes[1]
    url = f"{gcp.bigquery.endpoint}/bigquery/v2/projects/{gcp.project}/queries"
    request = {"query": "SELECT 1", "useLegacySql": False, "maximum_bytes_billed": "999999999999"}

    # The sandbox knows the camelCase name only and refuses the request; BigQuery takes both.
    requests.post(url, json=request)

    sent = json.loads(wire[-1].body)
    assert sent["maximum_bytes_billed"] == str(FIVE_MIB)
    assert "maximumBytesBilled" not in sent  # one field, not two that BigQuery would refuse


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        ({"maximumBytesBilled": "999999999999999"}, {"maximumBytesBilled": "1000"}),
        ({"maximumBytesBilled": 500}, {"maximumBytesBilled": "500"}),  # lower: kept
        ({"maximumBytesBilled": "0"}, {"maximumBytesBilled": "1000"}),  # 0: no limit, capped
        ({"maximumBytesBilled": "lots"}, {"maximumBytesBilled": "1000"}),
        ({"maximum_bytes_billed": "5000"}, {"maximum_bytes_billed": "1000"}),
        ({}, {"maximumBytesBilled": "1000"}),
    ],
)
@pytest.mark.parametrize("where", ["jobs.query", "jobs.insert"])
def test_the_cap_is_the_ceiling_of_whatever_the_request_asks(asked, sent, where):
    guard = CostGuard(max_bytes_billed=1000, max_upload_bytes=1)
    project = "https://bigquery.googleapis.com/bigquery/v2/projects/p"

    def dry_run(body: bytes, headers: dict) -> tuple[int, bytes]:
        return 200, b'{"totalBytesProcessed": "10"}'

    if where == "jobs.query":
        request, url = {"query": "SELECT 1", **asked}, f"{project}/queries"
    else:
        request = {"configuration": {"query": {"query": "SELECT 1", **asked}}}
        url = f"{project}/jobs"
    capped, _ = guard.before("POST", url, json.dumps(request).encode(), {}, dry_run)

    settings_sent = json.loads(capped)
    if where == "jobs.insert":
        settings_sent = settings_sent["configuration"]["query"]
    assert {k: v for k, v in settings_sent.items() if "billed" in k.lower()} == sent
