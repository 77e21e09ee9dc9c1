"""Recording and replaying scenarios: atomic re-recording, no secrets, clear misses, no servers."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from mlops_labs.cassettes import recording
from mlops_labs.cassettes.provenance import PROVENANCE, VERSIONED
from mlops_labs.cassettes.scrub import find_secrets, secret_report
from mlops_labs.cloud import environment
from mlops_labs.cloud.aws_sandbox import AwsSandbox
from mlops_labs.cloud.gcs_sandbox import GcsSandbox
from mlops_labs.cloud.loopback_server import LoopbackServer
from mlops_labs.cloud.modes import CloudMode
from mlops_labs.coursework import catalogue, project
from mlops_labs.coursework.lab_code import REFERENCE_DIR
from mlops_labs.harness import scenario_runner

ROOT = project.find_root()
CASSETTES = ROOT / recording.CASSETTES
LABS_DIR = REFERENCE_DIR
# Planted credentials, assembled so that no scanner mistakes this file for a leak.
CANARY_KEY_ID = "AKIA" + "CANARY" + "0" * 10
CANARY_SECRET = "canary/" + "Q" * 33
CANARY_TOKEN = "ya29." + "canary-" + "z" * 40


def cassette_files() -> list[Path]:
    return sorted(CASSETTES.rglob("*.yaml"))


def test_every_cassette_says_what_answered_it_and_with_which_sdks():
    provenance = json.loads((CASSETTES / PROVENANCE).read_text())
    names = {path.relative_to(CASSETTES).as_posix() for path in cassette_files()}
    assert names, "no cassettes recorded"
    assert set(provenance) == names
    for entry in provenance.values():
        assert entry["answered_by"] in ("offline sandboxes", "live sandboxes")
        assert set(VERSIONED) - {"gcp-storage-emulator"} <= set(entry["versions"])


def test_the_cassettes_hold_no_secret_shaped_strings():
    for path in [*cassette_files(), CASSETTES / PROVENANCE]:
        text = path.read_text()
        assert find_secrets(text) == [], f"{path.name}: {secret_report(text)}"
        assert "!!python" not in text, f"{path.name} has Python-specific YAML tags"


def test_planted_credentials_never_reach_a_cassette(tmp_path):
    """AWS signing, a Google bearer token and a refresh exchange, recorded, then scanned."""
    cassette = tmp_path / "canary.yaml"
    with AwsSandbox() as aws, GcsSandbox() as gcs:
        settings = {
            **aws.environment(),
            "AWS_ACCESS_KEY_ID": CANARY_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": CANARY_SECRET,
            "AWS_SESSION_TOKEN": CANARY_TOKEN,
        }
        with environment.applied(settings), recording.make_vcr("all").use_cassette(str(cassette)):
            s3 = boto3.session.Session().client("s3")
            s3.create_bucket(Bucket="canary")
            s3.put_object(Bucket="canary", Key="k", Body=b"hello")
            assert s3.get_object(Bucket="canary", Key="k")["Body"].read() == b"hello"
            client = storage.Client(
                project="p",
                credentials=AnonymousCredentials(),
                client_options={"api_endpoint": gcs.endpoint},
            )
            client._http.headers["Authorization"] = f"Bearer {CANARY_TOKEN}"
            client.create_bucket("canary-gcs")
            client._http.post(
                f"{gcs.endpoint}/token",
                data={"grant_type": "refresh_token", "refresh_token": CANARY_TOKEN},
            )
    text = cassette.read_text()
    assert "put_object" not in text and "/canary/k" in text  # the traffic is there
    for canary in (CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN):
        assert canary not in text
    assert find_secrets(text) == []


def test_a_failed_recording_leaves_the_old_cassette_and_a_passing_one_replaces_it(tmp_path):
    folder = tmp_path / "cassettes"
    path = folder / "feature" / "test_scenario.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("old recording\n")
    with AwsSandbox() as aws, environment.applied(aws.environment()):
        for passed in (False, True):
            with recording.recording(path, lambda p=passed: p, answered_by="offline sandboxes"):
                boto3.session.Session().client("s3").list_buckets()
            if not passed:
                assert path.read_text() == "old recording\n"
                assert not (folder / PROVENANCE).exists()
    assert "ListAllMyBuckets" in path.read_text() or "/" in path.read_text()
    assert path.read_text() != "old recording\n"
    assert list(path.parent.iterdir()) == [path], "a temporary file was left behind"
    provenance = json.loads((folder / PROVENANCE).read_text())
    assert provenance["feature/test_scenario.yaml"]["answered_by"] == "offline sandboxes"


def test_a_scenario_recorded_then_replayed_gives_the_same_result(tmp_path, capsys):
    args = [
        str(ROOT / "step_defs" / "test_lab_6_5.py"),
        f"--rootdir={ROOT}",
        "-c",
        str(ROOT / "pyproject.toml"),
        "-k",
        "create_the_bigquery_dataset",
        f"--cassettes-dir={tmp_path}",
        "-q",
        "-p",
        "no:randomly",
    ]
    assert pytest.main([*args, "--record-cassettes"]) == pytest.ExitCode.OK
    recorded = list(tmp_path.rglob("*.yaml"))
    assert [p.name for p in recorded] == ["test_create_the_bigquery_dataset.yaml"]
    assert pytest.main([*args, "--cloud=replay"]) == pytest.ExitCode.OK
    empty = [a for a in args if not a.startswith("--cassettes-dir")]
    empty.append(f"--cassettes-dir={tmp_path / 'none'}")
    assert pytest.main([*empty, "--cloud=replay"]) == pytest.ExitCode.TESTS_FAILED
    out = capsys.readouterr().out
    assert "no cassette for the scenario '6.5.1 Create the BigQuery dataset'" in out
    assert "record it with `pytest --record-cassettes`" in out and "Traceback" not in out


def test_replay_starts_no_sandbox(monkeypatch):
    def refuse(self):
        raise AssertionError(f"replay started {self.name}")

    monkeypatch.setattr(LoopbackServer, "start", refuse)
    monkeypatch.setattr(GcsSandbox, "start", refuse)
    tasks = (catalogue.task("6.2.4"), catalogue.task("6.5.6"))
    results = scenario_runner.run(tasks, project=ROOT, cloud=CloudMode.REPLAY)
    assert {r.task.id: r.status for r in results} == {"6.2.4": "passed", "6.5.6": "passed"}


def test_changing_one_sql_statement_fails_its_replay_with_the_difference(tmp_path):
    workspace = tmp_path / "labs"
    shutil.copytree(LABS_DIR, workspace, ignore=shutil.ignore_patterns("__pycache__"))
    lab = workspace / "bqml.py"
    original = "ORDER BY roc_auc DESC LIMIT 1"
    assert original in lab.read_text()
    lab.write_text(lab.read_text().replace(original, "ORDER BY log_loss LIMIT 1"))
    [result] = scenario_runner.run(
        (catalogue.task("6.5.3"),), project=ROOT, cloud=CloudMode.REPLAY, labs_dir=workspace
    )
    assert result.status == "failed"
    message = result.first_failure.message
    assert message.startswith("No recorded response for POST /bigquery/v2/projects/"), message
    assert "differs in its body (SQL)" in message
    assert "-ORDER BY roc_auc DESC" in message and "+ORDER BY log_loss" in message


def test_a_kept_client_answers_from_each_cassette_in_turn(tmp_path):
    """The kit keeps its boto3 clients across scenarios; their connections stay with a cassette."""
    from mlops_labs.cloud import aws_clients

    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    with AwsSandbox() as aws, environment.applied(aws.environment()):
        aws.reset()  # moto's accounts live as long as the process: earlier tests' buckets
        aws_clients.forget()
        for path, bucket in ((first, "bucket-one"), (second, "bucket-two")):
            with recording.recording(path, lambda: True, answered_by="offline sandboxes"):
                s3 = aws_clients.client("s3")
                s3.create_bucket(Bucket=bucket)
                s3.list_buckets()
        made = aws_clients.client("s3")
        answers = []
        for path in (first, second, first):
            with recording.replaying(path, path.stem):
                assert aws_clients.client("s3") is made, "the kept client was made again"
                answers.append([b["Name"] for b in made.list_buckets()["Buckets"]])
        aws_clients.forget()
    assert answers == [["bucket-one"], ["bucket-one", "bucket-two"], ["bucket-one"]]


def _parquet_writer(
    monkeypatch, change: Callable[[pa.Table], pa.Table], **settings: object
) -> list[pa.Table]:
    """Every Parquet file (pandas' to_parquet, UNLOAD's parts) written as another writer would."""
    write_table = pq.write_table
    written: list[pa.Table] = []

    def other_writer(table: pa.Table, where: object, **options: object) -> None:
        table = change(table)
        written.append(table)
        options.update(settings)
        write_table(table, where, **options)

    monkeypatch.setattr(pq, "write_table", other_writer)
    return written


def _as_another_pandas_release(table: pa.Table) -> pa.Table:
    """What pandas 3.1.1 against 3.1.2 changed: the version in the file's pandas metadata."""
    metadata = dict(table.schema.metadata or {})
    if b"pandas" not in metadata:
        return table
    pandas_metadata = json.loads(metadata[b"pandas"])
    pandas_metadata["pandas_version"] = "0.0.0"  # the same length, so sizes are unchanged
    metadata[b"pandas"] = json.dumps(pandas_metadata).encode()
    return table.replace_schema_metadata(metadata)


