"""Query jobs: one statement parsed, dispatched on its kind, run on DuckDB, its result kept.

``QueryRunner.handlers`` maps each ``StatementKind`` to the function that runs it. QUERY, DML
and DDL run here; MODEL (BigQuery ML) is refused until a module registers its own handler::

    runner.register(StatementKind.MODEL, run_model_statement)

A handler takes the parsed ``Statement`` and the job's ``QueryContext`` (which reaches the
catalog and this runner, e.g. to run a training query) and returns a ``QueryResult``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from . import sql as sqlmod
from .errors import AccessDenied, BigQueryError, Duplicate, Invalid, InvalidQuery, NotFound
from .job_control import Stopper
from .models import Catalog, Dataset, QueryResult, now_ms
from .sql import Parameters, Statement, StatementKind, TableName
from .values import Field, field_from_duckdb

Handler = Callable[[Statement, "QueryContext"], QueryResult]


@dataclass
class QueryContext:
    """Where and how a statement runs: the job's project and location, defaults, parameters."""

    catalog: Catalog
    runner: QueryRunner
    project: str
    location: str
    default_dataset: TableName | None = None
    parameter_types: Parameters = field(default_factory=Parameters)
    parameter_values: dict[str, Any] | list[Any] | None = None
    destination: TableName | None = None
    write_disposition: str | None = None
    create_disposition: str | None = None
    dry_run: bool = False
    # The job's stop switch: its DuckDB work is interrupted when the job is stopped.
    stopper: Stopper = field(default_factory=Stopper)
    _cursor: Any = field(default=None, repr=False)

    def cursor(self) -> Any:
        """The job's own DuckDB cursor, on which its work runs outside the catalog's lock."""
        if self._cursor is None:
            with self.catalog.lock:
                self._cursor = self.catalog.connection.cursor()
        return self._cursor

    def close(self) -> None:
        """Let the job's cursor go (its registered relations with it)."""
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None


def refuse_model(statement: Statement, context: QueryContext) -> QueryResult:
    """BigQuery ML is the next module's work: say so in BigQuery's error format."""
    raise InvalidQuery(
        f"BigQuery ML is not in this sandbox yet: {statement.detail} cannot run until the "
        "sandbox's BigQuery ML module is added"
    )


def refuse_export(statement: Statement, context: QueryContext) -> QueryResult:
    """EXPORT DATA needs Cloud Storage: a sandbox without a storage client refuses it by name."""
    raise InvalidQuery(
        "EXPORT DATA statements are not supported by the BigQuery sandbox without Cloud "
        "Storage: start it with a storage client factory"
    )


def refuse_load(statement: Statement, context: QueryContext) -> QueryResult:
    """LOAD DATA needs Cloud Storage: a sandbox without a storage client refuses it by name."""
    raise InvalidQuery(
        "LOAD DATA statements are not supported by the BigQuery sandbox without Cloud "
        "Storage: start it with a storage client factory"
    )


