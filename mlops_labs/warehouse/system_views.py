"""Redshift's SYS monitoring views, kept by the warehouse so monitoring code runs unchanged.

``sys_query_history``, ``sys_query_detail`` (scan steps), ``sys_load_history`` and
``sys_unload_history`` carry a subset of the real views' columns, with the same names; the
load and unload views add ``iam_role``, the role each COPY or UNLOAD named. Bytes
scanned follow Redshift's columnar rule: only the columns a query references are read.

Writing a history row costs a DuckDB statement of its own, about as much as a small query: the
rows of ``sys_query_history`` and ``sys_query_detail`` wait in memory and are written together
when a statement may read them (``flush``), as the warehouse decides before each statement.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlglot import exp

from .catalog import TableDesign

SCHEMA = """
CREATE TABLE sys_query_history (
    query_id BIGINT, query_type VARCHAR, status VARCHAR, start_time TIMESTAMP,
    end_time TIMESTAMP, elapsed_time BIGINT, returned_rows BIGINT, query_text VARCHAR,
    error_message VARCHAR);
CREATE TABLE sys_query_detail (
    query_id BIGINT, step_name VARCHAR, table_name VARCHAR, input_rows BIGINT,
    input_bytes BIGINT);
CREATE TABLE sys_load_history (
    query_id BIGINT, status VARCHAR DEFAULT 'completed', table_name VARCHAR,
    data_source VARCHAR, file_format VARCHAR, loaded_rows BIGINT, loaded_bytes BIGINT,
    source_file_count BIGINT, iam_role VARCHAR);
CREATE TABLE svv_table_info (
    "schema" VARCHAR, "table" VARCHAR, diststyle VARCHAR, sortkey1 VARCHAR, sortkey_num INTEGER,
    encoded VARCHAR);
CREATE TABLE sys_unload_history (
    query_id BIGINT, status VARCHAR DEFAULT 'completed', unloaded_location VARCHAR,
    file_format VARCHAR, unloaded_rows BIGINT, unloaded_files_count BIGINT,
    unloaded_files_size BIGINT, iam_role VARCHAR);
