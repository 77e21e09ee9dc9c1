"""Redshift SQL to DuckDB SQL: sqlglot, plus fixes for what it drops or cannot carry.

Physical design (DISTSTYLE, DISTKEY, SORTKEY, ENCODE, BACKUP) is taken out of CREATE TABLE
before parsing and kept in the catalog; IDENTITY becomes a sequence; VARCHAR(MAX) a VARCHAR;
CREATE MATERIALIZED VIEW a stored table with its query kept for REFRESH; the current time,
when the warehouse clock is pinned, a literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from ..cloud.sql_dialects import DUCKDB, REDSHIFT
from .catalog import MaterializedView, TableDesign
from .errors import UnsupportedFeature

if TYPE_CHECKING:
    from .engine import Warehouse

T = sqlglot.TokenType


@dataclass
class Plan:
    """DuckDB SQL for one statement, with set-up to run before it and catalog updates after."""

    sql: str
    statement: str
    before: list[str] = field(default_factory=list)
    after: list[Callable[[], None]] = field(default_factory=list)


def extract_design(sql: str) -> tuple[str, TableDesign | None]:
    """Take Redshift's physical-design clauses out of a CREATE TABLE; other SQL passes as is."""
    if not re.match(r"\s*CREATE\s+(?:(?:LOCAL\s+)?TEMP(?:ORARY)?\s+)?TABLE\b", sql, re.I):
        return sql, None
    tokens = REDSHIFT.tokenize(sql)
    words = [t.text.upper() for t in tokens]
    design = TableDesign(name="")
    cut: list[tuple[int, int]] = []  # character spans to remove
    depth = 0
    column: str | None = None
    expect_column = False
    i = 0
    while i < len(tokens):
        token, word = tokens[i], words[i]
        if token.token_type == T.L_PAREN:
            depth += 1
            expect_column = depth == 1
        elif token.token_type == T.R_PAREN:
            depth -= 1
        elif token.token_type == T.COMMA and depth == 1:
            expect_column = True
        elif depth == 1 and expect_column:
            column, expect_column = token.text.strip('"').lower(), False
        if depth == 0 and word == "AS" and design.name:
            break  # the query of a CTAS: nothing of ours beyond this point
        if not design.name and token.token_type in (T.VAR, T.IDENTIFIER) and i >= 2:
            design.name = _qualified_name(tokens, i)
        end = None
        if word == "DISTSTYLE" and i + 1 < len(tokens):
            design.diststyle, end = words[i + 1], i + 1
        elif word == "DISTKEY":
            if _paren_list(tokens, i + 1):
                names, end = _paren_list(tokens, i + 1)
                design.distkey = names[0]
            elif depth == 1 and column:
                design.distkey, end = column, i
            design.diststyle = "KEY"
        elif (
            word in ("COMPOUND", "INTERLEAVED")
            and i + 1 < len(tokens)
            and words[i + 1] == "SORTKEY"
        ):
            design.sortkey_style = word
            i += 1
            continue_from = _sortkey(tokens, words, i, design, depth, column)
            cut.append((tokens[i - 1].start, tokens[continue_from].end + 1))
            i = continue_from + 1
            continue
        elif word == "SORTKEY":
            end = _sortkey(tokens, words, i, design, depth, column)
        elif word == "ENCODE" and i + 1 < len(tokens):
            if depth == 1 and column:
                design.encodings[column] = words[i + 1].lower()
            end = i + 1
        elif word == "BACKUP" and i + 1 < len(tokens) and depth == 0:
            design.backup, end = words[i + 1] == "YES", i + 1
        if end is not None:
            cut.append((token.start, tokens[end].end + 1))
            i = end + 1
            continue
        i += 1
    text = sql
    for start, stop in reversed(cut):
        text = text[:start] + " " + text[stop:]
    return text, design


def _qualified_name(tokens: list, i: int) -> str:
    parts = [tokens[i].text.strip('"')]
    while i + 2 < len(tokens) and tokens[i + 1].token_type == T.DOT:
        i += 2
        parts.append(tokens[i].text.strip('"'))
    return parts[-1].lower()