class QueryRunner:
    """Runs one statement of a query job by dispatching on its parsed kind."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.handlers: dict[StatementKind, Handler] = {
            StatementKind.QUERY: self.run_query,
            StatementKind.DML: self.run_dml,
            StatementKind.DDL: self.run_ddl,
            StatementKind.MODEL: refuse_model,
            StatementKind.EXPORT: refuse_export,
            StatementKind.LOAD: refuse_load,
            StatementKind.CALL: self.run_call,
        }

    def register(self, kind: StatementKind, handler: Handler) -> None:
        """Let ``handler`` run statements of ``kind`` (how BigQuery ML plugs in)."""
        self.handlers[kind] = handler

    def run(self, query: str, context: QueryContext) -> QueryResult:
        """Parse and run one statement; BigQueryError (InvalidQuery, NotFound...) if it fails.

        A plain SELECT holds the catalog's lock only while its names are resolved: it runs on a
        cursor of its own, so a long query never keeps other requests waiting.
        """
        statement = sqlmod.parse(query)
        plain = context.destination is None and not context.dry_run
        if statement.kind is StatementKind.QUERY and plain:
            return self.run_select(statement, context)
        with self.catalog.lock:
            return self.handlers[statement.kind](statement, context)

    def run_select(self, statement: Statement, context: QueryContext) -> QueryResult:
        """A SELECT's rows, read on the job's cursor outside the catalog's lock."""
        with self.catalog.lock:
            duck, read = self.translate(statement, context)
        fields, rows = self.rows(duck, context, statement.sql)
        return QueryResult("SELECT", fields, rows, referenced_tables=read)

    # Name resolution

    def resolve(self, parts: list[str], context: QueryContext) -> TableName:
        """A table name of the query as project, dataset and table."""
        default = context.default_dataset
        if len(parts) == 3:
            return TableName(*parts)
        if len(parts) == 2:
            project = default.project if default else context.project
            return TableName(project, parts[0], parts[1])
        if len(parts) == 1 and default is not None:
            return TableName(default.project, default.dataset, parts[0])
        if len(parts) == 1:
            raise InvalidQuery(
                f'Table "{parts[0]}" must be qualified with a dataset (e.g. dataset.table).'
            )
        raise InvalidQuery(f"Invalid table name: {'.'.join(parts)}")

    def translate(
        self, statement: Statement, context: QueryContext, target: exp.Table | None = None
    ) -> tuple[str, list[TableName]]:
        """DuckDB SQL for the statement, and the tables it reads (each checked to exist)."""
        read: list[TableName] = []

        def resolve(parts: list[str], is_target: bool) -> TableName:
            name = self.resolve(parts, context)
            if not is_target:
                self.catalog.get_table(name, context.location)
                read.append(name)
            return name

        assert statement.tree is not None
        duck = sqlmod.to_duckdb(statement.tree, resolve, context.parameter_types, target)
        return duck, read

    def execute(self, duck_sql: str, context: QueryContext, original: str) -> Any:
        """Run DuckDB SQL on the job's cursor, interruptibly, the catalog's lock let go.

        DuckDB streams a large SELECT's rows as they are fetched: read them with ``rows`` or
        ``arrow``, which keep the lock let go while they do.
        """
        cursor = context.cursor()
        try:
            with context.stopper.running(cursor.interrupt), self.catalog.lock.stepped_out():
                if context.parameter_values:
                    return cursor.execute(duck_sql, context.parameter_values)
                return cursor.execute(duck_sql)
        except duckdb.Error as error:
            raise duckdb_error(error, original) from None

    def rows(
        self, duck_sql: str, context: QueryContext, original: str
    ) -> tuple[list[Field], list[tuple[Any, ...]]]:
        """The schema and every row of a DuckDB query, worked out outside the catalog's lock."""
        cursor = context.cursor()
        try:
            with context.stopper.running(cursor.interrupt), self.catalog.lock.stepped_out():
                found = cursor.execute(duck_sql, context.parameter_values or None)
                return _fields(found), found.fetchall()
        except duckdb.Error as error:
            raise duckdb_error(error, original) from None

    def arrow(
        self, duck_sql: str, context: QueryContext, original: str
    ) -> tuple[list[Field], pa.Table]:
        """The schema and rows of a DuckDB query as Arrow (DuckDB's column types kept)."""
        cursor = context.cursor()
        try:
            with context.stopper.running(cursor.interrupt), self.catalog.lock.stepped_out():
                relation = cursor.sql(duck_sql, params=context.parameter_values or None)
                fields = [
                    field_from_duckdb(name, dtype)
                    for name, dtype in zip(relation.columns, relation.types, strict=True)
                ]
                return fields, relation.to_arrow_table()
        except duckdb.Error as error:
            raise duckdb_error(error, original) from None

    # QUERY

    def run_query(self, statement: Statement, context: QueryContext) -> QueryResult:
        """A SELECT: rows and schema, written to a destination table when one is asked for."""
        duck, read = self.translate(statement, context)
        if context.dry_run:
            fields, _ = self.rows(f"SELECT * FROM ({duck}) LIMIT 0", context, statement.sql)
            return QueryResult("SELECT", fields, [], referenced_tables=read)
        if context.destination is not None:
            return self._query_into(statement, context, duck, read)
        fields, rows = self.rows(duck, context, statement.sql)
        return QueryResult("SELECT", fields, rows, referenced_tables=read)

    def _query_into(
        self, statement: Statement, context: QueryContext, duck: str, read: list[TableName]
    ) -> QueryResult:
        destination = context.destination
        assert destination is not None
        self.catalog.check_writable(destination)
        self.catalog.get_dataset(TableName(destination.project, destination.dataset))
        exists = self.catalog.exists(destination)
        disposition = context.write_disposition or "WRITE_EMPTY"
        if not exists and context.create_disposition == "CREATE_NEVER":
            raise NotFound(f"Not found: Table {destination}")
        target = self.catalog.tables.get(
            (destination.project, destination.dataset, destination.table)
        )
        sql_name = ".".join(
            f'"{part}"' for part in (destination.project, destination.dataset, destination.table)
        )
        if exists and disposition == "WRITE_EMPTY" and target and self.catalog.num_rows(target):
            raise Duplicate(f"Already Exists: Table {destination}")
        if exists and disposition == "WRITE_APPEND":
            self.execute(
                f"INSERT INTO {sql_name} BY NAME {duck}", context, statement.sql
            ).fetchall()
            self.catalog.refresh(destination)
        else:
            self.execute(
                f"CREATE OR REPLACE TABLE {sql_name} AS {duck}", context, statement.sql
            ).fetchall()
            self.catalog.adopt(destination)
        table = self.catalog.get_table(destination)
        rows = self.catalog.read_rows(table, 0, None)
        return QueryResult(
            "SELECT", table.fields, rows, referenced_tables=read, destination=destination
        )

    # DML

    def run_dml(self, statement: Statement, context: QueryContext) -> QueryResult:
        """INSERT, UPDATE, DELETE, MERGE, TRUNCATE: the affected row count."""
        assert statement.tree is not None
        target = _dml_target(statement.tree)
        name = self.resolve(sqlmod.table_parts(target), context)
        table = self.catalog.get_table(name, context.location)
        self.catalog.check_writable(name)
        duck, read = self.translate(statement, context, target)
        if context.dry_run:
            return QueryResult(statement.statement_type, referenced_tables=read)
        if statement.statement_type == "TRUNCATE_TABLE":
            count = self.catalog.num_rows(table)
            self.execute(duck, context, statement.sql).fetchall()
        else:
            count = int(self.execute(duck, context, statement.sql).fetchall()[0][0])
        table.modified_ms = now_ms()
        key = {
            "INSERT": "insertedRowCount",
            "UPDATE": "updatedRowCount",
            "DELETE": "deletedRowCount",
            "TRUNCATE_TABLE": "deletedRowCount",
        }.get(statement.statement_type)
        return QueryResult(
            statement.statement_type,
            num_dml_affected_rows=count,
            dml_stats={key: str(count)} if key else None,
            referenced_tables=[name, *read],
        )

    # DDL

    def run_ddl(self, statement: Statement, context: QueryContext) -> QueryResult:
        """CREATE / DROP of schemas, tables and views, ALTER TABLE."""
        tree = statement.tree
        assert tree is not None
        kind = statement.statement_type
        if kind in ("CREATE_SCHEMA", "DROP_SCHEMA"):
            return self._schema_ddl(statement, context)
        target = _ddl_target(tree)
        name = self.resolve(sqlmod.table_parts(target), context)
        self.catalog.get_dataset(TableName(name.project, name.dataset), context.location)
        self.catalog.check_writable(name)
        exists = self.catalog.exists(name)
        result = QueryResult(kind, ddl_target_table=name)
        if kind.startswith("DROP"):
            if not exists and not tree.args.get("exists"):
                raise NotFound(f"Not found: Table {name}")
            result.ddl_operation = "DROP" if exists else "SKIP"
            if exists and not context.dry_run:
                self.catalog.drop_table(name)
            return result
        if kind == "ALTER_TABLE":
            self.catalog.get_table(name)
            duck, _ = self.translate(statement, context, target)
            result.ddl_operation = "ALTER"
            if not context.dry_run:
                self.execute(duck, context, statement.sql).fetchall()
                self.catalog.refresh(name)
            return result
        replace, if_not_exists = bool(tree.args.get("replace")), bool(tree.args.get("exists"))
        if exists and if_not_exists:
            result.ddl_operation = "SKIP"
            return result
        if exists and not replace:
            raise Duplicate(f"Already Exists: Table {name}")
        description = _option(tree, "description")
        _strip_options(tree)
        duck, read = self.translate(statement, context, target)
        result.referenced_tables = read
        result.ddl_operation = "REPLACE" if exists else "CREATE"
        if context.dry_run:
            return result
        if exists and self.catalog.tables[(name.project, name.dataset, name.table)].kind == "VIEW":
            self.catalog.drop_table(name)
        self.execute(duck, context, statement.sql).fetchall()
        view = kind in ("CREATE_VIEW", "CREATE_MATERIALIZED_VIEW")
        self.catalog.adopt(
            name,
            kind="VIEW" if view else "TABLE",
            view_query=_view_text(statement.sql) if view else None,
            description=description,
            # A materialized view is a view here: its rows are always current, as BigQuery
            # answers an incremental one (refreshes cost nothing and change nothing).
            materialized=kind == "CREATE_MATERIALIZED_VIEW",
        )
        return result

    # CALL

    def run_call(self, statement: Statement, context: QueryContext) -> QueryResult:
        """CALL BQ.REFRESH_MATERIALIZED_VIEW('[project.]dataset.view'): the view must exist."""
        parts = statement.detail.split(".")
        if len(parts) not in (2, 3) or not all(parts):
            raise InvalidQuery(
                f"Invalid materialized view name '{statement.detail}': write 'dataset.view' or "
                "'project.dataset.view'"
            )
        name = self.resolve(parts, context)
        table = self.catalog.get_table(name, context.location)
        if not table.materialized:
            raise InvalidQuery(f"{name} is not a materialized view")
        return QueryResult("CALL")

    def _schema_ddl(self, statement: Statement, context: QueryContext) -> QueryResult:
        tree = statement.tree
        assert tree is not None
        parts = sqlmod.table_parts(_ddl_target(tree))
        if len(parts) not in (1, 2):
            raise InvalidQuery(f"Invalid dataset name: {'.'.join(parts)}")
        project = parts[0] if len(parts) == 2 else context.project
        name = TableName(project, parts[-1])
        result = QueryResult(statement.statement_type, ddl_target_dataset=name)
        exists = (name.project, name.dataset) in self.catalog.datasets
        if statement.statement_type == "DROP_SCHEMA":
            if not exists and not tree.args.get("exists"):
                raise NotFound(f"Not found: Dataset {name}")
            result.ddl_operation = "DROP" if exists else "SKIP"
            if exists and not context.dry_run:
                cascade = bool(tree.args.get("cascade"))
                self.catalog.delete_dataset(name, delete_contents=cascade)
            return result
        if name.project == "bigquery-public-data":
            raise AccessDenied(
                f"Access Denied: Project {name.project}: the public datasets "
                "of the BigQuery sandbox are read-only"
            )
        if exists:
            if tree.args.get("exists"):
                result.ddl_operation = "SKIP"
                return result
            raise Duplicate(f"Already Exists: Dataset {name}")
        result.ddl_operation = "CREATE"
        if not context.dry_run:
            location = _option(tree, "location") or context.location
            self.catalog.create_dataset(
                Dataset(
                    name.project,
                    name.dataset,
                    location=location.upper() if location.lower() in ("us", "eu") else location,
                    description=_option(tree, "description"),
                    friendly_name=_option(tree, "friendly_name"),
                )
            )
        return result


