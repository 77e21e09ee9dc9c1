"""The offline Redshift Data API, driven only through boto3's real ``redshift-data`` client.

Every response a test receives is also checked on the wire against botocore's service model:
no member the output shape lacks, every required member present, unions with one member set.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape

from mlops_labs.errors import SandboxError
from mlops_labs.warehouse.data_api.server import DataApiServer
from mlops_labs.warehouse.engine import Warehouse
from mlops_labs.warehouse.errors import WarehouseError

REGION = "us-east-1"
CLUSTER = {"ClusterIdentifier": "churn-lab", "Database": "dev", "DbUser": "analyst"}
# Errors every JSON 1.1 service may answer with, outside any operation's modeled errors.
PROTOCOL_ERRORS = {"UnknownOperationException", "SerializationException"}
PINNED = datetime(2026, 1, 15, 9, 30)

Exchange = tuple[OperationModel, int, bytes]


# Fixtures: one warehouse and server per module (starting one costs a poll interval to stop).


@pytest.fixture(scope="module")
def warehouse() -> Iterator[Warehouse]:
    db = Warehouse()
    yield db
    db.close()


@pytest.fixture(scope="module")
def server(warehouse: Warehouse) -> Iterator[DataApiServer]:
    with DataApiServer(warehouse) as running:
        yield running


@pytest.fixture(scope="module")
def wire() -> list[Exchange]:
    return []


@pytest.fixture(scope="module")
def client(server: DataApiServer, wire: list[Exchange]) -> Any:
    return make_client(wire, endpoint_url=server.endpoint)


@pytest.fixture(scope="module")
def loose_client(server: DataApiServer, wire: list[Exchange]) -> Any:
    """A client that sends requests botocore's own validation would stop."""
    return make_client(wire, endpoint_url=server.endpoint, parameter_validation=False)


@pytest.fixture(scope="module")
def small_pages(wire: list[Exchange]) -> Iterator[Any]:
    """A client of a second server: pages of two records, on a warehouse whose clock is pinned."""
    pinned = Warehouse(clock=PINNED)
    with DataApiServer(pinned, page_size=2) as running:
        yield make_client(wire, endpoint_url=running.endpoint)
    pinned.close()


@pytest.fixture(autouse=True)
def _responses_fit_the_model(wire: list[Exchange], server: DataApiServer) -> Iterator[None]:
    server.reset()
    wire.clear()
    yield
    for operation, status, body in wire:
        assert_fits_model(operation, status, json.loads(body))


def make_client(wire: list[Exchange], endpoint_url: str | None = None, **config: Any) -> Any:
    """A real redshift-data client that records every raw response body it receives."""
    client = boto3.client(
        "redshift-data",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )

    def record(operation_model: OperationModel, response_dict: dict, **_: Any) -> None:
        wire.append((operation_model, response_dict["status_code"], response_dict["body"]))

    client.meta.events.register("before-parse.redshift-data.*", record)
    return client


# Checking responses against botocore's model


def assert_fits_model(operation: OperationModel, status: int, body: dict[str, Any]) -> None:
    """A success fits the output shape; an error is one the operation models, fitting its shape."""
    if status == 200:
        assert_fits(operation.output_shape, body, operation.name)
        return
    kind = body.pop("__type")
    if kind in PROTOCOL_ERRORS:
        assert set(body) <= {"Message", "message"}, body
        return
    errors = {shape.name: shape for shape in operation.error_shapes}
    assert kind in errors, f"{operation.name} does not model {kind}"
    assert status == errors[kind].metadata.get("error", {}).get("httpStatusCode", 400)
    assert_fits(errors[kind], body, kind)


def assert_fits(shape: Shape, value: Any, path: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path} should be an object"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{path} has {sorted(unknown)}, which {shape.name} does not define"
        missing = [name for name in shape.required_members if name not in value]
        assert not missing, f"{path} lacks required {missing}"
        if shape.is_tagged_union:
            assert len(value) == 1, f"{path} is a union with {sorted(value)} set"
        for name, member in value.items():
            assert_fits(shape.members[name], member, f"{path}.{name}")
    elif kind == "list":
        assert isinstance(value, list), f"{path} should be a list"
        for index, item in enumerate(value):
            assert_fits(shape.member, item, f"{path}[{index}]")
    elif kind == "string":
        assert isinstance(value, str), f"{path} should be a string"
        if shape.enum:
            assert value in shape.enum, f"{path} is {value!r}, not one of {shape.enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path} should be int"
    elif kind == "double":
        assert isinstance(value, int | float) and not isinstance(value, bool), path
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path} should be a boolean"
    elif kind == "timestamp":
        assert isinstance(value, int | float), f"{path} should be epoch seconds"
    else:
        raise AssertionError(f"{path}: no check for shape type {kind}")


