"""Steps every lab shares, grouped Given / When / Then, and the scenario context they share."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from pytest_bdd import given, parsers, then

from mlops_labs.cloud import aiplatform_state
from mlops_labs.cloud.aws_clients import client as aws_client


class Context(SimpleNamespace):
    """What one scenario's steps hand to each other: a work folder, results, the last error."""

    workdir: Path
    error: Exception | None


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    """A fresh context whose temporary files all land in a folder the scenario can inspect."""
    staging = tmp_path / "tmp"
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))
    return Context(workdir=tmp_path / "work", staging=staging, error=None)


@pytest.fixture(autouse=True)
def _vertex_ai_settings() -> Iterator[None]:
    """A scenario's aiplatform.init (Labs 6.4.6, 6.5) is undone after it."""
    with aiplatform_state.restored():
        yield


# Given


@given(parsers.parse('an empty S3 bucket "{bucket}"'))
def empty_bucket(aws: object, bucket: str) -> None:
    aws_client("s3").create_bucket(Bucket=bucket)


# Then


@then(parsers.parse('it is refused with a message containing "{text}"'))
def refused_with(ctx: Context, text: str) -> None:
    assert ctx.error is not None, f"expected a refusal mentioning {text!r}, but it succeeded"
    message = str(ctx.error)
    assert text in message, f"the refusal says {message!r}, which does not mention {text!r}"
    assert "\n" not in message, f"the refusal should be one line, got {message!r}"
    ctx.error = None


@then("no model package is registered")
def no_model_package() -> None:
    sagemaker = aws_client("sagemaker")
    for group in sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]:
        name = group["ModelPackageGroupName"]
        packages = sagemaker.list_model_packages(ModelPackageGroupName=name)
        listed = [p["ModelPackageArn"] for p in packages["ModelPackageSummaryList"]]
        assert not listed, f"model packages were registered in {name}: {listed}"