def duckdb_error(error: duckdb.Error, sql: str) -> BigQueryError:
    """A DuckDB error as BigQuery words the same mistake, with its place in the query."""
    first = str(error).splitlines()[0]
    message = re.sub(r"^[A-Za-z ]+ Error: ", "", first)
    column = re.search(r'Referenced column "([^"]+)" not found', message)
    if column:
        name = column.group(1)
        return InvalidQuery(f"Unrecognized name: {name} at {sqlmod.position(sql, name)}")
    function = re.search(r"(?:Scalar|Aggregate|Table) Function with name (\w+) does not", message)
    if function:
        name = function.group(1)
        return InvalidQuery(f"Function not found: {name} at {sqlmod.position(sql, name)}")
    division = re.search(r"Division by zero in expression \((.*)\)\.", message)
    if division:
        return InvalidQuery(f"division by zero: {division.group(1)}")
    cast = re.search(r"Could not convert string '(.*)' to (INT64|DOUBLE|BOOL)", message)
    if cast:
        kind = {"INT64": "int64", "DOUBLE": "double", "BOOL": "bool"}[cast.group(2)]
        return InvalidQuery(f"Bad {kind} value: {cast.group(1)}")
    null = re.search(r"NOT NULL constraint failed: \w+\.(\w+)", message)
    if null:
        return Invalid(f"Required field {null.group(1)} cannot be null")
    return InvalidQuery(message)