# Helpers (tables a test needs are made in the warehouse directly: only the API is under test)


def run(client: Any, sql: str, **extra: Any) -> str:
    """Execute one statement and return its Id."""
    return client.execute_statement(Sql=sql, **{**CLUSTER, **extra})["Id"]


def error_of(call: Any, **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value


def code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def message(error: ClientError) -> str:
    return error.response["Error"]["Message"]


def values(records: list[list[dict[str, Any]]]) -> list[list[Any]]:
    return [[next(iter(field.values())) for field in row] for row in records]


def test_the_model_check_sees_every_response_and_catches_stray_members(client, wire):
    statement_id = run(client, "SELECT 1 AS one")
    client.get_statement_result(Id=statement_id)
    assert [(operation.name, status) for operation, status, _ in wire] == [
        ("ExecuteStatement", 200),
        ("GetStatementResult", 200),
    ]
    operation, status, body = wire[1]
    tampered = json.loads(body)
    tampered["ColumnMetadata"][0]["columnDefaultValue"] = None
    with pytest.raises(AssertionError, match="columnDefaultValue"):
        assert_fits_model(operation, status, tampered)
    tampered = json.loads(body)
    tampered["Records"][0][0]["stringValue"] = "1"
    with pytest.raises(AssertionError, match="union"):
        assert_fits_model(operation, status, tampered)


# ExecuteStatement and DescribeStatement


def test_execute_statement_returns_a_uuid_and_echoes_where_it_ran(client):
    before = datetime.now(UTC) - timedelta(seconds=1)
    response = client.execute_statement(
        Sql="SELECT 1 AS one", StatementName="ping", WithEvent=False, **CLUSTER
    )
    assert str(uuid.UUID(response["Id"])) == response["Id"]
    assert response["ClusterIdentifier"] == "churn-lab"
    assert response["Database"] == "dev"
    assert response["DbUser"] == "analyst"
    assert "WorkgroupName" not in response
    assert before <= response["CreatedAt"] <= datetime.now(UTC) + timedelta(seconds=1)


def test_a_serverless_workgroup_and_a_secret_are_echoed_instead_of_a_cluster(client):
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:lab-AbCdEf"
    response = client.execute_statement(
        Sql="SELECT 1", WorkgroupName="churn-serverless", Database="dev", SecretArn=secret
    )
    assert response["WorkgroupName"] == "churn-serverless"
    assert response["SecretArn"] == secret
    assert "ClusterIdentifier" not in response
    described = client.describe_statement(Id=response["Id"])
    assert described["WorkgroupName"] == "churn-serverless"
    assert described["Status"] == "FINISHED"


def test_describe_statement_reports_a_finished_query(client):
    statement_id = run(client, "SELECT 1 AS a UNION ALL SELECT 2")
    described = client.describe_statement(Id=statement_id)
    assert described["Id"] == statement_id
    assert described["Status"] == "FINISHED"
    assert "Error" not in described
    assert described["HasResultSet"] is True
    assert described["ResultRows"] == 2
    assert described["ResultSize"] > 0
    assert described["Duration"] > 0
    assert described["QueryString"] == "SELECT 1 AS a UNION ALL SELECT 2"
    assert described["CreatedAt"] <= described["UpdatedAt"]
    assert described["RedshiftPid"] == os.getpid()
    assert described["ResultFormat"] == "JSON"
    assert (described["ClusterIdentifier"], described["Database"], described["DbUser"]) == (
        "churn-lab",
        "dev",
        "analyst",
    )


def test_a_statement_without_rows_reports_rows_affected_and_has_no_result(client):
    run(client, "CREATE TABLE visits (id INT, page VARCHAR(40))")
    statement_id = run(client, "INSERT INTO visits VALUES (1, 'home'), (2, 'pricing')")
    described = client.describe_statement(Id=statement_id)
    assert described["Status"] == "FINISHED"
    assert described["HasResultSet"] is False
    assert described["ResultRows"] == 2
    error = error_of(client.get_statement_result, Id=statement_id)
    assert code(error) == "ValidationException"
    assert message(error) == (
        "Query does not have result. Please check query status with DescribeStatement."
    )


def test_bad_sql_fails_with_the_warehouses_error(client, warehouse):
    with pytest.raises(WarehouseError) as direct:
        warehouse.execute("SELEC churn FROM customers")
    statement_id = run(client, "SELEC churn FROM customers")
    described = client.describe_statement(Id=statement_id)
    assert described["Status"] == "FAILED"
    assert described["Error"] == str(direct.value)
    assert described["HasResultSet"] is False
    assert described["ResultRows"] == -1
    error = error_of(client.get_statement_result, Id=statement_id)
    assert code(error) == "ValidationException"
    assert "Query does not have result" in message(error)


def test_a_database_other_than_the_warehouses_fails_like_redshift(client):
    statement_id = run(client, "SELECT 1", Database="analytics")
    described = client.describe_statement(Id=statement_id)
    assert described["Status"] == "FAILED"
    assert described["Error"] == 'database "analytics" does not exist'


def test_a_retried_request_with_the_same_client_token_runs_once(client, warehouse):
    warehouse.execute("CREATE TABLE retried (id INT)")
    token = str(uuid.uuid4())
    first = run(client, "INSERT INTO retried VALUES (1)", ClientToken=token)
    again = run(client, "INSERT INTO retried VALUES (1)", ClientToken=token)
    assert first == again
    counted = run(client, "SELECT count(*) AS n FROM retried")
    assert values(client.get_statement_result(Id=counted)["Records"]) == [[1]]


# GetStatementResult


def test_records_carry_typed_fields_formatted_as_redshift_prints_them(client, warehouse):
    warehouse.execute(
        "CREATE TABLE customers (id INT, visits BIGINT, tier SMALLINT, score FLOAT8, "
        "ratio REAL, spend DECIMAL(10,2), churned BOOLEAN, segment VARCHAR(20), "
        "signup DATE, last_seen TIMESTAMP)",
    )
    warehouse.execute(
        "INSERT INTO customers VALUES "
        "(1, 9000000000, 3, 0.25, 2.5, 12.5, true, 'smb', '2026-01-15', '2026-01-15 09:30:00'),"
        "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-01-15 09:30:00.120')",
    )
    statement_id = run(client, "SELECT * FROM customers ORDER BY id")
    result = client.get_statement_result(Id=statement_id)
    assert result["TotalNumRows"] == 2
    assert "NextToken" not in result
    assert result["Records"] == [
        [
            {"longValue": 1},
            {"longValue": 9000000000},
            {"longValue": 3},
            {"doubleValue": 0.25},
            {"doubleValue": 2.5},
            {"stringValue": "12.50"},
            {"booleanValue": True},
            {"stringValue": "smb"},
            {"stringValue": "2026-01-15"},
            {"stringValue": "2026-01-15 09:30:00"},
        ],
        [{"longValue": 2}] + [{"isNull": True}] * 8 + [{"stringValue": "2026-01-15 09:30:00.12"}],
    ]
    metadata = result["ColumnMetadata"]
    assert [(c["name"], c["label"], c["typeName"]) for c in metadata] == [
        ("id", "id", "int4"),
        ("visits", "visits", "int8"),
        ("tier", "tier", "int2"),
        ("score", "score", "float8"),
        ("ratio", "ratio", "float4"),
        ("spend", "spend", "numeric"),
        ("churned", "churned", "bool"),
        ("segment", "segment", "varchar"),
        ("signup", "signup", "date"),
        ("last_seen", "last_seen", "timestamp"),
    ]
    by_name = {column["name"]: column for column in metadata}
    assert by_name["id"]["isSigned"] and not by_name["id"]["isCaseSensitive"]
    assert by_name["segment"]["isCaseSensitive"] and not by_name["segment"]["isSigned"]
    assert (by_name["id"]["precision"], by_name["id"]["scale"]) == (10, 0)
    assert (by_name["last_seen"]["precision"], by_name["last_seen"]["scale"]) == (29, 6)
    assert all(column["nullable"] == 2 for column in metadata)  # JDBC: nullability unknown


def test_an_empty_result_is_a_result_set_with_no_records(client):
    statement_id = run(client, "SELECT 1 AS one WHERE 1 = 0")
    assert client.describe_statement(Id=statement_id)["HasResultSet"] is True
    result = client.get_statement_result(Id=statement_id)
    assert result["Records"] == []
    assert result["TotalNumRows"] == 0
    assert [column["name"] for column in result["ColumnMetadata"]] == ["one"]


def test_an_unknown_statement_id_is_not_found_and_a_malformed_one_is_invalid(client):
    missing = str(uuid.uuid4())
    error = error_of(client.get_statement_result, Id=missing)
    assert code(error) == "ResourceNotFoundException"
    assert message(error) == "Query does not exist."
    assert error.response["ResourceId"] == missing
    error = error_of(client.describe_statement, Id="not-a-statement-id")
    assert code(error) == "ValidationException"
    assert message(error).startswith("id must satisfy regex pattern:")


def test_results_come_in_pages_of_the_configured_size(small_pages):
    paged = small_pages
    run(paged, "CREATE TABLE scores (n INT)")
    run(paged, "INSERT INTO scores VALUES (1), (2), (3), (4), (5)")
    statement_id = run(paged, "SELECT n FROM scores ORDER BY n")
    pages, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        response = paged.get_statement_result(Id=statement_id, **kwargs)
        assert response["TotalNumRows"] == 5
        pages.append(values(response["Records"]))
        token = response.get("NextToken")
        if not token:
            break
    assert pages == [[[1], [2]], [[3], [4]], [[5]]]
    paginator = paged.get_paginator("get_statement_result")
    rows = [row for page in paginator.paginate(Id=statement_id) for row in page["Records"]]
    assert values(rows) == [[1], [2], [3], [4], [5]]
    other = run(paged, "SELECT n FROM scores")
    first = paged.get_statement_result(Id=other)["NextToken"]
    error = error_of(paged.get_statement_result, Id=statement_id, NextToken=first)
    assert code(error) == "ValidationException"
    error = error_of(paged.get_statement_result, Id=statement_id, NextToken="garbage")
    assert code(error) == "ValidationException"


def test_get_statement_result_v2_is_refused_since_csv_is(client):
    statement_id = run(client, "SELECT 1")
    error = error_of(client.get_statement_result_v2, Id=statement_id)
    assert code(error) == "ValidationException"
    assert "GetStatementResult" in message(error)


# Parameters


def test_parameters_bind_to_named_placeholders(client, warehouse):
    warehouse.run_script(
        "CREATE TABLE accounts (id INT, region VARCHAR(20), name VARCHAR(20));"
        "INSERT INTO accounts VALUES (1, 'emea', 'acme'), (2, 'apac', 'globex')"
    )
    parameters = [{"name": "id", "value": "2"}, {"name": "region", "value": "apac"}]
    statement_id = run(
        client,
        "SELECT name FROM accounts WHERE id = :id AND region = :region",
        Parameters=parameters,
    )
    assert values(client.get_statement_result(Id=statement_id)["Records"]) == [["globex"]]
    assert client.describe_statement(Id=statement_id)["QueryParameters"] == parameters


def test_a_parameter_that_tries_sql_injection_is_bound_as_data(client, warehouse):
    warehouse.run_script(
        "CREATE TABLE tenants (name VARCHAR(60)); INSERT INTO tenants VALUES ('acme')"
    )
    attack = "acme' OR '1'='1'; DROP TABLE tenants; --"
    statement_id = run(
        client,
        "SELECT name FROM tenants WHERE name = :name",
        Parameters=[{"name": "name", "value": attack}],
    )
    assert client.describe_statement(Id=statement_id)["Status"] == "FINISHED"
    assert client.get_statement_result(Id=statement_id)["Records"] == []
    echoed = run(client, "SELECT :name AS text", Parameters=[{"name": "name", "value": attack}])
    assert values(client.get_statement_result(Id=echoed)["Records"]) == [[attack]]
    still_there = run(client, "SELECT count(*) AS n FROM tenants")
    assert values(client.get_statement_result(Id=still_there)["Records"]) == [[1]]


def test_a_placeholder_without_a_value_fails_the_statement(client):
    statement_id = run(client, "SELECT :missing AS m")
    described = client.describe_statement(Id=statement_id)
    assert described["Status"] == "FAILED"
    assert "missing" in described["Error"]


# BatchExecuteStatement


def test_a_batch_runs_in_order_with_shared_parameters_and_sub_statement_ids(client, warehouse):
    warehouse.execute("CREATE TABLE events (id INT, kind VARCHAR(20))")
    response = client.batch_execute_statement(
        Sqls=[
            "INSERT INTO events VALUES (:id, :kind)",
            "SELECT kind FROM events WHERE id = :id",
        ],
        Parameters=[{"name": "id", "value": "7"}, {"name": "kind", "value": "signup"}],
        StatementName="load-events",
        **CLUSTER,
    )
    batch_id = response["Id"]
    described = client.describe_statement(Id=batch_id)
    assert described["Status"] == "FINISHED"
    assert described["HasResultSet"] is True
    subs = described["SubStatements"]
    assert [s["Id"] for s in subs] == [f"{batch_id}:1", f"{batch_id}:2"]
    assert [s["Status"] for s in subs] == ["FINISHED", "FINISHED"]
    assert [s["ResultRows"] for s in subs] == [1, 1]
    assert [s["HasResultSet"] for s in subs] == [False, True]
    second = client.describe_statement(Id=f"{batch_id}:2")
    assert second["QueryString"] == "SELECT kind FROM events WHERE id = :id"
    assert "SubStatements" not in second
    result = client.get_statement_result(Id=f"{batch_id}:2")
    assert values(result["Records"]) == [["signup"]]
    error = error_of(client.get_statement_result, Id=batch_id)
    assert code(error) == "ValidationException"
    assert message(error) == (
        "BatchExecuteStatement result can only be retrieved with sub-statement id."
    )
    assert code(error_of(client.describe_statement, Id=f"{batch_id}:3")) == (
        "ResourceNotFoundException"
    )


def test_a_failing_statement_fails_the_batch_rolls_it_back_and_aborts_the_rest(client, warehouse):
    warehouse.execute("CREATE TABLE ledger (id INT)")
    batch_id = client.batch_execute_statement(
        Sqls=[
            "INSERT INTO ledger VALUES (1)",
            "INSERT INTO no_such_table VALUES (2)",
            "INSERT INTO ledger VALUES (3)",
        ],
        **CLUSTER,
    )["Id"]
    with pytest.raises(WarehouseError) as direct:
        warehouse.execute("INSERT INTO no_such_table VALUES (2)")
    described = client.describe_statement(Id=batch_id)
    assert described["Status"] == "FAILED"
    assert described["Error"] == str(direct.value)
    assert [s["Status"] for s in described["SubStatements"]] == ["FINISHED", "FAILED", "ABORTED"]
    assert described["SubStatements"][1]["Error"] == described["Error"]
    assert "Error" not in described["SubStatements"][2]
    counted = run(client, "SELECT count(*) AS n FROM ledger")
    assert values(client.get_statement_result(Id=counted)["Records"]) == [[0]]
    error = error_of(client.get_statement_result, Id=f"{batch_id}:3")
    assert code(error) == "ValidationException"


# ListStatements and CancelStatement


def test_list_statements_filters_by_status_and_name_newest_first(client):
    first = run(client, "SELECT 1", StatementName="report-daily")
    second = run(client, "SELECT 2", StatementName="report-weekly")
    failed = run(client, "SELEC 3", StatementName="report-broken")
    batch = client.batch_execute_statement(
        Sqls=["SELECT 4", "SELECT 5"], StatementName="report-batch", **CLUSTER
    )["Id"]
    run(client, "SELECT 6", StatementName="other")
    listed = client.list_statements(StatementName="report")["Statements"]
    assert [s["Id"] for s in listed] == [batch, second, first]  # FINISHED only, by default
    assert listed[0]["IsBatchStatement"] is True
    assert listed[0]["QueryStrings"] == ["SELECT 4", "SELECT 5"]
    assert listed[1]["QueryString"] == "SELECT 2"
    assert listed[1]["StatementName"] == "report-weekly"
    only_failed = client.list_statements(StatementName="report", Status="FAILED")
    assert [s["Id"] for s in only_failed["Statements"]] == [failed]
    everything = client.list_statements(Status="ALL")["Statements"]
    assert len(everything) == 5


def test_list_statements_pages_and_filters_by_where_they_ran(client):
    ids = [run(client, f"SELECT {n}") for n in range(3)]
    serverless = client.execute_statement(
        Sql="SELECT 9", WorkgroupName="churn-serverless", Database="dev"
    )["Id"]
    first = client.list_statements(MaxResults=2)
    assert [s["Id"] for s in first["Statements"]] == [serverless, ids[2]]
    rest = client.list_statements(MaxResults=2, NextToken=first["NextToken"])
    assert [s["Id"] for s in rest["Statements"]] == [ids[1], ids[0]]
    assert "NextToken" not in rest
    paginator = client.get_paginator("list_statements")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 3}))
    assert [len(page["Statements"]) for page in pages] == [3, 1]
    on_workgroup = client.list_statements(WorkgroupName="churn-serverless")["Statements"]
    assert [s["Id"] for s in on_workgroup] == [serverless]
    error = error_of(client.list_statements, MaxResults=101)
    assert code(error) == "ValidationException"
    assert "maxResults" in message(error)


