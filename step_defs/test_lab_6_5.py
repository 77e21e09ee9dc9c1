"""Lab 6.5 (BigQuery ML): the steps of its scenarios."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform, bigquery, storage
from pytest_bdd import given, parsers, scenarios, then, when

from mlops_labs.cloud.aws_clients import client as aws_client
from mlops_labs.live.names import current as run_names

scenarios("lab_6_5_bqml.feature")

PENGUINS = "bigquery-public-data.ml_datasets.penguins"
FEATURES = (
    "island", "culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g", "sex",
)  # fmt: skip


def _penguins(ctx, count: int) -> list[dict]:
    """The first ``count`` complete penguins, with ML.PREDICT's species for each."""
    rows = ctx.client.query_and_wait(
        f"SELECT * FROM ML.PREDICT(MODEL `{ctx.dataset}.penguins`, (SELECT * FROM `{PENGUINS}` "
        f"WHERE sex IS NOT NULL ORDER BY body_mass_g, culmen_length_mm LIMIT {count}))",
        location="US",
    )
    return [dict(row.items()) for row in rows]


def _instances(rows: list[dict]) -> list[dict]:
    return [{name: row[name] for name in FEATURES} for row in rows]


@pytest.fixture
def lab(lab_code):
    """The Lab 6.5 module under test."""
    return lab_code.module("bqml")


# Given


@given(parsers.parse('the Google Cloud project "{project}" and its BigQuery client'))
def project(ctx, gcp, project: str) -> None:
    assert gcp.project == project
    ctx.client = bigquery.Client(project=project)


@given(parsers.parse('the dataset "{dataset}" exists in "{location}"'))
def dataset_exists(ctx, dataset: str, location: str) -> None:
    ctx.dataset = dataset
    ref = bigquery.Dataset(f"{ctx.client.project}.{dataset}")
    ref.location = location
    ctx.client.create_dataset(ref)


@given(parsers.parse('a DNN classifier "{model}" trained on the penguins table'))
def trained(ctx, model: str) -> None:
    ctx.client.query_and_wait(
        f"CREATE MODEL `{ctx.dataset}.{model}` "
        "OPTIONS(model_type = 'DNN_CLASSIFIER', input_label_cols = ['species']) "
        f"AS SELECT * FROM `{PENGUINS}`",
        location="US",
    )


@given(parsers.parse('the Cloud Storage bucket "{bucket}"'))
def bucket(ctx, bucket: str) -> None:
    ctx.bucket = storage.Client(project=ctx.client.project).create_bucket(bucket, location="US")


@given(parsers.parse('Vertex AI is set up for the project in "{location}"'))
def vertex_ai(ctx, gcp, location: str) -> None:
    # Lab 6.4.6's aiplatform.init, pointed at the Vertex AI sandbox: the only offline change.
    aiplatform.init(
        project=gcp.project,
        location=location,
        api_endpoint=gcp.vertex_ai.endpoint,
        api_transport="rest",
    )


@given(parsers.parse('the penguins model exported to the bucket "{name}"'))
def exported(ctx, name: str) -> None:
    dataset_exists(ctx, run_names().dataset("penguins"), "US")
    trained(ctx, "penguins")
    bucket(ctx, name)
    ctx.export = f"gs://{name}/models/penguins/"
    ctx.client.query_and_wait(
        f"EXPORT MODEL `{ctx.dataset}.penguins` OPTIONS(URI = '{ctx.export}')", location="US"
    )


@given("the penguins model registered in the Vertex AI Model Registry")
def registered(ctx) -> None:
    exported(ctx, run_names().bucket("penguins-models"))
    ctx.registered = aiplatform.Model.upload(
        display_name="penguins",
        artifact_uri=ctx.export,
        serving_container_image_uri="us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-15:latest",
    )


@given("the churn model of Lab 6.1 registered in SageMaker's model registry")
def churn_registered(ctx, aws, lab_code) -> None:
    artifacts = run_names().bucket("churn-artifacts")
    aws_client("s3").create_bucket(Bucket=artifacts)
    customers = lab_code.module("churn_data").make_customers(200)
    aws_client("s3").put_object(
        Bucket=artifacts,
        Key="data/customers.csv",
        Body=customers.to_csv(index=False).encode(),
    )
    model = lab_code.module("model")
    ctx.churn = model.train(
        f"s3://{artifacts}/data/customers.csv",
        f"s3://{artifacts}/models/churn/",
        model_package_group=run_names().group(model.DEFAULT_PACKAGE_GROUP),
    )


# When


@when(parsers.parse('I create the dataset "{dataset}"'))
def create_dataset(ctx, lab, dataset: str) -> None:
    ctx.created = lab.create_dataset(ctx.client, dataset)


