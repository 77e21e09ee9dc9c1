"""Materialized views: what BigQuery can maintain incrementally, the options when it cannot, and
REFRESH MATERIALIZED VIEW as BigQuery's refresh procedure.

BigQuery maintains a materialized view incrementally when its query uses only the aggregates
it can update from changes (no COUNT(DISTINCT), no outer join, window, HAVING, UNION, ORDER BY
or LIMIT); any other query needs ``allow_non_incremental_definition`` and a ``max_staleness``,
the age of results a reader accepts.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from .findings import Outcome

# Aggregates an incremental materialized view may use.
INCREMENTAL_AGGREGATES = frozenset(
    {
        "ANY_VALUE",
        "APPROX_COUNT_DISTINCT",
        "ARRAY_AGG",
        "AVG",
        "BIT_AND",
        "BIT_OR",
        "BIT_XOR",
        "COUNT",
        "COUNTIF",
        "HLL_COUNT.INIT",
        "LOGICAL_AND",
        "LOGICAL_OR",
        "MAX",
        "MIN",
        "SUM",
    }
)
# What the translation sets when a view cannot be incremental: a choice to review, reported.
MAX_STALENESS = "INTERVAL '4' HOUR"


def non_incremental(query: exp.Expression) -> list[str]:
    """What keeps BigQuery from maintaining a view of ``query`` incrementally (none: it can)."""
    reasons: list[str] = []
    for node in query.find_all(exp.AggFunc, bfs=False):
        name = node.sql(dialect="bigquery").split("(", 1)[0].strip().upper()
        if isinstance(node, exp.Count) and isinstance(node.this, exp.Distinct):
            reasons.append("COUNT(DISTINCT ...)")
        elif name not in INCREMENTAL_AGGREGATES:
            reasons.append(name)
    checks = (
        (
            any(join.side for join in query.find_all(exp.Join)),
            "an outer join",
        ),
        (query.find(exp.Window) is not None, "a window function"),
        (query.find(exp.Having) is not None, "HAVING"),
        (query.find(exp.SetOperation) is not None, "UNION, INTERSECT or EXCEPT"),
        (
            query.args.get("order") is not None or query.args.get("limit") is not None,
            "ORDER BY or LIMIT",
        ),
        (bool(isinstance(query, exp.Select) and query.args.get("distinct")), "SELECT DISTINCT"),
    )
    reasons += [reason for found, reason in checks if found]
    return list(dict.fromkeys(reasons))


def options(reasons: list[str], auto_refresh: bool | None) -> list[exp.Expression]:
    """The OPTIONS of the BigQuery view: non-incremental when it must be, refresh as written."""
    written = []
    if auto_refresh is not None:
        written.append(f"enable_refresh = {'TRUE' if auto_refresh else 'FALSE'}")
    if reasons:
        written += ["allow_non_incremental_definition = TRUE", f"max_staleness = {MAX_STALENESS}"]
    if not written:
        return []
    template = f"CREATE MATERIALIZED VIEW v OPTIONS ({', '.join(written)}) AS SELECT 1"
    properties = sqlglot.parse_one(template, read="bigquery").args["properties"]
    return [p for p in properties.expressions if not isinstance(p, exp.MaterializedProperty)]


def finding(reasons: list[str]) -> tuple[Outcome, str]:
    """What to say of the view: how BigQuery keeps it, and what the options chose."""
    if not reasons:
        return (
            Outcome.TRANSLATED,
            "BigQuery maintains it incrementally and refreshes it by itself (Redshift only on "
            "REFRESH, unless AUTO REFRESH YES); queries of it see current data",
        )
    return (
        Outcome.TRANSLATED,
        f"BigQuery cannot maintain {', '.join(reasons)} incrementally: the view is created "
        f"non-incremental (allow_non_incremental_definition = TRUE) with max_staleness = "
        f"{MAX_STALENESS}, a choice to review: readers may get results that old",
    )
