"""Live mode's guards hold on every path, proven against the loopback sandboxes.

A live run is started in this process while boto3 and the Google SDKs reach the sandboxes
through their standard settings, as they would reach an account: every upload path is counted
at the bytes it sends (presigned PUTs and POST forms, aws-chunked and chunked streams, Cloud
Storage's multipart, resumable and signed-URL uploads), a caller cannot raise the bytes-billed
cap, and gRPC, which the ledger cannot see, is refused. What goes out is read on the wire,
below the run's observer. Nothing here leaves 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import requests
import urllib3.connectionpool
from botocore.config import Config

from mlops_labs.cloud import aiplatform_state, environment
from mlops_labs.cloud.aws_sandbox import AwsSandbox
from mlops_labs.cloud.gcp_sandbox import GoogleCloudSandbox
from mlops_labs.live import settings
from mlops_labs.live.cost_guard import CostCapExceeded, CostGuard
from mlops_labs.live.grpc_guard import GrpcRefused
from mlops_labs.live.run import LiveRun
from mlops_labs.live.uploads import CLOUD_STORAGE as CS
from mlops_labs.live.uploads import Upload, recognise

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


# --- S3 ---------------------------------------------------------------------------------


def _bucket(run: LiveRun, signature: str | None = None) -> tuple[Any, str]:
    s3 = boto3.client("s3", config=Config(signature_version=signature) if signature else None)
    bucket = run.names.bucket("lake")
    s3.create_bucket(Bucket=bucket)
    return s3, bucket


@pytest.mark.parametrize("signature", ["s3", "s3v4"])
def test_a_presigned_url_put_counts_its_bytes(run, wire, signature):
    s3, bucket = _bucket(run, signature)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p.bin"})

    assert requests.put(url, data=b"x" * 1000).status_code == 200

    put = wire[-1]
    assert _header(put, "authorization") is None  # signed in the query string only
    assert _uploaded(run)["S3"] == 1000 and run.guard.traffic.uploads == 1
    assert s3.head_object(Bucket=bucket, Key="p.bin")["ContentLength"] == 1000


def test_a_presigned_post_form_counts_its_file_part(run, wire):
    s3, bucket = _bucket(run)
    form = s3.generate_presigned_post(bucket, "f.bin")

    answer = requests.post(form["url"], data=form["fields"], files={"file": ("f.bin", b"y" * 2000)})

    assert answer.status_code == 204, answer.text
    assert len(wire[-1].body) > 2000  # the form's fields and boundaries are not the upload
    assert _uploaded(run)["S3"] == 2000 and run.guard.traffic.uploads == 1
    assert s3.head_object(Bucket=bucket, Key="f.bin")["ContentLength"] == 2000


def _aws_chunked(s3: Any) -> None:
    """Upload as boto3 does over HTTPS: aws-chunked, the checksum in a trailer."""

    def trailer(params: dict, **_: Any) -> None:
        params["context"]["checksum"]["request_algorithm"]["in"] = "trailer"

    s3.meta.events.register("before-call.s3.PutObject", trailer)
    s3.meta.events.register("before-call.s3.UploadPart", trailer)


class _Pipe(io.RawIOBase):
    """A stream that cannot seek: its length is known to nobody until it ends."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._data.readinto(buffer)


def test_an_aws_chunked_upload_counts_the_objects_bytes_not_zero(run, wire):
    s3, bucket = _bucket(run)
    _aws_chunked(s3)

    s3.put_object(Bucket=bucket, Key="c.bin", Body=io.BytesIO(b"z" * 3000))

    put = wire[-1]
    assert _header(put, "content-encoding") == "aws-chunked"
    assert _header(put, "content-length") is None  # Transfer-Encoding: chunked
    assert _uploaded(run)["S3"] == 3000
    assert s3.head_object(Bucket=bucket, Key="c.bin")["ContentLength"] == 3000


def test_a_multipart_transfer_counts_every_part_from_every_thread(run, wire, tmp_path):
    from boto3.s3.transfer import TransferConfig

    s3, bucket = _bucket(run)
    _aws_chunked(s3)
    part = 5 * 1024**2  # S3's smallest part but the last
    artifact = tmp_path / "model.bin"
    artifact.write_bytes(b"m" * (3 * part + 1000))
    threads = TransferConfig(multipart_threshold=part, multipart_chunksize=part, max_concurrency=4)

    s3.upload_file(str(artifact), bucket, "model.bin", Config=threads)

    parts = [r for r in wire if "partNumber=" in r.url]
    assert len(parts) == 4 and all(_header(r, "content-encoding") == "aws-chunked" for r in parts)
    assert _uploaded(run)["S3"] == 3 * part + 1000 and run.guard.traffic.uploads == 4
    assert s3.head_object(Bucket=bucket, Key="model.bin")["ContentLength"] == 3 * part + 1000


