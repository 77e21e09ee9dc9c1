"""Least-privilege policies: each grants exactly what its lab's recorded calls need, no more."""

from __future__ import annotations

import dataclasses
import json

import pytest

from mlops_labs.access import callers, check, for_lab, labs, policies, tracing
from mlops_labs.access.check import Evidence
from mlops_labs.access.operations import (
    Operation,
    UnknownOperation,
    identify,
    parse_cassette,
    statement_kind,
)
from mlops_labs.access.render import main as render_main
from mlops_labs.coursework import project

ROOT = project.find_root()
IDS = [spec.id for spec in labs.IDENTITIES]
AWS_IDS = [spec.id for spec in labs.IDENTITIES if spec.cloud == "aws"]
BOTO = {"User-Agent": ["Boto3/1.43 md/Botocore#1.43"]}
GOOGLE = {"x-goog-api-client": ["gl-python/3.11"]}


@pytest.fixture(scope="module")
def found() -> Evidence:
    """The cassettes (about 14 MB of YAML), parsed once for the module."""
    return check.evidence(ROOT)


def _with_call(found: Evidence, cassette: str, request: dict, chain: str) -> Evidence:
    """The evidence with one more recorded request, made by ``chain``."""
    data = {"interactions": [{"request": request, "response": {"status": {"code": 200}}}]}
    extra = parse_cassette(data, cassette)
    return Evidence(
        {**found.cassettes, cassette: extra},
        {**found.callers, cassette: [(extra[0].request, chain)]},
    )


# The policies fit the calls


def test_the_callers_file_fits_the_cassettes(found):
    problems = callers.stale(found.cassettes, found.callers)
    assert not problems, "\n".join(problems) + "\nrun `python -m mlops_labs.access.tracing`"


@pytest.mark.parametrize("identity", IDS)
def test_each_policy_grants_exactly_what_its_lab_calls_need(found, identity):
    gap = check.compare(identity, found)
    assert not gap, gap.report()


@pytest.mark.parametrize("identity", AWS_IDS)
def test_each_aws_policy_allows_every_call_on_the_resource_it_touched(found, identity):
    gaps = check.resource_gaps(identity, found)
    assert not gaps, "\n".join(gaps)


@pytest.mark.parametrize("identity", IDS)
def test_permissions_for_untested_code_paths_name_code_that_makes_the_call(found, identity):
    problems = check.declaration_problems(identity, found)
    assert not problems, "\n".join(problems)


def test_a_replay_that_attributes_a_request_differently_is_caught(found, tmp_path, capsys):
    """CI replays every scenario with the tracer and compares (`.ci/run`); this is the compare."""
    traced = {name: [list(entry) for entry in entries] for name, entries in found.callers.items()}
    same = tmp_path / "same.json"
    same.write_text(json.dumps(traced))
    assert tracing.main(["--compare", str(same)]) == 0
    name = next(name for name, entries in traced.items() if entries)
    traced[name][0] = ["harness"] if traced[name][0] != ["harness"] else ["model.train"]
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(traced))
    assert tracing.main(["--compare", str(moved)]) == 1
    assert f"e.g. {name}: regenerate it" in capsys.readouterr().err


# Who makes which call


def test_lab_6_1s_trainer_is_lab_6_1s_wherever_a_scenario_runs_it(found):
    calls = check.calls_of("6.1", found)
    features = {callers.feature_lab(call.cassette) for call, _ in calls}
    assert features == {"6.1", "6.2", "6.5"}
    assert all(chain.startswith(("model.", "dat.")) for _, chain in calls)


def test_lab_6_1s_trainer_writing_to_gs_runs_as_lab_6_4(found):
    writes = [
        (call, chain)
        for call, chain in check.calls_of("6.4", found)
        if call.operation.name == "storage.objects.insert"
    ]
    assert writes and all(chain.startswith("model.train") for _, chain in writes)


def test_copy_and_unload_reach_s3_as_the_cluster_role_not_the_pipeline(found):
    cluster = check.calls_of("6.2-cluster", found)
    pipeline = check.calls_of("6.2", found)
    assert cluster and all("warehouse.copy_unload." in chain for _, chain in cluster)
    assert {c.operation.name for c, _ in cluster} == {"ListObjectsV2", "GetObject", "PutObject"}
    assert not any("warehouse." in chain for _, chain in pipeline)


