"""Cassettes: plain YAML that round-trips, scrubbed of secrets, matched despite run noise."""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
import re

import pytest
import requests
import vcr
import yaml
from vcr.request import Request
from vcr.serialize import deserialize as vcr_deserialize
from vcr.serialize import serialize as vcr_serialize

from mlops_labs.cassettes import matching, scrub, serializer
from mlops_labs.cassettes.diff import explain_unmatched
from mlops_labs.cassettes.sql import normalise_sql, sql_lines

REAL_PROJECT = "my-real-project-123"
REAL_ACCOUNT = "123456789012"
REPLACEMENTS = {REAL_PROJECT: "mlops-labs-sandbox", REAL_ACCOUNT: "000000000000"}

# Canaries: one of each secret kind, planted in traffic and hunted in the cassette text.
# Assembled from pieces so that no scanner mistakes this file for a leak.
AWS_KEY_ID = "AKIA" + "CANARY0000000000"
AWS_SESSION_KEY_ID = "ASIA" + "CANARY0000000001"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYCANARYKEY0"
SESSION_TOKEN = "FwoGZXIvYXdzEBcaDCanaryS3ss10nT0kenQm9vTXk4Zz"
OAUTH_TOKEN = "ya29" + ".canary"
REFRESH_TOKEN = "1//0" + "canaryRefreshToken00000000"
API_KEY = "AIza" + "SyCANARY".ljust(35, "0")
JWT = ".".join(["eyJhbGciOiJSUzI1NiJ9", "eyJzdWIiOiJjYW5hcnkifQ", "c2lnbmF0dXJlY2FuYXJ5"])
PASSWORD = "hunter2-canary"
PRIVATE_KEY_HEADER = "-----BEGIN " + "PRIVATE KEY-----"
PRIVATE_KEY_FIELD = "private" + "_key"  # a key file's field, assembled like the canaries
PRIVATE_KEY = (
    f"{PRIVATE_KEY_HEADER}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjCanaryKey\n"
    "-----END PRIVATE KEY-----\n"
)
SIGNATURE = "9f" * 32
JOBLIB_BYTES = pickle.dumps({"coef": [0.5, -1.25], "classes": ["no", "yes"]}, protocol=5)

UUID_A = "0b7c2a5e-4f0e-4c7d-9a51-2f6d1c3e8a90"
UUID_B = "d41f6a2c-93b1-4e58-8c0a-7e2b5f9d1c36"
BQ = "https://bigquery.googleapis.com/bigquery/v2/projects/p"
LOCAL_BQ = "http://127.0.0.1:9050/bigquery/v2/projects/p"


def _response(body: bytes, *, status: int = 200, **headers: str) -> dict:
    names = {name.replace("_", "-"): [value] for name, value in headers.items()}
    return {"status": {"code": status, "message": "OK"}, "headers": names, "body": {"string": body}}


def _gzip_json(value: object) -> tuple[bytes, dict]:
    data = gzip.compress(json.dumps(value).encode())
    return data, {
        "Content_Type": "application/json; charset=UTF-8",
        "Content_Encoding": "gzip",
        "Content_Length": str(len(data)),
    }


def _json_request(method: str, uri: str, value: object, **headers: object) -> Request:
    return Request(method, uri, json.dumps(value), {"Content-Type": "application/json", **headers})


def _round_trip(requests_: list[Request], responses: list[dict]) -> tuple[str, list, list]:
    """Through vcrpy's own serialize/deserialize, with this serializer plugged in."""
    text = vcr_serialize({"requests": requests_, "responses": responses}, serializer)
    loaded_requests, loaded_responses = vcr_deserialize(text, serializer)
    return text, loaded_requests, loaded_responses


# --- serializer ---------------------------------------------------------------------------


