"""The offline AWS sandbox: loopback only, a clean account on reset, no user settings leaking in."""

from __future__ import annotations

import boto3
import pytest

from mlops_labs.cloud.aws_sandbox import AwsSandbox
from mlops_labs.errors import SandboxError


def test_it_listens_on_loopback_at_a_free_port(aws):
    assert aws.endpoint.startswith("http://127.0.0.1:")
    assert not aws.endpoint.endswith(":0")


def test_reset_empties_the_account(aws):
    boto3.client("s3").create_bucket(Bucket="left-over")
    aws.reset()
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_the_environment_hides_the_users_own_aws_settings(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.example.com")
    sandbox = AwsSandbox()
    sandbox._endpoint = "http://127.0.0.1:1"
    settings = sandbox.environment()
    assert settings["AWS_PROFILE"] is None
    assert settings["AWS_ENDPOINT_URL_S3"] is None
    assert settings["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert settings["AWS_EC2_METADATA_DISABLED"] == "true"


def test_a_sandbox_not_started_says_so():
    with pytest.raises(SandboxError, match="not running"):
        AwsSandbox().endpoint  # noqa: B018


def test_answers_are_sent_without_waiting_for_the_clients_acks(aws):
    # werkzeug writes headers and body apart: with Nagle's algorithm on, the body would wait
    # for the client's delayed ACK (up to 40 ms a request on Linux).
    handler = aws._server.RequestHandlerClass
    assert handler.disable_nagle_algorithm is True, f"{handler.__name__} leaves Nagle on"
    s3 = boto3.session.Session().client("s3")
    s3.create_bucket(Bucket="nodelay-check")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["nodelay-check"]