def test_an_aws_chunked_stream_of_unknown_length_counts_what_it_sends(run, wire):
    s3, bucket = _bucket(run)
    _aws_chunked(s3)

    s3.put_object(Bucket=bucket, Key="u.bin", Body=_Pipe(b"u" * 5000))

    put = wire[-1]
    assert _header(put, "x-amz-decoded-content-length") is None
    # The object's 5,000 bytes with aws-chunked's framing and checksum trailer: all it sent.
    assert 5000 < put.streamed < 5100
    assert _uploaded(run)["S3"] == put.streamed
    assert s3.head_object(Bucket=bucket, Key="u.bin")["ContentLength"] == 5000


def test_a_chunked_stream_is_counted_as_it_is_sent(run, wire):
    s3, bucket = _bucket(run)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "g.bin"})

    assert requests.put(url, data=_blocks(500, 700)).status_code == 200

    assert _header(wire[-1], "transfer-encoding") == "chunked" and wire[-1].streamed == 1200
    assert _uploaded(run)["S3"] == 1200 and run.guard.traffic.uploads == 1
    assert s3.head_object(Bucket=bucket, Key="g.bin")["ContentLength"] == 1200


@pytest.mark.parametrize("caps", [{"max_upload_bytes": 1000}])
def test_a_stream_that_passes_the_cap_is_cut_off_and_never_stored(run, wire):
    s3, bucket = _bucket(run)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "big.bin"})

    with pytest.raises(CostCapExceeded, match="above the live cap of 1,000 bytes"):
        requests.put(url, data=_blocks(600, 600, 600))

    assert wire[-1].streamed == 600  # the block that would pass the cap was never sent
    assert _uploaded(run)["S3"] == 600
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


@pytest.mark.parametrize("caps", [{"max_upload_bytes": 1000}])
def test_an_aws_chunked_upload_over_the_cap_is_refused_before_it_is_sent(run, wire):
    s3, bucket = _bucket(run)
    _aws_chunked(s3)
    before = len(wire)

    with pytest.raises(Exception, match="above the live cap of 1,000 bytes"):
        s3.put_object(Bucket=bucket, Key="c.bin", Body=io.BytesIO(b"z" * 3000))

    assert len(wire) == before  # never sent
    assert _uploaded(run)["S3"] == 0


# --- Cloud Storage ----------------------------------------------------------------------


def _gcs_bucket(run: LiveRun, gcp: GoogleCloudSandbox) -> Any:
    from google.cloud import storage

    return storage.Client(project=gcp.project).create_bucket(run.names.bucket("models"))


def test_a_resumable_upload_counts_its_chunks(run, sandboxes, wire):
    bucket = _gcs_bucket(run, sandboxes[1])
    blob = bucket.blob("r.bin", chunk_size=256 * KIB)

    blob.upload_from_file(io.BytesIO(b"q" * (600 * KIB)))

    chunks = [r for r in wire if r.method == "PUT" and "upload_id=" in r.url]
    assert [len(r.body) for r in chunks] == [256 * KIB, 256 * KIB, 88 * KIB]
    assert _uploaded(run)["Cloud Storage"] == 600 * KIB  # the session's metadata is no upload
    assert run.guard.traffic.uploads == 3
    assert bucket.get_blob("r.bin").size == 600 * KIB


def test_a_multipart_upload_counts_its_media_not_its_metadata(run, sandboxes, wire):
    bucket = _gcs_bucket(run, sandboxes[1])

    bucket.blob("s.bin").upload_from_string(b"w" * 100)

    assert "uploadType=multipart" in wire[-1].url and len(wire[-1].body) > 200
    assert _uploaded(run)["Cloud Storage"] == 100 and run.guard.traffic.uploads == 1


def test_a_signed_url_put_counts_its_bytes(run, sandboxes, wire):
    from google.oauth2 import service_account

    gcp = sandboxes[1]
    bucket = _gcs_bucket(run, gcp)
    key = service_account.Credentials.from_service_account_file(
        os.environ["GOOGLE_APPLICATION_CREDENTIALS"]
    )
    url = bucket.blob("signed.bin").generate_signed_url(
        version="v4",
        method="PUT",
        expiration=dt.timedelta(minutes=5),
        credentials=key,
        api_access_endpoint=gcp.storage.endpoint,
    )

    assert requests.put(url, data=b"s" * 700).status_code == 200

    assert "X-Goog-Signature=" in wire[-1].url
    assert _uploaded(run)["Cloud Storage"] == 700 and run.guard.traffic.uploads == 1
    assert bucket.get_blob("signed.bin").size == 700