def test_a_finished_statement_cannot_be_cancelled(client):
    statement_id = run(client, "SELECT 1")
    error = error_of(client.cancel_statement, Id=statement_id)
    assert code(error) == "ValidationException"
    assert message(error) == (
        f"Could not cancel a query that is already in FINISHED state with ID: {statement_id}"
    )
    failed = run(client, "SELEC 1")
    assert "FAILED state" in message(error_of(client.cancel_statement, Id=failed))
    missing = str(uuid.uuid4())
    assert code(error_of(client.cancel_statement, Id=missing)) == "ResourceNotFoundException"


# ListDatabases, ListSchemas, ListTables, DescribeTable


def test_the_catalog_lists_the_database_its_schemas_and_tables(client, warehouse):
    warehouse.run_script(
        "CREATE SCHEMA analytics;"
        "CREATE TABLE analytics.features (id INT NOT NULL, score DECIMAL(6,3));"
        "CREATE TABLE analytics.labels (id INT, churned BOOLEAN);"
        "CREATE VIEW analytics.feature_ids AS SELECT id FROM analytics.features"
    )
    where = {"ClusterIdentifier": "churn-lab", "Database": "dev"}
    assert client.list_databases(**where)["Databases"] == ["dev"]
    assert "analytics" in client.list_schemas(**where)["Schemas"]
    assert client.list_schemas(SchemaPattern="analy%", **where)["Schemas"] == ["analytics"]
    tables = client.list_tables(SchemaPattern="analytics", **where)["Tables"]
    assert tables == [
        {"name": "feature_ids", "type": "VIEW", "schema": "analytics"},
        {"name": "features", "type": "TABLE", "schema": "analytics"},
        {"name": "labels", "type": "TABLE", "schema": "analytics"},
    ]
    matching = client.list_tables(SchemaPattern="analytics", TablePattern="feat%", **where)
    assert [t["name"] for t in matching["Tables"]] == ["feature_ids", "features"]
    first = client.list_tables(SchemaPattern="analytics", MaxResults=2, **where)
    rest = client.list_tables(
        SchemaPattern="analytics", MaxResults=2, NextToken=first["NextToken"], **where
    )
    assert [t["name"] for t in first["Tables"] + rest["Tables"]] == [
        "feature_ids",
        "features",
        "labels",
    ]
    error = error_of(client.list_schemas, ClusterIdentifier="churn-lab", Database="sales")
    assert code(error) == "ValidationException"
    assert message(error) == 'database "sales" does not exist'


