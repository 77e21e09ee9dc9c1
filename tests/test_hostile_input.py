"""Hostile input to every sandbox gets a 4xx in that service's own error format, promptly.

Never a 500, a dropped connection or a stall: deeply nested JSON, malformed bodies, bodies over
a stated size, bad names, out-of-range paging and timeouts. Each sandbox is driven over real
HTTP on 127.0.0.1 with bounded timeouts, so a server that hangs fails the test in seconds.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from mlops_labs.bigquery.server import BigQuerySandbox
from mlops_labs.cloud.aws_sandbox import ACCESS_KEY_ID, SECRET_ACCESS_KEY, AwsSandbox
from mlops_labs.cloud.gcs_sandbox import GcsSandbox
from mlops_labs.vertex_ai.server import VertexAISandbox
from mlops_labs.warehouse.data_api.server import DataApiServer
from mlops_labs.warehouse.engine import Warehouse
from tests.bigquery_wire import PROJECT, storage_client_for

TIMEOUT = 10  # seconds: a stalled server fails the test instead of hanging it
DEEP = b"[" * 100_000
BUCKET = "lake"
BQ = f"/bigquery/v2/projects/{PROJECT}"
VERTEX = f"/v1/projects/{PROJECT}/locations/us-central1"
REGION = "us-east-1"


def _auth(service: str) -> dict[str, str]:
    # moto reads the service from a SigV4 credential scope and checks no signature.
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20260101/{REGION}/"
        f"{service}/aws4_request, SignedHeaders=host, Signature=0"
    }


SAGEMAKER = {"Content-Type": "application/x-amz-json-1.1", **_auth("sagemaker")}
DATA_API = {"Content-Type": "application/x-amz-json-1.1"}
CLOUDWATCH_CBOR = {
    "Content-Type": "application/cbor",
    "Accept": "application/cbor",
    "smithy-protocol": "rpc-v2-cbor",
    **_auth("monitoring"),
}
CBOR_PATH = "/service/GraniteServiceVersion20100801/operation/"


# Sandboxes: one of each per module.


@pytest.fixture(scope="module")
def gcs() -> Iterator[GcsSandbox]:
    with GcsSandbox() as running:
        storage_client_for(running).create_bucket(BUCKET).blob("raw/part-0.csv").upload_from_string(
            b"x\n1\n"
        )
        yield running


@pytest.fixture(scope="module")
def bigquery(gcs: GcsSandbox) -> Iterator[BigQuerySandbox]:
    sandbox = BigQuerySandbox(bigquery_ml=False, storage=lambda: storage_client_for(gcs))
    with sandbox as running:
        for sql in ("CREATE SCHEMA churn", "CREATE TABLE churn.t (x INT64)"):
            _post(running.endpoint + f"{BQ}/queries", {"query": sql, "useLegacySql": False})
        yield running


@pytest.fixture(scope="module")
def vertex_ai() -> Iterator[VertexAISandbox]:
    with VertexAISandbox() as running:
        yield running


@pytest.fixture(scope="module")
def data_api() -> Iterator[DataApiServer]:
    warehouse = Warehouse()
    with DataApiServer(warehouse) as running:
        yield running
    warehouse.close()


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsSandbox]:
    with AwsSandbox() as running:
        requests.put(f"{running.endpoint}/{BUCKET}", headers=_auth("s3"), timeout=TIMEOUT)
        yield running


def _post(url: str, body: Any, **kwargs: Any) -> requests.Response:
    response = requests.post(url, json=body, timeout=TIMEOUT, **kwargs)
    response.raise_for_status()
    return response


def _client(aws: AwsSandbox, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=aws.endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


# What each service's errors look like.


def google_error(response: requests.Response, status: int, reason: str, *words: str) -> str:
    """The message of a Google JSON API error, with its shape checked."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == status
    item = error["errors"][0]
    assert item["reason"] == reason
    assert item["domain"] == "global"
    assert item["message"] == error["message"]
    for word in words:
        assert word in error["message"]
    return error["message"]


