"""Proof that a translation runs: the SQL a Redshift run issued, replayed in BigQuery, compared.

The statements come from the warehouse's own query history (``sys_query_history``), so what is
translated is exactly what the lab code sent, not a copy of it. The driver's catalogue lookups
(pandas asking ``information_schema`` whether a table exists) are not the lab's SQL and are left
out by name.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy

from ..errors import KitError

# What marks a statement as the driver's, not the lab's.
DRIVER_LOOKUPS = ("information_schema.", "pg_catalog.")


def issued_statements(engine: sqlalchemy.Engine, *, since_query_id: int = 0) -> list[str]:
    """The statements that succeeded after ``since_query_id``, in order, as the warehouse
    recorded them (the driver's catalogue lookups left out)."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT query_text FROM sys_query_history "
            "WHERE status = 'success' AND query_id > %s ORDER BY query_id",
            (since_query_id,),
        ).fetchall()
    return [
        text for (text,) in rows if not any(lookup in text.lower() for lookup in DRIVER_LOOKUPS)
    ]


def script(statements: Iterable[str]) -> str:
    """Statements as one script, each ended by a semicolon on its own line."""
    return "".join(f"{statement.strip()}\n;\n" for statement in statements)


class StatementFailed(KitError):
    """A translated statement that BigQuery refused."""


def run(client: Any, statements: Sequence[str], *, location: str = "US") -> list[str]:
    """Run each BigQuery statement as a query job, in order; the statement type of each.

    StatementFailed, naming the statement and BigQuery's message, at the first refusal."""
    from google.api_core import exceptions

    types = []
    for number, sql in enumerate(statements, 1):
        try:
            job = client.query(sql, location=location)
            job.result()
        except exceptions.GoogleAPICallError as error:
            first = " ".join(sql.split())[:80]
            raise StatementFailed(
                f"statement {number} of {len(statements)} ({first}...) failed in BigQuery: "
                f"{error.message}"
            ) from None
        types.append(job.statement_type)
    return types


def comparable(rows: Iterable[dict[str, Any]], key: str) -> list[tuple[tuple[str, Any], ...]]:
    """Rows as sorted tuples of (column, value), values made comparable across the two warehouses
    (decimals and floats to 6 decimal places, dates as ISO text, NaN as None)."""
    out = []
    for row in rows:
        out.append(tuple(sorted((str(k).lower(), _value(v)) for k, v in row.items())))
    return sorted(out, key=lambda r: str(dict(r).get(key.lower())))


def _value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return round(float(value), 6)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _value(value.item())
    return str(value)
