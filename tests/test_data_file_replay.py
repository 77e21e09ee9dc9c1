"""Uploaded data files replay by their content: another writer's bytes for the same rows match."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import boto3
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.request import Request

from mlops_labs.cassettes import recording, scrub, serializer
from mlops_labs.cassettes.data_files import DataFile, difference, fingerprint
from mlops_labs.cassettes.provenance import PROVENANCE
from mlops_labs.cassettes.unrecorded import explain
from mlops_labs.cloud import environment
from mlops_labs.cloud.aws_sandbox import AwsSandbox

# Nothing listens on port 9: a request that the cassette does not answer fails at once.
NOWHERE = "http://127.0.0.1:9"


def _frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{n:05d}" for n in range(rows)],
            "tenure_months": [n % 72 for n in range(rows)],
            "contract": [("month-to-month", "one-year", "two-year")[n % 3] for n in range(rows)],
            "monthly_charges": [20.0 + (n * 7919 % 10000) / 100 for n in range(rows)],
            "signed_up": pd.to_datetime(
                [1_600_000_000 + n * 86_400 for n in range(rows)], unit="s"
            ).astype("datetime64[us]"),
            "churned": [n % 5 == 0 for n in range(rows)],
        }
    )


def _parquet(frame: pd.DataFrame, **options: object) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer, **options)
    return buffer.getvalue()


def _with_pandas_version(data: bytes, version: str) -> bytes:
    """The same file as another pandas release would write it: only its metadata differs."""
    table = pq.read_table(pa.BufferReader(data))
    metadata = dict(table.schema.metadata)
    pandas_metadata = json.loads(metadata[b"pandas"])
    pandas_metadata["pandas_version"] = version
    metadata[b"pandas"] = json.dumps(pandas_metadata).encode()
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(metadata), buffer)
    return buffer.getvalue()


def _record(tmp_path: Path, uri: str, body: bytes, **headers: str) -> Path:
    """A cassette holding one PUT of ``body``, written as recording writes one."""
    request = scrub.scrub_request(Request("PUT", uri, body, headers))
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"ETag": ['"recorded"']},
        "body": {"string": b""},
    }
    cassette = {
        "interactions": [
            {"request": request._to_dict(), "response": response},
        ]
    }
    path = tmp_path / "lab" / "scenario.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(serializer.serialize(cassette))
    return path


def _replay(path: Path, target: str, body: bytes, **headers: str) -> requests.Response:
    with recording.make_vcr("none").use_cassette(str(path)):
        return requests.put(f"{NOWHERE}{target}", data=body, headers=headers, timeout=5)


def _refusal(path: Path, target: str, body: bytes, **headers: str) -> str:
    with pytest.raises(CannotOverwriteExistingCassetteException) as failure:
        _replay(path, target, body, **headers)
    message = explain(failure.value)
    assert message is not None
    return message


SMALL, LARGE = 40, 3000  # stored whole in the cassette / kept only as digests (over 32 KiB)

REWRITES = {
    "zstd compression": lambda frame: _parquet(frame, compression="zstd"),
    "no compression": lambda frame: _parquet(frame, compression="none"),
    "small row groups": lambda frame: _parquet(frame, row_group_size=7),
    "data page v2, format 2.4": lambda frame: _parquet(
        frame, data_page_version="2.0", version="2.4"
    ),
    "no dictionary encoding": lambda frame: _parquet(frame, use_dictionary=False),
    "timestamps in milliseconds": lambda frame: _parquet(frame, coerce_timestamps="ms"),
    "another pandas release": lambda frame: _with_pandas_version(_parquet(frame), "9.9.9"),
}


@pytest.mark.parametrize("rows", [SMALL, LARGE], ids=["stored whole", "kept as digests"])
@pytest.mark.parametrize("rewrite", list(REWRITES))
def test_parquet_written_with_other_settings_replays(tmp_path, rows, rewrite):
    frame = _frame(rows)
    recorded = _parquet(frame)
    other = REWRITES[rewrite](frame)
    assert other != recorded, "the rewrite must change the bytes for the test to mean anything"
    cassette = _record(tmp_path, "https://s3.amazonaws.com/lake/client/train.parquet", recorded)

    reply = _replay(cassette, "/lake/client/train.parquet", other)

    assert reply.status_code == 200
    assert reply.headers["ETag"] == '"recorded"'


@pytest.mark.parametrize("rows", [SMALL, LARGE], ids=["stored whole", "kept as digests"])
def test_one_changed_value_fails_naming_the_column_and_the_row(tmp_path, rows):
    frame = _frame(rows)
    cassette = _record(tmp_path, "https://s3.amazonaws.com/lake/t.parquet", _parquet(frame))
    changed = frame.copy()
    changed.loc[16, "monthly_charges"] += 0.01

    message = _refusal(cassette, "/lake/t.parquet", _parquet(changed, compression="zstd"))

    first_line = message.splitlines()[0]
    assert "differs in its body" in first_line
    assert "column 'monthly_charges' differs in row" in message
    where = "row 17 of 40" if rows == SMALL else "rows"
    assert where in message
    if rows == LARGE:
        # 3000 rows in blocks of 47: the changed row is in the first block.
        assert "rows 1-47 of 3000" in message


def test_a_large_file_keeps_its_digest_and_size_as_provenance_and_no_data(tmp_path):
    data = _parquet(_frame(LARGE))
    cassette = _record(tmp_path, "https://s3.amazonaws.com/lake/t.parquet", data)

    text = cassette.read_text()
    body = yaml.safe_load(text)["interactions"][0]["request"]["body"]

    assert body["size"] == len(data) and len(body["sha256"]) == 64
    assert body["content"]["format"] == "parquet"
    assert body["content"]["rows"] == LARGE
    assert [column["name"] for column in body["content"]["columns"]][:2] == [
        "customer_id",
        "tenure_months",
    ]
    assert "C00017" not in text and "month-to-month" not in text  # no row reaches the cassette


def test_a_column_of_another_type_or_a_missing_column_is_named(tmp_path):
    frame = _frame(SMALL)
    cassette = _record(tmp_path, "https://s3.amazonaws.com/lake/t.parquet", _parquet(frame))

    as_float = frame.astype({"tenure_months": "float64"})
    assert "column 'tenure_months' is double, recorded int64" in _refusal(
        cassette, "/lake/t.parquet", _parquet(as_float)
    )
    assert "lacks ['churned']" in _refusal(
        cassette, "/lake/t.parquet", _parquet(frame.drop(columns="churned"))
    )
    assert "it has 39 rows, the recording 40" in _refusal(
        cassette, "/lake/t.parquet", _parquet(frame.iloc[:-1])
    )


def test_csv_written_another_way_replays_and_a_changed_cell_is_named(tmp_path):
    frame = _frame(LARGE).drop(columns="signed_up")
    recorded = frame.to_csv(index=False).encode()
    cassette = _record(tmp_path, "https://s3.amazonaws.com/lake/raw/customers.csv", recorded)
    # Every field quoted, Windows line endings, floats with 17 digits ("20" for "20.0").
    rewritten = frame.to_csv(index=False, quoting=1, lineterminator="\r\n", float_format="%.17g")
    assert rewritten.encode() != recorded

    assert _replay(cassette, "/lake/raw/customers.csv", rewritten.encode()).status_code == 200

    changed = frame.copy()
    changed.loc[2999, "contract"] = "one-year"
    message = _refusal(cassette, "/lake/raw/customers.csv", changed.to_csv(index=False).encode())
    assert "column 'contract' differs in rows 2962-3000 of 3000" in message


def test_pipe_delimited_unload_text_with_no_name_is_compared_by_content(tmp_path):
    recorded = b"C00001|12|49.5\nC00002|3|20.0\nC00003|40|99.25\n"
    cassette = _record(tmp_path, "https://s3.amazonaws.com/lake/unload/0000_part_00", recorded)

    reply = _replay(cassette, "/lake/unload/0000_part_00", recorded.replace(b"20.0", b"20"))

    assert reply.status_code == 200
    message = _refusal(cassette, "/lake/unload/0000_part_00", recorded.replace(b"|3|", b"|4|"))
    assert "column 'column 2' differs in row 2 of 3" in message


def test_json_lines_match_whatever_the_key_order_and_spacing(tmp_path):
    records = [
        {"species": "Adelie", "body_mass_g": 3750.0 + n, "island": "Torgersen"} for n in range(5)
    ]
    recorded = "\n".join(json.dumps(record) for record in records).encode()
    cassette = _record(tmp_path, "https://storage.googleapis.com/b/export/rows.jsonl", recorded)
    reordered = "\n".join(
        json.dumps(dict(reversed(record.items())), separators=(",", ":")) for record in records
    )

    assert _replay(cassette, "/b/export/rows.jsonl", reordered.encode()).status_code == 200

    records[3]["island"] = "Biscoe"
    changed = "\n".join(json.dumps(record) for record in records).encode()
    assert "column 'island' differs in row 4 of 5" in _refusal(
        cassette, "/b/export/rows.jsonl", changed
    )


def test_a_parquet_part_of_a_multipart_upload_is_compared_by_content():
    frame = _frame(SMALL)

    def upload(data: bytes, boundary: str) -> Request:
        body = (
            (
                f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
                '{"name": "train.parquet"}\r\n'
                f"--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        kind = f'multipart/related; boundary="{boundary}"'
        uri = "https://storage.googleapis.com/upload/storage/v1/b/lake/o?uploadType=multipart"
        return Request("POST", uri, body, {"Content-Type": kind})

    from mlops_labs.cassettes import matching

    recorded = upload(_parquet(frame), "===1===")
    matching.body(upload(_parquet(frame, compression="gzip"), "===2==="), recorded)
    changed = frame.copy()
    changed.loc[0, "churned"] = not changed.loc[0, "churned"]
    with pytest.raises(AssertionError, match="column 'churned' differs in row 1 of 40"):
        matching.body(upload(_parquet(changed), "===3==="), recorded)


def test_a_body_mismatch_names_the_data_writers_whose_version_changed(tmp_path):
    frame = _frame(SMALL)
    cassette = _record(tmp_path, "https://s3.amazonaws.com/lake/t.parquet", _parquet(frame))
    (cassette.parent.parent / PROVENANCE).write_text(
        json.dumps(
            {
                "lab/scenario.yaml": {
                    "answered_by": "offline sandboxes",
                    "recorded_at": "2026-11-27T19:03:31+00:00",
                    "versions": {"pandas": "0.0.1", "pyarrow": pa.__version__},
                }
            }
        )
    )
    changed = frame.copy()
    changed.loc[3, "contract"] = "two-year"

    first_line = _refusal(cassette, "/lake/t.parquet", _parquet(changed)).splitlines()[0]

    assert f"(recorded with pandas 0.0.1, this run has {pd.__version__})" in first_line
    assert "pyarrow" not in first_line  # the same version: not worth a word


def test_fingerprints_differ_only_where_the_content_does():
    frame = _frame(SMALL)
    one = fingerprint(_parquet(frame))
    assert isinstance(one, DataFile)
    assert difference(fingerprint(_parquet(frame, compression="gzip")), one) is None
    assert fingerprint(b"PAR1 not really parquet PAR1") is None
    assert fingerprint(b'{"a": 1}', "application/json") is None  # an API body, not a data file
    assert fingerprint(b"just one line of text") is None


def _store_and_read_back(data: bytes) -> dict[str, object]:
    """Upload ``data`` to S3, then read it back as a lab does: listing, HEAD, checksummed GET."""
    s3 = boto3.session.Session().client("s3")
    s3.create_bucket(Bucket="lake")
    s3.put_object(Bucket="lake", Key="client/train.parquet", Body=data)
    [listed] = s3.list_objects_v2(Bucket="lake", Prefix="client/")["Contents"]
    head = s3.head_object(Bucket="lake", Key="client/train.parquet")
    got = s3.get_object(Bucket="lake", Key="client/train.parquet", ChecksumMode="ENABLED")
    return {
        "listed": (listed["Size"], listed["ETag"]),
        "head": (head["ContentLength"], head["ETag"]),
        "body": got["Body"].read(),
        "etag": got["ETag"],
    }


def test_reads_of_an_upload_answer_with_the_bytes_this_run_uploaded(tmp_path):
    frame = _frame(LARGE)
    recorded, rewritten = _parquet(frame), _parquet(frame, compression="zstd", row_group_size=50)
    assert len(recorded) != len(rewritten)
    cassette = tmp_path / "lab" / "upload.yaml"
    with AwsSandbox() as aws, environment.applied(aws.environment()):
        aws.reset()
        with recording.recording(cassette, lambda: True, answered_by="offline sandboxes"):
            _store_and_read_back(recorded)
        aws.reset()  # nothing is left in S3: what follows is answered from the cassette alone
    settings = {"AWS_ENDPOINT_URL": NOWHERE, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}

    with environment.applied(settings), recording.replaying(cassette, "upload"):
        seen = _store_and_read_back(rewritten)

    etag = f'"{hashlib.md5(rewritten).hexdigest()}"'
    assert seen["body"] == rewritten  # the GET's checksum, recomputed, passed botocore's check
    assert seen["listed"] == seen["head"] == (len(rewritten), etag)
    assert seen["etag"] == etag


def test_reads_answer_as_recorded_when_this_run_uploaded_the_same_bytes(tmp_path):
    data = _parquet(_frame(SMALL))
    cassette = tmp_path / "lab" / "upload.yaml"
    with AwsSandbox() as aws, environment.applied(aws.environment()):
        aws.reset()
        with recording.recording(cassette, lambda: True, answered_by="offline sandboxes"):
            live = _store_and_read_back(data)
        aws.reset()
    settings = {"AWS_ENDPOINT_URL": NOWHERE, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}

    with environment.applied(settings), recording.replaying(cassette, "upload"):
        assert _store_and_read_back(data) == live
