"""GoogleSQL to DuckDB: parse, classify by statement kind, translate with the sandbox's fixes.

sqlglot reads the BigQuery dialect and writes DuckDB's; where it is wrong for BigQuery's
meaning the kit fixes the tree before DuckDB sees it:

- table names resolve to ``"project"."dataset"."table"`` (the DuckDB catalog is the project,
  the schema the dataset), whether written `p.d.t`, `p`.d.t, p-with-hyphens.d.t or d.t;
- ``1.5`` is FLOAT64 in BigQuery (DuckDB: DECIMAL), NUMERIC is DECIMAL(38, 9) (DuckDB's bare
  DECIMAL is (18, 3));
- ``@name`` and ``?`` parameters are bound with a cast to the parameter's declared type;
- FARM_FINGERPRINT and FORMAT (which sqlglot passes through to DuckDB functions that differ)
  call the sandbox's own functions (``functions.py``);
- unnamed result columns are named ``f0_``, ``f1_``, ... as BigQuery names them.

BigQuery ML statements are recognised from the tokens (sqlglot cannot parse ``ML.EVALUATE``)
and classified as MODEL, for the job runner to hand to whatever handles that kind; so is
``CALL BQ.REFRESH_MATERIALIZED_VIEW('...')``, the one system procedure the sandbox runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from ..cloud import duckdb_guard
from ..cloud.sql_dialects import BIGQUERY, DUCKDB
from .errors import InvalidQuery
from .functions import FINGERPRINT_FUNCTION, LITERAL_FUNCTION, TEXT_FUNCTION

_log = logging.getLogger("sqlglot")
_FORMAT_SPEC = re.compile(r"%([-+ #0']*)(\d+|\*)?(?:\.(\d+|\*))?([diouxXfFeEgGsStT%])")


class StatementKind(StrEnum):
    """What runs a statement: a query, DML, DDL, BigQuery ML, EXPORT DATA, LOAD DATA or CALL."""

    QUERY = "query"
    DML = "dml"
    DDL = "ddl"
    MODEL = "model"
    EXPORT = "export"
    LOAD = "load"
    CALL = "call"


@dataclass
class Statement:
    """One parsed statement: its kind, BigQuery's statementType, its text and sqlglot tree."""

    kind: StatementKind
    statement_type: str
    sql: str
    tree: exp.Expression | None = None
    tokens: list[Token] = field(default_factory=list)
    # For BigQuery ML: what the statement does, e.g. "CREATE MODEL" or "ML.EVALUATE".
    detail: str = ""


@dataclass(frozen=True)
class TableName:
    """A fully qualified table (or, with ``table`` empty, dataset) name."""

    project: str
    dataset: str
    table: str = ""

    def __str__(self) -> str:
        name = f"{self.project}:{self.dataset}"
        return f"{name}.{self.table}" if self.table else name

    def duckdb(self) -> exp.Table:
        """The DuckDB table node: catalog = project, schema = dataset."""
        return exp.Table(
            this=exp.to_identifier(self.table, quoted=True),
            db=exp.to_identifier(self.dataset, quoted=True),
            catalog=exp.to_identifier(self.project, quoted=True),
        )


# Resolves a table name's parts; the flag says the table is the one the statement creates,
# drops or changes (which need not exist yet) rather than one it reads.
Resolver = Callable[[list[str], bool], TableName]


def parse(sql: str) -> Statement:
    """Parse one GoogleSQL statement; InvalidQuery for syntax errors, scripts, the unsupported."""
    tokens = tokenize(sql)
    if not tokens:
        raise InvalidQuery("Syntax error: Unexpected end of script at [1:1]")
    model = _model_statement(tokens)
    if model:
        statement_type, detail = model
        return Statement(StatementKind.MODEL, statement_type, sql, None, tokens, detail)
    procedure = _procedure_call(sql)
    if procedure is not None:
        return Statement(StatementKind.CALL, "CALL", sql, None, tokens, procedure)
    _check_statement_start(tokens)
    _check_functions(tokens)
    try:
        # Parsed from the tokens already made: tokenizing is a third of sqlglot's work.
        trees = [tree for tree in BIGQUERY.parser().parse(tokens, sql) if tree is not None]
    except ParseError as error:
        raise _syntax_error(error, tokens) from None
    if len(trees) != 1:
        raise InvalidQuery(
            "Scripts of more than one statement are not supported by the BigQuery sandbox: "
            "send one statement per query"
        )
    tree = trees[0]
    kind, statement_type = _classify(tree, tokens)
    return Statement(kind, statement_type, sql, tree, tokens)


