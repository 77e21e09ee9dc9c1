"""``mlops-labs sandbox``: the printed settings reach every service, with the official SDKs."""

from __future__ import annotations

import io
import json
import threading

import boto3
import pytest
from google.cloud import bigquery, storage

from mlops_labs.cloud import aiplatform_state, environment
from mlops_labs.course.sandbox_command import render, run


@pytest.fixture
def sandbox():
    """The sandbox command serving in a thread, and the settings it printed."""
    stop, started = threading.Event(), threading.Event()
    out = io.StringIO()
    found: dict = {}

    def ready(settings):
        found.update(settings)
        started.set()

    thread = threading.Thread(target=run, args=(out,), kwargs={"stop": stop, "ready": ready})
    thread.start()
    assert started.wait(60), "the sandbox did not start"
    yield found, out.getvalue()
    stop.set()
    thread.join(60)


def test_the_printed_settings_reach_every_service(sandbox):
    settings, printed = sandbox
    assert f"export AWS_ENDPOINT_URL={settings['AWS_ENDPOINT_URL']}" in printed
    for name in (
        "STORAGE_EMULATOR_HOST",
        "BIGQUERY_EMULATOR_HOST",
        "AWS_ENDPOINT_URL_REDSHIFT_DATA",
    ):
        assert settings[name].startswith("http://127.0.0.1:"), name
    with environment.applied(settings):
        boto3.DEFAULT_SESSION = None
        boto3.client("s3").create_bucket(Bucket="sandbox-check")
        buckets = boto3.client("s3").list_buckets()["Buckets"]
        assert "sandbox-check" in [bucket["Name"] for bucket in buckets]
        data_api = boto3.client("redshift-data")
        statement = data_api.execute_statement(
            Sql="SELECT 1 AS one", Database="dev", ClusterIdentifier="c"
        )
        assert data_api.get_statement_result(Id=statement["Id"])["Records"] == [[{"longValue": 1}]]
        storage.Client().create_bucket("sandbox-check-gcs")
        assert [b.name for b in storage.Client().list_buckets()] == ["sandbox-check-gcs"]
        rows = bigquery.Client().query_and_wait("SELECT 40 + 2 AS answer")
        assert [row.answer for row in rows] == [42]
    boto3.DEFAULT_SESSION = None


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("sh", "export A='x y'\nunset B"),
        ("dotenv", "A=x y"),
        ("json", '{\n  "A": "x y"\n}'),
    ],
)
def test_settings_print_in_each_style(style, expected):
    assert render({"A": "x y", "B": None}, style) == expected
    if style == "json":
        assert json.loads(render({"A": "x y"}, style)) == {"A": "x y"}


def test_code_written_from_the_bigquery_documentation_runs_unchanged(sandbox):
    """Dataset, DataFrame load, parameterised query, pandas, BigQuery ML, models, cleanup."""
    import pandas as pd

    settings, _ = sandbox
    with environment.applied(settings):
        client = bigquery.Client()
        dataset = bigquery.Dataset(f"{client.project}.docs_walkthrough")
        dataset.location = "US"
        client.create_dataset(dataset, exists_ok=True)

        frame = pd.DataFrame({"name": ["ann", "bob", "cy", "dee"], "score": [1.0, 2.5, 4.0, 5.5]})
        table_id = f"{client.project}.docs_walkthrough.scores"
        client.load_table_from_dataframe(frame, table_id).result()
        assert client.get_table(table_id).num_rows == 4

        config = bigquery.QueryJobConfig(
            query_parameters=[bigquery.ScalarQueryParameter("floor", "FLOAT64", 2.0)]
        )
        rows = client.query(
            f"SELECT name FROM `{table_id}` WHERE score > @floor ORDER BY name", job_config=config
        ).to_dataframe()
        assert rows.name.tolist() == ["bob", "cy", "dee"]

        client.query_and_wait(
            "CREATE MODEL `docs_walkthrough.penguin_species` "
            "OPTIONS(model_type = 'LOGISTIC_REG', input_label_cols = ['species']) "
            "AS SELECT * FROM `bigquery-public-data.ml_datasets.penguins` "
            "WHERE body_mass_g IS NOT NULL"
        )
        evaluation = client.query_and_wait(
            "SELECT * FROM ML.EVALUATE(MODEL `docs_walkthrough.penguin_species`)"
        ).to_dataframe()
        assert evaluation.accuracy[0] > 0.9
        predictions = client.query_and_wait(
            "SELECT predicted_species FROM ML.PREDICT(MODEL `docs_walkthrough.penguin_species`, "
            "(SELECT * FROM `bigquery-public-data.ml_datasets.penguins` LIMIT 3))"
        ).to_dataframe()
        assert len(predictions) == 3
        assert [m.model_id for m in client.list_models("docs_walkthrough")] == ["penguin_species"]

        client.delete_dataset("docs_walkthrough", delete_contents=True)
        assert [d.dataset_id for d in client.list_datasets()] == []