def test_describe_table_gives_column_metadata_from_the_catalog(client, warehouse):
    warehouse.execute(
        "CREATE TABLE orders (id INT NOT NULL, total DECIMAL(12,2), note VARCHAR(80))"
    )
    described = client.describe_table(ClusterIdentifier="churn-lab", Database="dev", Table="orders")
    assert described["TableName"] == "orders"
    columns = {column["name"]: column for column in described["ColumnList"]}
    assert list(columns) == ["id", "total", "note"]
    assert columns["id"]["typeName"] == "int4"
    assert columns["id"]["nullable"] == 0
    assert columns["total"]["nullable"] == 1
    assert (columns["total"]["typeName"], columns["total"]["precision"]) == ("numeric", 12)
    assert columns["total"]["scale"] == 2
    assert columns["note"]["tableName"] == "orders"


# Refusals: bad requests, unsupported features, unknown operations


def test_csv_results_and_sessions_are_refused_by_name(client):
    error = error_of(client.execute_statement, Sql="SELECT 1", ResultFormat="CSV", **CLUSTER)
    assert code(error) == "ValidationException"
    assert "CSV" in message(error)
    error = error_of(
        client.execute_statement, Sql="SELECT 1", SessionKeepAliveSeconds=60, **CLUSTER
    )
    assert code(error) == "ValidationException"
    assert "SessionKeepAliveSeconds" in message(error)


