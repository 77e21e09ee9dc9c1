"""Live mode, proven against the loopback sandboxes with placeholder credentials.

The scenarios run with ``--cloud live`` while boto3 and the Google SDKs are pointed at the
sandboxes through their standard settings, as a user's real account would be found: nothing
here reaches a real cloud. What is proven: the preflight, names carrying the run, every
resource removed after success, failure, Ctrl-C and a killed run (with ``mlops-labs cleanup``),
and recordings that carry none of the run's own names.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import yaml

from mlops_labs.cloud import aiplatform_state, environment
from mlops_labs.cloud.aws_sandbox import AwsSandbox
from mlops_labs.cloud.gcp_sandbox import GoogleCloudSandbox
from mlops_labs.course import cli
from mlops_labs.coursework.lab_code import REFERENCE_DIR
from mlops_labs.live import creations, preflight, settings
from mlops_labs.live.names import RunNames
from mlops_labs.live.rehearsal import leftovers, live_arguments, rehearse
from mlops_labs.live.resources import Resource

ROOT = Path(__file__).resolve().parent.parent
# Lab 6.1's registry, Lab 6.5's dataset, model, export, registry and endpoint: every kind.
SCENARIOS = (
    "step_defs/test_lab_6_1.py::test_artifact_persistence_and_model_registry_integration",
    "step_defs/test_lab_6_5.py::test_deploy_to_an_endpoint_predict_and_tear_it_down",
)


# --- settings and preflight -------------------------------------------------------------


def test_flags_win_over_the_environment_which_wins_over_the_file(tmp_path):
    config = tmp_path / "live.toml"
    config.write_text(
        '[live]\nproject = "from-file"\nlocation = "europe-west4"\nrun_prefix = "f"\n'
    )
    environ = {"MLOPS_LABS_PROJECT": "from-env", "MLOPS_LABS_RUN_PREFIX": "e"}

    chosen = settings.load({"run_prefix": "flag"}, environ, config)

    assert (chosen.project, chosen.location, chosen.run_prefix) == (
        "from-env",
        "europe-west4",
        "flag",
    )
    assert chosen.max_bytes_billed == settings.GIB  # the safe default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[live]\nprojekt = 'x'\n", "unknown live setting 'projekt'"),
        ("[live\n", "is not valid TOML"),
        ("[live]\nmax_bytes_billed = 'lots'\n", "max_bytes_billed must be a positive whole number"),
    ],
)
def test_a_bad_settings_file_is_refused_in_one_line(tmp_path, text, message):
    config = tmp_path / "live.toml"
    config.write_text(text)
    with pytest.raises(settings.SettingsError, match=message) as raised:
        settings.load({}, {}, config)
    assert "\n" not in str(raised.value)


@pytest.fixture
def no_credentials(tmp_path, monkeypatch):
    """A machine with no AWS profile, no application-default credentials, no metadata server."""
    from google.auth.compute_engine import _metadata

    for name in list(os.environ):
        if name.startswith(("AWS_", "MLOPS_LABS_")) or name in ("GOOGLE_APPLICATION_CREDENTIALS",):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    monkeypatch.setattr(_metadata, "_NO_GCE_CHECK", True)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def test_preflight_names_everything_missing_and_how_to_provide_it(no_credentials):
    missing = preflight.check(settings.load({}, {}), ["6.1", "6.2", "6.5"])

    what = [item.what for item in missing]
    assert what == [
        "AWS credentials",
        "AWS region",
        "Redshift connection (Lab 6.2)",
        "the IAM role Redshift assumes for COPY / UNLOAD (Lab 6.2)",
        "Google Cloud credentials",
        "Google Cloud project",
    ]
    assert "gcloud auth application-default login" in str(missing[4])
    assert preflight.check(settings.load({}, {}), ["6.4"])[0].what == "Google Cloud credentials"


def test_check_in_live_mode_stops_before_creating_anything(no_credentials, capsys, ledgers):
    code = cli.main(["check", "6.1", "--cloud", "live"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "nothing was created: AWS credentials: set AWS_PROFILE" in err
    assert not ledgers.exists()


# --- names and what counts as created ---------------------------------------------------


def test_run_names_carry_the_run_and_map_back_to_the_features_names():
    names = RunNames("ab12cd", project="my-real-project", account_id="210987654321")

    assert (
        names.text("s3://churn-artifacts/models/")
        == "s3://mlops-labs-ab12cd-churn-artifacts/models/"
    )
    assert names.text("S3 bucket 'no-such-bucket' does not exist") == (
        "S3 bucket 'mlops-labs-ab12cd-no-such-bucket' does not exist"
    )
    assert names.text("penguins") == "penguins"  # a model's name as well as a dataset's
    assert names.text("penguins", "dataset") == "mlops_labs_ab12cd_penguins"
    assert names.text("mlops-labs-sandbox") == "my-real-project"
    assert names.text("churn-lake.csv") == "churn-lake.csv"
    assert names.placeholders()["mlops-labs-ab12cd-churn-lake"] == "churn-lake"
    assert names.placeholders()["210987654321"] == "123456789012"
    assert names.owns("my-real-project.mlops_labs_ab12cd_penguins.penguins")
    assert not names.owns("penguins") and not RunNames().owns("anything")
    assert RunNames().text("s3://churn-artifacts/") == "s3://churn-artifacts/"


SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=x", "X-Amz-Date": "20260101T000000Z"}
BEARER = {"Authorization": "Bearer t"}


@pytest.mark.parametrize(
    ("method", "url", "headers", "body", "expected"),
    [
        ("PUT", "http://127.0.0.1:5000/lake", SIGNED, b"", [Resource("s3-bucket", "lake")]),
        (
            "PUT",
            "https://lake.s3.us-east-1.amazonaws.com/",
            SIGNED,
            b"",
            [Resource("s3-bucket", "lake")],
        ),
        ("PUT", "http://127.0.0.1:5000/lake/raw/a.csv", SIGNED, b"x", []),
        ("PUT", "http://127.0.0.1:5000/lake?tagging", SIGNED, b"", []),
        (
            "POST",
            "https://api.sagemaker.us-east-1.amazonaws.com/",
            {**SIGNED, "X-Amz-Target": "SageMaker.CreateModelPackageGroup"},
            b'{"ModelPackageGroupName": "g"}',
            [Resource("sagemaker-model-package-group", "g")],
        ),
        (
            "POST",
            "https://storage.googleapis.com/storage/v1/b?project=p",
            BEARER,
            b'{"name": "models"}',
            [Resource("gcs-bucket", "models", base_url="https://storage.googleapis.com")],
        ),
        (
            "POST",
            "https://bigquery.googleapis.com/bigquery/v2/projects/p/queries",
            BEARER,
            b'{"query": "CREATE SCHEMA IF NOT EXISTS penguins"}',
            [Resource("bigquery-dataset", "p.penguins", "p")],
        ),
        (
            "POST",
            "https://bigquery.googleapis.com/bigquery/v2/projects/p/jobs",
            BEARER,
            b'{"configuration": {"query": {"query": "SELECT 1"}}}',
            [],
        ),
    ],
)
def test_a_creating_request_is_recognised_and_others_are_not(method, url, headers, body, expected):
    assert creations.from_request(method, url, headers, body) == expected


def test_a_vertex_model_is_recorded_from_the_upload_operations_first_answer():
    url = "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/l/models:upload"
    upload = "type.googleapis.com/google.cloud.aiplatform.v1.UploadModelOperationMetadata"
    deploy = "type.googleapis.com/google.cloud.aiplatform.v1.DeployModelOperationMetadata"
    started = {
        "name": "projects/p/locations/l/models/7/operations/9",
        "metadata": {"@type": upload},
    }
    deploying = {
        "name": "projects/p/locations/l/endpoints/3/operations/4",
        "metadata": {"@type": deploy},
    }
    assert [r.name for r in creations.from_response(url, started)] == [
        "projects/p/locations/l/models/7"
    ]
    assert creations.from_response(url, deploying) == []  # deploying to it does not make it ours


def test_vertex_resources_are_read_from_finished_operations():
    url = "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/l/operations/1"
    model = {"done": True, "response": {"model": "projects/p/locations/l/models/7@1"}}
    running = {"done": False, "name": "projects/p/locations/l/operations/1"}
    assert creations.from_response(url, model)[0].name == "projects/p/locations/l/models/7"
    assert creations.from_response(url, running) == []


# --- the loopback proof -----------------------------------------------------------------


@pytest.fixture
def ledgers(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "ledgers"
    monkeypatch.setenv("MLOPS_LABS_LEDGER_DIR", str(folder))
    return folder


@pytest.fixture
def sandboxes(monkeypatch, ledgers):
    """Both sandboxes, and the standard SDK settings pointing at them, as an account would be."""
    aws, gcp = AwsSandbox().start(), GoogleCloudSandbox().start()
    # moto keeps its accounts per process: start from an empty one, whatever ran before.
    aws.reset()
    gcp.reset()
    try:
        with environment.applied({**aws.environment(), **gcp.environment()}):
            monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
            yield aws, gcp
    finally:
        gcp.stop()
        aws.stop()


def _live_args(gcp: GoogleCloudSandbox, *extra: str) -> list[str]:
    return [
        "-q",
        "-p",
        "no:cacheprovider",
        f"--rootdir={ROOT}",
        *live_arguments(gcp.project),
        *extra,
    ]


def _leftovers(gcp: GoogleCloudSandbox) -> dict[str, list[str]]:
    return leftovers(gcp)


def _run_pytest(*args: str) -> int:
    return pytest.main(list(args))


def test_a_live_run_removes_everything_it_made(sandboxes, ledgers, capsys):
    _, gcp = sandboxes

    assert _run_pytest(*_live_args(gcp), *(str(ROOT / s) for s in SCENARIOS)) == 0

    out = capsys.readouterr().out
    assert "resource(s) made and removed" in out and "NOT REMOVED" not in out
    made = int(out.split("resource(s) made")[0].split()[-1])
    assert made >= 6  # buckets, a package group, a dataset, a model, an endpoint ...
    assert _leftovers(gcp) == {}
    assert not list(ledgers.glob("*.json"))


def _after_deploying(folder: Path, then: str) -> Path:
    """The reference lab code in ``folder``, running ``then`` once the model is deployed."""
    shutil.copytree(REFERENCE_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    bqml = folder / "bqml.py"
    bqml.write_text(
        bqml.read_text() + "\n\nimport time as _time\n\n_deploy = deploy_and_predict\n\n\n"
        "def deploy_and_predict(*args, **kwargs):\n"
        f"    answer = _deploy(*args, **kwargs)\n    {then}\n    return answer\n"
    )
    return folder


def test_a_failed_scenario_still_removes_what_it_made(sandboxes, tmp_path, capsys):
    _, gcp = sandboxes
    # Fails after the endpoint is made and the model deployed: the worst moment to stop.
    broken = _after_deploying(tmp_path / "labs", "raise RuntimeError('the network went away')")

    code = _run_pytest(*_live_args(gcp, f"--labs-dir={broken}"), str(ROOT / SCENARIOS[1]))

    assert code == pytest.ExitCode.TESTS_FAILED
    assert "the network went away" in capsys.readouterr().out
    assert _leftovers(gcp) == {}


# Python turns SIGINT into KeyboardInterrupt only if its parent left the signal alone: a test
# run started as a shell's background job hands its children SIGINT ignored, and the learner's
# Ctrl-C this test stands for would never arrive.
_PYTEST_TAKING_CTRL_C = (
    "import signal, sys, pytest; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.exit(pytest.main(sys.argv[1:]))"
)


def _start_live_subprocess(gcp: GoogleCloudSandbox, tmp_path: Path) -> subprocess.Popen:
    # It pauses once the model is deployed, so a signal sent when the ledger shows resources
    # lands mid-scenario however quickly (or slowly, on a loaded machine) the run goes.
    labs = _after_deploying(tmp_path / "labs", "_time.sleep(120)")
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            _PYTEST_TAKING_CTRL_C,
            *_live_args(gcp, f"--labs-dir={labs}"),
            str(ROOT / SCENARIOS[1]),
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_for_resources(ledgers: Path, count: int, process: subprocess.Popen) -> Path:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        for path in ledgers.glob("*.json"):
            if len(json.loads(path.read_text() or "{}").get("resources", [])) >= count:
                return path
        time.sleep(0.05)
    raise AssertionError(f"the live run never recorded {count} resources: {process.communicate()}")


def test_ctrl_c_in_the_middle_still_removes_everything(sandboxes, ledgers, tmp_path):
    _, gcp = sandboxes
    process = _start_live_subprocess(gcp, tmp_path)
    _wait_for_resources(ledgers, 2, process)

    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=240)

    assert "KeyboardInterrupt" in out or "Interrupted" in out
    assert _leftovers(gcp) == {}, out
    assert not list(ledgers.glob("*.json"))


def test_a_killed_run_leaves_a_ledger_that_cleanup_empties(sandboxes, ledgers, capsys, tmp_path):
    _, gcp = sandboxes
    process = _start_live_subprocess(gcp, tmp_path)
    ledger = _wait_for_resources(ledgers, 2, process)

    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert _leftovers(gcp), "a killed run leaves what it made behind"

    assert cli.main(["cleanup"]) == 0
    assert "removed" in capsys.readouterr().out
    assert _leftovers(gcp) == {}
    assert not ledger.exists()


def test_a_live_recording_holds_the_features_names_not_the_runs(sandboxes, tmp_path, capsys):
    _, gcp = sandboxes
    cassettes = tmp_path / "cassettes"

    code = _run_pytest(
        *_live_args(gcp, "--record", f"--cassettes-dir={cassettes}"),
        str(ROOT / SCENARIOS[0]),
    )

    assert code == 0
    run_id = capsys.readouterr().out.split("live run ")[1].split(":")[0]
    (cassette,) = cassettes.rglob("*.yaml")
    text = cassette.read_text()
    assert run_id not in text
    assert "churn-artifacts" in text and "churn-classifier" in text
    provenance = json.loads((cassettes / "PROVENANCE.json").read_text())
    assert next(iter(provenance.values()))["answered_by"] == "live account"
    assert yaml.safe_load(text)["interactions"]


# --- cost guards ------------------------------------------------------------------------

QUERIES = "https://bigquery.googleapis.com/bigquery/v2/projects/p/queries"


def _dry_answer(estimate: int):
    sent: list[dict] = []

    def send(body: bytes, headers: dict) -> tuple[int, bytes]:
        sent.append({"body": json.loads(body), "headers": headers})
        return 200, json.dumps({"totalBytesProcessed": str(estimate)}).encode()

    return send, sent


def test_a_query_is_dry_run_first_then_sent_with_the_cap():
    from mlops_labs.live.cost_guard import CostGuard

    guard = CostGuard(max_bytes_billed=10_000_000, max_upload_bytes=1)
    send, sent = _dry_answer(2048)
    body = json.dumps({"query": "SELECT * FROM t", "requestId": "r-1"}).encode()

    capped, headers = guard.before("POST", QUERIES, body, {**BEARER}, send)

    assert sent[0]["body"]["dryRun"] is True and "requestId" not in sent[0]["body"]
    assert "X-Mlops-Labs-Sandbox-Internal" in sent[0]["headers"]  # never recorded
    assert json.loads(capped)["maximumBytesBilled"] == "10000000"
    assert headers["Content-Length"] == str(len(capped))
    assert guard.traffic.bigquery_estimated == 2048


def test_a_query_estimated_above_the_cap_is_refused_before_it_runs():
    from mlops_labs.live.cost_guard import CostCapExceeded, CostGuard

    guard = CostGuard(max_bytes_billed=1000, max_upload_bytes=1)
    send, _ = _dry_answer(5000)
    job = {"configuration": {"query": {"query": "SELECT * FROM big"}}}

    with pytest.raises(CostCapExceeded, match=r"would process 5,000 bytes .* cap of 1,000 bytes"):
        guard.before("POST", QUERIES.replace("queries", "jobs"), json.dumps(job).encode(), {}, send)


def test_uploads_are_counted_and_refused_past_their_cap():
    from mlops_labs.live.cost_guard import CostCapExceeded, CostGuard

    guard = CostGuard(max_bytes_billed=1, max_upload_bytes=100)
    put = {**SIGNED, "Content-Length": "60"}
    guard.before("PUT", "http://127.0.0.1:5000/lake/raw/a.csv", None, put, _dry_answer(0)[0])
    assert guard.traffic.uploaded["S3"] == 60
    with pytest.raises(CostCapExceeded, match="above the live cap of 100 bytes"):
        guard.before("PUT", "http://127.0.0.1:5000/lake/raw/b.csv", None, put, _dry_answer(0)[0])


def test_a_run_over_its_upload_cap_stops_and_still_leaves_nothing(sandboxes, capsys):
    _, gcp = sandboxes

    code = _run_pytest(*_live_args(gcp, "--live-max-upload-bytes=1000"), str(ROOT / SCENARIOS[0]))

    assert code == pytest.ExitCode.TESTS_FAILED
    assert "above the live cap of 1,000 bytes" in capsys.readouterr().out
    assert _leftovers(gcp) == {}


def test_a_query_estimated_over_the_bytes_billed_cap_never_runs(sandboxes, capsys):
    _, gcp = sandboxes
    train = "step_defs/test_lab_6_5.py::test_train_the_bigquery_ml_model"

    code = _run_pytest(*_live_args(gcp, "--live-max-bytes-billed=1000"), str(ROOT / train))

    out = capsys.readouterr().out
    assert code == pytest.ExitCode.TESTS_FAILED
    assert "BigQuery would process 28,947 bytes (dry run), above the live cap of 1,000" in out
    assert _leftovers(gcp) == {}


def test_the_rehearsal_reports_what_a_run_leaves_behind(tmp_path, capsys, ledgers):
    scenario = tmp_path / "test_leaky.py"
    scenario.write_text(
        "import boto3\n\n"
        "def test_leaks(monkeypatch):\n"
        "    # Made with the recorder switched off, as a killed run's bucket would be.\n"
        "    from mlops_labs.live import run\n"
        "    run.active()._observing.close()\n"
        "    boto3.client('s3').create_bucket(Bucket='left-behind')\n"
    )
    assert rehearse(["-q", "-p", "no:cacheprovider", str(scenario)]) == 1
    assert "LEFT BEHIND: S3 buckets: left-behind" in capsys.readouterr().err


def test_what_a_run_makes_is_labelled_with_the_run_and_removed(sandboxes, tmp_path):
    from google.cloud import bigquery, storage

    from mlops_labs.live import settings as live_settings
    from mlops_labs.live.run import LiveRun

    _, gcp = sandboxes
    chosen = live_settings.load({"project": gcp.project, "ledger_dir": str(tmp_path)}, {})
    with aiplatform_state.restored(), LiveRun(chosen, tmp_path) as run:
        bucket = run.names.bucket("churn-artifacts")
        boto3.client("s3").create_bucket(Bucket=bucket)
        sagemaker = boto3.client("sagemaker")
        group = run.names.group("churn-classifier")
        arn = sagemaker.create_model_package_group(ModelPackageGroupName=group)[
            "ModelPackageGroupArn"
        ]
        gcs = storage.Client(project=gcp.project).create_bucket(run.names.bucket("penguins-models"))
        client = bigquery.Client(project=gcp.project)
        client.query_and_wait(f"CREATE SCHEMA {run.names.dataset('penguins')}")

        tag = {"Key": "mlops-labs-run", "Value": run.run_id}
        assert boto3.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"] == [tag]
        assert tag in sagemaker.list_tags(ResourceArn=arn)["Tags"]
        assert storage.Client(project=gcp.project).get_bucket(gcs.name).labels == {
            "mlops-labs-run": run.run_id
        }
        dataset = client.get_dataset(run.names.dataset("penguins"))
        assert dataset.labels == {"mlops-labs-run": run.run_id}
        from google.cloud import aiplatform

        aiplatform.init(
            project=gcp.project,
            location="us-central1",
            api_endpoint=gcp.vertex_ai.endpoint,
            api_transport="rest",
        )
        endpoint = aiplatform.Endpoint.create(display_name="penguins")
        endpoint = aiplatform.Endpoint(endpoint.resource_name)  # read back
        assert endpoint.labels == {"mlops-labs-run": run.run_id}
        assert len(run.ledger.resources) == 5
    assert leftovers(gcp) == {}