def test_bigquery_exports_to_and_loads_from_the_sandbox_storage(sandbox):
    """EXPORT DATA (BigQuery's UNLOAD) writes to Cloud Storage; a load reads it back."""
    settings, _ = sandbox
    with environment.applied(settings):
        storage.Client().create_bucket("export-check")
        client = bigquery.Client()
        client.create_dataset("exports", exists_ok=True)
        client.query_and_wait(
            "EXPORT DATA OPTIONS(uri = 'gs://export-check/penguins/*.csv', format = 'CSV', "
            "header = true) AS SELECT species, island FROM "
            "`bigquery-public-data.ml_datasets.penguins`"
        )
        config = bigquery.LoadJobConfig(source_format="CSV", skip_leading_rows=1, autodetect=True)
        client.load_table_from_uri(
            "gs://export-check/penguins/*.csv", "exports.penguins_copy", job_config=config
        ).result()
        assert client.get_table("exports.penguins_copy").num_rows == 344


def test_code_written_from_the_vertex_ai_documentation_runs_unchanged(sandbox):
    """BigQuery ML export, then upload from gs://, deploy, predict, undeploy, delete."""
    import os

    from google.cloud import aiplatform

    settings, _ = sandbox
    assert settings["VERTEX_AI_API_ENDPOINT"].startswith("http://127.0.0.1:")
    with aiplatform_state.restored(), environment.applied(settings):
        storage.Client().create_bucket("vertex-docs")
        client = bigquery.Client()
        client.create_dataset("vertex_docs", exists_ok=True)
        client.query_and_wait(
            "CREATE MODEL vertex_docs.species OPTIONS(model_type = 'LOGISTIC_REG', "
            "input_label_cols = ['species']) AS SELECT * FROM "
            "`bigquery-public-data.ml_datasets.penguins` WHERE sex IS NOT NULL"
        )
        client.query_and_wait(
            "EXPORT MODEL vertex_docs.species OPTIONS(URI = 'gs://vertex-docs/species/')"
        )

        # From here on, Vertex AI's documented flow; only init names the endpoint.
        aiplatform.init(
            project=os.environ["GOOGLE_CLOUD_PROJECT"],
            location="us-central1",
            api_endpoint=os.environ.get("VERTEX_AI_API_ENDPOINT"),
            api_transport="rest",
        )
        model = aiplatform.Model.upload(
            display_name="species",
            artifact_uri="gs://vertex-docs/species/",
            serving_container_image_uri=(
                "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-15:latest"
            ),
        )
        endpoint = model.deploy(machine_type="n1-standard-4")
        instance = {
            "island": "Biscoe",
            "culmen_length_mm": 48.6,
            "culmen_depth_mm": 16.0,
            "flipper_length_mm": 230.0,
            "body_mass_g": 5800.0,
            "sex": "MALE",
        }
        prediction = endpoint.predict(instances=[instance])
        assert prediction.predictions[0]["predicted_species"].startswith("Gentoo")
        endpoint.undeploy_all()
        endpoint.delete()
        model.delete()
        assert aiplatform.Model.list() == [] and aiplatform.Endpoint.list() == []