def test_missing_or_conflicting_members_are_validation_errors(loose_client):
    error = error_of(loose_client.execute_statement, **CLUSTER)
    assert code(error) == "ValidationException"
    assert message(error) == (
        "1 validation error detected: Value null at 'sql' failed to satisfy constraint: "
        "Member must not be null"
    )
    error = error_of(loose_client.execute_statement, Sql="SELECT 1", Database="dev")
    assert "either ClusterIdentifier or WorkgroupName is required" in message(error)
    error = error_of(
        loose_client.execute_statement,
        Sql="SELECT 1",
        Database="dev",
        ClusterIdentifier="churn-lab",
        WorkgroupName="churn-serverless",
    )
    assert "cannot both be given" in message(error)
    error = error_of(loose_client.execute_statement, Sql="SELECT 1", ClusterIdentifier="churn-lab")
    assert "Database is required" in message(error)
    error = error_of(loose_client.execute_statement, Sql="  ", **CLUSTER)
    assert "Sql is empty" in message(error)
    error = error_of(loose_client.batch_execute_statement, Sqls=[], **CLUSTER)
    assert "Member must have length greater than or equal to 1" in message(error)
    error = error_of(loose_client.execute_statement, Sql="SELECT 1", ResultFormat="XML", **CLUSTER)
    assert "Member must satisfy enum value set: [JSON, CSV]" in message(error)
    error = error_of(loose_client.execute_statement, Sql=7, **CLUSTER)
    assert code(error) == "SerializationException"
    assert "\n" not in message(error)