def _paren_list(tokens: list, i: int) -> tuple[list[str], int] | None:
    """Names in ``( a, b )`` starting at token ``i``, and the index of the closing paren."""
    if i >= len(tokens) or tokens[i].token_type != T.L_PAREN:
        return None
    names: list[str] = []
    j = i + 1
    while j < len(tokens) and tokens[j].token_type != T.R_PAREN:
        if tokens[j].token_type != T.COMMA:
            names.append(tokens[j].text.strip('"').lower())
        j += 1
    return names, j


def _sortkey(
    tokens: list, words: list[str], i: int, design: TableDesign, depth: int, column: str | None
) -> int:
    listed = _paren_list(tokens, i + 1)
    if listed:
        design.sortkey, end = listed
        return end
    if i + 1 < len(words) and words[i + 1] == "AUTO":
        design.sortkey = []
        return i + 1
    if depth == 1 and column:
        design.sortkey = [column]
    return i


def to_duckdb(
    tree: exp.Expression, warehouse: Warehouse, design: TableDesign | None = None
) -> Plan:
    """The DuckDB plan for one parsed Redshift statement."""
    # Named before the clock is pinned: GETDATE() keeps its name, not that of the literal.
    _name_columns(tree)
    tree = _pin_clock(tree, warehouse)
    statement = _statement_name(tree)
    plan = Plan(sql="", statement=statement)
    if isinstance(tree, exp.Create) and _is_materialized(tree):
        return _materialized_view(tree, warehouse, plan)
    if isinstance(tree, exp.Create) and tree.kind == "TABLE":
        _create_table(tree, warehouse, design, plan)
    elif isinstance(tree, exp.Drop):
        _drop(tree, warehouse, plan)
    _check_supported(tree)
    plan.sql = tree.sql(dialect=DUCKDB)
    return plan


def _statement_name(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Query):
        return "SELECT"
    if isinstance(tree, exp.Create):
        kind = "MATERIALIZED VIEW" if _is_materialized(tree) else tree.kind
        return f"CREATE {kind}"
    if isinstance(tree, exp.Drop):
        return f"DROP {'MATERIALIZED VIEW' if tree.args.get('materialized') else tree.kind}"
    return tree.key.upper()


def _is_materialized(tree: exp.Create) -> bool:
    properties = tree.args.get("properties")
    return bool(properties and properties.find(exp.MaterializedProperty))


def _pin_clock(tree: exp.Expression, warehouse: Warehouse) -> exp.Expression:
    now = warehouse.now()
    if now is None:
        return tree.transform(_utc_clock)
    stamp = now.replace(tzinfo=None).isoformat(sep=" ")

    def pin(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.CurrentTimestamp):
            return exp.cast(exp.Literal.string(stamp), exp.DataType.build("TIMESTAMP"))
        if isinstance(node, exp.CurrentDate):
            return exp.cast(exp.Literal.string(stamp[:10]), exp.DataType.build("DATE"))
        return node

    return tree.transform(pin)


def _utc_clock(node: exp.Expression) -> exp.Expression:
    """The real clock as Redshift reads it: UTC, a TIMESTAMP without zone (DuckDB's is local)."""
    if isinstance(node, exp.CurrentTimestamp):
        return exp.CurrentTimestamp(sysdate=True)  # DuckDB: CURRENT_TIMESTAMP AT TIME ZONE 'UTC'
    if isinstance(node, exp.CurrentDate):
        return exp.cast(exp.CurrentTimestamp(sysdate=True), exp.DataType.build("DATE"))
    return node


