"""The Data API on the wire: AWS JSON 1.1 requests checked and parsed, responses shaped."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from functools import cache
from typing import Any

from botocore.loaders import create_loader
from botocore.model import ServiceModel, Shape

from ...cloud import aws_shapes
from ...cloud.request_guard import RefusedBody, load_json
from ..results import Column
from .models import (
    REDSHIFT_PID,
    Connection,
    DataApiBackend,
    DataApiError,
    Query,
    SerializationException,
    Statement,
    TableColumn,
    UnknownOperationException,
    ValidationException,
    page,
)

TARGET_PREFIX = "RedshiftData."
CONTENT_TYPE = "application/x-amz-json-1.1"
# "The maximum query statement size is 100 KB" (the Data API's documented limit).
MAX_SQL_BYTES = 100 * 1024
_log = logging.getLogger(__name__)

# (precision, scale) of types whose name fixes them, as Redshift's JDBC metadata reports them.
_FIXED_SIZES = {
    "int2": (5, 0),
    "int4": (10, 0),
    "int8": (19, 0),
    "float4": (8, 8),
    "float8": (17, 17),
    "bool": (1, 0),
    "date": (13, 0),
    "time": (15, 6),
    "timetz": (21, 6),
    "timestamp": (29, 6),
    "timestamptz": (35, 6),
}
_SIGNED = {"int2", "int4", "int8", "float4", "float8", "numeric"}
_NOT_CASE_SENSITIVE = _SIGNED | {"bool", "date", "time", "timetz", "timestamp", "timestamptz"}
# JDBC's columnNullableUnknown: a query result does not say where its columns came from.
_NULLABLE_UNKNOWN = 2


@cache
def service_model() -> ServiceModel:
    """botocore's model of the Data API: the names and limits requests are held to."""
    return ServiceModel(
        create_loader().load_service_model("redshift-data", "service-2"), "redshift-data"
    )