def test_the_scenarios_ran_in_the_region_and_account_resources_are_checked_in(found):
    arns = {
        call.params["ModelPackageArn"]
        for calls in found.cassettes.values()
        for call in calls
        if "ModelPackageArn" in call.params
    }
    prefix = f"arn:aws:sagemaker:{check.RECORDED_REGION}:{check.RECORDED_ACCOUNT}:model-package/"
    assert arns and all(arn.startswith(prefix) for arn in arns)


def test_the_data_api_needs_the_database_credentials_it_fetches_for_the_caller(found):
    needs = check.required("6.2", found).needs["redshift:GetClusterCredentials"]
    assert needs[0].call.operation.key == "redshift-data:ExecuteStatement"
    assert needs[0].call.params["DbUser"] == "ml_pipeline"


def test_the_harness_s_own_calls_need_no_lab_permission(found):
    assert "sagemaker:ListModelPackageGroups" not in check.required("6.1", found).needs
    assert "s3:CreateBucket" not in check.required("6.1", found).needs
    assert "bigquery.datasets.create" in check.required("6.5", found).needs  # CREATE SCHEMA


# The check is not vacuous


def test_a_permission_taken_out_of_a_policy_is_reported_missing_with_its_call(found):
    gap = check.compare("6.1", found, check.granted("6.1") - {"s3:ListBucket"})
    assert set(gap.missing) == {"s3:ListBucket"}
    report = gap.report()
    assert "policies/aws/lab-6.1-trainer.json lacks s3:ListBucket" in report
    assert "s3:HeadBucket (model.train > " in report and "cassettes/lab_6_1_" in report


@pytest.mark.parametrize("identity", IDS)
def test_every_granted_permission_is_needed_by_something(found, identity):
    have = check.granted(identity)
    for permission in sorted(have):
        gap = check.compare(identity, found, have - {permission})
        assert set(gap.missing) == {permission}, f"{permission}: {gap.report()}"


def test_a_permission_no_call_needs_is_reported_extra(found):
    gap = check.compare("6.5", found, check.granted("6.5") | {"bigquery.tables.delete"})
    assert gap.extra == {"bigquery.tables.delete"}
    assert "grants bigquery.tables.delete, which no call of Lab 6.5 needs" in gap.report()


def test_a_harness_call_made_by_lab_code_instead_would_need_its_permission(found):
    name, index = next(
        (name, call.index)
        for name, calls in found.cassettes.items()
        for call in calls
        if call.operation.name == "ListModelPackageGroups"
    )
    entries = list(found.callers[name])
    entries[index] = (entries[index][0], "model.train > model._register_model_package")
    gap = check.compare("6.1", Evidence(found.cassettes, {**found.callers, name: entries}))
    assert set(gap.missing) == {"sagemaker:ListModelPackageGroups"}, gap.report()


def test_an_operation_the_parser_cannot_name_is_reported_not_ignored(found):
    request = {
        "method": "PUT",
        "uri": "http://127.0.0.1:1/churn-artifacts?policy",
        "body": None,
        "headers": BOTO,
    }
    evidence = _with_call(found, "lab_6_1_s3_artifacts/test_extra.yaml", request, "model.train")
    gap = check.compare("6.1", evidence)
    assert (
        len(gap.unmapped) == 1
        and "no permission mapping for S3 PUT /churn-artifacts?policy" in gap.unmapped[0]
    )
    assert "made by model.train" in gap.report()


def test_an_operation_without_a_rule_is_reported_not_guessed(found):
    request = {
        "method": "DELETE",
        "uri": "http://127.0.0.1:1/bigquery/v2/projects/p/datasets/penguins",
        "body": None,
        "headers": GOOGLE,
    }
    evidence = _with_call(found, "lab_6_5_bqml/test_extra.yaml", request, "bqml.create_dataset")
    gap = check.compare("6.5", evidence)
    assert gap.unmapped == (
        "no permission mapping for bigquery.datasets.delete (DELETE "
        "/bigquery/v2/projects/p/datasets/penguins, cassettes/lab_6_5_bqml/test_extra.yaml #0) "
        "made by bqml.create_dataset",
    )