"""
NAMES = (
    "sys_query_history", "sys_query_detail", "sys_load_history", "sys_unload_history",
    "svv_table_info",
)  # fmt: skip

# A statement that names one of these may read the views (or the last query id, kept in them).
READS_VIEWS = re.compile(r"(sys_|svv_|pg_last_query_id)", re.IGNORECASE)
# The columns of the views whose rows wait in memory, in the order of SCHEMA.
_BUFFERED = {"sys_query_history": 9, "sys_query_detail": 5}

# Bytes per value of fixed-width types, as Redshift stores them uncompressed.
_WIDTHS = {
    "BIGINT": 8, "DOUBLE": 8, "TIMESTAMP": 8, "TIMESTAMP WITH TIME ZONE": 8, "INTEGER": 4,
    "FLOAT": 4, "DATE": 4, "SMALLINT": 2, "TINYINT": 2, "BOOLEAN": 1, "HUGEINT": 16,
}  # fmt: skip


class SystemViews:
    """The SYS views of one warehouse database."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self._next_id = 1
        self._pending: dict[str, list[list[Any]]] = {view: [] for view in _BUFFERED}
        self._columns: dict[tuple[str | None, str], dict[str, str]] = {}
        db.execute(SCHEMA)

    def flush(self) -> None:
        """Write the history rows waiting in memory, one statement per view."""
        for view, rows in self._pending.items():
            if rows:
                row = "(" + ", ".join("?" * _BUFFERED[view]) + ")"
                values = [value for each in rows for value in each]
                self._db.execute(
                    f"INSERT INTO {view} VALUES " + ", ".join([row] * len(rows)), values
                )
                rows.clear()

    def forget_columns(self) -> None:
        """Forget the tables' column lists (a statement may have changed them)."""
        self._columns.clear()

    def new_query_id(self) -> int:
        """A fresh query id, as PG_LAST_QUERY_ID() would report."""
        query_id = self._next_id
        self._next_id += 1
        return query_id

    def record_query(
        self,
        query_id: int,
        *,
        query_type: str,
        text: str,
        started: datetime,
        ended: datetime,
        elapsed_us: int,
        returned_rows: int,
        error: str | None = None,
    ) -> None:
        """One row of sys_query_history."""
        self._pending["sys_query_history"].append(
            [
                query_id, query_type, "failed" if error else "success", started, ended,
                elapsed_us, returned_rows, text[:4000], error,
            ],
        )  # fmt: skip

    def record_scans(self, query_id: int, tree: exp.Expression) -> None:
        """One sys_query_detail scan row per base table the query reads."""
        for table, rows, size in self._scans(tree):
            self._pending["sys_query_detail"].append([query_id, "scan", table, rows, size])

    def record_table(self, design: TableDesign) -> None:
        """The table's row of svv_table_info, as Redshift shows its physical design."""
        self.forget_table(design.name)
        diststyle = f"KEY({design.distkey})" if design.diststyle == "KEY" else design.diststyle
        if diststyle == "AUTO":
            diststyle = "AUTO(EVEN)"
        sortkey = design.sortkey[0] if design.sortkey else None
        if sortkey and design.sortkey_style == "INTERLEAVED":
            sortkey = f"INTERLEAVED({sortkey})"
        self._db.execute(
            "INSERT INTO svv_table_info VALUES ('public', ?, ?, ?, ?, ?)",
            [
                design.name,
                diststyle,
                sortkey,
                len(design.sortkey),
                "Y" if design.encodings else "N",
            ],
        )

    def forget_table(self, name: str) -> None:
        """Drop the table's row of svv_table_info."""
        self._db.execute('DELETE FROM svv_table_info WHERE "table" = ?', [name.lower()])

    def record_load(self, query_id: int, **row: Any) -> None:
        """One row of sys_load_history."""
        self._insert("sys_load_history", {"query_id": query_id, **row})

    def record_unload(self, query_id: int, **row: Any) -> None:
        """One row of sys_unload_history."""
        self._insert("sys_unload_history", {"query_id": query_id, **row})

    def _insert(self, view: str, row: dict[str, Any]) -> None:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self._db.execute(f"INSERT INTO {view} ({columns}) VALUES ({marks})", list(row.values()))

    def _scans(self, tree: exp.Expression) -> list[tuple[str, int, int]]:
        if not isinstance(tree, exp.Query):
            tree = tree.expression if isinstance(tree.expression, exp.Query) else None
        if tree is None:
            return []
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        tables = {
            (t.db.lower() or None, t.name.lower())
            for t in tree.find_all(exp.Table)
            if t.name and t.name.lower() not in ctes and t.name.lower() not in NAMES
        }
        # count(*) reads no column; a projected * (or t.*) reads them all.
        everything = any(
            isinstance(star.parent, exp.Select | exp.Column) for star in tree.find_all(exp.Star)
        )
        referenced = {c.name.lower() for c in tree.find_all(exp.Column)}
        scans = []
        for schema, table in sorted(tables, key=str):
            described = self._describe(schema, table)
            if not described:
                continue
            columns = {n: t for n, t in described.items() if everything or n.lower() in referenced}
            name = f'"{schema}"."{table}"' if schema else f'"{table}"'
            scans.append((table, *self._rows_and_bytes(name, columns)))
        return scans

    def _describe(self, schema: str | None, table: str) -> dict[str, str]:
        if (schema, table) not in self._columns:
            self._columns[schema, table] = self._read_columns(schema, table)
        return self._columns[schema, table]

    def _read_columns(self, schema: str | None, table: str) -> dict[str, str]:
        found = self._db.execute(
            # duckdb_columns() rather than the information_schema view built on it: half the
            # cost, and this runs for every table every statement reads.
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE lower(table_name) = ? AND (? IS NULL OR lower(schema_name) = ?) "
            "ORDER BY column_index",
            [table, schema, schema],
        ).fetchall()
        return dict(found)

    def _rows_and_bytes(self, table: str, columns: dict[str, str]) -> tuple[int, int]:
        """The table's row count and the bytes a scan of ``columns`` reads, in one query."""
        fixed = 0
        variable = []
        for name, data_type in columns.items():
            width = _WIDTHS.get(data_type.upper())
            if width is None and data_type.upper().startswith("DECIMAL"):
                width = 8
            if width is None:
                variable.append(f'coalesce(sum(strlen(CAST("{name}" AS VARCHAR))), 0)')
            else:
                fixed += width
        measured = " + ".join(variable) or "0"
        # fetchall: a result fetched only in part would hold the connection (DuckDB refuses the
        # next relation, e.g. UNLOAD's query, until it is finished).
        [(rows, size)] = self._db.execute(f"SELECT count(*), {measured} FROM {table}").fetchall()
        return rows, fixed * rows + int(size)