def vertex_error(response: requests.Response, status: int, *words: str) -> str:
    """The message of a Vertex AI error: Google's envelope with a google.rpc status name."""
    assert response.status_code == status, response.text[:500]
    error = response.json()["error"]
    assert error["code"] == status
    assert error["status"] == "INVALID_ARGUMENT"
    for word in words:
        assert word in error["message"]
    return error["message"]


def aws_json_error(response: requests.Response, status: int, kind: str, *words: str) -> str:
    """The message of an AWS JSON-protocol error (``__type`` and message)."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/x-amz-json")
    error = response.json()
    assert error["__type"] == kind
    message = error.get("message") or error.get("Message")
    for word in words:
        assert word in message
    return message


def s3_error(response: requests.Response, status: int, code: str, *words: str) -> dict[str, str]:
    """The members of an S3 XML error, with its shape checked."""
    assert response.status_code == status, response.text[:500]
    assert "xml" in response.headers["Content-Type"]
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Error"
    members = {child.tag: child.text or "" for child in root}
    assert members["Code"] == code
    assert members["RequestId"]
    for word in words:
        assert word in members["Message"]
    return members


def declared_only(
    endpoint: str, method: str, path: str, length: int, headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    """Send headers declaring a ``length``-byte body and none of it: status, type, body.

    A server that checks the declared size answers at once; one that waits for the bytes
    stalls, and the socket timeout fails the test.
    """
    address = urlparse(endpoint)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT)
    try:
        connection.putrequest(method, path)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


def stalled_sender(endpoint: str, method: str, path: str) -> socket.socket:
    """A connection that declares a 100-byte body, sends 10 bytes, then says nothing more."""
    address = urlparse(endpoint)
    sock = socket.create_connection((address.hostname, address.port), timeout=TIMEOUT)
    sock.sendall(
        f"{method} {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        "Content-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n0123456789".encode()
    )
    return sock


def assert_served_while_stalled(endpoint: str, method: str, path: str, other_url: str) -> None:
    """While one client stalls mid-body on ``path``, ``other_url`` answers 200 within 2 s."""
    stalled = stalled_sender(endpoint, method, path)
    try:
        started = time.monotonic()
        other = requests.get(other_url, timeout=5)
        assert other.status_code == 200
        assert time.monotonic() - started < 2
    finally:
        stalled.close()


# BigQuery


@pytest.mark.parametrize(
    "path",
    [f"{BQ}/queries", f"{BQ}/datasets", f"{BQ}/jobs", f"{BQ}/datasets/churn/tables/t/insertAll"],
)
def test_bigquery_answers_deeply_nested_json_with_invalid(bigquery, path):
    response = requests.post(bigquery.endpoint + path, data=DEEP, timeout=TIMEOUT)
    google_error(response, 400, "invalid", "Invalid JSON payload received", "too deep", "100")
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_bigquery_answers_a_deep_multipart_job_resource_with_invalid(bigquery):
    body = b"--b\r\nContent-Type: application/json\r\n\r\n" + DEEP + b"\r\n--b\r\n\r\nx\r\n--b--"
    response = requests.post(
        f"{bigquery.endpoint}/upload{BQ}/jobs?uploadType=multipart",
        data=body,
        headers={"Content-Type": "multipart/related; boundary=b"},
        timeout=TIMEOUT,
    )
    google_error(response, 400, "invalid", "Invalid JSON payload received", "too deep")


@pytest.mark.parametrize(
    ("path", "name", "value", "kind"),
    [
        (f"{BQ}/datasets", "max_results", str(2**70), "TYPE_UINT32"),
        (f"{BQ}/datasets", "max_results", "-1", "TYPE_UINT32"),
        (f"{BQ}/jobs", "max_results", "ten", "TYPE_UINT32"),
        (f"{BQ}/queries/job_1", "timeout_ms", "-1", "TYPE_UINT32"),
        (f"{BQ}/queries/job_1", "max_results", str(2**32), "TYPE_UINT32"),
        (f"{BQ}/datasets/churn/tables/t/data", "start_index", str(2**70), "TYPE_UINT64"),
    ],
)
def test_bigquery_refuses_out_of_range_paging_and_timeouts_in_the_query(
    bigquery, path, name, value, kind
):
    camel = name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:])
    response = requests.get(bigquery.endpoint + path, params={camel: value}, timeout=TIMEOUT)
    google_error(response, 400, "invalid", f"Invalid value at '{name}' ({kind}), \"{value}\"")


@pytest.mark.parametrize(
    ("member", "value"),
    [("maxResults", -1), ("maxResults", 2**70), ("timeoutMs", -1), ("timeoutMs", 2**32)],
)
def test_bigquery_refuses_out_of_range_paging_and_timeouts_in_a_query_request(
    bigquery, member, value
):
    body = {"query": "SELECT 1", "useLegacySql": False, member: value}
    response = requests.post(f"{bigquery.endpoint}{BQ}/queries", json=body, timeout=TIMEOUT)
    name = "max_results" if member == "maxResults" else "timeout_ms"
    google_error(
        response,
        400,
        "invalid",
        "Invalid JSON payload received.",
        f"Invalid value at '{name}' (TYPE_UINT32), {value}",
    )


def test_bigquery_refuses_a_request_over_10_mb_before_reading_it(bigquery):
    status, content_type, body = declared_only(
        bigquery.endpoint,
        "POST",
        f"{BQ}/queries",
        10 * 1024 * 1024 + 1,
        {"Content-Type": "application/json"},
    )
    assert status == 400
    assert content_type.startswith("application/json")
    error = json.loads(body)["error"]
    assert error["message"] == "Request payload size exceeds the limit: 10485760 bytes."
    assert error["errors"][0]["reason"] == "badRequest"
    assert error["status"] == "INVALID_ARGUMENT"


def test_bigquery_refuses_an_upload_over_4_gib_before_reading_it(bigquery):
    status, _, body = declared_only(
        bigquery.endpoint,
        "POST",
        f"/upload{BQ}/jobs?uploadType=multipart",
        4 * 1024**3 + 1,
        {"Content-Type": "multipart/related; boundary=b"},
    )
    assert status == 400
    assert json.loads(body)["error"]["message"] == (
        f"Request payload size exceeds the limit: {4 * 1024**3} bytes."
    )


@pytest.mark.parametrize("table_id", ["a\nb", "t\x00", "../up", "x" * 1025])
def test_bigquery_refuses_table_ids_with_control_characters_or_slashes(bigquery, table_id):
    body = {"tableReference": {"projectId": PROJECT, "datasetId": "churn", "tableId": table_id}}
    response = requests.post(
        f"{bigquery.endpoint}{BQ}/datasets/churn/tables", json=body, timeout=TIMEOUT
    )
    google_error(response, 400, "invalid", "Invalid table ID", "Table IDs must be alphanumeric")


def test_bigquery_load_data_from_a_dot_dot_uri_is_not_found_at_once_while_others_are_served(
    bigquery,
):
    sql = (
        "LOAD DATA INTO churn.t FROM FILES (format = 'CSV', "
        f"uris = ['gs://{BUCKET}/raw/../raw/part-0.csv'])"
    )
    answers: dict[str, Any] = {}

    def load() -> None:
        started = time.monotonic()
        answers["load"] = requests.post(
            f"{bigquery.endpoint}{BQ}/queries",
            json={"query": sql, "useLegacySql": False},
            timeout=TIMEOUT,
        )
        answers["load_seconds"] = time.monotonic() - started

    loading = threading.Thread(target=load)
    loading.start()
    started = time.monotonic()
    other = requests.get(f"{bigquery.endpoint}{BQ}/datasets", timeout=TIMEOUT)
    other_seconds = time.monotonic() - started
    loading.join(TIMEOUT + 1)
    assert other.status_code == 200
    assert other_seconds < 2
    assert answers["load_seconds"] < 2
    google_error(
        answers["load"], 404, "notFound", f"Not found: URI gs://{BUCKET}/raw/../raw/part-0.csv"
    )


def test_bigquery_export_data_to_a_dot_dot_uri_is_refused_at_once(bigquery):
    sql = (
        f"EXPORT DATA OPTIONS (uri = 'gs://{BUCKET}/out/../x-*.csv', format = 'CSV') "
        "AS SELECT 1 AS x"
    )
    started = time.monotonic()
    response = requests.post(
        f"{bigquery.endpoint}{BQ}/queries",
        json={"query": sql, "useLegacySql": False},
        timeout=TIMEOUT,
    )
    assert time.monotonic() - started < 2
    google_error(response, 400, "invalid", f"gs://{BUCKET}/out/../x-", "cannot store object names")


def test_bigquery_serves_others_while_an_upload_stalls_mid_body(bigquery):
    assert_served_while_stalled(
        bigquery.endpoint,
        "PUT",
        f"/upload{BQ}/jobs?uploadType=resumable&upload_id=gone",
        f"{bigquery.endpoint}{BQ}/datasets",
    )


# Vertex AI


@pytest.mark.parametrize("path", [f"{VERTEX}/endpoints", f"{VERTEX}/models:upload"])
def test_vertex_ai_answers_deeply_nested_json_with_invalid_argument(vertex_ai, path):
    response = requests.post(vertex_ai.endpoint + path, data=DEEP, timeout=TIMEOUT)
    vertex_error(response, 400, "Invalid JSON payload received", "too deep")


@pytest.mark.parametrize("value", [str(2**70), "-2147483649", "many"])
def test_vertex_ai_refuses_a_page_size_out_of_range(vertex_ai, value):
    response = requests.get(
        f"{vertex_ai.endpoint}{VERTEX}/models", params={"pageSize": value}, timeout=TIMEOUT
    )
    vertex_error(response, 400, f"Invalid value at 'page_size' (TYPE_INT32), \"{value}\"")


def test_vertex_ai_refuses_a_request_over_its_payload_limit_before_reading_it(vertex_ai):
    status, _, body = declared_only(
        vertex_ai.endpoint,
        "POST",
        f"{VERTEX}/endpoints/1:predict",
        1536 * 1024 + 1,
        {"Content-Type": "application/json"},
    )
    assert status == 400
    error = json.loads(body)["error"]
    assert error["message"] == "Request payload size exceeds the limit: 1572864 bytes."
    assert error["status"] == "INVALID_ARGUMENT"


# The Redshift Data API


def test_data_api_answers_deeply_nested_json_with_a_serialization_exception(data_api):
    response = requests.post(
        data_api.endpoint,
        data=DEEP,
        headers={**DATA_API, "X-Amz-Target": "RedshiftData.ListDatabases"},
        timeout=TIMEOUT,
    )
    aws_json_error(response, 400, "SerializationException", "too deep")


def test_data_api_refuses_sql_over_100_kb_as_the_service_does(data_api):
    body = {"Sql": "SELECT 1 " + "-" * 100 * 1024, "ClusterIdentifier": "c", "Database": "dev"}
    response = requests.post(
        data_api.endpoint,
        json=body,
        headers={**DATA_API, "X-Amz-Target": "RedshiftData.ExecuteStatement"},
        timeout=TIMEOUT,
    )
    aws_json_error(
        response, 400, "ValidationException", "Cannot process query string larger than 100kB"
    )


def test_data_api_refuses_a_request_over_10_mib_before_reading_it(data_api):
    status, content_type, body = declared_only(
        data_api.endpoint,
        "POST",
        "/",
        10 * 1024 * 1024 + 1,
        {**DATA_API, "X-Amz-Target": "RedshiftData.ListDatabases"},
    )
    assert status == 413
    assert content_type.startswith("application/x-amz-json-1.1")
    error = json.loads(body)
    assert error["__type"] == "RequestEntityTooLarge"
    assert error["Message"] == "Request size 10485761 exceeded 10485760 bytes"


# Cloud Storage


def _upload(gcs: GcsSandbox, name: str, data: bytes = b"x") -> requests.Response:
    return requests.post(
        f"{gcs.endpoint}/upload/storage/v1/b/{BUCKET}/o",
        params={"uploadType": "media", "name": name},
        data=data,
        timeout=TIMEOUT,
    )


@pytest.mark.parametrize("name", ["a/../b", "../b", "a/./b"])
def test_cloud_storage_refuses_names_it_cannot_store_instead_of_hanging_up(gcs, name):
    google_error(_upload(gcs, name), 400, "invalid", "cannot store object names", repr(name))


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("..", "Object name '..' is not valid"),
        (".", "Object name '.' is not valid"),
        ("a\nb", "Disallowed unicode characters present in object name"),
        ("a\rb", "Disallowed unicode characters present in object name"),
        (".well-known/acme-challenge/x", "cannot start with '.well-known/acme-challenge/'"),
        ("x" * 1025, "The maximum object length is 1024 characters"),
    ],
)
def test_cloud_storage_refuses_the_names_cloud_storage_refuses(gcs, name, words):
    google_error(_upload(gcs, name), 400, "invalid", words)


def test_cloud_storage_refuses_a_bad_name_in_multipart_metadata(gcs):
    body = (
        b'--b\r\nContent-Type: application/json\r\n\r\n{"name": "raw/../x"}\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"
    )
    response = requests.post(
        f"{gcs.endpoint}/upload/storage/v1/b/{BUCKET}/o?uploadType=multipart",
        data=body,
        headers={"Content-Type": "multipart/related; boundary=b"},
        timeout=TIMEOUT,
    )
    google_error(response, 400, "invalid", "cannot store object names")


@pytest.mark.parametrize(
    "path",
    [
        f"/storage/v1/b/{BUCKET}/o/raw%2F..%2Fraw%2Fpart-0.csv",
        f"/download/storage/v1/b/{BUCKET}/o/raw%2F..%2Fraw%2Fpart-0.csv?alt=media",
    ],
)
def test_cloud_storage_reads_of_a_dot_dot_name_find_no_object(gcs, path):
    response = requests.get(gcs.endpoint + path, timeout=TIMEOUT)
    google_error(response, 404, "notFound", f"No such object: {BUCKET}/raw/../raw/part-0.csv")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"{not json", "text/plain"),
        (b'["lake2"]', "application/json"),
        (DEEP, "application/json"),
    ],
)
def test_cloud_storage_answers_a_malformed_body_with_a_parse_error(gcs, body, content_type):
    response = requests.post(
        f"{gcs.endpoint}/storage/v1/b",
        data=body,
        headers={"Content-Type": content_type},
        timeout=TIMEOUT,
    )
    google_error(response, 400, "parseError", "Parse Error")


def test_cloud_storage_answers_a_multipart_upload_without_metadata(gcs):
    response = requests.post(
        f"{gcs.endpoint}/upload/storage/v1/b/{BUCKET}/o?uploadType=multipart",
        data=b"--b\r\n\r\n{not json\r\n--b--",
        headers={"Content-Type": "multipart/related; boundary=b"},
        timeout=TIMEOUT,
    )
    google_error(response, 400, "invalid", "Invalid multipart request with 1 mime parts.")


@pytest.mark.parametrize("value", ["-1", str(2**70), "all"])
def test_cloud_storage_refuses_out_of_range_paging(gcs, value):
    response = requests.get(
        f"{gcs.endpoint}/storage/v1/b/{BUCKET}/o", params={"maxResults": value}, timeout=TIMEOUT
    )
    google_error(response, 400, "invalid", "Invalid value at 'max_results' (TYPE_UINT32)")


def test_cloud_storage_refuses_a_body_over_5_gib_before_reading_it(gcs):
    status, content_type, body = declared_only(
        gcs.endpoint,
        "POST",
        f"/upload/storage/v1/b/{BUCKET}/o?uploadType=media&name=big",
        5 * 1024**3 + 1,
    )
    assert status == 413
    assert content_type.startswith("application/json")
    error = json.loads(body)["error"]
    assert error["errors"][0]["reason"] == "requestTooLarge"
    assert f"limit of {5 * 1024**3} bytes" in error["message"]


def test_cloud_storage_answers_a_method_it_lacks_in_json(gcs):
    response = requests.request("PROPFIND", f"{gcs.endpoint}/storage/v1/b", timeout=TIMEOUT)
    google_error(response, 405, "invalid", "Method PROPFIND not allowed")


def test_cloud_storage_serves_others_while_one_client_stalls_mid_body(gcs):
    assert_served_while_stalled(
        gcs.endpoint,
        "POST",
        f"/upload/storage/v1/b/{BUCKET}/o?uploadType=media&name=slow",
        f"{gcs.endpoint}/storage/v1/b/{BUCKET}/o",
    )


# AWS: S3


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", f"/{BUCKET}?tagging", b"<Tagging><TagSet>"),
        ("POST", f"/{BUCKET}?delete", b"<Delete><Object>"),
        ("PUT", "/fresh-bucket", b"<CreateBucketConfiguration><Loc"),
        ("POST", f"/{BUCKET}/k?uploadId=nope", b"<CompleteMultipartUpload"),
        (
            "PUT",
            f"/{BUCKET}?tagging",
            b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaa">]>'
            b"<Tagging><TagSet><Tag><Key>k</Key><Value>&a;</Value></Tag></TagSet></Tagging>",
        ),
    ],
)
def test_s3_answers_malformed_xml_with_malformed_xml(aws, method, path, body):
    response = requests.request(
        method, aws.endpoint + path, data=body, headers=_auth("s3"), timeout=TIMEOUT
    )
    s3_error(response, 400, "MalformedXML", "The XML you provided was not well-formed")


def test_s3_answers_an_empty_tagging_document_with_missing_request_body(aws):
    response = requests.put(
        f"{aws.endpoint}/{BUCKET}?tagging", data=b"", headers=_auth("s3"), timeout=TIMEOUT
    )
    s3_error(response, 400, "MissingRequestBodyError", "Request Body is empty")


@pytest.mark.parametrize("body", [b"{not json", b"[1]", b"[" * 100_000])
def test_s3_answers_a_malformed_bucket_policy_with_malformed_policy(aws, body):
    response = requests.put(
        f"{aws.endpoint}/{BUCKET}?policy", data=body, headers=_auth("s3"), timeout=TIMEOUT
    )
    s3_error(response, 400, "MalformedPolicy", "Policies must be valid JSON")


@pytest.mark.parametrize("name", ["a..b", "ab%01c", "Upper-Case", "xn--bucket"])
def test_s3_refuses_bucket_names_s3_refuses(aws, name):
    response = requests.put(f"{aws.endpoint}/{name}", headers=_auth("s3"), timeout=TIMEOUT)
    s3_error(response, 400, "InvalidBucketName", "The specified bucket is not valid.")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("abc", "Provided max-keys not an integer or within integer range"),
        (str(2**70), "Provided max-keys not an integer or within integer range"),
        ("-1", "Argument maxKeys must be an integer between 0 and 2147483647"),
    ],
)
def test_s3_refuses_out_of_range_paging(aws, value, words):
    response = requests.get(
        f"{aws.endpoint}/{BUCKET}",
        params={"list-type": "2", "max-keys": value},
        headers=_auth("s3"),
        timeout=TIMEOUT,
    )
    members = s3_error(response, 400, "InvalidArgument", words)
    assert members["ArgumentName"] == "max-keys"
    assert members["ArgumentValue"] == value


def test_s3_refuses_a_key_over_1024_bytes(aws):
    response = requests.put(
        f"{aws.endpoint}/{BUCKET}/{'k' * 1025}", data=b"x", headers=_auth("s3"), timeout=TIMEOUT
    )
    members = s3_error(response, 400, "KeyTooLongError", "Your key is too long")
    assert members["MaxSizeAllowed"] == "1024"


def test_s3_refuses_an_object_over_5_gib_before_reading_it(aws):
    status, content_type, body = declared_only(
        aws.endpoint, "PUT", f"/{BUCKET}/big.bin", 5 * 1024**3 + 1, _auth("s3")
    )
    assert status == 400
    assert "xml" in content_type
    root = ElementTree.fromstring(body)
    assert root.findtext("Code") == "EntityTooLarge"
    assert root.findtext("MaxSizeAllowed") == str(5 * 1024**3)


# AWS: SageMaker and CloudWatch


def test_sagemaker_refuses_an_empty_model_package_group_request_and_creates_nothing(aws):
    sagemaker = _client(aws, "sagemaker")
    with pytest.raises(ClientError) as refused:
        sagemaker.create_model_package_group()  # no ModelPackageGroupName: botocore sends {}
    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "1 validation error detected: Value null at 'modelPackageGroupName' failed to "
        "satisfy constraint: Member must not be null"
    )
    listed = sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
    assert [group["ModelPackageGroupName"] for group in listed] == []


@pytest.mark.parametrize(
    ("target", "body", "kind", "words"),
    [
        ("CreateModelPackageGroup", DEEP, "SerializationException", "too deep"),
        ("CreateModelPackageGroup", b"{not json", "SerializationException", "Expecting"),
        ("CreateModelPackageGroup", b"[1]", "SerializationException", "JSON object"),
        (
            "CreateModelPackageGroup",
            b'{"ModelPackageGroupName": "churn\\n../x"}',
            "ValidationException",
            "Member must satisfy regular expression pattern",
        ),
        (
            "ListModelPackages",
            b'{"MaxResults": -5}',
            "ValidationException",
            "Member must have value greater than or equal to 1",
        ),
        ("NoSuchOperation", b"{}", "UnknownOperationException", "NoSuchOperation"),
    ],
)
def test_sagemaker_answers_hostile_requests_in_its_json_format(aws, target, body, kind, words):
    response = requests.post(
        aws.endpoint,
        data=body,
        headers={**SAGEMAKER, "X-Amz-Target": f"SageMaker.{target}"},
        timeout=TIMEOUT,
    )
    aws_json_error(response, 400, kind, words)


def test_sagemaker_refuses_a_request_over_10_mib_before_reading_it(aws):
    status, _, body = declared_only(
        aws.endpoint,
        "POST",
        "/",
        10 * 1024 * 1024 + 1,
        {**SAGEMAKER, "X-Amz-Target": "SageMaker.CreateModelPackageGroup"},
    )
    assert status == 413
    assert json.loads(body) == {
        "__type": "RequestEntityTooLarge",
        "message": "Request size 10485761 exceeded 10485760 bytes",
    }


def test_cloudwatch_refuses_metric_data_without_its_namespace(aws):
    cloudwatch = _client(aws, "cloudwatch")
    with pytest.raises(ClientError) as refused:
        cloudwatch.put_metric_data(MetricData=[{"MetricName": "m", "Value": 1.0}])
    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "ValidationError"
    assert "Value null at 'namespace'" in error["Message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [(b"\x81" * 100_000, "too deep"), (b"\xff\x00garbage", "Unable to parse CBOR")],
)
def test_cloudwatch_answers_malformed_cbor_in_cbor(aws, body, words):
    from moto.core import cbor

    response = requests.post(
        f"{aws.endpoint}{CBOR_PATH}PutMetricData",
        data=body,
        headers=CLOUDWATCH_CBOR,
        timeout=TIMEOUT,
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/cbor"
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
    error = cbor.loads(response.content)
    assert error["__type"] == "SerializationException"
    assert words in error["message"]


def test_cloudwatch_refuses_a_request_over_1_mb_before_reading_it(aws):
    status, _, body = declared_only(
        aws.endpoint, "POST", f"{CBOR_PATH}PutMetricData", 1024 * 1024 + 1, CLOUDWATCH_CBOR
    )
    from moto.core import cbor

    assert status == 413
    error = cbor.loads(body)
    assert error["__type"] == "RequestEntityTooLarge"
    assert error["message"] == "Request size 1048577 exceeded 1048576 bytes"