def test_a_callers_file_that_does_not_fit_the_cassettes_stops_the_check(found):
    name = next(n for n, calls in found.cassettes.items() if calls)
    cut = {**found.callers, name: found.callers[name][:-1]}
    assert callers.stale(found.cassettes, cut)
    with pytest.raises(callers.AttributionError, match=r"python -m mlops_labs\.access\.tracing"):
        check.required("6.1", Evidence(found.cassettes, cut))


def test_a_resource_narrowed_away_from_the_calls_is_reported(found):
    document = policies.load_json(ROOT / labs.identity("6.2-cluster").policy)
    text = json.dumps(document).replace("${Bucket}/${InputPrefix}*", "${Bucket}/${InputPrefix}x/*")
    gaps = check.resource_gaps("6.2-cluster", found, json.loads(text))
    assert gaps and all("s3:GetObject on arn:aws:s3:::churn-lake/raw/" in gap for gap in gaps)
    assert any("warehouse.copy_unload.run_copy" in gap for gap in gaps)


def test_a_declared_code_path_the_code_no_longer_takes_is_reported(found, monkeypatch):
    spec = labs.identity("6.2")
    stale = dataclasses.replace(spec.declared[0], needle="no_such_call")
    monkeypatch.setattr(
        labs,
        "IDENTITIES",
        tuple(
            dataclasses.replace(s, declared=(stale,)) if s.id == "6.2" else s
            for s in labs.IDENTITIES
        ),
    )
    assert check.declaration_problems("6.2", found) == [
        "ingest_model.read_with_data_api no longer calls no_such_call: "
        "drop redshift-data:CancelStatement?"
    ]


# The files are valid


@pytest.mark.parametrize("identity", IDS)
def test_every_policy_file_is_valid(identity):
    spec = labs.identity(identity)
    if spec.cloud == "aws":
        assert policies.policy_problems(policies.load_json(ROOT / spec.policy)) == []
    else:
        assert policies.role_problems(policies.load_yaml(ROOT / spec.policy)) == []
        assert policies.grants_problems(policies.load_yaml(ROOT / spec.grants)) == []
    if spec.trust:
        assert policies.policy_problems(policies.load_json(ROOT / spec.trust), trust=True) == []


def test_every_file_in_policies_belongs_to_an_identity():
    named = {name for spec in labs.IDENTITIES for name in spec.files}
    present = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "policies").rglob("*")
        if path.suffix in (".json", ".yaml") and path.name != "callers.json"
    }
    assert present == named


def _policy(**statement: object) -> dict:
    base = {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    return {"Version": "2012-10-17", "Statement": [{**base, **statement}]}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"Statement": _policy()["Statement"]}, "Version"),
        ({"Version": "2012-10-17", "Statement": []}, "non-empty list"),
        (_policy(Sid="not alphanumeric"), "Sid"),
        (_policy(Effect="Permit"), "Effect"),
        (_policy(Action="s3:*"), "no wildcard"),
        (_policy(Resource=None), "Resource"),
        (_policy(Resource="*"), "resource-level"),
        (_policy(Condition={"NumericLessThan": {"s3:max-keys": "10"}}), "operator"),
    ],
)
def test_the_policy_check_refuses_what_iam_or_least_privilege_would(document, problem):
    problems = policies.policy_problems(document)
    assert any(problem in p for p in problems), problems


def test_predefined_roles_cover_exactly_the_custom_roles_permissions():
    for spec in labs.IDENTITIES:
        if spec.cloud != "gcp":
            continue
        covered = {p for grant in for_lab(spec.lab).identities[0].roles for p in grant.covers}
        assert covered == check.granted(spec.id), spec.grants


@pytest.mark.parametrize("identity", AWS_IDS)
def test_placeholders_are_exactly_those_the_scenario_values_name(identity):
    spec = labs.identity(identity)
    text = (ROOT / spec.policy).read_text()
    assert set(policies.placeholders(text)) == set(spec.scenario_values)
    rendered = policies.render(text, {k: v[0] for k, v in spec.scenario_values.items()})
    assert policies.placeholders(rendered) == []
    assert policies.policy_problems(json.loads(rendered)) == []


