"""The fixes the kit makes to sqlglot's Redshift tree before BigQuery SQL is written from it.

sqlglot maps most expressions well; where it is wrong for BigQuery or silent about a change of
meaning, the tree is fixed here and the change reported: GETDATE / SYSDATE (a DATETIME, not a
TIMESTAMP), DATEADD / DATEDIFF (DATETIME_ADD / DATETIME_DIFF), LISTAGG (STRING_AGG with its
ORDER BY inside, '' as the default separator), NVL, types (TIMESTAMP is DATETIME, DECIMAL's
defaults, VARCHAR(MAX), SUPER), keys Redshift does not enforce, a DELETE or UPDATE without
WHERE. What BigQuery has no equivalent for is reported untranslatable: IDENTITY, SIMILAR TO,
EXTRACT(EPOCH ...), percentiles WITHIN GROUP, DELETE ... USING, Redshift's system views, and
(after writing) any function or type name BigQuery does not know.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from . import bigquery_names
from .findings import Finding, Outcome
from .script import Locator

DType = exp.DataType.Type

# Redshift functions BigQuery lacks, and what to write instead.
ADVICE = {
    "MEDIAN": "use PERCENTILE_CONT(x, 0.5) OVER (...) or APPROX_QUANTILES(x, 2)[OFFSET(1)]",
    "SPLIT_PART": "use SPLIT(s, delimiter)[SAFE_ORDINAL(n)] (NULL, not '', past the last part)",
    "MONTHS_BETWEEN": "DATE_DIFF(a, b, MONTH) counts month boundaries; Redshift's is fractional",
    "RATIO_TO_REPORT": "divide by SUM(x) OVER (PARTITION BY ...)",
    "ISNULL": "use IFNULL(a, b)",
    "PG_LAST_QUERY_ID": "read the job id from the client (job.job_id) instead",
    "STRTOL": "use CAST(CONCAT('0x', s) AS INT64) for base 16",
}
_SYSTEM_PREFIXES = ("sys_", "stl_", "stv_", "svl_", "svv_", "svcs_", "stcs_", "pg_")
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")
_CLOCK_WORDS = ("GETDATE", "SYSDATE", "CURRENT_TIMESTAMP", "NOW")
# Written with parentheses but syntax, not functions: CAST(...), EXTRACT(...), STRUCT(...).
_SYNTAX = {"CAST", "SAFE_CAST", "EXTRACT", "STRUCT", "ARRAY", "IF", "INTERVAL", "EXISTS", "CASE"}


@dataclass
class Context:
    """One statement's translation: where its constructs are, the dataset, what was found."""

    locator: Locator
    dataset: str | None = None
    findings: list[Finding] = field(default_factory=list)
    temporary: set[str] = field(default_factory=set)  # temp tables: never dataset-qualified
    _to_char: list[str] | None = field(default=None, init=False, repr=False)

    def to_char_formats(self) -> list[str]:
        """The format strings of the statement's TO_CHAR calls still to translate, in order."""
        if self._to_char is None:
            self._to_char = self.locator.string_arguments("TO_CHAR")
        return self._to_char

    def report(self, words: tuple[str, ...], construct: str, outcome: Outcome, reason: str) -> None:
        """A finding at the next occurrence of ``words`` in the statement."""
        line, column = self.locator.find(*words) if words else self.locator.start
        self.findings.append(Finding(line, column, construct, outcome, reason))


