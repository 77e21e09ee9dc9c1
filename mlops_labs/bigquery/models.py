"""Projects, datasets, tables and jobs of the sandbox, over one in-memory DuckDB database.

DuckDB naming scheme: each BigQuery project is a DuckDB catalog (an attached in-memory
database) named exactly like the project; each dataset is a schema of that catalog, named like
the dataset; each table or view keeps its own name. So `p.d.t` is ``"p"."d"."t"`` in DuckDB.
The catalogs ``memory``, ``system`` and ``temp`` are DuckDB's own: no project may take them.

DuckDB holds the rows; this module holds what BigQuery says about them (schemas with modes,
descriptions, labels, times). A table exists for the API when it is registered here: SQL that
creates one in DuckDB is followed by ``Catalog.adopt``, which reads its schema back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..cloud import duckdb_guard
from ..cloud.step_out_lock import StepOutLock
from . import functions
from .errors import AccessDenied, BigQueryError, Duplicate, Invalid, NotFound, ResourceInUse
from .job_control import Stopper
from .sql import TableName
from .values import Field, field_from_duckdb, quote

DEFAULT_LOCATION = "US"
PUBLIC_PROJECT = "bigquery-public-data"
RESERVED_CATALOGS = {"memory", "system", "temp"}
_LOGICAL_BYTES = {
    "INTEGER": 8,
    "FLOAT": 8,
    "NUMERIC": 16,
    "BIGNUMERIC": 32,
    "BOOLEAN": 1,
    "DATE": 8,
    "DATETIME": 8,
    "TIME": 8,
    "TIMESTAMP": 8,
    "INTERVAL": 16,
}


def now_ms() -> int:
    """Milliseconds since the epoch, as BigQuery times its resources."""
    return time.time_ns() // 1_000_000


def etag_of(resource: dict[str, Any]) -> str:
    """A stable etag for a resource's content."""
    digest = hashlib.md5(json.dumps(resource, sort_keys=True).encode(), usedforsecurity=False)
    return base64.b64encode(digest.digest()).decode("ascii")


@dataclass
class Dataset:
    """A dataset: a DuckDB schema in its project's catalog, with BigQuery's metadata."""

    project: str
    dataset_id: str
    location: str = DEFAULT_LOCATION
    description: str | None = None
    friendly_name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    default_table_expiration_ms: str | None = None
    created_ms: int = field(default_factory=now_ms)
    modified_ms: int = field(default_factory=now_ms)
    read_only: bool = False

    @property
    def name(self) -> TableName:
        """The dataset's reference."""
        return TableName(self.project, self.dataset_id)


@dataclass
class Table:
    """A table or view: rows in DuckDB, schema and metadata here."""

    project: str
    dataset_id: str
    table_id: str
    fields: list[Field]
    kind: str = "TABLE"
    view_query: str | None = None
    description: str | None = None
    friendly_name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    expiration_ms: str | None = None
    created_ms: int = field(default_factory=now_ms)
    modified_ms: int = field(default_factory=now_ms)
    read_only: bool = False
    insert_ids: set[str] = field(default_factory=set)
    materialized: bool = False  # a VIEW made by CREATE MATERIALIZED VIEW

    @property
    def name(self) -> TableName:
        """The table's reference."""
        return TableName(self.project, self.dataset_id, self.table_id)

    @property
    def sql_name(self) -> str:
        """The quoted DuckDB name."""
        return ".".join(quote(part) for part in (self.project, self.dataset_id, self.table_id))


