"""What a statement gives back: result columns and rows, and Redshift's names for DuckDB types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# DuckDB's type names as Redshift reports them (pg_type names, as the Data API shows them).
_REDSHIFT_TYPES = {
    "BIGINT": "int8",
    "INTEGER": "int4",
    "SMALLINT": "int2",
    "TINYINT": "int2",
    "HUGEINT": "numeric",
    "DOUBLE": "float8",
    "FLOAT": "float4",
    "BOOLEAN": "bool",
    "VARCHAR": "varchar",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "TIME": "time",
    "BLOB": "varbyte",
}


def redshift_type(duckdb_type: str) -> str:
    """The Redshift type name for a DuckDB column type."""
    text = str(duckdb_type).upper()
    if text.startswith("DECIMAL"):
        return "numeric"
    return _REDSHIFT_TYPES.get(text, text.lower())


@dataclass(frozen=True)
class Column:
    """A result column: its name and Redshift type name (``int8``, ``varchar`` ...)."""

    name: str
    type_name: str


@dataclass
class Result:
    """What one statement gave: columns and rows for a query, a row count for the rest."""

    statement: str
    columns: list[Column] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rowcount: int = -1
    query_id: int = 0  # as sys_query_history and PG_LAST_QUERY_ID() know the statement
    arrow: Any = None  # the rows as a pyarrow Table instead of tuples, when asked for

    @property
    def has_result_set(self) -> bool:
        """Whether the statement returns rows (a query) rather than only a count."""
        return bool(self.columns)
