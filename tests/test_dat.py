"""Storage handles: URIs parsed strictly, local writes atomic, S3 errors in one plain line."""

from __future__ import annotations

import os

import boto3
import pandas as pd
import pytest

from mlops_labs.labs import dat


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models/churn.joblib", dat.Location("file", "", "models/churn.joblib")),
        ("file:///srv/churn.csv", dat.Location("file", "", "/srv/churn.csv")),
        ("s3://churn-artifacts/a/b.csv", dat.Location("s3", "churn-artifacts", "a/b.csv")),
        ("S3://churn-artifacts/a", dat.Location("s3", "churn-artifacts", "a")),
    ],
)
def test_uris_parse_into_locations(uri, expected):
    assert dat.parse_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "error", "message"),
    [
        ("", dat.InvalidURIError, "empty storage location"),
        ("ftp://host/x", dat.UnsupportedSchemeError, "unsupported URI scheme 'ftp'"),
        (
            "abfs://container/x",
            dat.UnsupportedSchemeError,
            "use a local path or one of file://, s3://, gs://",
        ),
        ("gs://Bad_Bucket/x", dat.InvalidURIError, "'Bad_Bucket' is not a valid bucket name"),
        ("s3:///key", dat.InvalidURIError, "has no bucket name"),
        ("s3://bucket", dat.InvalidURIError, "has no object key"),
        ("s3://bucket/", dat.InvalidURIError, "has no object key"),
        ("s3://Bucket_Name/k", dat.InvalidURIError, "'Bucket_Name' is not a valid bucket name"),
        ("s3://192.168.1.1/k", dat.InvalidURIError, "is not a valid bucket name"),
        ("s3://ab/k", dat.InvalidURIError, "is not a valid bucket name"),
    ],
)
def test_bad_uris_are_refused_in_one_line(uri, error, message):
    with pytest.raises(error, match=message) as caught:
        dat.parse_uri(uri)
    assert "\n" not in str(caught.value)


def test_join_treats_a_location_as_a_folder():
    assert dat.parse_uri("s3://b-1/models").join("m.joblib").uri == "s3://b-1/models/m.joblib"
    assert dat.parse_uri("s3://b-1/models/").join("m.joblib").uri == "s3://b-1/models/m.joblib"
    assert dat.parse_uri("out").join("m.joblib").uri == os.path.join("out", "m.joblib")


def test_local_round_trip_creates_folders(tmp_path):
    handle = dat.get_handle(str(tmp_path / "a" / "b" / "rows.csv"))
    handle.write_csv(pd.DataFrame({"x": [1, 2]}))
    assert handle.exists()
    assert handle.read_csv().x.tolist() == [1, 2]


def test_a_failed_local_write_leaves_the_old_file_and_no_fragment(tmp_path, monkeypatch):
    target = tmp_path / "model.joblib"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(dat.NotWritableError, match="No space left on device"):
        dat.get_handle(str(target)).write_bytes(b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.joblib"]


def test_writing_under_a_regular_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(dat.NotWritableError, match=r"cannot write .*choose a directory"):
        dat.get_handle(str(tmp_path / "file" / "model.joblib")).write_bytes(b"m")


def test_writing_onto_a_directory_is_refused(tmp_path):
    with pytest.raises(dat.NotWritableError, match="it is a directory"):
        dat.get_handle(str(tmp_path)).write_bytes(b"m")


def test_a_missing_local_file_says_so(tmp_path):
    with pytest.raises(dat.NotFoundError, match="no file at"):
        dat.get_handle(str(tmp_path / "none.csv")).read_bytes()


def test_s3_round_trip_with_a_checksum(aws):
    boto3.client("s3").create_bucket(Bucket="dat-tests")
    handle = dat.get_handle("s3://dat-tests/rows/a.csv")
    assert not handle.exists()
    handle.write_csv(pd.DataFrame({"x": [3]}))
    assert handle.exists()
    assert handle.read_csv().x.tolist() == [3]
    head = boto3.client("s3").head_object(
        Bucket="dat-tests", Key="rows/a.csv", ChecksumMode="ENABLED"
    )
    assert head.get("ChecksumSHA256")


def test_s3_missing_bucket_and_key_say_what_to_do(aws):
    with pytest.raises(dat.NotFoundError, match="S3 bucket 'nowhere' does not exist: create it"):
        dat.get_handle("s3://nowhere/k").read_bytes()
    with pytest.raises(dat.NotFoundError, match="S3 bucket 'nowhere' does not exist"):
        dat.get_handle("s3://nowhere/k").check_writable()
    boto3.client("s3").create_bucket(Bucket="dat-tests")
    with pytest.raises(dat.NotFoundError, match=r"no object at s3://dat-tests/missing\.csv"):
        dat.get_handle("s3://dat-tests/missing.csv").read_bytes()
