"""Lab 6.1 (S3 artifacts from an EC2/SageMaker trainer): the steps of its scenarios."""

from __future__ import annotations

import ast
import base64
import hashlib
import inspect
import io
import logging
from pathlib import Path

import joblib
import pandas as pd
import pytest
import sklearn
from pytest_bdd import given, parsers, scenarios, then, when
from sklearn.linear_model import LogisticRegression

from mlops_labs.cloud.aws_clients import client as aws_client
from mlops_labs.live.names import current as run_names

scenarios("lab_6_1_s3_artifacts.feature")

BUCKET = "churn-artifacts"


@pytest.fixture
def model(lab_code):
    """The Lab 6.1 trainer under test."""
    return lab_code.module("model")


@pytest.fixture
def dat(lab_code):
    """The storage handles the trainer uses."""
    return lab_code.module("dat")


def _place(ctx, text: str) -> str:
    """A step's plain-words place ("a local models folder") as a path; URIs pass through."""
    places = {
        "a local models folder": ctx.workdir / "models",
        "a local predictions file": ctx.workdir / "predictions" / "churn.csv",
        "the local customers file": ctx.workdir / "customers.csv",
        "a local path inside a regular file": ctx.workdir / "customers.csv" / "models",
    }
    return str(places.get(text, text))


def _read(uri: str) -> bytes:
    if uri.startswith("s3://"):
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return aws_client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return Path(uri).read_bytes()