def fix(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """The tree made BigQuery's, every change and every untranslatable construct reported."""
    _system_views(tree, ctx)
    _qualify(tree, ctx)
    _types(tree, ctx)
    tree = _clock(tree, ctx)
    tree = tree.transform(lambda node: _function(node, ctx), copy=False)
    _renames(ctx)
    _untranslatable(tree, ctx)
    _constraints(tree, ctx)
    _statement(tree, ctx)
    _divisions(tree, ctx)
    return tree


def ctes(tree: exp.Expression) -> set[str]:
    """The names the statement's WITH clauses define."""
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def stored_tables(tree: exp.Expression) -> list[exp.Table]:
    """The references to stored tables (not CTEs, not table functions), in reading order."""
    local = ctes(tree)
    return [
        table
        for table in tree.find_all(exp.Table, bfs=False)
        if isinstance(table.this, exp.Identifier) and table.name.lower() not in local
    ]


def _system_views(tree: exp.Expression, ctx: Context) -> None:
    for table in stored_tables(tree):
        name, schema = table.name.lower(), table.db.lower()
        if name.startswith(_SYSTEM_PREFIXES) or schema in _SYSTEM_SCHEMAS:
            shown = f"{schema}.{name}" if schema else name
            ctx.report(
                (table.name,),
                shown,
                Outcome.UNTRANSLATABLE,
                "a Redshift system view: BigQuery's metadata is in INFORMATION_SCHEMA views with "
                "other names and columns (the migration mapping's monitoring and cost rows name "
                "them)",
            )


def _qualify(tree: exp.Expression, ctx: Context) -> None:
    unqualified = []
    properties = tree.args.get("properties")
    if isinstance(tree, exp.Create) and properties and properties.find(exp.TemporaryProperty):
        ctx.temporary.add(tree.find(exp.Table).name.lower())
    for table in stored_tables(tree):
        if not table.db and table.name.lower() in ctx.temporary:
            continue  # BigQuery names a temporary table without a dataset
        if ctx.dataset and (not table.db or table.db.lower() == "public"):
            table.set("db", exp.to_identifier(ctx.dataset))
        elif not table.db:
            unqualified.append(table.name)
    if unqualified:
        names = ", ".join(dict.fromkeys(unqualified))
        ctx.report(
            (),
            f"table names without a schema ({names})",
            Outcome.SUGGESTION,
            "BigQuery names tables dataset.table unless the job sets a default dataset: pass "
            "--dataset, or run with QueryJobConfig(default_dataset=...)",
        )


def _types(tree: exp.Expression, ctx: Context) -> None:
    for node in list(tree.find_all(exp.DataType, bfs=False)):
        if node.arg_key == "return_type":
            continue  # what sqlglot notes a function returns, not a type written in the SQL
        kind = node.this
        params = [p for p in node.expressions if isinstance(p, exp.DataTypeParam)]
        if kind == DType.TIMESTAMP:
            ctx.report(
                ("TIMESTAMP",),
                "TIMESTAMP",
                Outcome.TRANSLATED,
                "DATETIME: Redshift's TIMESTAMP has no time zone, as BigQuery's DATETIME; "
                "BigQuery's TIMESTAMP is an instant, Redshift's TIMESTAMPTZ",
            )
        elif kind == DType.TIMESTAMPTZ:
            ctx.report(
                ("TIMESTAMPTZ",), "TIMESTAMPTZ", Outcome.TRANSLATED, "TIMESTAMP (an instant)"
            )
        elif kind in (DType.VARCHAR, DType.CHAR, DType.NVARCHAR, DType.NCHAR) and any(
            p.name.upper() == "MAX" for p in params
        ):
            node.set("expressions", [])
            ctx.report(("MAX",), "VARCHAR(MAX)", Outcome.TRANSLATED, "STRING, which has no limit")
        elif kind in (DType.CHAR, DType.NCHAR, DType.BPCHAR):
            if kind == DType.BPCHAR:
                node.set("this", DType.CHAR)
            ctx.report(
                ("CHAR",) if kind != DType.BPCHAR else ("BPCHAR",),
                node.sql(dialect="redshift"),
                Outcome.TRANSLATED,
                "STRING: not blank-padded, so trailing blanks Redshift ignores in comparisons "
                "count in BigQuery",
            )
        elif kind in (DType.DECIMAL, DType.BIGDECIMAL):
            _decimal(node, params, ctx)
        elif kind == DType.FLOAT:
            ctx.report(
                ("REAL",) if "REAL" in _words(ctx) else ("FLOAT4",),
                "REAL",
                Outcome.TRANSLATED,
                "FLOAT64: BigQuery has no 4-byte float, values keep more digits",
            )
        elif kind == DType.SUPER:
            node.set("this", DType.JSON)
            ctx.report(
                ("SUPER",),
                "SUPER",
                Outcome.TRANSLATED,
                "JSON: PartiQL navigation (a.b, a[0]) becomes JSON_QUERY / JSON_VALUE",
            )
        elif kind in (DType.GEOMETRY, DType.TIMETZ, DType.HLLSKETCH):
            name = {DType.GEOMETRY: "GEOMETRY", DType.TIMETZ: "TIMETZ"}.get(kind, "HLLSKETCH")
            advice = {
                "GEOMETRY": "BigQuery's GEOGRAPHY is on the sphere (WGS 84): planar data needs "
                "reprojecting first",
                "TIMETZ": "BigQuery's TIME has no time zone: keep a TIMESTAMP, or the zone apart",
                "HLLSKETCH": "BigQuery's sketches are BYTES made by HLL_COUNT.INIT",
            }[name]
            ctx.report((name,), name, Outcome.UNTRANSLATABLE, advice)


def _words(ctx: Context) -> set[str]:
    return {t.text.upper() for t in ctx.locator.tokens}


def _decimal(node: exp.DataType, params: list[exp.DataTypeParam], ctx: Context) -> None:
    word = "NUMERIC" if "NUMERIC" in _words(ctx) else "DECIMAL"
    if not params:
        node.set("expressions", [_param(18), _param(0)])
        ctx.report(
            (word,),
            word,
            Outcome.TRANSLATED,
            "NUMERIC(18, 0): Redshift's default precision and scale; BigQuery's bare NUMERIC "
            "would be (38, 9)",
        )
        return
    numbers = [int(p.name) for p in params if p.name.isdigit()]
    if not numbers:
        return
    precision, scale = numbers[0], numbers[1] if len(numbers) > 1 else 0
    if scale > 9 or precision - scale > 29:
        node.set("this", DType.BIGDECIMAL)
        ctx.report(
            (word,),
            f"{word}({precision}, {scale})",
            Outcome.TRANSLATED,
            f"BIGNUMERIC({precision}, {scale}): BigQuery's NUMERIC holds at most 29 digits "
            "before the point and 9 after",
        )


def _param(value: int) -> exp.DataTypeParam:
    return exp.DataTypeParam(this=exp.Literal.number(value))


def _clock(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """GETDATE() and SYSDATE are Redshift TIMESTAMPs (UTC, no zone): BigQuery DATETIMEs."""
    words = [w for w in (t.text.upper() for t in ctx.locator.tokens) if w in _CLOCK_WORDS]
    nodes = list(tree.find_all(exp.CurrentTimestamp, bfs=False))
    for node, word in zip(nodes, words, strict=False):
        if word in ("GETDATE", "SYSDATE"):
            ctx.report(
                (word,),
                "GETDATE()" if word == "GETDATE" else "SYSDATE",
                Outcome.TRANSLATED,
                "CURRENT_DATETIME(): Redshift's is a TIMESTAMP without time zone, in UTC, which "
                "is BigQuery's DATETIME (CURRENT_TIMESTAMP() would not compare with DATETIMEs)",
            )
            replacement = exp.CurrentDatetime()
            if node is tree:
                return replacement
            node.replace(replacement)
    return tree


def _function(node: exp.Expression, ctx: Context) -> exp.Expression:
    if isinstance(node, exp.TsOrDsAdd):
        ctx.report(
            ("DATEADD",),
            "DATEADD",
            Outcome.TRANSLATED,
            "DATETIME_ADD: Redshift's DATEADD gives a TIMESTAMP (a DATETIME in BigQuery), from a "
            "DATE too",
        )
        return exp.DatetimeAdd(
            this=_as_datetime(node.this), expression=node.expression, unit=node.args.get("unit")
        )
    if isinstance(node, exp.TsOrDsDiff):
        ctx.report(
            ("DATEDIFF",),
            "DATEDIFF",
            Outcome.TRANSLATED,
            "DATETIME_DIFF(end, start, part): both count the part's boundaries crossed",
        )
        return exp.DatetimeDiff(
            this=_as_datetime(node.this),
            expression=_as_datetime(node.expression),
            unit=node.args.get("unit"),
        )
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.GroupConcat):
        return _listagg(node.this, node.expression, ctx)
    if isinstance(node, exp.TimeToStr):
        return _to_char(node, ctx)
    if isinstance(node, exp.ConvertTimezone):
        ctx.report(
            ("CONVERT_TIMEZONE",),
            "CONVERT_TIMEZONE",
            Outcome.TRANSLATED,
            "DATETIME(TIMESTAMP(ts, source zone), target zone), for a TIMESTAMP without zone "
            "(for a TIMESTAMPTZ, write DATETIME(ts, target zone))",
        )
        stamp = exp.Anonymous(
            this="TIMESTAMP",
            expressions=[_as_datetime(node.args["timestamp"]), node.args["source_tz"]],
        )
        return exp.Anonymous(this="DATETIME", expressions=[stamp, node.args["target_tz"]])
    is_listagg = isinstance(node, exp.GroupConcat) and not node.meta.get("translated")
    if is_listagg and not isinstance(node.parent, exp.WithinGroup):
        return _listagg(node, None, ctx)
    return node


_NUMERIC_FORMAT = re.compile(r"(?i)[9.,DGSLVFMPREI$ ]*[90][90.,DGSLVFMPREI$ ]*")


def _to_char(node: exp.TimeToStr, ctx: Context) -> exp.Expression:
    """TO_CHAR of a date or time: FORMAT_DATETIME, the format sqlglot already rewrote."""
    formats = ctx.to_char_formats()
    written = formats.pop(0) if formats else ""
    if _NUMERIC_FORMAT.fullmatch(written):
        ctx.report(
            ("TO_CHAR",),
            f"TO_CHAR(x, '{written}')",
            Outcome.UNTRANSLATABLE,
            "a number's format: write FORMAT('%.2f', x) or CAST(x AS STRING) to the same digits",
        )
        return node
    ctx.report(
        ("TO_CHAR",),
        "TO_CHAR",
        Outcome.TRANSLATED,
        "FORMAT_DATETIME(format, x): Redshift's format elements as BigQuery's (%Y, %m, ...); a "
        "DATE or TIMESTAMP becomes a DATETIME first",
    )
    return exp.Anonymous(
        this="FORMAT_DATETIME", expressions=[node.args["format"], _as_datetime(node.this)]
    )


def _as_datetime(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.CurrentDatetime):
        return node
    return exp.cast(node, exp.DataType.build("DATETIME"))


def _listagg(node: exp.GroupConcat, order: exp.Expression | None, ctx: Context) -> exp.Expression:
    value, separator = node.this, node.args.get("separator")
    if isinstance(value, exp.Distinct) and len(value.expressions) == 2 and separator is None:
        value, separator = exp.Distinct(expressions=[value.expressions[0]]), value.expressions[1]
    notes = []
    if separator is None:
        separator = exp.Literal.string("")
        notes.append("no separator is '' (BigQuery's default would be ',')")
    if isinstance(order, exp.Order):
        keys = [o.this for o in order.expressions if isinstance(o, exp.Ordered)]
        aggregated = value.expressions[0] if isinstance(value, exp.Distinct) else value
        for ordered in order.expressions:
            # Inside a call BigQuery takes ASC / DESC only, NULLs first ascending.
            ordered.set("nulls_first", not ordered.args.get("desc"))
        if any(key != aggregated for key in keys):
            notes.append("rows whose ORDER BY key is NULL come first ascending (Redshift: last)")
        value = exp.Order(this=value, expressions=order.expressions)
    ctx.report(
        ("LISTAGG",),
        "LISTAGG",
        Outcome.TRANSLATED,
        "; ".join(["STRING_AGG(value, separator ORDER BY ...)", *notes]),
    )
    translated = exp.GroupConcat(this=value, separator=separator)
    translated.meta["translated"] = True
    return translated


def _renames(ctx: Context) -> None:
    """Renames sqlglot makes that the issue's readers look for: report where each happened."""
    renamed = {
        "NVL": "COALESCE",
        "NVL2": "CASE WHEN a IS NOT NULL THEN b ELSE c END",
        "DECODE": "CASE",
    }
    tokens = ctx.locator.tokens
    for token, following in itertools.pairwise(tokens):
        word = token.text.upper()
        if word in renamed and following.text == "(":
            ctx.report((word,), word, Outcome.TRANSLATED, renamed[word])


def _untranslatable(tree: exp.Expression, ctx: Context) -> None:
    for node in list(tree.find_all(exp.Expression, bfs=False)):
        if isinstance(node, exp.SimilarTo):
            ctx.report(
                ("SIMILAR", "TO"),
                "SIMILAR TO",
                Outcome.UNTRANSLATABLE,
                "BigQuery has no SIMILAR TO: write REGEXP_CONTAINS(x, r'^(...)$') with the "
                "pattern's % as .* and _ as .",
            )
        elif isinstance(node, exp.GeneratedAsIdentityColumnConstraint):
            ctx.report(
                ("IDENTITY",),
                "IDENTITY",
                Outcome.UNTRANSLATABLE,
                "BigQuery has no identity columns: generate keys with GENERATE_UUID() or "
                "ROW_NUMBER() as rows are loaded",
            )
        elif isinstance(node, exp.Extract) and node.name.upper() == "EPOCH":
            ctx.report(
                ("EPOCH",),
                "EXTRACT(EPOCH FROM ...)",
                Outcome.UNTRANSLATABLE,
                "BigQuery's EXTRACT has no EPOCH: use UNIX_SECONDS(TIMESTAMP(x))",
            )
        elif isinstance(node, exp.WithinGroup):
            name = node.this.sql_name() if isinstance(node.this, exp.Func) else "WITHIN GROUP"
            ctx.report(
                (name,) if isinstance(node.this, exp.Func) else ("WITHIN", "GROUP"),
                f"{name}(...) WITHIN GROUP",
                Outcome.UNTRANSLATABLE,
                "BigQuery computes percentiles as analytic functions (PERCENTILE_CONT(x, 0.5) "
                "OVER (PARTITION BY ...)) or approximately (APPROX_QUANTILES)",
            )
        elif isinstance(node, exp.Trunc) and node.args.get("decimals") is None:
            ctx.report(
                ("TRUNC",),
                "TRUNC(x)",
                Outcome.SUGGESTION,
                "if x is a timestamp, Redshift's TRUNC gives its DATE: write DATE(x); BigQuery's "
                "TRUNC truncates numbers only",
            )
        elif isinstance(node, exp.Placeholder) and not node.this:
            ctx.report(
                ("%", "S"),
                "%s",
                Outcome.TRANSLATED,
                "? (a positional query parameter): pass QueryJobConfig(query_parameters=[...])",
            )


def _constraints(tree: exp.Expression, ctx: Context) -> None:
    reason = (
        "Redshift does not enforce it either; BigQuery takes it as information only when written "
        "PRIMARY KEY (...) NOT ENFORCED (or FOREIGN KEY ... NOT ENFORCED)"
    )
    kinds = {
        exp.PrimaryKeyColumnConstraint: ("PRIMARY", "KEY"),
        exp.UniqueColumnConstraint: ("UNIQUE",),
        exp.Reference: ("REFERENCES",),
    }
    for node in list(tree.find_all(exp.ColumnConstraint)):
        words = kinds.get(type(node.args.get("kind")))
        if words:
            ctx.report(words, " ".join(words), Outcome.DROPPED, reason)
            node.pop()
    for node in list(tree.find_all(exp.PrimaryKey, exp.ForeignKey, exp.UniqueColumnConstraint)):
        words = {exp.PrimaryKey: ("PRIMARY", "KEY"), exp.ForeignKey: ("FOREIGN", "KEY")}.get(
            type(node), ("UNIQUE",)
        )
        ctx.report(words, " ".join(words), Outcome.DROPPED, reason)
        node.pop()


def _statement(tree: exp.Expression, ctx: Context) -> None:
    if isinstance(tree, exp.Delete) and tree.args.get("using"):
        ctx.report(
            ("USING",),
            "DELETE ... USING",
            Outcome.UNTRANSLATABLE,
            "BigQuery's DELETE has no USING: write WHERE EXISTS (SELECT 1 FROM other WHERE ...)",
        )
    if isinstance(tree, exp.Delete | exp.Update) and tree.args.get("where") is None:
        tree.set("where", exp.Where(this=exp.true()))
        verb = "DELETE" if isinstance(tree, exp.Delete) else "UPDATE"
        ctx.report(
            (verb,),
            f"{verb} without WHERE",
            Outcome.TRANSLATED,
            "WHERE TRUE: BigQuery requires a WHERE clause on DELETE and UPDATE",
        )
    if isinstance(tree, exp.Create) and tree.args.get("no_schema_binding"):
        tree.set("no_schema_binding", None)
        ctx.report(
            ("SCHEMA", "BINDING"),
            "WITH NO SCHEMA BINDING",
            Outcome.DROPPED,
            "BigQuery views are late-binding already: names resolve when the view is queried",
        )
    properties = tree.args.get("properties")
    if isinstance(tree, exp.Create) and properties and properties.find(exp.TemporaryProperty):
        ctx.report(
            ("TEMP",) if "TEMP" in _words(ctx) else ("TEMPORARY",),
            "CREATE TEMP TABLE",
            Outcome.TRANSLATED,
            "a BigQuery temporary table lives in one multi-statement query or session: run "
            "this statement there",
        )


def _divisions(tree: exp.Expression, ctx: Context) -> None:
    for node in tree.find_all(exp.Div):
        if not (_fractional(node.this) or _fractional(node.expression)):
            ctx.report(
                ("/",),
                "/",
                Outcome.SUGGESTION,
                "Redshift divides integers as integers (7 / 2 = 3); BigQuery's / gives FLOAT64: "
                "if both sides are integers, write DIV(a, b)",
            )


def _fractional(node: exp.Expression) -> bool:
    if isinstance(node, exp.Literal) and not node.is_string:
        return bool(re.search(r"[.eE]", node.this))
    if isinstance(node, exp.Cast):
        return node.to.this not in exp.DataType.INTEGER_TYPES
    return False


def check_bigquery(sql: str, ctx: Context) -> None:
    """Report every function or type name of the written SQL that BigQuery does not have."""
    try:
        trees = sqlglot.parse(sql, read="bigquery")
    except sqlglot.errors.ParseError:
        return  # the caller reports SQL that does not parse
    seen = {f.construct.upper() for f in ctx.findings if f.outcome is Outcome.UNTRANSLATABLE}
    for tree in trees:
        if tree is None:
            continue
        for node in tree.find_all(exp.Func, bfs=False):
            match = re.match(r"\s*([A-Za-z_][\w.]*)\s*\(", node.sql(dialect="bigquery"))
            if not match:
                continue
            name = match.group(1).upper()
            if name in _SYNTAX or bigquery_names.is_function(name) or name in seen:
                continue
            seen.add(name)
            advice = ADVICE.get(name, "no BigQuery function of this name; rewrite the expression")
            ctx.report((name,), f"{name}()", Outcome.UNTRANSLATABLE, advice)
        for node in tree.find_all(exp.DataType):
            written = node.sql(dialect="bigquery")
            base = re.split(r"[(<\s]", written, maxsplit=1)[0].upper()
            if base and not bigquery_names.is_type(base) and base not in seen:
                seen.add(base)
                ctx.report(
                    (base,), written, Outcome.UNTRANSLATABLE, "no BigQuery type of this name"
                )
