"""Redshift SQL to BigQuery SQL: sqlglot for expressions, the kit for what it misses.

``translate()`` splits a script into statements and turns each into BigQuery SQL: COPY into
LOAD DATA, UNLOAD into EXPORT DATA, REFRESH MATERIALIZED VIEW into BigQuery's refresh
procedure, physical design into clustering, and everything else through sqlglot with the kit's
fixes. Every construct that changes, is left out or cannot be translated is a finding with its
line and reason; a statement with an untranslatable construct is written out as a comment, never
as SQL that would run with another meaning. What is written parses as BigQuery SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from . import copy_unload, expressions, materialized_views, physical_design
from .errors import SqlSyntaxError, UnknownDialect
from .findings import Finding, Outcome, comment_lines
from .script import Locator, Statement, split, start_column, syntax_error

SOURCES = ("redshift",)
TARGETS = ("bigquery",)

_log = logging.getLogger("sqlglot")
# Words a Redshift statement can begin with.
_START_WORDS = """
    ABORT ALTER ANALYZE BEGIN CALL CANCEL CLOSE COMMENT COMMIT COPY CREATE DEALLOCATE DECLARE
    DELETE DESC DETACH DROP END EXECUTE EXPLAIN FETCH GRANT INSERT LOCK MERGE PREPARE REFRESH
    RESET REVOKE ROLLBACK SELECT SET SHOW START TRUNCATE UNLOAD UPDATE VACUUM WITH (
"""
_STARTS = frozenset(_START_WORDS.split())
_IAM = (
    "BigQuery grants access with IAM roles on projects, datasets, tables and views, to Google "
    "accounts, groups and service accounts: rewrite it for those principals"
)
# Statements with no BigQuery translation, by their first word(s), and what to do instead.
_UNTRANSLATABLE = {
    ("GRANT",): _IAM,
    ("REVOKE",): _IAM,
    ("BEGIN",): "BigQuery runs a transaction inside one multi-statement query (BEGIN "
    "TRANSACTION; ...; COMMIT TRANSACTION;): run the statements between as one script",
    ("START",): "see BEGIN: a BigQuery transaction lives in one multi-statement query",
    ("COMMIT",): "see BEGIN: a BigQuery transaction lives in one multi-statement query",
    ("END",): "see BEGIN: a BigQuery transaction lives in one multi-statement query",
    ("ROLLBACK",): "see BEGIN: a BigQuery transaction lives in one multi-statement query",
    ("ABORT",): "see BEGIN: a BigQuery transaction lives in one multi-statement query",
    ("CALL",): "rewrite the procedure in BigQuery's procedural language, then CALL it",
    ("SET",): "session settings have no BigQuery statement: the job configuration sets them",
    ("RESET",): "session settings have no BigQuery statement: the job configuration sets them",
    ("SHOW",): "session settings have no BigQuery statement: the job configuration sets them",
    ("LOCK",): "BigQuery has no table locks: it serialises conflicting DML itself",
    ("DECLARE",): "cursors: read a query's result in pages through the client instead",
    ("FETCH",): "cursors: read a query's result in pages through the client instead",
    ("CLOSE",): "cursors: read a query's result in pages through the client instead",
    ("PREPARE",): "prepared statements: send the query with query parameters instead",
    ("EXECUTE",): "prepared statements: send the query with query parameters instead",
    ("DEALLOCATE",): "prepared statements: send the query with query parameters instead",
    ("CANCEL",): "cancel the BigQuery job instead (client.cancel_job)",
    ("EXPLAIN",): "BigQuery shows a query's plan in its job after it runs; a dry run estimates "
    "the bytes it would read",
    ("COMMENT",): "BigQuery keeps descriptions as OPTIONS (description = '...') of the table or "
    "column",
    ("CREATE", "EXTERNAL"): "Redshift Spectrum: define a BigQuery external table over Cloud "
    "Storage instead (CREATE EXTERNAL TABLE ... OPTIONS (format = ..., uris = [...]))",
    ("CREATE", "LIBRARY"): "Python libraries for UDFs: rewrite the function in SQL or "
    "JavaScript (CREATE FUNCTION ... LANGUAGE js)",
    ("CREATE", "FUNCTION"): "rewrite the UDF as a BigQuery SQL or JavaScript function",
    ("CREATE", "OR", "REPLACE", "FUNCTION"): "rewrite the UDF as a BigQuery SQL or JavaScript "
    "function",
    ("CREATE", "PROCEDURE"): "rewrite the procedure in BigQuery's procedural language",
    ("CREATE", "OR", "REPLACE", "PROCEDURE"): "rewrite the procedure in BigQuery's procedural "
    "language",
    ("CREATE", "USER"): _IAM,
    ("CREATE", "GROUP"): _IAM,
    ("CREATE", "ROLE"): _IAM,
    ("ALTER", "USER"): _IAM,
    ("ALTER", "GROUP"): _IAM,
    ("DROP", "USER"): _IAM,
    ("DROP", "GROUP"): _IAM,
    ("CREATE", "DATASHARE"): "data sharing: share a BigQuery dataset (Analytics Hub) instead",
}
# ALTER TABLE clauses that change Redshift's physical design or move rows between tables.
_ALTER_DESIGN = {"DISTKEY", "SORTKEY", "DISTSTYLE", "ENCODE", "APPEND", "OWNER"}
_DROPPED_STATEMENTS = {
    "VACUUM": "BigQuery reorganises its storage itself",
    "ANALYZE": "BigQuery keeps its statistics itself",
}


@dataclass
class TranslatedStatement:
    """One Redshift statement, its BigQuery SQL (None: left out or untranslatable), findings."""

    line: int
    redshift: str
    bigquery: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def untranslatable(self) -> bool:
        """Whether a person must rewrite it: its SQL is written out as a comment only."""
        return any(f.outcome is Outcome.UNTRANSLATABLE for f in self.findings)

    def render(self) -> str:
        """The statement as it stands in the translated script, with its findings above it."""
        lines = comment_lines(sorted(self.findings, key=lambda f: (f.line, f.column)))
        if self.untranslatable or self.bigquery is None:
            if self.untranslatable:
                lines.append(
                    f"-- UNTRANSLATED: the Redshift statement of line {self.line}, to rewrite:"
                )
                lines += [f"--   {text}".rstrip() for text in self.redshift.splitlines()]
            return "\n".join(lines)
        return "\n".join([*lines, self.bigquery + ";"])


@dataclass
class Translation:
    """A script's translation: every statement, in order."""

    source: str
    statements: list[TranslatedStatement]

    @property
    def findings(self) -> list[Finding]:
        """Every finding, in the order of the script."""
        return [f for s in self.statements for f in sorted(s.findings, key=_place)]

    @property
    def untranslatable(self) -> list[Finding]:
        """The constructs a person must rewrite."""
        return [f for f in self.findings if f.outcome is Outcome.UNTRANSLATABLE]

    @property
    def runnable(self) -> list[str]:
        """The BigQuery statements to run, in order (untranslatable ones left out)."""
        return [s.bigquery for s in self.statements if s.bigquery and not s.untranslatable]

    def summary(self) -> str:
        """How many statements were translated, and what the findings say, in one line."""
        counts = {outcome: 0 for outcome in Outcome}
        for finding in self.findings:
            counts[finding.outcome] += 1
        kept = len(self.runnable)
        return f"{self.source}: {len(self.statements)} statements, {kept} translated; " + ", ".join(
            f"{counts[o]} {o}" for o in Outcome
        )

    def sql(self) -> str:
        """The BigQuery script: each statement with its findings as comments above it."""
        header = [
            f"-- {self.source}: Redshift SQL translated to BigQuery SQL by mlops-labs translate",
            f"-- {self.summary()}",
        ]
        blocks = ["\n".join(header), *(s.render() for s in self.statements)]
        return "\n\n".join(blocks) + "\n"


def _place(finding: Finding) -> tuple[int, int]:
    return finding.line, finding.column


def check_dialects(source: str, target: str) -> None:
    """UnknownDialect, listing the known ones, unless the translator reads and writes these."""
    for given, known, flag in ((source, SOURCES, "--from"), (target, TARGETS, "--to")):
        if given.lower() not in known:
            raise UnknownDialect(
                f"unknown dialect {given!r} for {flag}: the translator reads "
                f"{', '.join(SOURCES)} (--from) and writes {', '.join(TARGETS)} (--to)"
            )


def translate(
    sql: str,
    *,
    source: str = "redshift",
    target: str = "bigquery",
    dataset: str | None = None,
    buckets: dict[str, str] | None = None,
    name: str = "<stdin>",
) -> Translation:
    """Translate a Redshift script to BigQuery; SqlSyntaxError, UnknownDialect or EmptyScript
    for input that cannot be read at all."""
    check_dialects(source, target)
    settings = _Settings(dataset, dict(buckets or {}), name, sql)
    statements = [_statement(statement, settings) for statement in split(sql, name)]
    return Translation(name, statements)


@dataclass
class _Settings:
    dataset: str | None
    buckets: dict[str, str]
    name: str
    script: str
    temporary: set[str] = field(default_factory=set)  # temp tables the script creates


def _statement(statement: Statement, settings: _Settings) -> TranslatedStatement:
    words, first = statement.words, statement.tokens[0]
    # Written back only as a comment, and never with the credentials it may carry.
    out = TranslatedStatement(statement.line, copy_unload.redacted(statement.text), None)
    if words[0] not in _STARTS:
        raise SqlSyntaxError(
            f"{settings.name}:{first.line}:{start_column(first)}: syntax error: "
            f"{first.text!r} does not begin a Redshift statement"
        )
    where = (first.line, start_column(first))
    if words[0] in _DROPPED_STATEMENTS:
        out.findings.append(
            Finding(*where, words[0], Outcome.DROPPED, _DROPPED_STATEMENTS[words[0]])
        )
        return out
    reason = next(
        (r for lead, r in _UNTRANSLATABLE.items() if tuple(words[: len(lead)]) == lead), None
    )
    if reason is None and words[:2] == ["ALTER", "TABLE"] and _ALTER_DESIGN & set(words):
        reason = (
            "ALTER TABLE ... APPEND, OWNER or a change of physical design: BigQuery moves rows "
            "with INSERT ... SELECT, grants with IAM, and changes clustering through the tables "
            "API"
        )
    if reason is not None:
        construct = " ".join(words[:2]) if words[0] in ("CREATE", "ALTER", "DROP") else words[0]
        out.findings.append(Finding(*where, construct, Outcome.UNTRANSLATABLE, reason))
        return out
    try:
        if words[0] == "COPY":
            out.bigquery, out.findings = _copy(statement, settings)
        elif words[0] == "UNLOAD":
            out.bigquery, out.findings = _unload(statement, settings)
        elif words[:3] == ["REFRESH", "MATERIALIZED", "VIEW"] and len(words) > 3:
            out.bigquery, out.findings = _refresh(statement, settings)
        else:
            out.bigquery, out.findings = _sql(statement, settings)
    except SqlSyntaxError:
        raise
    except Exception as error:  # a gap of the kit: reported, never a traceback or a guess
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        out.bigquery = None
        out.findings = [
            Finding(
                *where,
                " ".join(words[:2]),
                Outcome.UNTRANSLATABLE,
                f"the kit failed to translate this statement ({type(error).__name__}: "
                f"{first_line}): left for a person",
            )
        ]
    return _checked(out)


def _table_name(parts: list[str], dataset: str | None) -> str:
    if dataset and (len(parts) == 1 or parts[0].lower() == "public"):
        parts = [dataset, parts[-1]]
    identifiers = [exp.to_identifier(part.strip('"')) for part in parts]
    table = exp.Table(this=identifiers[-1], db=identifiers[-2] if len(parts) > 1 else None)
    return table.sql(dialect="bigquery")


def _name_parts(tokens: tuple[Token, ...], start: int) -> tuple[list[str], int]:
    """A dotted name starting at token ``start``; its parts and the index after it."""
    parts, i = [tokens[start].text], start + 1
    while i + 1 < len(tokens) and tokens[i].token_type == TokenType.DOT:
        parts.append(tokens[i + 1].text)
        i += 2
    return parts, i


def _copy(statement: Statement, settings: _Settings) -> tuple[str | None, list[Finding]]:
    tokens = statement.tokens
    if len(tokens) < 2:
        return None, [Finding(statement.line, 1, "COPY", Outcome.UNTRANSLATABLE, "no table")]
    parts, after = _name_parts(tokens, 1)
    table = _table_name(parts, settings.dataset)
    sql, findings = copy_unload.copy_to_load(
        tokens[0], list(tokens[after:]), table, settings.buckets
    )
    first = tokens[0]
    findings.insert(
        0,
        Finding(
            first.line,
            start_column(first),
            "COPY",
            Outcome.TRANSLATED,
            "LOAD DATA INTO (a load job: appends, all rows or none, free of query charges)",
        ),
    )
    return sql, findings


def _refresh(statement: Statement, settings: _Settings) -> tuple[str | None, list[Finding]]:
    tokens, first = statement.tokens, statement.tokens[0]
    parts, _ = _name_parts(tokens, 3)
    if settings.dataset and (len(parts) == 1 or parts[0].lower() == "public"):
        parts = [settings.dataset, parts[-1]]
    name = ".".join(parts)
    findings = [
        Finding(
            first.line,
            start_column(first),
            "REFRESH MATERIALIZED VIEW",
            Outcome.TRANSLATED,
            "CALL BQ.REFRESH_MATERIALIZED_VIEW: BigQuery also refreshes the view by itself",
        )
    ]
    if len(parts) == 1:
        findings.append(
            Finding(
                first.line,
                start_column(first),
                f"view name without a schema ({name})",
                Outcome.SUGGESTION,
                "BQ.REFRESH_MATERIALIZED_VIEW takes 'dataset.view': pass --dataset",
            )
        )
    return f"CALL BQ.REFRESH_MATERIALIZED_VIEW('{name}')", findings


def _position(script: str, offset: int) -> tuple[int, int]:
    before = script[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _unload(statement: Statement, settings: _Settings) -> tuple[str | None, list[Finding]]:
    tokens, first = list(statement.tokens), statement.tokens[0]
    unload = copy_unload.read_unload(tokens)
    if unload is None:
        return None, [
            Finding(
                first.line,
                start_column(first),
                "UNLOAD",
                Outcome.UNTRANSLATABLE,
                "expected UNLOAD ('query') TO 's3://...'",
            )
        ]
    # The query's own places, counted from the first character inside the literal's quote.
    line0, column0 = _position(settings.script, unload.literal.start + 1)

    def place(token: Token) -> tuple[int, int]:
        column = start_column(token)
        if token.line == 1:
            return line0, column0 + column - 1
        return line0 + token.line - 1, column

    try:
        inner = sqlglot.tokenize(unload.query, read="redshift")
    except TokenError:
        return None, [
            Finding(
                first.line,
                start_column(first),
                "UNLOAD query",
                Outcome.UNTRANSLATABLE,
                "the query inside UNLOAD ('...') cannot be read",
            )
        ]
    query = Statement(unload.query, 0, tuple(inner)) if inner else None
    if query is None or query.words[0] not in ("SELECT", "WITH", "("):
        return None, [
            Finding(
                first.line,
                start_column(first),
                "UNLOAD query",
                Outcome.UNTRANSLATABLE,
                "UNLOAD's query must be a SELECT",
            )
        ]
    query_sql, findings = _sql(query, settings, place=place, text=unload.query)
    if query_sql is None:
        return None, findings
    sql, more = copy_unload.unload_to_export(first, tokens[4:], query_sql, settings.buckets)
    head = Finding(
        first.line,
        start_column(first),
        "UNLOAD",
        Outcome.TRANSLATED,
        "EXPORT DATA OPTIONS (...) AS query: BigQuery writes the files itself, in parallel",
    )
    return sql, [head, *more, *findings]


def _sql(
    statement: Statement,
    settings: _Settings,
    *,
    place: Callable[[Token], tuple[int, int]] | None = None,
    text: str | None = None,
) -> tuple[str | None, list[Finding]]:
    """A statement sqlglot reads, fixed by the kit and written as BigQuery SQL."""
    creates = physical_design.creates(statement.words)
    design = physical_design.scan(statement) if creates else None
    body = physical_design.blanked(statement.text, design.spans) if design else statement.text
    parse_text = statement.masked(settings.script) if text is None else text
    if design:
        parse_text = parse_text[: len(parse_text) - len(statement.text)] + body
    tree = _parse(parse_text, settings, place)
    ctx = expressions.Context(
        Locator(statement.tokens, place), settings.dataset, temporary=settings.temporary
    )
    if isinstance(tree, exp.Command):
        ctx.report(
            (),
            " ".join(statement.words[:2]),
            Outcome.UNTRANSLATABLE,
            "sqlglot cannot read this statement, so the kit cannot translate it",
        )
        return None, ctx.findings
    tree = expressions.fix(tree, ctx)
    if design is not None and isinstance(tree, exp.Create):
        _apply_design(tree, design, creates == "MATERIALIZED VIEW", ctx)
    sql = _write(tree, ctx)
    expressions.check_bigquery(sql, ctx)
    return sql, ctx.findings


def _parse(
    text: str, settings: _Settings, place: Callable[[Token], tuple[int, int]] | None
) -> exp.Expression:
    """The one statement of ``text``, read as Redshift; SqlSyntaxError where it does not parse."""
    level = _log.level
    _log.setLevel(logging.ERROR)  # sqlglot warns as it falls back to an opaque command
    try:
        trees = [t for t in sqlglot.parse(text, read="redshift") if t is not None]
    except ParseError as error:
        if place is None:
            raise syntax_error(error, settings.name) from None

        def inner(line: int, column: int) -> tuple[int, int]:
            return place(Token(TokenType.VAR, "x", line, column))

        raise syntax_error(error, settings.name, inner, " in UNLOAD's query") from None
    finally:
        _log.setLevel(level)
    return trees[0]


def _apply_design(
    tree: exp.Create, design: physical_design.Design, materialized: bool, ctx: expressions.Context
) -> None:
    types = {}
    schema = tree.this if isinstance(tree.this, exp.Schema) else None
    for column in schema.expressions if schema else []:
        if isinstance(column, exp.ColumnDef) and column.args.get("kind") is not None:
            written = column.args["kind"].sql(dialect="bigquery")
            types[column.name.lower()] = written.split("(")[0].upper()
    layout = physical_design.layout(design, types)
    ctx.findings += layout.findings
    properties = tree.args.get("properties") or exp.Properties(expressions=[])
    if layout.cluster_by:
        columns = [exp.column(name) for name in layout.cluster_by]
        properties.append("expressions", exp.Cluster(expressions=columns))
    if materialized and tree.expression is not None:
        reasons = materialized_views.non_incremental(tree.expression)
        for option in materialized_views.options(reasons, design.auto_refresh):
            properties.append("expressions", option)
        outcome, reason = materialized_views.finding(reasons)
        ctx.report(("MATERIALIZED", "VIEW"), "CREATE MATERIALIZED VIEW", outcome, reason)
    if properties.expressions:
        tree.set("properties", properties)


def _write(tree: exp.Expression, ctx: expressions.Context) -> str:
    generator = sqlglot.Dialect.get_or_raise("bigquery").generator(
        pretty=True, unsupported_level=ErrorLevel.IGNORE
    )
    level = _log.level
    _log.setLevel(logging.ERROR)
    try:
        sql = generator.generate(tree)
    finally:
        _log.setLevel(level)
    for message in dict.fromkeys(generator.unsupported_messages):
        ctx.report((), "expression", Outcome.UNTRANSLATABLE, f"sqlglot cannot write it: {message}")
    return sql


def _checked(out: TranslatedStatement) -> TranslatedStatement:
    """The statement, made untranslatable if what was written does not parse as BigQuery."""
    if out.bigquery is None or out.untranslatable:
        return out
    if out.bigquery.lstrip().upper().startswith("CALL "):
        return out  # sqlglot reads CALL as an opaque command; the kit wrote it whole
    try:
        trees = [t for t in sqlglot.parse(out.bigquery, read="bigquery") if t is not None]
        readable = len(trees) == 1 and not isinstance(trees[0], exp.Command)
        problem = "" if readable else "it does not read as one BigQuery statement"
    except (ParseError, TokenError) as error:
        problem = str(error).splitlines()[0]
    if problem:
        out.findings.append(
            Finding(
                out.line,
                1,
                "statement",
                Outcome.UNTRANSLATABLE,
                f"the kit's translation does not parse as BigQuery SQL ({problem}): a gap of the "
                "kit, so it is left for a person",
            )
        )
    return out