def tokenize(sql: str) -> list[Token]:
    """The statement's tokens; InvalidQuery where it cannot even be split into tokens."""
    try:
        return BIGQUERY.tokenize(sql)
    except TokenError:
        line, column = _unclosed_quote(sql)
        raise InvalidQuery(f"Syntax error: Unclosed string literal at [{line}:{column}]") from None


def _unclosed_quote(sql: str) -> tuple[int, int]:
    """Where the string literal that never closes begins (1-based line and column)."""
    quote, start, index = "", 0, 0
    while index < len(sql):
        char = sql[index]
        if quote:
            if char == "\\":
                index += 1
            elif sql.startswith(quote, index):
                index += len(quote) - 1
                quote = ""
        elif char in "'\"`":
            quote = char * 3 if sql.startswith(char * 3, index) else char
            start = index
            index += len(quote) - 1
        index += 1
    before = sql[:start]
    return before.count("\n") + 1, start - (before.rfind("\n") + 1) + 1


def position(sql: str, name: str) -> str:
    """BigQuery's ``[line:column]`` of the first token that is ``name`` (case-insensitive)."""
    try:
        tokens = sqlglot.tokenize(sql, read="bigquery")
    except TokenError:
        return "[1:1]"
    for token in tokens:
        if token.text.lower() == name.lower() and token.token_type != TokenType.STRING:
            return f"[{token.line}:{_start_column(token)}]"
    return "[1:1]"


def _start_column(token: Token) -> int:
    # sqlglot reports the column of a token's last character.
    return max(token.col - len(token.text) + 1, 1)


_STATEMENT_STARTS = {
    "SELECT",
    "WITH",
    "(",
    "INSERT",
    "UPDATE",
    "DELETE",
    "MERGE",
    "CREATE",
    "DROP",
    "ALTER",
    "TRUNCATE",
    "DECLARE",
    "SET",
    "BEGIN",
    "EXPORT",
    "LOAD",
    "CALL",
    "GRANT",
    "REVOKE",
    "ASSERT",
    "EXECUTE",
    "IF",
    "FROM",
}


def _check_statement_start(tokens: list[Token]) -> None:
    first = tokens[0]
    if first.text.upper() not in _STATEMENT_STARTS:
        raise InvalidQuery(f"Syntax error: Unexpected {_describe(first)} at [{first.line}:1]")


def _check_functions(tokens: list[Token]) -> None:
    """Refuse DuckDB's own functions (files, settings, catalogs) as BigQuery refuses unknowns."""
    calls = duckdb_guard.engine_only_calls(tokens)
    if calls:
        call = calls[0]
        kind = "Table-valued function" if duckdb_guard.called_as_table(tokens, call) else "Function"
        raise InvalidQuery(f"{kind} not found: {call.text} at [{call.line}:{_start_column(call)}]")


def _describe(token: Token) -> str:
    if token.token_type == TokenType.STRING:
        return f"string literal '{token.text}'"
    if token.token_type == TokenType.NUMBER:
        kind = "floating point literal" if re.search(r"[.eE]", token.text) else "integer literal"
        return f'{kind} "{token.text}"'
    if token.token_type in (TokenType.VAR, TokenType.IDENTIFIER):
        return f'identifier "{token.text}"'
    if token.text.isalpha():
        return f"keyword {token.text.upper()}"
    return f'"{token.text}"'


def _is_last_token(tokens: list[Token], line: int, column: int) -> bool:
    meaningful = [token for token in tokens if token.token_type != TokenType.SEMICOLON]
    return bool(meaningful) and (meaningful[-1].line, meaningful[-1].col) == (line, column)