class DataApiResponses:
    """Answers requests from one backend: one method per operation of the service model."""

    def __init__(self, backend: DataApiBackend) -> None:
        self.backend = backend

    def handle(self, target: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body that answer one request."""
        try:
            operation = _operation(target)
            request = _parse(body)
            check(service_model().operation_model(operation).input_shape, request)
            handler = getattr(self, re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower())
            return 200, handler(request)
        except DataApiError as exc:
            return exc.status, error_body(exc)
        except Exception as exc:  # a bug here must still answer in the API's format
            _log.exception("the offline Data API failed on %s", target)
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return 500, error_body(DataApiError(f"internal error: {first_line}"))

    # Running statements
    def execute_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        """ExecuteStatement: run one statement now."""
        _refuse_unsupported(request)
        sql = request["Sql"]
        _check_sql_size([sql])
        if not sql.strip():
            raise ValidationException("Sql is empty: give the SQL statement to run")
        statement = self.backend.execute_statement(
            sql, _connection(request), **_submission(request)
        )
        return self._submitted(statement)

    def batch_execute_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        """BatchExecuteStatement: run statements in order as one transaction."""
        _refuse_unsupported(request)
        sqls = request["Sqls"]
        _check_sql_size(sqls)
        blank = [number for number, sql in enumerate(sqls, start=1) if not sql.strip()]
        if blank:
            raise ValidationException(f"Sqls holds an empty statement at position {blank[0]}")
        statement = self.backend.batch_execute_statement(
            sqls, _connection(request), **_submission(request)
        )
        return self._submitted(statement)

    def _submitted(self, statement: Statement) -> dict[str, Any]:
        body = {"Id": statement.id, "CreatedAt": epoch(statement.created_at)}
        body.update(self._connection_fields(statement.connection))
        return body

    # Reading statements back
    def describe_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        """DescribeStatement: status, timings, counts; sub-statements for a batch."""
        statement, query = self.backend.find(request["Id"])
        body: dict[str, Any] = {"Id": query.id if query else statement.id}
        body.update(self._connection_fields(statement.connection))
        body.update(_progress(query or statement))
        body["RedshiftPid"] = REDSHIFT_PID
        if statement.parameters:
            body["QueryParameters"] = statement.parameters
        body["ResultFormat"] = "JSON"
        if statement.is_batch and query is None:
            body["SubStatements"] = [{"Id": q.id, **_progress(q)} for q in statement.queries]
        return body

    def get_statement_result(self, request: dict[str, Any]) -> dict[str, Any]:
        """GetStatementResult: a page of typed records with the column metadata."""
        result = self.backend.result_page(request["Id"], request.get("NextToken"))
        body: dict[str, Any] = {
            "Records": result.records,
            "ColumnMetadata": [result_column(column) for column in result.query.columns],
            "TotalNumRows": len(result.query.records),
        }
        if result.next_token:
            body["NextToken"] = result.next_token
        return body

    def get_statement_result_v2(self, request: dict[str, Any]) -> dict[str, Any]:
        """GetStatementResultV2: CSV results, which no statement here has (CSV is refused)."""
        self.backend.result_page(request["Id"])
        raise ValidationException(
            "Query was run with ResultFormat JSON: fetch its result with GetStatementResult"
        )

    def cancel_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        """CancelStatement: a SUBMITTED or STARTED statement is stopped (ABORTED)."""
        self.backend.cancel(request["Id"])
        return {"Status": True}

    def list_statements(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListStatements: newest first, filtered by status, name prefix and where they ran."""
        cluster, workgroup = request.get("ClusterIdentifier"), request.get("WorkgroupName")
        if cluster and workgroup:
            raise ValidationException(
                "ClusterIdentifier and WorkgroupName cannot both be given: name one of them"
            )
        place = None
        if cluster or workgroup or request.get("Database"):
            place = Connection(
                cluster_identifier=cluster,
                workgroup_name=workgroup,
                database=request.get("Database"),
            )
        statements, token = self.backend.list_statements(
            status=request.get("Status"),
            name_prefix=request.get("StatementName"),
            connection=place,
            max_results=request.get("MaxResults"),
            next_token=request.get("NextToken"),
        )
        body: dict[str, Any] = {"Statements": [_listed(s) for s in statements]}
        if token:
            body["NextToken"] = token
        return body

    # The warehouse's catalog
    def list_databases(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListDatabases: the warehouse's one database."""
        names = self.backend.list_databases(_connection(request))
        return _paged("Databases", names, "ListDatabases", request)

    def list_schemas(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListSchemas: schema names matching SchemaPattern (LIKE)."""
        connection = _connection(request)
        self.backend.check_database(request.get("ConnectedDatabase"))
        names = self.backend.list_schemas(connection, request.get("SchemaPattern"))
        return _paged("Schemas", names, "ListSchemas", request)

    def list_tables(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListTables: tables and views matching SchemaPattern and TablePattern (LIKE)."""
        connection = _connection(request)
        self.backend.check_database(request.get("ConnectedDatabase"))
        found = self.backend.list_tables(
            connection, request.get("SchemaPattern"), request.get("TablePattern")
        )
        tables = [{"name": name, "type": kind, "schema": schema} for schema, name, kind in found]
        return _paged("Tables", tables, "ListTables", request)

    def describe_table(self, request: dict[str, Any]) -> dict[str, Any]:
        """DescribeTable: the columns of a table (or of every table) with their metadata."""
        connection = _connection(request)
        self.backend.check_database(request.get("ConnectedDatabase"))
        found = self.backend.describe_table(connection, request.get("Schema"), request.get("Table"))
        body = _paged("ColumnList", [table_column(c) for c in found], "DescribeTable", request)
        if request.get("Table"):
            body["TableName"] = request["Table"]
        return body

    def _connection_fields(self, connection: Connection) -> dict[str, Any]:
        return _present(
            ClusterIdentifier=connection.cluster_identifier,
            WorkgroupName=connection.workgroup_name,
            Database=connection.database or self.backend.database,
            DbUser=connection.db_user,
            SecretArn=connection.secret_arn,
        )


def check(shape: Shape, request: dict[str, Any]) -> None:
    """Hold a request to its input shape: JSON types, required members, lengths, enums, patterns."""
    # Statement Ids are checked by the backend, with the service's own wording.
    try:
        aws_shapes.check(shape, request, unchecked_patterns=frozenset({"UUID"}))
    except aws_shapes.ShapeError as error:
        if error.type_name == "SerializationException":
            raise SerializationException(error.message) from None
        raise ValidationException(error.message) from None


def error_body(exc: DataApiError) -> dict[str, Any]:
    """An error as the JSON protocol carries it: ``__type``, Message, the shape's other members."""
    return {"__type": exc.type_name, "Message": exc.message, **exc.fields}


def epoch(moment: datetime) -> float:
    """A timestamp as the JSON protocol carries it: seconds since the epoch."""
    return moment.timestamp()


def result_column(column: Column) -> dict[str, Any]:
    """ColumnMetadata of a result column: what its type tells; no table, nullability unknown."""
    meta = _type_metadata(column.name, column.type_name)
    meta.update(nullable=_NULLABLE_UNKNOWN, schemaName="", tableName="")
    return meta


def table_column(column: TableColumn) -> dict[str, Any]:
    """ColumnMetadata of a stored column, from the warehouse's information_schema."""
    meta = _type_metadata(column.name, column.type_name)
    meta.update(
        nullable=1 if column.nullable else 0, schemaName=column.schema, tableName=column.table
    )
    if column.precision is not None:
        meta["precision"] = column.precision
    if column.scale is not None:
        meta["scale"] = column.scale
    if column.length is not None:
        meta["length"] = column.length
    if column.default is not None:
        meta["columnDefault"] = column.default
    return meta


def _type_metadata(name: str, type_name: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "label": name,
        "typeName": type_name,
        "isCaseSensitive": type_name not in _NOT_CASE_SENSITIVE,
        "isCurrency": False,
        "isSigned": type_name in _SIGNED,
    }
    if type_name in _FIXED_SIZES:
        meta["precision"], meta["scale"] = _FIXED_SIZES[type_name]
    return meta


def _operation(target: str | None) -> str:
    if not target or not target.startswith(TARGET_PREFIX):
        raise UnknownOperationException(
            f"X-Amz-Target must name a Data API operation as {TARGET_PREFIX}<Operation>, "
            f"got {target!r}"
        )
    name = target[len(TARGET_PREFIX) :]
    if name not in service_model().operation_names:
        raise UnknownOperationException(f"the Redshift Data API has no operation {name!r}")
    return name


def _parse(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        request = load_json(body)
    except RefusedBody as refused:
        raise SerializationException(f"the request body is not JSON: {refused.message}") from None
    if not isinstance(request, dict):
        raise SerializationException("the request body must be a JSON object")
    return request


def _check_sql_size(sqls: list[str]) -> None:
    if any(len(sql.encode()) > MAX_SQL_BYTES for sql in sqls):
        raise ValidationException("Cannot process query string larger than 100kB")


def _connection(request: dict[str, Any]) -> Connection:
    cluster, workgroup = request.get("ClusterIdentifier"), request.get("WorkgroupName")
    secret = request.get("SecretArn")
    if cluster and workgroup:
        raise ValidationException(
            "ClusterIdentifier and WorkgroupName cannot both be given: "
            "name the provisioned cluster or the serverless workgroup"
        )
    # A secret names its cluster; without one the request must say where it runs.
    if not (cluster or workgroup or secret):
        raise ValidationException(
            "either ClusterIdentifier or WorkgroupName is required to say where the SQL runs"
        )
    if request.get("Database") is None and not secret:
        raise ValidationException(
            "Database is required when connecting with temporary credentials (no SecretArn)"
        )
    return Connection(
        cluster_identifier=cluster,
        workgroup_name=workgroup,
        database=request.get("Database"),
        db_user=request.get("DbUser"),
        secret_arn=secret,
    )


def _refuse_unsupported(request: dict[str, Any]) -> None:
    if request.get("ResultFormat") == "CSV":
        raise ValidationException(
            "ResultFormat CSV is not supported by the offline Data API: use JSON (the default)"
        )
    if request.get("SessionId") or request.get("SessionKeepAliveSeconds"):
        raise ValidationException(
            "sessions (SessionId, SessionKeepAliveSeconds) are not supported by the offline "
            "Data API: send each statement with its ClusterIdentifier or WorkgroupName"
        )
    names = [parameter["name"] for parameter in request.get("Parameters") or []]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValidationException(f"Parameters names {repeated[0]!r} more than once")


def _submission(request: dict[str, Any]) -> dict[str, Any]:
    return {
        "parameters": request.get("Parameters"),
        "name": request.get("StatementName"),
        "with_event": request.get("WithEvent"),
        "client_token": request.get("ClientToken"),
    }


def _progress(run: Statement | Query) -> dict[str, Any]:
    """The members a statement and a sub-statement share: status, timing, counts."""
    body: dict[str, Any] = {
        "Status": run.status,
        "Duration": run.duration_ns,
        "CreatedAt": epoch(run.created_at),
        "UpdatedAt": epoch(run.updated_at),
        "HasResultSet": run.has_result_set,
        "QueryString": run.sql if isinstance(run, Query) else run.query_string,
        "ResultRows": run.result_rows,
        "ResultSize": run.result_size,
    }
    if run.error:
        body["Error"] = run.error
    query_id = run.redshift_query_id if isinstance(run, Query) else None
    if query_id is None and isinstance(run, Statement) and not run.is_batch:
        query_id = run.queries[0].redshift_query_id
    if query_id is not None:
        body["RedshiftQueryId"] = query_id
    return body


def _listed(statement: Statement) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Id": statement.id,
        "Status": statement.status,
        "CreatedAt": epoch(statement.created_at),
        "UpdatedAt": epoch(statement.updated_at),
        "IsBatchStatement": statement.is_batch,
        "ResultFormat": "JSON",
    }
    if statement.is_batch:
        body["QueryStrings"] = [query.sql for query in statement.queries]
    else:
        body["QueryString"] = statement.queries[0].sql
    body.update(
        _present(
            StatementName=statement.name,
            SecretArn=statement.connection.secret_arn,
            QueryParameters=statement.parameters,
        )
    )
    return body


def _paged(key: str, items: list[Any], operation: str, request: dict[str, Any]) -> dict[str, Any]:
    chosen, token = page(items, operation, request.get("MaxResults"), request.get("NextToken"))
    body: dict[str, Any] = {key: chosen}
    if token:
        body["NextToken"] = token
    return body


def _present(**members: Any) -> dict[str, Any]:
    return {name: value for name, value in members.items() if value is not None}