def test_a_gzip_json_response_is_stored_readable_and_replays_as_the_same_json():
    payload = {"kind": "bigquery#queryResponse", "rows": [{"f": [{"v": "1"}]}], "jobComplete": True}
    data, headers = _gzip_json(payload)
    request = _json_request("POST", f"{BQ}/queries", {"query": "SELECT 1"})

    text, [loaded_request], [loaded] = _round_trip([request], [_response(data, **headers)])

    assert '"kind": "bigquery#queryResponse"' in text  # pretty JSON, not a gzip blob
    assert '  "jobComplete": true' in text
    assert json.loads(loaded["body"]["string"]) == payload
    assert isinstance(loaded["body"]["string"], bytes)
    names = {name.lower(): values for name, values in loaded["headers"].items()}
    assert "content-encoding" not in names
    assert names["content-length"] == [str(len(loaded["body"]["string"]))]
    assert json.loads(loaded_request.body) == {"query": "SELECT 1"}


def test_binary_bodies_are_base64_and_come_back_byte_for_byte():
    request = Request(
        "PUT", "https://s3.amazonaws.com/b/models/churn.joblib", JOBLIB_BYTES, {"X": "1"}
    )
    response = _response(JOBLIB_BYTES, Content_Type="application/octet-stream")

    text, [loaded_request], [loaded] = _round_trip([request], [response])

    data = yaml.safe_load(text)["interactions"][0]
    assert set(data["request"]["body"]) == {"base64"}
    assert set(data["response"]["body"]) == {"base64"}
    assert loaded_request.body == JOBLIB_BYTES
    assert loaded["body"]["string"] == JOBLIB_BYTES


def test_bytes_header_values_and_both_header_shapes_become_text():
    cassette = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": "https://storage.googleapis.com/upload/storage/v1/b/b/o",
                    "body": "x",
                    "headers": {
                        "content-type": [b'multipart/related; boundary="==1=="'],
                        "X-Upload-Content-Length": 12,
                        "User-Agent": "gcloud-python",
                    },
                },
                "response": _response(b"{}", Content_Type="application/json"),
            }
        ],
    }
    text = serializer.serialize(cassette)
    loaded = serializer.deserialize(text)["interactions"][0]

    assert loaded["request"]["headers"] == {
        "content-type": ['multipart/related; boundary="==1=="'],
        "User-Agent": ["gcloud-python"],
        "X-Upload-Content-Length": ["12"],
    }
    assert Request._from_dict(loaded["request"]).headers["Content-Type"].startswith("multipart")


def test_the_yaml_is_plain_with_no_python_tags():
    request = Request("GET", f"{BQ}/jobs/{UUID_A}", None, {"Accept": b"application/json"})
    response = _response(JOBLIB_BYTES, Content_Type="application/octet-stream")

    text, _, _ = _round_trip([request], [response])

    assert "!!" not in text
    assert yaml.safe_load(text)["version"] == 1


def test_crlf_text_reads_as_lines_and_round_trips_exactly():
    body = (
        b"--==1==\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n"
        b'{"name": "data/churn.csv"}\r\n--==1==\r\ncontent-type: text/csv\r\n\r\n'
        b"id,churned\r\n1,0\r\n--==1==--"
    )
    request = Request("POST", "https://storage.googleapis.com/upload", body, {})

    text, [loaded], _ = _round_trip([request], [_response(b"")])

    assert "crlf_text: |" in text
    assert loaded.body == body


def test_head_and_checksummed_responses_keep_their_length_and_bytes():
    head = Request("HEAD", "https://b.s3.amazonaws.com/models/m.joblib", None, {})
    head_response = _response(b"", Content_Length="52311")
    # Google's escaping: no json.dumps layout gives these bytes back, yet the hash covers them.
    object_json = b'{"etag":"CAE\\u003d","b":[1,2]}'
    download = Request("GET", "https://storage.googleapis.com/b/o?alt=media", None, {})
    download_response = _response(
        object_json, Content_Type="application/json", x_goog_hash="crc32c=AAAAAA=="
    )

    _, _, [loaded_head, loaded_download] = _round_trip(
        [head, download], [head_response, download_response]
    )

    assert loaded_head["headers"]["Content-Length"] == ["52311"]
    assert loaded_download["body"]["string"] == object_json