@when("I run the workshop's CREATE MODEL statement as its text writes it, with labels=['species']")
def workshop_statement(ctx) -> None:
    ctx.error = None
    try:
        ctx.client.query_and_wait(
            f"CREATE OR REPLACE MODEL `{ctx.dataset}.penguins` "
            "OPTIONS(model_type='DNN_CLASSIFIER', labels=['species']) "
            f"AS SELECT * FROM `{PENGUINS}`",
            location="US",
        )
    except exceptions.BadRequest as exc:
        ctx.error = exc


@when(parsers.parse('I train the model "{model}" with the lab\'s statement'))
def train(ctx, lab, model: str) -> None:
    ctx.model = lab.train_model(ctx.client, ctx.dataset, model)


@when(parsers.parse('I evaluate the model "{model}"'))
def evaluate(ctx, lab, model: str) -> None:
    ctx.metrics = lab.evaluate_model(ctx.client, ctx.dataset, model)


@when(parsers.parse('I export the model "{model}" to "{bucket_uri}"'))
def export(ctx, lab, model: str, bucket_uri: str) -> None:
    try:
        ctx.export = lab.export_model(ctx.client, bucket_uri, ctx.dataset, model)
    except (ValueError, exceptions.GoogleAPICallError) as exc:
        ctx.error = exc


@when(parsers.parse('I register the export as the model "{name}"'))
def register(ctx, lab, name: str) -> None:
    ctx.registered = lab.register_model(ctx.export, name)


@when(parsers.parse('I register the export again as a new version of "{name}"'))
def register_version(ctx, lab, name: str) -> None:
    ctx.version = lab.register_model(ctx.export, name, parent_model=ctx.registered.resource_name)


@when(parsers.parse('I register "{uri}" as the model "{name}"'))
def register_folder(ctx, lab, uri: str, name: str) -> None:
    try:
        lab.register_model(uri, name)
    except exceptions.GoogleAPICallError as exc:
        ctx.error = exc


@when(parsers.parse("I deploy the model and predict the species of {count:d} penguins"))
def deploy_and_predict(ctx, lab, count: int) -> None:
    ctx.rows = _penguins(ctx, count)
    ctx.predictions = lab.deploy_and_predict(ctx.registered, _instances(ctx.rows))


@when(parsers.parse('I deploy the model and predict a penguin without its "{column}"'))
def predict_malformed(ctx, lab, column: str) -> None:
    instance = _instances(_penguins(ctx, 1))[0]
    del instance[column]
    try:
        lab.deploy_and_predict(ctx.registered, [instance])
    except exceptions.GoogleAPICallError as exc:
        ctx.error = exc


# Then


@then(parsers.parse('the project has the dataset "{dataset}" in "{location}"'))
def has_dataset(ctx, dataset: str, location: str) -> None:
    found = ctx.client.get_dataset(f"{ctx.client.project}.{dataset}")
    assert found.location == location
    assert ctx.created.dataset_id == dataset


@then(parsers.parse("the project has {count:d} dataset"))
def dataset_count(ctx, count: int) -> None:
    names = [d.dataset_id for d in ctx.client.list_datasets()]
    assert len(names) == count, names


@then(parsers.parse('BigQuery refuses it with a message containing "{text}"'))
def refused(ctx, text: str) -> None:
    assert ctx.error is not None, "BigQuery accepted labels=['species'] as a label column"
    message = ctx.error.message if hasattr(ctx.error, "message") else str(ctx.error)
    assert text in message, message


@then(parsers.parse('the model "{model}" is a DNN classifier whose label column is "{label}"'))
def model_kind(ctx, model: str, label: str) -> None:
    found = ctx.client.get_model(f"{ctx.client.project}.{ctx.dataset}.{model}")
    assert found.model_type == "DNN_CLASSIFIER"
    assert [column.name for column in found.label_columns] == [label]
    ctx.found = found


@then("it learns from the penguins table's other columns")
def feature_columns(ctx) -> None:
    table = ctx.client.get_table(PENGUINS)
    expected = {field.name for field in table.schema} - {"species"}
    assert {column.name for column in ctx.found.feature_columns} == expected


@then("I get its precision, recall, accuracy, f1_score, log_loss and roc_auc")
def metric_names(ctx) -> None:
    wanted = {"precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc"}
    assert wanted <= set(ctx.metrics), f"missing metrics: {wanted - set(ctx.metrics)}"


@then(parsers.parse("its accuracy is above {floor:g}"))
def accuracy(ctx, floor: float) -> None:
    assert ctx.metrics["accuracy"] > floor, ctx.metrics


@then(parsers.parse('the export is the folder "{uri}"'))
def export_folder(ctx, uri: str) -> None:
    assert ctx.export == uri


@then("the folder holds the model file and its metadata")
def export_files(ctx) -> None:
    prefix = ctx.export.removeprefix(f"gs://{ctx.bucket.name}/")
    names = sorted(blob.name for blob in ctx.bucket.list_blobs(prefix=prefix))
    assert names == [f"{prefix}assets/model_metadata.json", f"{prefix}model.joblib"], names