def _fields(cursor: Any) -> list[Field]:
    return [field_from_duckdb(name, dtype) for name, dtype, *_ in cursor.description]


def _ddl_target(tree: exp.Expression) -> exp.Table:
    tables = tree.args.get("tables") or []
    if len(tables) > 1:
        raise InvalidQuery("Drop one table or schema per statement in the BigQuery sandbox")
    node = tables[0] if tables else tree.this
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table):
        raise InvalidQuery("The statement does not name what it creates, drops or changes")
    return node


def _dml_target(tree: exp.Expression) -> exp.Table:
    node = tree.this
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table):
        raise InvalidQuery("The statement does not name the table it changes")
    return node


def _option(tree: exp.Expression, name: str) -> str | None:
    properties = tree.args.get("properties")
    if properties is None:
        return None
    for prop in properties.expressions:
        if isinstance(prop, exp.LocationProperty) and name == "location":
            return prop.this.name
        if isinstance(prop, exp.Property) and prop.name.lower() == name:
            value = prop.args.get("value")
            return value.name if value is not None else None
    return None


def _strip_options(tree: exp.Expression) -> None:
    # OPTIONS(...) are metadata BigQuery keeps; DuckDB has nothing to do with them.
    if tree.args.get("properties") is not None:
        tree.set("properties", None)


def _view_text(sql: str) -> str:
    match = re.search(r"\bAS\b(.*)$", sql, flags=re.IGNORECASE | re.DOTALL)
    return match.group(1).strip() if match else sql