@pytest.mark.parametrize(
    "recorded",
    [
        b'{"a":1,"b":[1,2],"s":"\\u00e9"}',
        b'{"a": 1, "b": [1, 2]}\n',
        '{\n    "caf\u00e9": [\n        1\n    ]\n}'.encode(),
    ],
    ids=["compact", "python-default", "indent4-unicode"],
)
def test_json_in_a_standard_layout_is_stored_pretty_and_replayed_byte_for_byte(recorded):
    request = Request("GET", "https://example.invalid/x", None, {})

    text, _, [loaded] = _round_trip([request], [_response(recorded)])

    assert "json: |-\n" in text and "layout: " in text
    assert loaded["body"]["string"] == recorded


def test_json_in_another_layout_is_replayed_as_the_same_json():
    recorded = b'{"etag":"CAE\\u003d","kind":"storage#object"}'
    request = Request("GET", "https://example.invalid/x", None, {})

    text, _, [loaded] = _round_trip([request], [_response(recorded, Content_Length="44")])

    assert '"etag": "CAE="' in text
    assert json.loads(loaded["body"]["string"]) == json.loads(recorded)
    assert loaded["headers"]["Content-Length"] == [str(len(loaded["body"]["string"]))]


def test_a_hand_edited_body_gets_a_matching_content_length():
    text = serializer.serialize(
        {
            "version": 1,
            "interactions": [
                {
                    "request": {"method": "GET", "uri": "http://x/", "body": None, "headers": {}},
                    "response": _response(b'{"a": 1}', Content_Length="8"),
                }
            ],
        }
    )
    edited = text.replace('"a": 1', '"a": 12345')

    response = serializer.deserialize(edited)["interactions"][0]["response"]

    assert response["headers"]["Content-Length"] == [str(len(response["body"]["string"]))]


def test_a_recorded_gzip_response_replays_through_requests_with_no_server(tmp_path):
    payload = {"jobReference": {"jobId": UUID_A}, "status": {"state": "DONE"}}
    data, headers = _gzip_json(payload)
    recorded = Request("GET", f"{BQ}/jobs/{UUID_A}?location=US&prettyPrint=false", None, {})
    path = tmp_path / "scenario.yaml"
    text = vcr_serialize(
        {"requests": [recorded], "responses": [_response(data, **headers)]}, serializer
    )
    path.write_text(text)
    before_request, before_response = scrub.hooks(REPLACEMENTS)
    recorder = vcr.VCR(record_mode="none", match_on=matching.MATCH_ON)
    recorder.register_serializer("mlops-yaml", serializer)
    matching.register(recorder)

    with recorder.use_cassette(
        str(path),
        serializer="mlops-yaml",
        before_record_request=before_request,
        before_record_response=before_response,
    ):
        # Another host and port, another job uuid, parameters in another order.
        reply = requests.get(
            f"{LOCAL_BQ}/jobs/{UUID_B}?prettyPrint=false&location=US",
            headers={"Authorization": f"Bearer {OAUTH_TOKEN}"},
            timeout=5,
        )

    assert reply.json() == payload
    assert "Content-Encoding" not in reply.headers


# --- scrubbing ----------------------------------------------------------------------------