def _syntax_error(error: ParseError, tokens_of_statement: list[Token]) -> InvalidQuery:
    detail = error.errors[0] if error.errors else {}
    line, column = detail.get("line") or 1, detail.get("col") or 1
    highlight = detail.get("highlight") or ""
    if "SENTINEL" in str(detail.get("description", "")) or not highlight:
        return InvalidQuery(f"Syntax error: Unexpected end of script at [{line}:{column + 1}]")
    if _is_last_token(tokens_of_statement, line, column):
        # The parser stopped on the statement's last token: what it wanted never came.
        return InvalidQuery(f"Syntax error: Unexpected end of script at [{line}:{column + 1}]")
    start = max(column - len(highlight) + 1, 1)
    tokens = sqlglot.tokenize(highlight, read="bigquery")
    described = _describe(tokens[0]) if tokens else f'"{highlight}"'
    return InvalidQuery(f"Syntax error: Unexpected {described} at [{line}:{start}]")


def _model_statement(tokens: list[Token]) -> tuple[str, str] | None:
    """BigQuery's statementType and a name for a BigQuery ML statement; None for others."""
    words = [token.text.upper() for token in tokens]
    lead = [w for w in words[:6] if w not in ("OR", "REPLACE", "TEMP", "TEMPORARY")]
    if len(lead) >= 2 and lead[1] == "MODEL" and lead[0] in ("CREATE", "DROP", "ALTER", "EXPORT"):
        return f"{lead[0]}_MODEL", f"{lead[0]} MODEL"
    for before, dot, name, paren in zip(tokens, tokens[1:], tokens[2:], tokens[3:], strict=False):
        is_ml = before.text.upper() == "ML" and before.token_type != TokenType.STRING
        if is_ml and dot.token_type == TokenType.DOT and paren.token_type == TokenType.L_PAREN:
            return "SELECT", f"ML.{name.text.upper()}"
    return None


# CALL BQ.REFRESH_MATERIALIZED_VIEW('name'): sqlglot reads CALL as an opaque command.
_REFRESH = re.compile(
    r"\s*CALL\s+BQ\s*\.\s*REFRESH_MATERIALIZED_VIEW\s*\((?P<argument>.*)\)\s*;?\s*",
    re.IGNORECASE | re.DOTALL,
)
_STRING_ARGUMENT = re.compile(r"\s*(?:'(?P<single>[^'\\]*)'|\"(?P<double>[^\"\\]*)\")\s*")


def _procedure_call(sql: str) -> str | None:
    """The argument of ``CALL BQ.REFRESH_MATERIALIZED_VIEW('name')``; None for other SQL."""
    if sql.lstrip()[:4].upper() != "CALL":
        return None  # the pattern's fullmatch costs a scan of the whole statement
    call = _REFRESH.fullmatch(sql)
    if call is None:
        return None
    argument = _STRING_ARGUMENT.fullmatch(call["argument"])
    if argument is None:
        raise InvalidQuery(
            "BQ.REFRESH_MATERIALIZED_VIEW takes one string literal, the materialized view's "
            "name ('dataset.view' or 'project.dataset.view')"
        )
    return argument["single"] if argument["single"] is not None else argument["double"]


_DDL_TYPES = {
    ("CREATE", "SCHEMA"): "CREATE_SCHEMA",
    ("CREATE", "TABLE"): "CREATE_TABLE",
    ("CREATE", "VIEW"): "CREATE_VIEW",
    ("DROP", "SCHEMA"): "DROP_SCHEMA",
    ("DROP", "TABLE"): "DROP_TABLE",
    ("DROP", "VIEW"): "DROP_VIEW",
    ("ALTER", "TABLE"): "ALTER_TABLE",
}