def _create_table(
    tree: exp.Create, warehouse: Warehouse, design: TableDesign | None, plan: Plan
) -> None:
    table = tree.find(exp.Table)
    name = table.name.lower() if table else ""
    design = design or TableDesign(name=name)
    design.name = name
    schema = tree.this if isinstance(tree.this, exp.Schema) else None
    for column in schema.expressions if schema else []:
        if not isinstance(column, exp.ColumnDef):
            continue
        kind = column.args.get("kind")
        if (
            kind is not None
            and kind.expressions
            and any(
                isinstance(p, exp.DataTypeParam) and p.name.upper() == "MAX"
                for p in kind.expressions
            )
        ):
            kind.set("expressions", [])  # VARCHAR(MAX): DuckDB's VARCHAR has no length limit
        for constraint in list(column.args.get("constraints") or []):
            identity = constraint.args.get("kind")
            if isinstance(identity, exp.GeneratedAsIdentityColumnConstraint):
                start = int(identity.args["start"].name) if identity.args.get("start") else 1
                step = int(identity.args["increment"].name) if identity.args.get("increment") else 1
                sequence = f"{name}_{column.name.lower()}_seq"
                plan.before.append(
                    f'CREATE SEQUENCE IF NOT EXISTS "{sequence}" START {start} INCREMENT {step}'
                )
                constraint.set(
                    "kind",
                    exp.DefaultColumnConstraint(
                        this=exp.func("nextval", exp.Literal.string(sequence))
                    ),
                )
                design.identity[column.name.lower()] = (start, step)

    def remember() -> None:
        if tree.args.get("exists") and name in warehouse.catalog.tables:
            return  # IF NOT EXISTS found the table: it keeps the design it was made with
        warehouse.catalog.tables[name] = design
        warehouse.system.record_table(design)

    plan.after.append(remember)


def _materialized_view(tree: exp.Create, warehouse: Warehouse, plan: Plan) -> Plan:
    name = tree.this.name.lower()
    query = tree.expression
    auto = tree.find(exp.AutoRefreshProperty)
    duckdb_query = query.sql(dialect=DUCKDB)
    exists = "IF NOT EXISTS " if tree.args.get("exists") else ""
    plan.sql = f'CREATE TABLE {exists}"{name}" AS {duckdb_query}'

    def remember() -> None:
        warehouse.catalog.materialized_views[name] = MaterializedView(
            name=name,
            query=query.sql(dialect="redshift"),
            duckdb_query=duckdb_query,
            auto_refresh=bool(auto and auto.name.upper() == "YES"),
            refreshed_at=warehouse.now(),
        )

    plan.after.append(remember)
    return plan


def _drop(tree: exp.Drop, warehouse: Warehouse, plan: Plan) -> None:
    names = [table.name.lower() for table in tree.find_all(exp.Table)]
    if tree.args.get("materialized"):
        tree.set("materialized", False)
        tree.set("kind", "TABLE")

    def forget() -> None:
        for name in names:
            design = warehouse.catalog.design(name)
            for column in design.identity if design else ():
                # A table made again under this name numbers from its seed, as in Redshift.
                warehouse.duckdb().execute(f'DROP SEQUENCE IF EXISTS "{name}_{column}_seq"')
            warehouse.catalog.forget(name)
            warehouse.system.forget_table(name)

    plan.after.append(forget)


# Redshift's default column names where sqlglot's node is named otherwise (DATEADD is a
# TsOrDsAdd, LISTAGG a GroupConcat); GETDATE and SYSDATE are named "timestamp" in Redshift.
_REDSHIFT_NAMES = {
    "currenttimestamp": "timestamp",
    "currentdate": "date",
    "tsordsadd": "date_add",
    "dateadd": "date_add",
    "tsordsdiff": "date_diff",
    "datediff": "date_diff",
    "groupconcat": "listagg",
}


def _name_columns(tree: exp.Expression) -> None:
    """Name unnamed result columns as Redshift does: ``count``, ``sum``, else ``?column?``."""
    for select in tree.find_all(exp.Select):
        named = []
        for projection in select.expressions:
            # LISTAGG(...) WITHIN GROUP (...) is named after its function.
            function = projection.this if isinstance(projection, exp.WithinGroup) else projection
            if isinstance(projection, exp.Alias | exp.Column | exp.Star):
                named.append(projection)
            elif isinstance(function, exp.Anonymous):
                named.append(exp.alias_(projection, function.name.lower(), quoted=True))
            elif isinstance(function, exp.Func):
                name = _REDSHIFT_NAMES.get(function.key, function.key.lower())
                named.append(exp.alias_(projection, name, quoted=True))
            else:
                named.append(exp.alias_(projection, "?column?", quoted=True))
        select.set("expressions", named)


def _check_supported(tree: exp.Expression) -> None:
    for data_type in tree.find_all(exp.DataType):
        if data_type.this in (exp.DataType.Type.SUPER,):
            raise UnsupportedFeature(
                "the embedded warehouse has no SUPER type: store the JSON as VARCHAR",
                code="0A000",
            )
