"""Lab 6.4 (Cloud Storage and Vertex AI set-up): the steps of its scenarios."""

from __future__ import annotations

import hashlib
import sys
import types
from importlib import metadata

import pytest
from google.cloud import storage
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("lab_6_4_vertex_setup.feature")


@pytest.fixture
def lab(lab_code):
    """The Lab 6.4 module under test."""
    return lab_code.module("vertex_setup")


def _attempt(ctx, lab, action) -> None:
    """Run ``action``; keep a refusal for the Then steps."""
    ctx.error = None
    try:
        ctx.result = action()
    except lab.SetupError as exc:
        ctx.error = exc


# Given


@given(parsers.parse('the Google Cloud project "{project}"'))
def project(ctx, gcp, project: str) -> None:
    assert gcp.project == project
    ctx.project = project


@given("no Google Cloud credentials are configured")
def no_credentials(ctx, monkeypatch) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(ctx.workdir.parent / "empty-gcloud"))
    # Outside Google Cloud there is no metadata server: do not wait for one. google-auth reads
    # NO_GCE_CHECK once, at import, so the flag it made from it is what must change.
    from google.auth.compute_engine import _metadata

    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.setattr(_metadata, "_NO_GCE_CHECK", True)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)


@given(parsers.parse('the staging bucket for "{user}" in "{location}" exists'))
def bucket_exists(ctx, lab, user: str, location: str) -> None:
    ctx.info = lab.ProjectInfo(ctx.project, location)  # the kit's, not task 6.4.3's
    ctx.bucket_uri = lab.bucket_uri(ctx.project, user)
    storage.Client().create_bucket(ctx.bucket_uri.removeprefix("gs://"), location=location)


# When


@when("I run the SDK preflight")
def run_preflight(ctx, lab) -> None:
    ctx.preflight = lab.preflight()


@when(parsers.parse('I run the SDK preflight asking also for "{package}"'))
def run_preflight_missing(ctx, lab, package: str) -> None:
    ctx.preflight = lab.preflight({**lab.REQUIRED_SDKS, package: "1.0"}, {})


@when("I authenticate")
def authenticate(ctx, lab) -> None:
    _attempt(ctx, lab, lab.authenticate)