def _classify(tree: exp.Expression, tokens: list[Token]) -> tuple[StatementKind, str]:
    if isinstance(tree, exp.Query):
        return StatementKind.QUERY, "SELECT"
    dml = {exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE", exp.Merge: "MERGE"}
    for node_type, name in dml.items():
        if isinstance(tree, node_type):
            return StatementKind.DML, name
    if isinstance(tree, exp.TruncateTable):
        return StatementKind.DML, "TRUNCATE_TABLE"
    if isinstance(tree, exp.Export):
        return StatementKind.EXPORT, "EXPORT_DATA"
    if isinstance(tree, exp.LoadData):
        return StatementKind.LOAD, "LOAD_DATA"
    verb = {exp.Create: "CREATE", exp.Drop: "DROP", exp.Alter: "ALTER"}.get(type(tree))
    kind = str(tree.args.get("kind") or "").upper()
    statement_type = _DDL_TYPES.get((verb or "", kind))
    if statement_type in ("CREATE_VIEW", "DROP_VIEW") and is_materialized(tree):
        statement_type = statement_type.replace("VIEW", "MATERIALIZED_VIEW")
    if statement_type == "CREATE_TABLE" and tree.args.get("expression") is not None:
        statement_type = "CREATE_TABLE_AS_SELECT"
    if statement_type:
        return StatementKind.DDL, statement_type
    words = [token.text.upper() for token in tokens[:2]]
    named = " ".join(words if words[0] in ("CREATE", "DROP", "ALTER", "EXPORT") else words[:1])
    raise InvalidQuery(f"{named} statements are not supported by the BigQuery sandbox")


def is_materialized(tree: exp.Expression) -> bool:
    """Whether a CREATE or DROP names a MATERIALIZED VIEW."""
    if isinstance(tree, exp.Drop):
        return bool(tree.args.get("materialized"))
    properties = tree.args.get("properties")
    return bool(properties and properties.find(exp.MaterializedProperty))


# Translation


@dataclass
class Parameters:
    """The DuckDB types of a query's parameters: by name, or in order for ``?``."""

    named: dict[str, str] = field(default_factory=dict)
    positional: list[str] = field(default_factory=list)


def table_parts(table: exp.Table) -> list[str]:
    """The dotted parts of a table name, however it was quoted (`p.d.t`, `p`.d.t, d.t)."""
    parts = []
    for key in ("catalog", "db", "this"):
        node = table.args.get(key)
        if node is not None:
            parts.extend(node.name.split("."))
    return parts


def referenced_tables(tree: exp.Expression) -> list[exp.Table]:
    """The table references of a statement, leaving out names of its CTEs."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function (UNNEST and the like), not a stored table
        parts = table_parts(table)
        if len(parts) == 1 and parts[0].lower() in ctes:
            continue
        found.append(table)
    return found


def to_duckdb(
    tree: exp.Expression,
    resolve: Resolver,
    parameters: Parameters,
    target: exp.Table | None = None,
) -> str:
    """DuckDB SQL for a parsed statement: names resolved, parameters typed, functions fixed."""
    originals = referenced_tables(tree)
    tree = tree.copy()
    for original, table in zip(originals, referenced_tables(tree), strict=True):
        # DuckDB binds columns to a relation by its last name part, as BigQuery does.
        resolved = resolve(table_parts(table), original is target).duckdb()
        resolved.set("alias", table.args.get("alias"))
        table.replace(resolved)
    _type_positional(tree, parameters)
    tree = tree.transform(lambda node: _fix(node, parameters), copy=False)
    _name_anonymous_columns(tree)
    level = _log.level
    _log.setLevel(logging.ERROR)  # sqlglot warns of BigQuery OPTIONS DuckDB has no use for
    try:
        return tree.sql(dialect=DUCKDB)
    finally:
        _log.setLevel(level)


def _fix(node: exp.Expression, parameters: Parameters) -> exp.Expression:
    if isinstance(node, exp.Literal) and not node.is_string and re.search(r"[.eE]", node.this):
        return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
    decimal = isinstance(node, exp.DataType) and node.this == exp.DataType.Type.DECIMAL
    if decimal and not node.expressions:
        return exp.DataType.build("DECIMAL(38, 9)")
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.GEOGRAPHY:
        return exp.DataType.build("VARCHAR")  # WKT text: DuckDB has no GEOGRAPHY
    if isinstance(node, exp.Parameter):
        return _parameter(node, parameters)
    if isinstance(node, exp.DateAdd | exp.DateSub | exp.DateTrunc) and not node.meta.get("fixed"):
        # BigQuery's DATE_ADD / DATE_SUB / DATE_TRUNC give a DATE; DuckDB's a TIMESTAMP.
        node.meta["fixed"] = True
        for argument in list(node.iter_expressions()):
            argument.replace(argument.transform(lambda n: _fix(n, parameters)))
        return exp.Cast(this=node, to=exp.DataType.build("DATE"))
    if isinstance(node, exp.FarmFingerprint | exp.Format):
        # A replaced node's subtree is not visited again: fix the arguments first.
        for argument in list(node.iter_expressions()):
            argument.replace(argument.transform(lambda n: _fix(n, parameters)))
        if isinstance(node, exp.Format):
            return _format(node)
        return exp.Anonymous(this=FINGERPRINT_FUNCTION, expressions=list(node.expressions))
    return node


def _type_positional(tree: exp.Expression, parameters: Parameters) -> None:
    marks = [node for node in tree.find_all(exp.Placeholder) if not node.this]
    if not marks:
        return
    if len(marks) > len(parameters.positional):
        raise InvalidQuery(
            f"The query has {len(marks)} positional parameters (?) but "
            f"{len(parameters.positional)} values were given: pass one QueryParameter per ?"
        )
    # The i-th ? of the text takes the i-th value: number them in the order the SQL reads.
    for number, mark in enumerate(marks):
        mark.set("this", f"__positional_{number}__")
    text = tree.sql(dialect=DUCKDB)
    reading_order = sorted(
        marks, key=lambda mark: text.index(f"__positional_{marks.index(mark)}__")
    )
    for rank, mark in enumerate(reading_order, start=1):
        duckdb_type = parameters.positional[rank - 1]
        numbered = exp.Placeholder(this=str(rank))
        mark.replace(exp.Cast(this=numbered, to=exp.DataType.build(duckdb_type, dialect="duckdb")))


def _parameter(node: exp.Parameter, parameters: Parameters) -> exp.Expression:
    name = node.name
    duckdb_type = parameters.named.get(name) or parameters.named.get(name.lower())
    if duckdb_type is None:
        raise InvalidQuery(f"Query parameter '{name}' not found at [1:1]")
    placeholder = exp.Placeholder(this=name)
    return exp.Cast(this=placeholder, to=exp.DataType.build(duckdb_type, dialect="duckdb"))


def _format(node: exp.Format) -> exp.Expression:
    pattern = node.this
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        raise InvalidQuery(
            "FORMAT with a format string that is not a literal is not supported by the "
            "BigQuery sandbox"
        )
    arguments = list(node.expressions)
    converted: list[exp.Expression] = []
    text, used = [], 0
    last = 0
    for match in _FORMAT_SPEC.finditer(pattern.this):
        text.append(pattern.this[last : match.start()].replace("%", "%%"))
        last = match.end()
        flags, width, precision, kind = match.groups()
        if kind == "%":
            text.append("%%")
            continue
        if used >= len(arguments):
            raise InvalidQuery("Too few arguments to FORMAT for pattern " + pattern.this)
        argument = arguments[used]
        used += 1
        flags = (flags or "").replace("'", "")  # DuckDB's printf has no grouping flag
        spec = f"%{flags}{width or ''}{'.' + precision if precision else ''}"
        if kind in "tT":
            function = LITERAL_FUNCTION if kind == "T" else TEXT_FUNCTION
            json_value = exp.Anonymous(this="to_json", expressions=[argument])
            converted.append(exp.Anonymous(this=function, expressions=[json_value]))
            text.append(spec + "s")
        else:
            converted.append(argument)
            text.append(spec + ("s" if kind == "S" else kind.replace("i", "d").replace("u", "d")))
    text.append(pattern.this[last:].replace("%", "%%"))
    if used != len(arguments):
        raise InvalidQuery("Too many arguments to FORMAT for pattern " + pattern.this)
    return exp.Anonymous(this="printf", expressions=[exp.Literal.string("".join(text)), *converted])


def _name_anonymous_columns(tree: exp.Expression) -> None:
    query = tree.args.get("expression") if isinstance(tree, exp.Create | exp.Insert) else tree
    while isinstance(query, exp.SetOperation):
        query = query.this
    if isinstance(query, exp.Subquery):
        query = query.unnest()
    if not isinstance(query, exp.Select):
        return
    counter = 0
    for projection in list(query.expressions):
        if isinstance(projection, exp.Alias | exp.Column | exp.Star | exp.Dot):
            continue
        projection.replace(exp.alias_(projection.copy(), f"f{counter}_"))
        counter += 1