def _secret_traffic() -> tuple[list[Request], list[dict]]:
    """One scenario's worth of traffic with every canary planted somewhere."""
    token_exchange = Request(
        "POST",
        "https://oauth2.googleapis.com/token",
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + JWT,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    token_data, token_headers = _gzip_json(
        {
            "access_token": OAUTH_TOKEN,
            "id_token": JWT,
            "refresh_token": REFRESH_TOKEN,
            "expires_in": 3599,
            "token_type": "Bearer",
        }
    )
    refresh = Request(
        "POST",
        "https://oauth2.googleapis.com/token",
        f"grant_type=refresh_token&client_id=c&client_secret=s3cr3t-canary&refresh_token={REFRESH_TOKEN}",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    upload = Request(
        "PUT",
        "https://churn-artifacts.s3.amazonaws.com/models/churn.joblib"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={AWS_KEY_ID}%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
        f"&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
        f"&X-Amz-Security-Token={SESSION_TOKEN}&X-Amz-Signature={SIGNATURE}",
        JOBLIB_BYTES,
        {
            "Authorization": f"AWS4-HMAC-SHA256 Credential={AWS_KEY_ID}/20240101/us-east-1/s3",
            "X-Amz-Security-Token": SESSION_TOKEN,
            "X-Amz-Date": "20240101T000000Z",
            "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD",
            "amz-sdk-invocation-id": UUID_A,
            "amz-sdk-request": "attempt=1; max=3",
            "Cookie": "session=abc",
        },
    )
    assume_role = Request(
        "POST",
        "https://sts.amazonaws.com/",
        f"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A{REAL_ACCOUNT}%3Arole%2Ftrainer",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assume_role_xml = (
        "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
        f"<AccessKeyId>{AWS_SESSION_KEY_ID}</AccessKeyId>"
        f"<SecretAccessKey>{AWS_SECRET}</SecretAccessKey>"
        f"<SessionToken>{SESSION_TOKEN}</SessionToken>"
        "</Credentials><AssumedRoleUser>"
        f"<Arn>arn:aws:sts::{REAL_ACCOUNT}:assumed-role/trainer/s</Arn>"
        "</AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>"
    ).encode()
    warehouse = _json_request(
        "POST",
        "https://redshift-data.us-east-1.amazonaws.com/",
        {
            "ClusterIdentifier": "churn",
            "Database": "dev",
            "Sql": f"CREATE USER loader PASSWORD '{PASSWORD}'",
            "ConnectionParameters": {"host": "churn.example", "password": PASSWORD},
        },
    )
    query = _json_request(
        "POST",
        f"https://bigquery.googleapis.com/bigquery/v2/projects/{REAL_PROJECT}/queries?key={API_KEY}",
        {"query": f"SELECT * FROM `{REAL_PROJECT}.churn.customers`"},
        **{"x-goog-user-project": REAL_PROJECT},
    )
    key_file = _json_request(
        "POST",
        "https://storage.googleapis.com/upload/storage/v1/b/keys/o?uploadType=media",
        {
            "type": "service_account",
            "client_email": f"trainer@{REAL_PROJECT}.iam.gserviceaccount.com",
            "private_key_id": "1f2e3d4c5b6a79880f1e2d3c4b5a69788f7e6d5c",
            PRIVATE_KEY_FIELD: PRIVATE_KEY,
        },
    )
    requests_ = [token_exchange, refresh, upload, assume_role, warehouse, query, key_file]
    responses = [
        _response(token_data, **token_headers),
        _response(json.dumps({"access_token": OAUTH_TOKEN}).encode(), Content_Type="json"),
        _response(b"", ETag='"abc"', Set_Cookie="AWSALB=canary; Path=/"),
        _response(assume_role_xml, Content_Type="text/xml"),
        _response(json.dumps({"Id": UUID_A}).encode(), Content_Type="application/x-amz-json-1.1"),
        _response(json.dumps({"jobReference": {"projectId": REAL_PROJECT}}).encode()),
        _response(PRIVATE_KEY.encode(), Content_Type="text/plain"),
    ]
    return requests_, responses


CANARIES = [
    AWS_KEY_ID,
    AWS_SESSION_KEY_ID,
    AWS_SECRET,
    SESSION_TOKEN,
    OAUTH_TOKEN,
    REFRESH_TOKEN,
    API_KEY,
    JWT,
    PASSWORD,
    SIGNATURE,
    PRIVATE_KEY_HEADER,
]


def _scrubbed_cassette() -> str:
    requests_, responses = _secret_traffic()
    before_request, before_response = scrub.hooks(REPLACEMENTS)
    return vcr_serialize(
        {
            "requests": [before_request(request) for request in requests_],
            "responses": [before_response(response) for response in responses],
        },
        serializer,
    )


def test_find_secrets_finds_every_canary_in_a_raw_cassette():
    requests_, responses = _secret_traffic()
    raw = vcr_serialize({"requests": requests_, "responses": responses}, serializer)

    found = scrub.find_secrets(raw)

    for canary in CANARIES:
        assert any(canary in secret for secret in found), canary
    assert any(secret.startswith("-----BEGIN") for secret in found)
    report = scrub.secret_report(raw)
    assert all(AWS_SECRET not in line for line in report)  # safe for a CI log
    number = next(n for n, text in enumerate(raw.splitlines(), 1) if AWS_SECRET in text)
    assert f"line {number}: SecretAccessKey value: wJalrX... (40 characters)" in report


def test_a_scrubbed_cassette_holds_no_secret_and_no_real_id():
    text = _scrubbed_cassette()

    assert scrub.find_secrets(text) == []
    for canary in [*CANARIES, "s3cr3t-canary", "session=abc", "AWSALB", REAL_PROJECT, REAL_ACCOUNT]:
        assert canary not in text, canary
    assert "mlops-labs-sandbox.churn.customers" in text
    assert "arn:aws:sts::000000000000:assumed-role" in text


def test_scrubbing_drops_signing_headers_and_presigned_query_parameters():
    upload = _secret_traffic()[0][2]

    scrubbed = scrub.scrub_request(upload, REPLACEMENTS)

    assert {name.lower() for name in scrubbed.headers} == set()
    assert "X-Amz-Signature" not in scrubbed.uri
    assert "X-Amz-Credential" not in scrubbed.uri
    assert "X-Amz-Security-Token" not in scrubbed.uri
    assert "X-Amz-Expires=3600" in scrubbed.uri
    assert scrubbed.body == JOBLIB_BYTES


def test_an_oauth_exchange_keeps_its_shape_with_placeholders():
    requests_, responses = _secret_traffic()

    request = scrub.scrub_request(requests_[0])
    response = scrub.scrub_response(responses[0])

    assert request.body == (
        b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=<scrubbed>"
    )
    body = json.loads(response["body"]["string"])
    assert body == {
        "access_token": "<scrubbed>",
        "id_token": "<scrubbed>",
        "refresh_token": "<scrubbed>",
        "expires_in": 3599,
        "token_type": "Bearer",
    }
    headers = {name.lower(): values for name, values in response["headers"].items()}
    assert "content-encoding" not in headers
    assert headers["content-length"] == [str(len(response["body"]["string"]))]


def test_passwords_are_scrubbed_from_json_fields_and_sql():
    warehouse = _secret_traffic()[0][4]

    body = json.loads(scrub.scrub_request(warehouse).body)

    assert body["ConnectionParameters"]["password"] == "<scrubbed>"
    assert body["Sql"] == "CREATE USER loader PASSWORD 'SCRUBBED'"


def test_scrubbing_is_idempotent_so_replayed_requests_still_match():
    for request in _secret_traffic()[0]:
        once = scrub.scrub_request(request, REPLACEMENTS)
        twice = scrub.scrub_request(once, REPLACEMENTS)
        assert (twice.uri, twice.body, dict(twice.headers)) == (
            once.uri,
            once.body,
            dict(once.headers),
        )


def test_pagination_and_idempotency_tokens_are_not_secrets():
    request = _json_request(
        "POST",
        f"{BQ}/jobs?pageToken=BFRO3XXXXAQAAASAUIIBAEAAUNAICAKCAEFCAAQ",
        {"NextToken": "eyJ2IjoxfQ", "ClientToken": UUID_A},
    )

    scrubbed = scrub.scrub_request(request)

    assert scrubbed.uri == request.uri
    assert json.loads(scrubbed.body) == {"NextToken": "eyJ2IjoxfQ", "ClientToken": UUID_A}


def test_find_secrets_ignores_uuids_digests_and_binary_bodies():
    text = "\n".join(
        [
            f"requestId: {UUID_A}",
            f"x-amz-content-sha256: {'ab' * 32}",
            f'"token": "{UUID_B}"',
            f'"md5Token": "{"c" * 32}"',
            "nextPageToken: BFRO3XXXXAQAAASAUIIBAEAAUNAICAKCAEFCAAQ",
            f"    base64: gASVAAAA{API_KEY}1//0abcdefghijklmnopqrstuvwxyz",
            '"access_token": "<scrubbed>"',
            "password: SCRUBBED",
        ]
    )

    assert scrub.find_secrets(text) == []
    assert scrub.find_secrets(f"key: {API_KEY}") == [API_KEY]


# --- matching -----------------------------------------------------------------------------


def _assert_match(one: Request, other: Request) -> None:
    for name in matching.MATCH_ON:
        matching.MATCHERS[name](one, other)


def _mismatch(name: str, one: Request, other: Request) -> str:
    with pytest.raises(AssertionError) as failure:
        matching.MATCHERS[name](one, other)
    return str(failure.value)


def test_requests_differing_only_in_run_noise_match():
    recorded = _json_request(
        "POST",
        f"https://bigquery.googleapis.com/bigquery/v2/projects/p/jobs/job_Ab3dE5fG7h/cancel"
        f"?requestId={UUID_A}&X-Amz-Date=20240101T000000Z&prettyPrint=false",
        {
            "jobReference": {"projectId": "p", "jobId": f"train_{UUID_A}"},
            "configuration": {
                "query": {"query": "SELECT a, b\nFROM t\nWHERE x > '2024-01-01 10:00:00';"}
            },
            "ClientToken": UUID_A,
            "createdAt": "2024-01-01T10:00:00.123Z",
            "creationTime": 1704103200000,
            "Timestamp": 1704103200,
            "labels": {"run": "2024-01-01-10-00-00-abcde"},
        },
    )
    replayed = _json_request(
        "POST",
        f"{LOCAL_BQ}/jobs/job_Zz9yX8wV7u/cancel"
        f"?prettyPrint=false&X-Amz-Date=20250505T111111Z&requestId={UUID_B}",
        {
            "jobReference": {"projectId": "p", "jobId": "job_Qq1Rr2Ss3Tt4"},
            "configuration": {
                "query": {"query": "select a,b from t where x > '2025-05-05 11:11:11'"}
            },
            "ClientToken": UUID_B,
            "createdAt": "2025-05-05T11:11:11Z",
            "creationTime": 1746443471000,
            "Timestamp": 1746443471,
            "labels": {"run": "2025-05-05-11-11-11-f00ba"},
        },
    )

    _assert_match(replayed, recorded)


def test_multipart_uploads_match_across_random_boundaries():
    def upload(boundary: str, payload: bytes) -> Request:
        body = (
            (
                f"--{boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n"
                '{"name": "models/churn.joblib"}\r\n'
                f"--{boundary}\r\ncontent-type: application/octet-stream\r\n\r\n"
            ).encode()
            + payload
            + f"\r\n--{boundary}--\r\n".encode()
        )
        content_type = f'multipart/related; boundary="{boundary}"'.encode()
        return Request(
            "POST",
            "https://storage.googleapis.com/upload/storage/v1/b/b/o?uploadType=multipart",
            body,
            {"content-type": content_type},
        )

    recorded = upload("===============1234567890==", JOBLIB_BYTES)

    _assert_match(upload("===============9876543210==", JOBLIB_BYTES), recorded)
    message = _mismatch("body", upload("===============5==", JOBLIB_BYTES + b"x"), recorded)
    assert "sha256" in message


def test_form_bodies_match_in_any_order_with_the_assertion_masked():
    recorded = Request(
        "POST",
        "https://oauth2.googleapis.com/token",
        "grant_type=jwt&assertion=aaa.bbb.ccc",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    replayed = Request(
        "POST",
        "https://oauth2.googleapis.com/token",
        "assertion=xxx.yyy.zzz&grant_type=jwt",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )

    _assert_match(replayed, recorded)


def test_binary_bodies_match_by_content():
    recorded = Request("PUT", "https://b.s3.amazonaws.com/m.joblib", JOBLIB_BYTES, {})

    _assert_match(Request("PUT", "http://127.0.0.1:5000/m.joblib", JOBLIB_BYTES, {}), recorded)
    assert "sha256" in _mismatch(
        "body", Request("PUT", "http://127.0.0.1:5000/m.joblib", JOBLIB_BYTES[:-1], {}), recorded
    )


def test_a_large_uploaded_file_is_kept_as_its_digests_and_still_matched_by_content():
    csv = b"customer_id,tenure_months\n" + b"".join(b"%d,%d\n" % (i, i % 72) for i in range(9000))
    upload = Request("PUT", "http://127.0.0.1:5000/lake/raw/customers.csv", csv, {})

    text, (stored, *_), _ = _round_trip([scrub.scrub_request(upload)], [_response(b"")])

    assert "8999,71" not in text  # no row reaches the cassette: only names, counts and digests
    body = yaml.safe_load(text)["interactions"][0]["request"]["body"]
    assert (body["sha256"], body["size"]) == (hashlib.sha256(csv).hexdigest(), len(csv))
    assert body["content"]["format"] == "csv"
    assert body["content"]["rows"] == 9000
    replayed = scrub.scrub_request(
        Request("PUT", "https://s3.amazonaws.com/lake/raw/customers.csv", csv, {})
    )
    _assert_match(replayed, stored)
    changed = scrub.scrub_request(
        Request(
            "PUT", "http://127.0.0.1:5000/lake/raw/customers.csv", csv.replace(b"9,9", b"9,8"), {}
        )
    )
    assert "column 'tenure_months' differs in rows 1-141 of 9000" in _mismatch(
        "body", changed, stored
    )


def test_a_large_json_body_is_kept_whole_to_compare_it_field_by_field():
    rows = {"rows": [{"json": {"n": i}} for i in range(4000)], "requestId": UUID_A}
    big_json = _json_request("POST", f"{BQ}/datasets/d/tables/t/insertAll", rows)

    kept = scrub.scrub_request(big_json)

    assert json.loads(kept.body)["rows"][3999] == {"json": {"n": 3999}}


def test_a_different_sql_query_fails_naming_the_sql():
    recorded = _json_request("POST", f"{BQ}/queries", {"query": "SELECT a FROM t WHERE x = 1"})
    replayed = _json_request("POST", f"{BQ}/queries", {"query": "SELECT a FROM t WHERE x = 2"})

    message = _mismatch("body", replayed, recorded)

    assert message.startswith("body differs at $.json.query (SQL)")
    assert "WHERE x = 2" in message and "WHERE x = 1" in message


def test_redshift_sql_is_compared_as_sql():
    recorded = _json_request("POST", "https://redshift-data/", {"Sql": "SELECT 1 FROM t"})

    _assert_match(
        _json_request("POST", "https://redshift-data/", {"Sql": "select 1\n  from t ;"}),
        recorded,
    )
    assert "(SQL)" in _mismatch(
        "body", _json_request("POST", "https://r/", {"Sql": "SELECT 1 FROM u"}), recorded
    )


@pytest.mark.parametrize(
    ("name", "replayed", "expected"),
    [
        ("method", Request("PUT", f"{BQ}/datasets/d", None, {}), "method PUT != recorded GET"),
        ("path", Request("GET", f"{BQ}/datasets/e", None, {}), "path /bigquery/v2/projects/p"),
        ("query", Request("GET", f"{BQ}/datasets/d?prettyPrint=true", None, {}), "prettyPrint"),
    ],
)
def test_each_matcher_names_what_differed(name, replayed, expected):
    recorded = Request("GET", f"{BQ}/datasets/d?prettyPrint=false", None, {})

    assert expected in _mismatch(name, replayed, recorded)


def test_numeric_ids_are_kept_in_paths():
    assert matching.normalise_path("/v1/projects/p/locations/l/models/1234567890123456789") == (
        "/v1/projects/p/locations/l/models/1234567890123456789"
    )
    assert (
        matching.normalise_path(f"/b/o/runs%2F{UUID_A}%2Fm.joblib") == "/b/o/runs/<uuid>/m.joblib"
    )


def test_register_puts_the_matchers_on_a_vcr():
    recorder = vcr.VCR()

    matching.register(recorder)

    assert [recorder.matchers[name] for name in matching.MATCH_ON] == [
        matching.method,
        matching.path,
        matching.query,
        matching.body,
    ]


def test_sql_normalisation_ignores_layout_comments_and_keyword_case():
    assert normalise_sql("select a,b -- why\nfrom `p.d.t`;") == "SELECT a, b FROM `p.d.t`"
    assert normalise_sql("SELECT 'select  x' FROM t") == "SELECT 'select  x' FROM t"
    assert sql_lines("select a from t where x = 1 group by a") == [
        "SELECT a",
        "FROM t",
        "WHERE x = 1",
        "GROUP BY a",
    ]


# --- explaining a miss --------------------------------------------------------------------


def test_explain_unmatched_names_the_nearest_request_and_shows_the_sql_diff():
    recorded = [
        Request("GET", f"{BQ}/datasets/churn", None, {}),
        _json_request(
            "POST",
            f"{BQ}/queries?prettyPrint=false",
            {
                "query": "SELECT id, churned FROM churn.customers WHERE tenure > 12",
                "useLegacySql": False,
            },
        ),
        _json_request("POST", f"{BQ}/jobs", {"configuration": {"query": {"query": "SELECT 1"}}}),
    ]
    request = _json_request(
        "POST",
        f"{LOCAL_BQ}/queries?prettyPrint=false",
        {
            "query": "SELECT id, churned FROM churn.customers WHERE tenure > 24",
            "useLegacySql": False,
        },
    )

    message = explain_unmatched(request, recorded)

    lines = message.splitlines()
    assert lines[0] == (
        "No recorded response for POST /bigquery/v2/projects/p/queries: "
        "the nearest recorded request differs in its body (SQL):"
    )
    assert "nearest recorded request (2 of 3; matches on method, path, query):" in lines
    assert "  -WHERE tenure > 12" in lines
    assert "  +WHERE tenure > 24" in lines
    assert not any(line.startswith("body (normalised;") for line in lines)


def test_explain_unmatched_shows_a_json_diff_and_other_differences():
    recorded = [
        _json_request("POST", f"{BQ}/datasets?x=1", {"datasetReference": {"datasetId": "a"}})
    ]
    request = _json_request("POST", f"{BQ}/datasets?x=2", {"datasetReference": {"datasetId": "b"}})

    message = explain_unmatched(request, recorded)

    assert message.splitlines()[0].endswith("differs in its query and body:")
    assert re.search(r'^ +-\s+"datasetId": "a"$', message, re.MULTILINE)
    assert re.search(r'^ +\+\s+"datasetId": "b"$', message, re.MULTILINE)


def test_explain_unmatched_with_nothing_recorded_or_a_replayed_twice_request():
    request = Request("GET", f"{BQ}/datasets/churn", None, {})

    assert explain_unmatched(request, []).startswith(
        "No recorded response for GET /bigquery/v2/projects/p/datasets/churn: "
        "the cassette holds no recorded requests."
    )
    assert "already played" in explain_unmatched(request, [request]).splitlines()[0]


def test_a_request_whose_body_is_replaced_is_compared_by_its_new_body():
    # The view of a live request is kept between matchers; a new body must not find the old one.
    request = Request("POST", "http://127.0.0.1:9/q", b'{"query": "SELECT 1"}', {})
    recorded = Request("POST", "http://127.0.0.1:9/q", b'{"query": "SELECT 2"}', {})
    with pytest.raises(AssertionError, match="body differs"):
        matching.body(request, recorded)
    request.body = b'{"query": "SELECT 2"}'
    matching.body(request, recorded)


def test_bodies_of_requests_to_another_path_are_compared_but_not_diffed():
    request = Request("POST", "http://127.0.0.1:9/a", b'{"n": 1}', {})
    matching.body(request, Request("POST", "http://127.0.0.1:9/b", b'{"n": 1}', {}))
    with pytest.raises(AssertionError, match="not diffed"):
        matching.body(request, Request("POST", "http://127.0.0.1:9/b", b'{"n": 2}', {}))


def test_an_unload_manifest_matches_whatever_sizes_its_files_were_written_in():
    def manifest(first: int, second: int, part: str = "0001") -> Request:
        entries = [
            {"url": "s3://lake/unload/t_0000_part_00.parquet", "meta": {"content_length": first}},
            {
                "url": f"s3://lake/unload/t_{part}_part_00.parquet",
                "meta": {"content_length": second},
            },
        ]
        return _json_request(
            "PUT", "http://127.0.0.1:5000/lake/unload/t_manifest", {"entries": entries}
        )

    recorded = manifest(3934, 3977)

    _assert_match(manifest(5882, 5883), recorded)
    assert "t_0002_part_00" in _mismatch("body", manifest(3934, 3977, part="0002"), recorded)