def test_an_unknown_operation_is_answered_in_the_apis_format(server, wire):
    renaming = make_client(wire, endpoint_url=server.endpoint)

    def rename(request: Any, **_: Any) -> None:
        request.headers.replace_header("X-Amz-Target", "RedshiftData.DropEverything")

    renaming.meta.events.register("before-sign.redshift-data.ListStatements", rename)
    error = error_of(renaming.list_statements)
    assert code(error) == "UnknownOperationException"
    assert "DropEverything" in message(error)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# The server itself


def test_boto3_finds_the_server_through_the_standard_endpoint_setting(server, wire, monkeypatch):
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    configured = make_client(wire)
    assert configured.meta.endpoint_url == server.endpoint
    statement_id = configured.execute_statement(Sql="SELECT 1", **CLUSTER)["Id"]
    assert configured.describe_statement(Id=statement_id)["Status"] == "FINISHED"


def test_statement_times_follow_a_pinned_warehouse_clock(small_pages):
    response = small_pages.execute_statement(Sql="SELECT getdate() AS now", **CLUSTER)
    assert response["CreatedAt"] == PINNED.replace(tzinfo=UTC)
    described = small_pages.describe_statement(Id=response["Id"])
    assert described["CreatedAt"] == PINNED.replace(tzinfo=UTC) <= described["UpdatedAt"]
    result = small_pages.get_statement_result(Id=response["Id"])
    assert values(result["Records"]) == [["2026-01-15 09:30:00"]]


def test_the_server_lifecycle(warehouse):
    server = DataApiServer(warehouse)
    with pytest.raises(SandboxError, match="not running"):
        server.endpoint  # noqa: B018
    assert server.start() is server.start()
    endpoint = server.endpoint
    assert endpoint.startswith("http://127.0.0.1:") and not endpoint.endswith(":0")
    assert server.environment() == {"AWS_ENDPOINT_URL_REDSHIFT_DATA": endpoint}
    server.stop()
    server.stop()
    with pytest.raises(SandboxError):
        server.endpoint  # noqa: B018