@pytest.mark.parametrize(
    ("change", "settings"),
    [
        (_as_another_pandas_release, {}),
        (lambda table: table, {"compression": "zstd", "row_group_size": 50}),
    ],
    ids=["pandas metadata, same sizes", "other compression and row groups, other sizes"],
)
def test_lab_6_2_replays_when_a_new_release_writes_other_parquet_bytes(
    monkeypatch, change, settings
):
    written = _parquet_writer(monkeypatch, change, **settings)
    tasks = (catalogue.task("6.2.4"), catalogue.task("6.2.6"))
    results = scenario_runner.run(tasks, project=ROOT, cloud=CloudMode.REPLAY)
    assert {r.task.id: r.status for r in results} == {"6.2.4": "passed", "6.2.6": "passed"}, [
        r.first_failure for r in results
    ]
    assert written, "no Parquet file was written: the test proves nothing"


def test_a_changed_value_in_an_uploaded_parquet_file_fails_naming_its_column(monkeypatch):
    def one_more_month(table: pa.Table) -> pa.Table:
        index = table.schema.get_field_index("tenure_months")
        months = table.column(index).to_pylist()
        months[0] += 1
        return table.set_column(
            index, table.field(index), pa.array(months, table.field(index).type)
        )

    _parquet_writer(monkeypatch, one_more_month)
    [result] = scenario_runner.run((catalogue.task("6.2.4"),), project=ROOT, cloud=CloudMode.REPLAY)
    assert result.status == "failed"
    message = result.first_failure.message
    assert ".parquet: the nearest recorded request differs in its body" in message.splitlines()[0]
    assert "column 'tenure_months' differs in row" in message