def test_render_fills_placeholders_and_keeps_iam_policy_variables(capsys):
    spec = labs.identity("6.2")
    values = [f"{k}={v[0]}" for k, v in spec.scenario_values.items()]
    assert render_main([spec.policy, *values]) == 0
    out = capsys.readouterr().out
    assert "arn:aws:redshift:us-east-1:123456789012:dbuser:churn-cluster/ml_pipeline" in out
    assert "${aws:userid}" in out
    assert render_main([spec.policy, "Region=us-east-1"]) == 2
    assert "no value for ${Account}" in capsys.readouterr().err


# What the syllabus shows


@pytest.mark.parametrize("lab", labs.LABS)
def test_for_lab_gives_the_files_permissions_and_commands(lab):
    access = for_lab(lab)
    assert access.replaces and access.identities
    for item in access.identities:
        assert all((ROOT / name).is_file() for name in item.files)
        assert set(item.permissions) == check.granted(item.id)
        assert item.apply and (item.roles or item.cloud == "aws")
    assert [i.id for i in for_lab("6.2").identities] == ["6.2", "6.2-cluster"]


def test_for_lab_refuses_a_lab_with_no_cloud_access():
    with pytest.raises(KeyError, match=r"no lab '6\.3'"):
        for_lab("6.3")


# Naming operations


_CLOUDWATCH_RPC = "/service/GraniteServiceVersion20100801/operation/PutMetricData"
_VERTEX_POLL = "/ui/projects/p/locations/l/models/1/operations/2"
_REDSHIFT_FORM = b"Action=GetClusterCredentials&Version=2012-12-01"


@pytest.mark.parametrize(
    ("method", "uri", "headers", "body", "key"),
    [
        ("HEAD", "https://my-bucket.s3.us-east-1.amazonaws.com/", BOTO, None, "s3:HeadBucket"),
        ("GET", "https://my-bucket.s3.amazonaws.com/a/b.csv", BOTO, None, "s3:GetObject"),
        ("POST", "http://h/b/k?uploads", BOTO, None, "s3:CreateMultipartUpload"),
        ("DELETE", "http://h/b/k?uploadId=1", BOTO, None, "s3:AbortMultipartUpload"),
        ("POST", f"https://monitoring{_CLOUDWATCH_RPC}", BOTO, b"", "cloudwatch:PutMetricData"),
        ("POST", "https://redshift/", BOTO, _REDSHIFT_FORM, "redshift:GetClusterCredentials"),
        ("GET", "https://g/download/storage/v1/b/b/o/k", GOOGLE, None, "storage.objects.get"),
        (
            "GET",
            f"https://us-east1-aiplatform.googleapis.com{_VERTEX_POLL}",
            GOOGLE,
            None,
            "aiplatform.projects.locations.models.operations.get[models]",
        ),
        ("POST", "https://oauth2.googleapis.com/token", {}, b"", "oauth2.token"),
    ],
)
def test_requests_are_named_by_their_api_operation(method, uri, headers, body, key):
    operation, _ = identify({"method": method, "uri": uri, "headers": headers, "body": body})
    assert operation.key == key


def test_an_aws_operation_of_a_service_not_known_here_is_refused():
    headers = {**BOTO, "X-Amz-Target": ["DynamoDB_20120810.PutItem"]}
    with pytest.raises(UnknownOperation, match=r"DynamoDB_20120810\.PutItem"):
        identify({"method": "POST", "uri": "http://h/", "headers": headers, "body": b"{}"})


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("CREATE SCHEMA IF NOT EXISTS `p.penguins`", "CREATE SCHEMA"),
        ("create or replace model `d.m`\nOPTIONS(model_type='DNN') AS SELECT 1", "CREATE MODEL"),
        ("SELECT * FROM ML.EVALUATE(MODEL `d.m`) ORDER BY roc_auc DESC LIMIT 1", "ML.EVALUATE"),
        ("-- export\nEXPORT MODEL `d.m` OPTIONS(URI = 'gs://b/m/')", "EXPORT MODEL"),
        ("DROP MODEL `d.m`", "DROP MODEL"),
        ("TRUNCATE TABLE t", "TRUNCATE TABLE T"),
    ],
)
def test_bigquery_statements_are_told_apart(sql, kind):
    assert statement_kind(sql) == kind
    assert Operation("gcp", "bigquery", "bigquery.jobs.query", kind).key.endswith(f"[{kind}]")