def _keys(prefix: str = "") -> list[str]:
    listing = aws_client("s3").list_objects_v2(Bucket=run_names().bucket(BUCKET), Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def _train(ctx, model, model_path: str, **kwargs: object) -> None:
    kwargs.setdefault("model_package_group", run_names().group(model.DEFAULT_PACKAGE_GROUP))
    run = model.train(ctx.data_uri, _place(ctx, model_path), **kwargs)
    ctx.runs = [*getattr(ctx, "runs", []), run]
    ctx.run = run


# Given


@given(parsers.parse("a churn data set of {rows:d} customers"))
def churn_data_set(ctx, lab_code, rows: int) -> None:
    ctx.customers = lab_code.module("churn_data").make_customers(rows)


@given("the customers are saved as a CSV file on local disk")
def customers_on_disk(ctx) -> None:
    path = Path(_place(ctx, "the local customers file"))
    path.parent.mkdir(parents=True, exist_ok=True)
    ctx.customers.to_csv(path, index=False)
    ctx.data_uri = str(path)


@given(parsers.parse('the customers are uploaded to "{uri}"'))
def customers_in_s3(ctx, uri: str) -> None:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body = ctx.customers.to_csv(index=False).encode()
    aws_client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    ctx.data_uri = uri


@given("the customers are saved on local disk without the label column")
def customers_without_label(ctx) -> None:
    path = Path(_place(ctx, "the local customers file"))
    path.parent.mkdir(parents=True, exist_ok=True)
    ctx.customers.drop(columns=["churned"]).to_csv(path, index=False)


@given("the source of the Lab 6.1 trainer")
def trainer_source(ctx, model) -> None:
    ctx.source = Path(inspect.getsourcefile(model)).read_text()


@given("a trained model file on local disk")
def trained_model_file(ctx) -> None:
    frame = ctx.customers
    estimator = LogisticRegression().fit(frame[["tenure_months", "support_calls"]], frame.churned)
    path = ctx.workdir / "staged" / "churn.joblib"
    path.parent.mkdir(parents=True)
    joblib.dump(estimator, path)
    ctx.local_model = path


# When


@when("I read the imports at the top of the trainer")
def read_imports(ctx) -> None:
    tree = ast.parse(ctx.source)
    ctx.imported = {
        alias.name.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    ctx.calls = {
        (node.func.value.id, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
    }
    ctx.clients = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "client"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    ctx.methods = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


@when(parsers.parse('I train the churn model with the model path "{model_path}"'))
def train_to(ctx, model, caplog, model_path: str) -> None:
    caplog.set_level(logging.INFO)
    _train(ctx, model, model_path)


@when(parsers.parse('I train the churn model from "{data}" with the model path "{model_path}"'))
def train_expecting_refusal(ctx, model, dat, data: str, model_path: str) -> None:
    ctx.data_uri = _place(ctx, data)
    try:
        _train(ctx, model, model_path)
    except (dat.StorageError, ValueError) as exc:
        ctx.error = exc


@when("I train the churn model twice with the same data and parameters")
def train_twice(ctx, model) -> None:
    _train(ctx, model, str(ctx.workdir / "runs" / "first"))
    _train(ctx, model, str(ctx.workdir / "runs" / "second"))


@when(parsers.parse("I train the churn model again with a regularisation strength of {c:g}"))
def train_with_c(ctx, model, c: float) -> None:
    _train(ctx, model, str(ctx.workdir / "runs" / "tuned"), params=model.TrainingParams(C=c))


@when(parsers.parse('I score the customers with the stored model into "{output}"'))
def score(ctx, model, output: str) -> None:
    ctx.predictions_uri = _place(ctx, output)
    ctx.scored = model.predict(ctx.run.artifact.uri, ctx.data_uri, ctx.predictions_uri)


@when(parsers.parse('I select the features that predict "{label}"'))
def select_features(ctx, model, label: str) -> None:
    ctx.frame = pd.read_csv(ctx.data_uri)
    ctx.label = label
    ctx.selection = model._select_features(ctx.frame, label)


@when(parsers.parse('I persist the model file to "{uri}"'))
def persist(ctx, model, dat, uri: str) -> None:
    ctx.error = None
    try:
        ctx.persisted = model._s3_persist(ctx.local_model, uri)
    except (dat.StorageError, ValueError) as exc:
        ctx.error = exc
    ctx.persisted_uri = uri


# Then


@then(parsers.parse('"{library}" is the library that writes the model to local disk'))
def writes_locally(ctx, library: str) -> None:
    assert library in ctx.imported, f"{library} is not imported at the top of the trainer"
    assert (library, "dump") in ctx.calls, f"the trainer never calls {library}.dump"


@then(parsers.parse('"{library}" is the library that uploads the model to Amazon S3'))
def uploads_to_s3(ctx, library: str) -> None:
    assert library in ctx.imported, f"{library} is not imported at the top of the trainer"
    assert "s3" in ctx.clients, f"the trainer never makes a {library} S3 client"
    assert "upload_file" in ctx.methods, "the trainer never calls upload_file"


@then(parsers.parse('"{library}" is also the library that registers the model with SageMaker'))
def registers_with_sagemaker(ctx, library: str) -> None:
    assert "sagemaker" in ctx.clients, f"the trainer never makes a {library} SageMaker client"
    assert "create_model_package" in ctx.methods, "the trainer never creates a model package"


@then("the model file is written in the local models folder")
def written_locally(ctx) -> None:
    folder = Path(_place(ctx, "a local models folder"))
    path = Path(ctx.run.artifact.uri)
    assert path.parent == folder, f"the model file went to {path}, not into {folder}"
    assert path.is_file(), f"no model file at {path}"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ctx.run.artifact.sha256
    assert hasattr(joblib.load(path), "predict_proba"), f"{path} does not hold a classifier"


@then("no object is uploaded to the S3 bucket")
def nothing_uploaded() -> None:
    assert _keys() == [], f"objects were uploaded: {_keys()}"


@then("no model file is uploaded to the S3 bucket")
def no_model_uploaded() -> None:
    models = [key for key in _keys() if not key.startswith("data/")]
    assert models == [], f"model files were uploaded: {models}"


@then("the predictions file has one row per customer with a churn probability")
def predictions_written(ctx) -> None:
    predictions = pd.read_csv(io.BytesIO(_read(ctx.predictions_uri)))
    assert ctx.scored == len(ctx.customers)
    assert list(predictions.customer_id) == list(ctx.customers.customer_id)
    probability = predictions.churn_probability
    assert probability.between(0, 1).all(), "churn probabilities must lie between 0 and 1"
    assert probability.nunique() > 1, "every customer got the same churn probability"


@then(parsers.parse('the model file is uploaded under "{prefix}"'))
def uploaded_under(ctx, prefix: str) -> None:
    uri = ctx.run.artifact.uri
    assert uri.startswith(prefix), f"the model file went to {uri}, not under {prefix}"
    assert uri.endswith(".joblib"), f"{uri} is not named as a joblib file"
    assert hashlib.sha256(_read(uri)).hexdigest() == ctx.run.artifact.sha256


@then("the model file is not written to local disk")
def not_local(ctx) -> None:
    earlier_local_runs = {run.artifact.uri for run in ctx.runs}
    leftovers = [
        path
        for path in ctx.workdir.parent.rglob("*.joblib")
        if str(path) not in earlier_local_runs and path != getattr(ctx, "local_model", None)
    ]
    assert leftovers == [], f"model files were written to local disk: {leftovers}"


@then("these columns are left out for the stated reasons:")
def dropped_for_reasons(ctx, datatable) -> None:
    expected = {row[0]: row[1] for row in datatable[1:]}
    assert ctx.selection.dropped == expected


@then("every other column is a feature")
def every_other_column(ctx) -> None:
    expected = set(ctx.frame.columns) - set(ctx.selection.dropped) - {ctx.label}
    assert set(ctx.selection.columns) == expected
    assert set(ctx.selection.numeric).isdisjoint(ctx.selection.categorical)


@then("both runs give the model file the same name")
def same_name(ctx) -> None:
    first, second = ctx.runs
    assert first.artifact_name == second.artifact_name


@then(
    parsers.parse(
        'the name says it is a "{model_name}" "{algorithm}" model with {n:d} features '
        "and its scikit-learn version"
    )
)
def name_says(ctx, model_name: str, algorithm: str, n: int) -> None:
    name = ctx.run.artifact_name
    version = "sklearn" + ".".join(sklearn.__version__.split(".")[:2])
    assert name.endswith(".joblib"), f"{name} does not end in .joblib"
    parts = name.removesuffix(".joblib").split("-")
    assert parts[:4] == [model_name, algorithm, version, f"{n}f"], (
        f"{name} should start {model_name}-{algorithm}-{version}-{n}f-"
    )
    assert len(parts) == 5 and len(parts[4]) == 12, f"{name} should end in a 12-digit fingerprint"


@then("the model file gets a different name")
def different_name(ctx) -> None:
    assert ctx.runs[-1].artifact_name != ctx.runs[0].artifact_name


@then("the S3 object holds exactly the bytes of the local file")
def same_bytes(ctx) -> None:
    assert ctx.error is None, f"persisting failed: {ctx.error}"
    assert _read(ctx.persisted_uri) == ctx.local_model.read_bytes()


@then("S3 reports the same SHA-256 checksum as the local file")
def same_checksum(ctx) -> None:
    digest = hashlib.sha256(ctx.local_model.read_bytes())
    bucket, _, key = ctx.persisted_uri.removeprefix("s3://").partition("/")
    head = aws_client("s3").head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    reported = head.get("ChecksumSHA256")
    assert reported, "S3 holds no SHA-256 checksum: ask upload_file for one"
    assert reported == base64.b64encode(digest.digest()).decode()
    assert ctx.persisted.sha256 == digest.hexdigest()


def _packages(group: str) -> list[dict]:
    sagemaker = aws_client("sagemaker")
    summaries = sagemaker.list_model_packages(ModelPackageGroupName=group)
    return [
        sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        for summary in summaries["ModelPackageSummaryList"]
    ]


@then(parsers.parse('a model package in the group "{group}" points at the uploaded model file'))
def package_points_at_artifact(ctx, group: str) -> None:
    packages = _packages(group)
    assert len(packages) == 1, f"expected one model package in {group}, found {len(packages)}"
    ctx.package = packages[0]
    assert ctx.package["ModelPackageArn"] == ctx.run.model_package_arn
    container = ctx.package["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"] == ctx.run.artifact.uri
    assert _read(ctx.run.artifact.uri), "the model package points at an empty object"


@then("the model package is waiting for manual approval")
def pending_approval(ctx) -> None:
    assert ctx.package["ModelApprovalStatus"] == "PendingManualApproval"


@then("the model package records the model file's SHA-256")
def package_records_sha(ctx) -> None:
    digest = hashlib.sha256(_read(ctx.run.artifact.uri)).hexdigest()
    recorded = ctx.package.get("CustomerMetadataProperties", {})
    assert digest in recorded.values(), f"no property holds the SHA-256 {digest}: {recorded}"


@then("no temporary model file is left on local disk")
def no_temp_files(ctx) -> None:
    left = list(ctx.staging.rglob("*"))
    assert left == [], f"temporary files were left behind: {left}"


@then("the registered model file loads and scores every customer")
def registered_model_scores(ctx) -> None:
    container = ctx.package["InferenceSpecification"]["Containers"][0]
    pipeline = joblib.load(io.BytesIO(_read(container["ModelDataUrl"])))
    features = ctx.customers[list(pipeline.feature_names_in_)]
    probability = pipeline.predict_proba(features)[:, 1]
    assert len(probability) == len(ctx.customers)
    accuracy = ((probability >= 0.5) == ctx.customers.churned).mean()
    assert accuracy > 0.6, f"the registered model is barely better than chance: {accuracy:.2f}"


@then(parsers.parse('the trainer logs one "{event}" record with these fields:'))
def logged_record(ctx, caplog, event: str, datatable) -> None:
    records = [r for r in caplog.records if getattr(r, "event", None) == event]
    assert len(records) == 1, f"expected one {event!r} log record, found {len(records)}"
    ctx.record = records[0]
    missing = [row[0] for row in datatable[1:] if not hasattr(ctx.record, row[0])]
    assert not missing, f"the {event!r} record lacks the fields {missing}"


@then(
    parsers.parse(
        "the logged feature count is {n:d} and the logged artifact is the uploaded model file"
    )
)
def logged_values(ctx, n: int) -> None:
    assert ctx.record.n_features == n
    assert ctx.record.artifact_uri == ctx.run.artifact.uri
    assert ctx.record.metrics == ctx.run.metrics
    assert ctx.record.elapsed_s >= 0


def _cloudwatch_values(namespace: str) -> dict[str, tuple[float, str | None]]:
    """Each metric's latest value in ``namespace``, with its unit."""
    cloudwatch = aws_client("cloudwatch")
    values = {}
    for metric in cloudwatch.list_metrics(Namespace=namespace)["Metrics"]:
        stats = cloudwatch.get_metric_statistics(
            Namespace=namespace,
            MetricName=metric["MetricName"],
            Dimensions=metric.get("Dimensions", []),
            StartTime=pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=1),
            EndTime=pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=5),
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
        if stats:
            values[metric["MetricName"]] = (stats[-1]["Maximum"], stats[-1].get("Unit"))
    return values


@then(
    parsers.parse('CloudWatch holds the run\'s accuracy, roc_auc and f1_score under "{namespace}"')
)
def cloudwatch_metrics(ctx, namespace: str) -> None:
    ctx.namespace = namespace
    values = _cloudwatch_values(namespace)
    for name in ("accuracy", "roc_auc", "f1_score"):
        assert name in values, f"CloudWatch has no {name!r} metric in {namespace}: {sorted(values)}"
        assert values[name][0] == pytest.approx(ctx.run.metrics[name])


@then("CloudWatch holds the training time in seconds and the feature count")
def cloudwatch_time_and_features(ctx) -> None:
    values = _cloudwatch_values(ctx.namespace)
    assert "training_seconds" in values, f"no training_seconds metric: {sorted(values)}"
    assert values["training_seconds"][1] == "Seconds"
    assert values["training_seconds"][0] >= 0
    assert values.get("feature_count", (None,))[0] == len(ctx.run.features.columns)