@when("I authenticate in Colab")
def authenticate_in_colab(ctx, lab, monkeypatch) -> None:
    import google.auth

    calls: list[str] = []
    colab = types.ModuleType("google.colab")
    colab.auth = types.SimpleNamespace(authenticate_user=lambda: calls.append("colab sign-in"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    real_default = google.auth.default

    def default(*args, **kwargs):
        calls.append("application-default credentials")
        return real_default(*args, **kwargs)

    monkeypatch.setattr(google.auth, "default", default)
    ctx.calls = calls
    _attempt(ctx, lab, lab.authenticate)


@when(parsers.parse('I set the project "{project_id}" in "{location}"'))
def set_project(ctx, lab, project_id: str, location: str) -> None:
    _attempt(ctx, lab, lambda: lab.project_info(project_id, location))


@when(parsers.parse('I create the staging bucket for "{user}" in "{location}"'))
def create_bucket(ctx, lab, user: str, location: str) -> None:
    info = lab.ProjectInfo(ctx.project, location)
    _attempt(ctx, lab, lambda: lab.create_bucket(lab.bucket_uri(ctx.project, user), info))
    if ctx.error is None:
        ctx.buckets = [*getattr(ctx, "buckets", []), ctx.result]


@when(parsers.parse('I train the Lab 6.1 churn model with the model path "{model_path}"'))
def train_to_gcs(ctx, lab_code, model_path: str) -> None:
    data = ctx.workdir / "customers.csv"
    data.parent.mkdir(parents=True, exist_ok=True)
    lab_code.module("churn_data").make_customers(300).to_csv(data, index=False)
    ctx.model_path = model_path
    ctx.run = lab_code.module("model").train(str(data), model_path)


@when(parsers.parse('I configure the service account "{email}"'))
def configure_account(ctx, lab, email: str) -> None:
    info = lab.ProjectInfo(ctx.project, "us-east1")
    _attempt(ctx, lab, lambda: lab.service_account(email, info))


@when(
    parsers.parse('I initialize the Vertex AI and BigQuery SDKs with the service account "{email}"')
)
def init_sdks(ctx, lab, email: str) -> None:
    ctx.account = email
    ctx.sdks = lab.init_sdks(ctx.info, ctx.bucket_uri, email)


# Then


@then(parsers.parse('it reports "{packages}" as installed, with their versions'))
def reports_installed(ctx, packages: str) -> None:
    found = {sdk.package: sdk for sdk in ctx.preflight.sdks}
    for package in (p.strip() for p in packages.split(",")):
        assert package in found, f"the preflight does not check {package}"
        assert found[package].installed == metadata.version(package)
        assert found[package].ok


@then("the environment is ready")
def ready(ctx) -> None:
    assert ctx.preflight.ready
    missing = [sdk.package for sdk in ctx.preflight.sdks if sdk.required and not sdk.ok]
    assert not missing, f"required SDKs missing: {missing}"


@then("the environment is not ready")
def not_ready(ctx) -> None:
    assert not ctx.preflight.ready


@then(parsers.parse('the install command is "{command}"'))
def install_command(ctx, command: str) -> None:
    assert ctx.preflight.install_command == command


@then(parsers.parse('I get working credentials of a service account, for the project "{project}"'))
def working_credentials(ctx, project: str) -> None:
    assert ctx.error is None, f"authentication failed: {ctx.error}"
    assert ctx.result.project == project
    assert ctx.result.kind == "service account"
    assert ctx.result.credentials.valid, "the credentials hold no valid token"


@then("Colab's sign-in runs before the credentials are looked up")
def colab_first(ctx) -> None:
    assert ctx.error is None, f"authentication failed: {ctx.error}"
    assert ctx.calls[:2] == ["colab sign-in", "application-default credentials"], ctx.calls


@then(parsers.parse('the project information is "{project_id}" in "{location}"'))
def project_information(ctx, project_id: str, location: str) -> None:
    assert ctx.error is None, f"refused: {ctx.error}"
    assert (ctx.result.project_id, ctx.result.location) == (project_id, location)


@then(parsers.parse('the bucket "{uri}" exists in "{location}"'))
def bucket_in_location(ctx, uri: str, location: str) -> None:
    assert ctx.error is None, f"refused: {ctx.error}"
    bucket = storage.Client().get_bucket(uri.removeprefix("gs://"))
    assert bucket.location == location


@then(parsers.parse("the same bucket is reused and the project still has {count:d} bucket"))
@then(parsers.parse("the project still has {count:d} bucket"))
def bucket_count(ctx, count: int) -> None:
    names = [bucket.name for bucket in storage.Client().list_buckets()]
    assert len(names) == count, f"expected {count} bucket(s), found {names}"
    assert len({bucket.name for bucket in ctx.buckets}) == 1


@then("the model file is stored under that path in Cloud Storage with the run's SHA-256")
def model_in_gcs(ctx) -> None:
    uri = ctx.run.artifact.uri
    assert uri.startswith(ctx.model_path) and uri.endswith(".joblib"), uri
    bucket, _, key = uri.removeprefix("gs://").partition("/")
    stored = storage.Client().bucket(bucket).blob(key).download_as_bytes()
    assert hashlib.sha256(stored).hexdigest() == ctx.run.artifact.sha256


@then("it is accepted for pipeline execution")
def accepted(ctx) -> None:
    assert ctx.error is None, f"refused: {ctx.error}"


@then(
    parsers.parse(
        'Vertex AI uses the project, "{location}", the staging bucket and the service account, '
        "over REST"
    )
)
def vertex_config(ctx, location: str) -> None:
    config = ctx.sdks.aiplatform.initializer.global_config
    assert (config.project, config.location) == (ctx.project, location)
    assert config.staging_bucket == ctx.bucket_uri
    assert config.service_account == ctx.account
    assert config._api_transport == "rest", "Vertex AI calls must go over REST, not gRPC"


@then("the BigQuery client reads the public penguins table")
def bigquery_reads(ctx) -> None:
    rows = ctx.sdks.bigquery.query_and_wait(
        "SELECT COUNT(*) AS n FROM `bigquery-public-data.ml_datasets.penguins`", location="US"
    )
    assert [row.n for row in rows] == [344]


@then(parsers.parse('the BigQuery client is for the project "{project}" in "{location}"'))
def bigquery_client(ctx, project: str, location: str) -> None:
    assert (ctx.sdks.bigquery.project, ctx.sdks.bigquery.location) == (project, location)