class Catalog:
    """Every project, dataset and table of one sandbox, and the DuckDB connection under them."""

    def __init__(self) -> None:
        self.connection = duckdb.connect(config=dict(duckdb_guard.OPEN_CONFIG))
        self.connection.execute("SET GLOBAL TimeZone = 'UTC'").fetchall()
        # BigQuery raises on division by zero where IEEE arithmetic would give Infinity.
        self.connection.execute("SET GLOBAL ieee_floating_point_ops = false").fetchall()
        # No host files at all: loads arrive as bytes and are handed over as Arrow tables.
        duckdb_guard.harden(self.connection)
        functions.register(self.connection)
        # Names, metadata and this shared connection change under the lock; a statement's own
        # work runs on a cursor of its own with the lock let go (see cloud.step_out_lock).
        self.lock = StepOutLock()
        self.projects: set[str] = set()
        self.datasets: dict[tuple[str, str], Dataset] = {}
        self.tables: dict[tuple[str, str, str], Table] = {}
        # BigQuery ML models by (project, dataset, model); ``bigquery/ml.py`` fills it.
        self.models: dict[tuple[str, str, str], Any] = {}

    def close(self) -> None:
        """Release the DuckDB database."""
        self.connection.close()

    def run(self, sql: str, parameters: Any = None) -> list[tuple[Any, ...]]:
        """Run DuckDB SQL and fetch everything (DuckDB refuses new work while a result waits)."""
        with self.lock:
            return self.connection.execute(sql, parameters).fetchall()

    def reset(self, keep: set[str]) -> None:
        """Drop every project but those in ``keep`` (the public datasets)."""
        with self.lock:
            for project in sorted(self.projects - keep):
                self.run(f"DETACH {quote(project)}")
                self.projects.discard(project)
            self.datasets = {k: v for k, v in self.datasets.items() if k[0] in keep}
            self.tables = {k: v for k, v in self.tables.items() if k[0] in keep}
            self.models = {k: v for k, v in self.models.items() if k[0] in keep}

    # Projects and datasets

    def ensure_project(self, project: str) -> None:
        """Attach the project's catalog on first use."""
        if project in self.projects:
            return
        if project.lower() in RESERVED_CATALOGS:
            raise Invalid(f"Project ID {project} is reserved by the BigQuery sandbox's DuckDB")
        self.run(f"ATTACH ':memory:' AS {quote(project)}")
        self.projects.add(project)

    def create_dataset(self, dataset: Dataset) -> Dataset:
        """Add a dataset; Duplicate if it exists."""
        with self.lock:
            key = (dataset.project, dataset.dataset_id)
            if key in self.datasets:
                raise Duplicate(f"Already Exists: Dataset {dataset.name}")
            self.ensure_project(dataset.project)
            schema = f"{quote(dataset.project)}.{quote(dataset.dataset_id)}"
            self.run(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            self.datasets[key] = dataset
            return dataset

    def get_dataset(self, name: TableName, location: str | None = None) -> Dataset:
        """The dataset a name refers to; NotFound in BigQuery's words if there is none."""
        dataset = self.datasets.get((name.project, name.dataset))
        if dataset is None or (location and dataset.location.upper() != location.upper()):
            where = f" was not found in location {location}" if location else ""
            raise NotFound(f"Not found: Dataset {name}{where}")
        return dataset

    def list_datasets(self, project: str, include_hidden: bool = False) -> list[Dataset]:
        """The project's datasets in name order; hidden ones (``_...``) only when asked."""
        found = [d for (p, _), d in self.datasets.items() if p == project]
        if not include_hidden:
            found = [d for d in found if not d.dataset_id.startswith("_")]
        return sorted(found, key=lambda d: d.dataset_id)

    def delete_dataset(self, name: TableName, delete_contents: bool = False) -> None:
        """Drop a dataset; ResourceInUse if it holds tables and contents may not go."""
        with self.lock:
            dataset = self.get_dataset(name)
            self.check_writable(dataset.name)
            tables = self.list_tables(name)
            models = [key for key in self.models if key[:2] == (name.project, name.dataset)]
            if (tables or models) and not delete_contents:
                raise ResourceInUse(f"Dataset {name} is still in use")
            for table in tables:
                self.drop_table(table.name)
            for key in models:
                del self.models[key]
            if name.dataset != "main":  # every DuckDB catalog keeps its main schema
                schema = f"{quote(name.project)}.{quote(name.dataset)}"
                self.run(f"DROP SCHEMA {schema} CASCADE")
            del self.datasets[(name.project, name.dataset)]

    def check_writable(self, name: TableName) -> None:
        """AccessDenied for the read-only public datasets."""
        dataset = self.datasets.get((name.project, name.dataset))
        if dataset is not None and dataset.read_only:
            what = f"Table {name}" if name.table else f"Dataset {name}"
            raise AccessDenied(
                f"Access Denied: {what}: the public datasets of the BigQuery sandbox are read-only"
            )

    # Tables

    def get_table(self, name: TableName, location: str | None = None) -> Table:
        """The table a name refers to; NotFound (dataset first) in BigQuery's words."""
        self.get_dataset(TableName(name.project, name.dataset), location)
        table = self.tables.get((name.project, name.dataset, name.table))
        if table is None:
            where = f" was not found in location {location}" if location else ""
            raise NotFound(f"Not found: Table {name}{where}")
        return table

    def exists(self, name: TableName) -> bool:
        """Whether the table or view exists."""
        return (name.project, name.dataset, name.table) in self.tables

    def list_tables(self, name: TableName) -> list[Table]:
        """The dataset's tables and views in name order."""
        found = [
            t for (p, d, _), t in self.tables.items() if (p, d) == (name.project, name.dataset)
        ]
        return sorted(found, key=lambda t: t.table_id)

    def create_table(self, table: Table, view_sql: str | None = None) -> Table:
        """Create a table from its fields (or a view from DuckDB SQL); Duplicate if it exists."""
        with self.lock:
            self.get_dataset(TableName(table.project, table.dataset_id))
            self.check_writable(table.name)
            if self.exists(table.name):
                raise Duplicate(f"Already Exists: Table {table.name}")
            if view_sql is not None:
                self.run(f"CREATE VIEW {table.sql_name} AS {view_sql}")
                table.fields = self.describe(table.sql_name)
            else:
                if not table.fields:
                    # BigQuery tables may have no columns; DuckDB's need one.
                    self.run(f"CREATE TABLE {table.sql_name} (_empty BOOLEAN)")
                else:
                    columns = ", ".join(f.column_sql() for f in table.fields)
                    self.run(f"CREATE TABLE {table.sql_name} ({columns})")
            self.tables[(table.project, table.dataset_id, table.table_id)] = table
            return table

    def adopt(self, name: TableName, kind: str = "TABLE", **metadata: Any) -> Table:
        """Register a table SQL has just created (or replaced) in DuckDB, reading its schema."""
        with self.lock:
            table = Table(name.project, name.dataset, name.table, [], kind=kind, **metadata)
            table.fields = self.describe(table.sql_name, nullability_of=name)
            self.tables[(name.project, name.dataset, name.table)] = table
            return table

    def refresh(self, name: TableName) -> Table:
        """Re-read a table's schema after SQL altered it."""
        with self.lock:
            table = self.tables[(name.project, name.dataset, name.table)]
            declared = {f.name: f for f in table.fields}
            # Columns that were there keep their declared field (modes, descriptions, types
            # DuckDB stores as another, such as GEOGRAPHY); new columns are read from DuckDB.
            table.fields = [
                declared.get(f.name, f) for f in self.describe(table.sql_name, nullability_of=name)
            ]
            table.modified_ms = now_ms()
            return table

    def forget(self, name: TableName) -> None:
        """Drop a table from the registry after SQL dropped it in DuckDB."""
        self.tables.pop((name.project, name.dataset, name.table), None)

    def drop_table(self, name: TableName) -> None:
        """Drop a table or view; NotFound if there is none."""
        with self.lock:
            table = self.get_table(name)
            self.check_writable(name)
            self.run(f"DROP {'VIEW' if table.kind == 'VIEW' else 'TABLE'} {table.sql_name}")
            self.forget(name)

    def describe(self, sql_name: str, nullability_of: TableName | None = None) -> list[Field]:
        """The BigQuery fields of a DuckDB table, view or query."""
        relation = self.connection.sql(f"SELECT * FROM {sql_name} LIMIT 0")
        required: set[str] = set()
        if nullability_of is not None:
            rows = self.connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? "
                "AND table_schema = ? AND table_name = ? AND is_nullable = 'NO'",
                [nullability_of.project, nullability_of.dataset, nullability_of.table],
            ).fetchall()
            required = {row[0] for row in rows}
        return [
            field_from_duckdb(name, dtype, nullable=name not in required)
            for name, dtype in zip(relation.columns, relation.types, strict=True)
        ]

    # Rows

    def num_rows(self, table: Table) -> int:
        """How many rows the table holds."""
        with self.lock:
            return self.run(f"SELECT count(*) FROM {table.sql_name}")[0][0]

    def num_bytes(self, table: Table) -> int:
        """BigQuery's logical size: 8 bytes an INT64, 2 + UTF-8 length a STRING, NULL nothing."""
        if not table.fields:
            return 0
        terms = [_byte_expression(f) for f in table.fields]
        with self.lock:
            total = self.run(f"SELECT coalesce(sum({' + '.join(terms)}), 0) FROM {table.sql_name}")[
                0
            ][0]
        return int(total)

    def read_rows(self, table: Table, start: int, count: int | None) -> list[tuple[Any, ...]]:
        """Rows ``start`` to ``start + count`` in the table's stored order."""
        limit = "" if count is None else f" LIMIT {int(count)}"
        columns = ", ".join(quote(f.name) for f in table.fields)
        with self.lock:
            return self.connection.execute(
                f"SELECT {columns} FROM {table.sql_name}{limit} OFFSET {int(start)}"
            ).fetchall()

    def insert_rows(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Append rows given as column -> value dicts (already decoded)."""
        if not rows:
            return
        names = [f.name for f in table.fields]
        marks = ", ".join("?" for _ in names)
        columns = ", ".join(quote(name) for name in names)
        with self.lock:
            self.connection.executemany(
                f"INSERT INTO {table.sql_name} ({columns}) VALUES ({marks})",
                [[row.get(name) for name in names] for row in rows],
            )
            table.modified_ms = now_ms()


def _byte_expression(f: Field) -> str:
    column = quote(f.name)
    if f.mode == "REPEATED" or f.type == "RECORD":
        # An estimate: the text form's length stands in for nested values.
        return f"coalesce(strlen(CAST({column} AS VARCHAR)), 0)"
    if f.type in ("STRING", "BYTES", "JSON", "GEOGRAPHY"):
        if f.type == "BYTES":
            return f"coalesce(2 + octet_length({column}), 0)"
        return f"coalesce(2 + strlen(CAST({column} AS VARCHAR)), 0)"
    size = _LOGICAL_BYTES.get(f.type, 8)
    return f"(CASE WHEN {column} IS NULL THEN 0 ELSE {size} END)"


# Jobs


@dataclass
class QueryResult:
    """What a statement produced: rows and their schema (none for DDL and DML), and its facts."""

    statement_type: str
    fields: list[Field] | None = None
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    num_dml_affected_rows: int | None = None
    dml_stats: dict[str, str] | None = None
    ddl_operation: str | None = None
    ddl_target_table: TableName | None = None
    ddl_target_dataset: TableName | None = None
    referenced_tables: list[TableName] = field(default_factory=list)
    destination: TableName | None = None
    bytes_processed: int = 0
    bytes_billed: int = 0
    ml_statistics: dict[str, Any] | None = None
    export_statistics: dict[str, str] | None = None


@dataclass
class Job:
    """A job as jobs.get shows it: PENDING, RUNNING, then DONE with a result or an error."""

    project: str
    job_id: str
    location: str
    job_type: str
    configuration: dict[str, Any]
    created_ms: int
    started_ms: int = 0
    ended_ms: int = 0
    error: BigQueryError | None = None
    result: QueryResult | None = None
    load_statistics: dict[str, str] | None = None
    extract_statistics: dict[str, Any] | None = None
    state: str = "PENDING"
    finished: threading.Event = field(default_factory=threading.Event, repr=False)
    stopper: Stopper = field(default_factory=Stopper, repr=False)

    @property
    def full_id(self) -> str:
        """``project:LOCATION.job_id``, as the API and its messages write it."""
        return f"{self.project}:{self.location}.{self.job_id}"