def test_a_chunked_xml_api_put_is_counted_as_it_is_sent(run, sandboxes, wire):
    gcp = sandboxes[1]
    bucket = _gcs_bucket(run, gcp)

    answer = requests.put(f"{gcp.storage.endpoint}/{bucket.name}/x.bin", data=_blocks(300, 400))

    assert answer.status_code == 200, answer.text
    assert _header(wire[-1], "transfer-encoding") == "chunked" and wire[-1].streamed == 700
    assert _uploaded(run)["Cloud Storage"] == 700
    assert bucket.get_blob("x.bin").size == 700


GCS = "https://storage.googleapis.com"
BEARER = {"Authorization": "Bearer t"}
SIGV4 = {"Authorization": "AWS4-HMAC-SHA256 Credential=x"}


@pytest.mark.parametrize(
    ("method", "url", "headers", "body", "expected"),
    [
        ("PUT", f"{GCS}/bkt/o.bin", BEARER, b"12345", Upload(CS, 5)),  # XML API
        ("PUT", "https://bkt.storage.googleapis.com/o.bin", BEARER, b"12", Upload(CS, 2)),
        ("PUT", f"{GCS}/bkt/o.bin", SIGV4, b"123", Upload(CS, 3)),  # HMAC interoperability
        ("PUT", "https://bkt.s3.us-east-1.amazonaws.com/k", SIGV4, b"1234", Upload("S3", 4)),
        ("PUT", f"{GCS}/storage/v1/b/bkt/o/o.bin", BEARER, b"{}", None),  # metadata
        ("PUT", f"{GCS}/storage/v1/b/bkt/iam", BEARER, b"{}", None),
        ("POST", f"{GCS}/upload/storage/v1/b/bkt/o?uploadType=resumable", BEARER, b"{}", None),
        ("PUT", "https://s3.us-east-1.amazonaws.com/bkt?tagging", SIGV4, b"<T/>", None),
        ("PUT", "https://s3.us-east-1.amazonaws.com/bkt/k", {}, b"123", None),  # unsigned
        ("POST", "https://api.sagemaker.us-east-1.amazonaws.com/", SIGV4, b"{}", None),
    ],
)
def test_what_counts_as_an_upload(method, url, headers, body, expected):
    assert recognise(method, url, headers, body) == expected


def test_a_form_is_an_upload_only_with_a_policy_and_a_signature():
    fields = {"key": "k", "policy": "p", "x-amz-signature": "s"}
    form = requests.Request(
        "POST", "https://bkt.s3.amazonaws.com/", data=fields, files={"file": b"0123456789"}
    ).prepare()
    headers = dict(form.headers)
    assert recognise("POST", form.url, headers, form.body) == Upload("S3", 10)
    unsigned = requests.Request(
        "POST", "https://example.com/", data={"a": "b"}, files={"file": b"0123456789"}
    ).prepare()
    assert recognise("POST", unsigned.url, dict(unsigned.headers), unsigned.body) is None


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


# --- gRPC -------------------------------------------------------------------------------


def test_grpc_is_refused_while_a_live_run_records(run, sandboxes):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform

    # aiplatform's default transport: gRPC, which no HTTP observer sees.
    with pytest.raises(GrpcRefused, match=r"api_transport='rest'"):
        aiplatform.gapic.EndpointServiceClient(
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": "127.0.0.1:9"},
        )
    assert sandboxes[1].vertex_ai.backend.endpoints == {}


def test_grpc_channels_of_any_kind_are_refused_and_allowed_again_after(sandboxes, tmp_path):
    import grpc
    from google.api_core import grpc_helpers
    from google.auth.credentials import AnonymousCredentials

    chosen = settings.load({"project": sandboxes[1].project, "ledger_dir": str(tmp_path)}, {})
    with LiveRun(chosen, tmp_path):
        with pytest.raises(GrpcRefused, match=r"127\.0\.0\.1:9"):
            grpc_helpers.create_channel("127.0.0.1:9", credentials=AnonymousCredentials())
        with pytest.raises(GrpcRefused):
            grpc.insecure_channel("127.0.0.1:9")
        with pytest.raises(GrpcRefused):
            grpc.aio.insecure_channel("127.0.0.1:9")
    grpc.insecure_channel("127.0.0.1:9").close()  # the run is over: gRPC is the caller's again