@then(
    parsers.parse("the exported model names the same species as ML.PREDICT for {count:d} penguins")
)
def export_predicts(ctx, count: int) -> None:
    from mlops_labs.bigquery_ml import serving

    prefix = ctx.export.removeprefix(f"gs://{ctx.bucket.name}/")
    model = serving.load(ctx.bucket.blob(f"{prefix}model.joblib").download_as_bytes())
    rows = _penguins(ctx, count)
    answers = model.predict(_instances(rows))
    assert [a["classes"][0] for a in answers] == [r["predicted_species"] for r in rows]


@then(parsers.parse('the bucket "{name}" is empty'))
def bucket_empty(ctx, name: str) -> None:
    assert [b.name for b in storage.Client().bucket(name).list_blobs()] == []


@then(
    parsers.parse(
        'the Model Registry has the model "{name}" at version {version}, with the alias "{alias}"'
    )
)
def registry_has(ctx, name: str, version: str, alias: str) -> None:
    found = aiplatform.Model.list(filter=f'display_name="{name}"')
    assert [m.resource_name for m in found] == [ctx.registered.resource_name]
    model = aiplatform.Model(ctx.registered.resource_name)
    assert model.version_id == version and alias in model.version_aliases


@then("the registered version's artifact is the exported folder, labelled as from BigQuery ML")
def registry_artifact(ctx) -> None:
    model = aiplatform.Model(ctx.registered.resource_name)
    assert model.uri.rstrip("/") == ctx.export.rstrip("/")
    # Its own label; a live run adds its run's label beside it.
    assert model.labels.get("source") == "bigquery-ml"


@then(parsers.parse('the model "{name}" has versions 1 and 2, and "{alias}" names version 2'))
def registry_versions(ctx, name: str, alias: str) -> None:
    assert ctx.version.resource_name == ctx.registered.resource_name
    versions = aiplatform.models.ModelRegistry(ctx.registered.resource_name).list_versions()
    assert sorted(v.version_id for v in versions) == ["1", "2"]
    by_alias = {a: v.version_id for v in versions for a in v.version_aliases}
    assert by_alias[alias] == "2"


@then(parsers.parse('Vertex AI refuses it with a message containing "{text}"'))
def vertex_refused(ctx, text: str) -> None:
    assert ctx.error is not None, f"Vertex AI accepted it; expected a refusal mentioning {text!r}"
    assert text in ctx.error.message, ctx.error.message


@then("the Model Registry has no model")
def registry_empty() -> None:
    assert aiplatform.Model.list() == []


@then("each registry entry points at a model file in its cloud's storage")
def both_artifacts(ctx) -> None:
    package = aws_client("sagemaker").describe_model_package(
        ModelPackageName=ctx.churn.model_package_arn
    )
    s3_uri = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket_name, _, key = s3_uri.removeprefix("s3://").partition("/")
    assert aws_client("s3").head_object(Bucket=bucket_name, Key=key)["ContentLength"] > 0
    model = aiplatform.Model(ctx.registered.resource_name)
    name, _, prefix = model.uri.removeprefix("gs://").partition("/")
    blob = storage.Client().bucket(name).blob(f"{prefix.rstrip('/')}/model.joblib")
    assert blob.exists()


@then(
    parsers.parse(
        'SageMaker\'s package group "{group}" is to SageMaker what the model "{name}" is to '
        "Vertex AI"
    )
)
def both_homes(ctx, group: str, name: str) -> None:
    package = aws_client("sagemaker").describe_model_package(
        ModelPackageName=ctx.churn.model_package_arn
    )
    assert package["ModelPackageGroupName"] == group
    model = aiplatform.Model(ctx.registered.resource_name)
    assert model.display_name == name


@then("both registries number the first version 1")
def both_versions(ctx) -> None:
    package = aws_client("sagemaker").describe_model_package(
        ModelPackageName=ctx.churn.model_package_arn
    )
    assert package["ModelPackageVersion"] == 1
    assert aiplatform.Model(ctx.registered.resource_name).version_id == "1"


@then(
    'SageMaker holds its version for manual approval, where Vertex AI marks its version "default"'
)
def both_states(ctx) -> None:
    package = aws_client("sagemaker").describe_model_package(
        ModelPackageName=ctx.churn.model_package_arn
    )
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert "default" in aiplatform.Model(ctx.registered.resource_name).version_aliases


@then("each prediction names the species ML.PREDICT names, with a probability for every species")
def predictions_match(ctx) -> None:
    assert len(ctx.predictions) == len(ctx.rows)
    for prediction, row in zip(ctx.predictions, ctx.rows, strict=True):
        assert prediction["classes"] == [row["predicted_species"]], prediction
        assert len(prediction["probabilities"]) == len(prediction["all_classes"]) == 3


@then("no endpoint is left, and the model is deployed nowhere")
def torn_down(ctx) -> None:
    assert aiplatform.Endpoint.list() == []
    model = aiplatform.Model(ctx.registered.resource_name)
    assert not model.gca_resource.deployed_models
