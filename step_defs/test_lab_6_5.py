"""Lab 6.5 (BigQuery ML): the steps of its scenarios."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import bigquery
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("lab_6_5_bqml.feature")

PENGUINS = "bigquery-public-data.ml_datasets.penguins"


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
