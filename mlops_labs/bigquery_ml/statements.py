"""BigQuery ML statements, parsed from sqlglot's BigQuery tokens (sqlglot's parser cannot).

The forms and what a caller gets back:

- ``CREATE [OR REPLACE] MODEL [IF NOT EXISTS] name OPTIONS(...) AS query`` -> ``CreateModel``,
  whose ``query`` is the training query's text for the caller to run.
- ``SELECT ... FROM ML.EVALUATE | ML.PREDICT | ML.TRAINING_INFO (MODEL name [, ...]) ...`` ->
  ``MLFunctionCall``: the function, the model, the optional input query or table and STRUCT
  settings, and ``outer_query(relation)``: the statement with the ML call replaced by a relation
  name, so the caller can register the function's rows under that name and let its own SQL
  engine apply the outer SELECT list, WHERE, ORDER BY and LIMIT.
- ``DROP MODEL [IF EXISTS] name`` -> ``DropModel``; ``EXPORT MODEL name OPTIONS(URI=...)`` ->
  ``ExportModel`` (parsed only).

Error wordings: "The AS SELECT clause is required for CREATE MODEL" is GoogleSQL's own (ZetaSQL
analyzer tests, google/zetasql); "OR REPLACE and IF NOT EXISTS cannot both be present" and the
"Syntax error: ..." lines follow GoogleSQL's style but were not confirmed against BigQuery.
Positions are ``[line:column]``, 1-based, as BigQuery reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import sqlglot
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from .errors import BigQueryMLError, Unsupported

ML_FUNCTIONS = ("EVALUATE", "PREDICT", "TRAINING_INFO")
_WORD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")
_STRINGS = (TokenType.STRING, TokenType.RAW_STRING)


@dataclass(frozen=True)
class ObjectName:
    """A model or table name as written: one to three dot-separated parts."""

    parts: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class OptionValue:
    """One ``name = value`` of an OPTIONS list or a STRUCT setting, with its literal's type."""

    name: str
    value: Any
    sql_type: str
    line: int
    column: int
    name_at: str = ""

    @property
    def where(self) -> str:
        """BigQuery's position suffix for errors about this value."""
        return f"[{self.line}:{self.column}]"


@dataclass(frozen=True)
class CreateModel:
    """``CREATE MODEL``: the name, the disposition, the options and the training query."""

    name: ObjectName
    options: dict[str, OptionValue]
    query: str
    replace: bool = False
    if_not_exists: bool = False


@dataclass(frozen=True)
class DropModel:
    """``DROP MODEL [IF EXISTS]``."""

    name: ObjectName
    if_exists: bool = False


@dataclass(frozen=True)
class ExportModel:
    """``EXPORT MODEL name OPTIONS(URI = 'gs://...')``."""

    name: ObjectName
    options: dict[str, OptionValue]


@dataclass(frozen=True)
class MLFunctionCall:
    """A ``SELECT`` over one ML table function, and how to run the rest of it."""

    function: str
    model: ObjectName
    input_query: str | None = None
    input_table: ObjectName | None = None
    settings: dict[str, OptionValue] = field(default_factory=dict)
    sql: str = ""
    call_start: int = 0
    call_end: int = 0

    def outer_query(self, relation: str) -> str:
        """The statement with the ML call replaced by ``relation`` (a name the caller binds)."""
        return self.sql[: self.call_start] + relation + self.sql[self.call_end :]


Statement = CreateModel | DropModel | ExportModel | MLFunctionCall


def parse_statement(sql: str) -> Statement:
    """Parse one BigQuery ML statement; BigQueryMLError (one line) if it is not one."""
    return _Parser(sql).statement()


class _Parser:
    def __init__(self, sql: str) -> None:
        self.sql = sql
        try:
            tokens = sqlglot.tokenize(sql, read="bigquery")
        except TokenError:
            raise BigQueryMLError("Syntax error: Unclosed string literal") from None
        while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
            tokens.pop()
        self.tokens = tokens
        self.index = 0
        # Line starts, to turn sqlglot's character offsets into BigQuery's [line:column].
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", sql)]

    # Token access

    def peek(self, ahead: int = 0) -> Token | None:
        at = self.index + ahead
        return self.tokens[at] if at < len(self.tokens) else None

    def word(self, ahead: int = 0) -> str:
        token = self.peek(ahead)
        if token is None or token.token_type in (*_STRINGS, TokenType.IDENTIFIER):
            return ""
        return token.text.upper()

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise BigQueryMLError(f"Syntax error: Unexpected end of statement at {self.end()}")
        self.index += 1
        return token

    def accept(self, *words: str) -> bool:
        if all(self.word(i) == w for i, w in enumerate(words)):
            self.index += len(words)
            return True
        return False

    def expect(self, word: str) -> Token:
        token = self.peek()
        if token is None or self.word() != word:
            raise self.syntax(f'"{word}"' if not word.isalpha() else f"keyword {word}")
        self.index += 1
        return token

    def position(self, offset: int) -> str:
        line = max(i for i, start in enumerate(self.line_starts) if start <= offset)
        return f"[{line + 1}:{offset - self.line_starts[line] + 1}]"

    def end(self) -> str:
        return self.position(len(self.sql.rstrip()))

    def syntax(self, expected: str) -> BigQueryMLError:
        token = self.peek()
        if token is None:
            return BigQueryMLError(
                f"Syntax error: Expected {expected} but got end of statement at {self.end()}"
            )
        return BigQueryMLError(
            f"Syntax error: Expected {expected} but got {_describe(token)} at "
            f"{self.position(token.start)}"
        )

    # Statements

    def statement(self) -> Statement:
        if self.word() == "CREATE":
            return self.create_model()
        if self.word() == "DROP":
            self.next()
            self.expect("MODEL")
            if_exists = self.accept("IF", "EXISTS")
            name = self.name()
            self.expect_end()
            return DropModel(name, if_exists)
        if self.word() == "EXPORT":
            self.next()
            self.expect("MODEL")
            name = self.name()
            options = self.options() if self.accept("OPTIONS") else {}
            self.expect_end()
            return ExportModel(name, options)
        if self.word() in ("SELECT", "WITH", "("):
            return self.ml_function_call()
        raise BigQueryMLError(
            "Not a BigQuery ML statement: expected CREATE MODEL, DROP MODEL, EXPORT MODEL or "
            "a SELECT over ML.EVALUATE, ML.PREDICT or ML.TRAINING_INFO"
        )

    def expect_end(self) -> None:
        if self.peek() is not None:
            raise self.syntax("end of statement")

    def create_model(self) -> CreateModel:
        start = self.next()
        replace = self.accept("OR", "REPLACE")
        if self.word() in ("TEMP", "TEMPORARY"):
            raise Unsupported("Temporary models are not supported by the BigQuery sandbox")
        self.expect("MODEL")
        if_not_exists = self.accept("IF", "NOT", "EXISTS")
        if replace and if_not_exists:
            raise BigQueryMLError(
                "OR REPLACE and IF NOT EXISTS cannot both be present at "
                f"{self.position(start.start)}"
            )
        name = self.name()
        for clause in ("TRANSFORM", "INPUT", "REMOTE"):
            if self.word() == clause:
                raise Unsupported(
                    f"The {clause} clause of CREATE MODEL is not supported by the BigQuery "
                    "sandbox yet"
                )
        options = self.options() if self.accept("OPTIONS") else {}
        if self.peek() is None:
            raise BigQueryMLError(
                f"The AS SELECT clause is required for CREATE MODEL at {self.position(start.start)}"
            )
        self.expect("AS")
        query_start = self.peek()
        if query_start is None:
            raise self.syntax("a query")
        query = self.sql[query_start.start : self.tokens[-1].end + 1].strip()
        return CreateModel(name, options, query, replace, if_not_exists)

    def ml_function_call(self) -> MLFunctionCall:
        for at in range(len(self.tokens) - 3):
            ml, dot, name, paren = self.tokens[at : at + 4]
            if (
                ml.text.upper() == "ML"
                and ml.token_type not in (*_STRINGS, TokenType.IDENTIFIER)
                and dot.token_type == TokenType.DOT
                and paren.token_type == TokenType.L_PAREN
            ):
                self.index = at + 4
                return self.ml_call_arguments(name.text.upper(), ml)
        raise BigQueryMLError(
            "Not a BigQuery ML statement: no ML.EVALUATE, ML.PREDICT or ML.TRAINING_INFO call"
        )

    def ml_call_arguments(self, function: str, ml: Token) -> MLFunctionCall:
        if function not in ML_FUNCTIONS:
            raise Unsupported(
                f"ML.{function} is not supported by the BigQuery sandbox; it supports "
                + ", ".join(f"ML.{f}" for f in ML_FUNCTIONS)
            )
        self.expect("MODEL")
        model = self.name()
        input_query: str | None = None
        input_table: ObjectName | None = None
        settings: dict[str, OptionValue] = {}
        while self.word() == ",":
            self.next()
            if self.word() == "TABLE" and input_query is None and input_table is None:
                self.next()
                input_table = self.name()
            elif self.word() == "(" and input_query is None and input_table is None:
                open_paren = self.next()
                close = self.matching(self.index - 1)
                input_query = self.sql[open_paren.end + 1 : self.tokens[close].start].strip()
                self.index = close + 1
            elif self.word() == "STRUCT":
                self.next()
                settings = self.struct_settings()
            else:
                raise self.syntax("TABLE, a parenthesized query or STRUCT")
        close = self.next()
        if close.token_type != TokenType.R_PAREN:
            self.index -= 1
            raise self.syntax('")"')
        if function == "TRAINING_INFO" and (input_query or input_table):
            raise BigQueryMLError("ML.TRAINING_INFO takes no input data")
        if function == "PREDICT" and input_query is None and input_table is None:
            raise BigQueryMLError(
                f"ML.PREDICT requires a table or query as its second argument at "
                f"{self.position(ml.start)}"
            )
        return MLFunctionCall(
            function, model, input_query, input_table, settings, self.sql, ml.start, close.end + 1
        )

    def matching(self, open_at: int) -> int:
        depth = 0
        for at in range(open_at, len(self.tokens)):
            kind = self.tokens[at].token_type
            if kind in (TokenType.L_PAREN, TokenType.L_BRACKET):
                depth += 1
            elif kind in (TokenType.R_PAREN, TokenType.R_BRACKET):
                depth -= 1
                if depth == 0:
                    return at
        self.index = len(self.tokens)
        raise self.syntax('")"')

    # Names

    def name(self) -> ObjectName:
        parts: list[str] = []
        current = ""
        previous: Token | None = None
        while True:
            token = self.peek()
            if token is None:
                break
            joined = previous is not None and token.start == previous.end + 1
            quoted = token.token_type == TokenType.IDENTIFIER
            if (quoted or _WORD.match(token.text)) and (previous is None or joined):
                current += token.text
            elif token.token_type == TokenType.DASH and joined and current:
                # Unquoted project ids may hold hyphens: my-project.dataset.model.
                current += "-"
            elif token.token_type == TokenType.DOT and joined and current:
                parts.append(current)
                current = ""
            else:
                break
            previous = token
            self.index += 1
        if current:
            parts.append(current)
        split = [piece for part in parts for piece in part.split(".")]
        if not split or any(not piece for piece in split) or len(split) > 3:
            raise self.syntax("a model or table name")
        return ObjectName(tuple(split))

    # Option lists and literals

    def options(self) -> dict[str, OptionValue]:
        self.expect("(")
        options: dict[str, OptionValue] = {}
        if self.word() == ")":
            self.next()
            return options
        while True:
            key = self.next()
            if not _WORD.match(key.text):
                self.index -= 1
                raise self.syntax("an option name")
            self.expect("=")
            value = replace(self.literal(key.text.lower()), name_at=self.position(key.start))
            if value.name in options:
                raise BigQueryMLError(
                    f"Duplicate option specified for '{key.text}' at {self.position(key.start)}"
                )
            options[value.name] = value
            if self.word() == ",":
                self.next()
                continue
            self.expect(")")
            return options

    def struct_settings(self) -> dict[str, OptionValue]:
        self.expect("(")
        settings: dict[str, OptionValue] = {}
        while self.word() != ")":
            value = self.literal("")
            self.expect("AS")
            alias = self.next().text.lower()
            settings[alias] = OptionValue(
                alias, value.value, value.sql_type, value.line, value.column
            )
            if self.word() == ",":
                self.next()
        self.next()
        return settings

    def literal(self, name: str) -> OptionValue:
        token = self.peek()
        if token is None:
            raise self.syntax("a value")
        where = self.position(token.start)[1:-1].split(":")
        line, column = int(where[0]), int(where[1])
        value, sql_type = self.value()
        return OptionValue(name, value, sql_type, line, column)

    def value(self) -> tuple[Any, str]:
        token = self.next()
        kind = token.token_type
        if kind in _STRINGS:
            return token.text, "STRING"
        if kind == TokenType.DASH and self.peek() and self.peek().token_type == TokenType.NUMBER:
            number, sql_type = self.value()
            return -number, sql_type
        if kind == TokenType.NUMBER:
            if re.fullmatch(r"\d+", token.text):
                return int(token.text), "INT64"
            return float(token.text), "FLOAT64"
        if kind in (TokenType.TRUE, TokenType.FALSE):
            return kind == TokenType.TRUE, "BOOL"
        if kind == TokenType.NULL:
            return None, "NULL"
        if kind == TokenType.L_BRACKET:
            return self.array()
        if kind == TokenType.L_PAREN:
            return self.struct_body(named=False)
        if kind == TokenType.STRUCT and self.word() == "(":
            self.next()
            return self.struct_body(named=True)
        self.index -= 1
        raise Unsupported(
            f"Only literal option values are supported by the BigQuery sandbox, got "
            f"{_describe(token)} at {self.position(token.start)}"
        )

    def array(self) -> tuple[list[Any], str]:
        items: list[Any] = []
        types: list[str] = []
        while self.word() != "]":
            item, sql_type = self.value()
            items.append(item)
            types.append(sql_type)
            if self.word() == ",":
                self.next()
            elif self.word() != "]":
                raise self.syntax('"]"')
        self.next()
        return items, f"ARRAY<{_common_type(types)}>"

    def struct_body(self, *, named: bool) -> tuple[tuple[Any, ...], str]:
        items: list[Any] = []
        fields: list[str] = []
        while self.word() != ")":
            item, sql_type = self.value()
            if named and self.accept("AS"):
                sql_type = f"{self.next().text} {sql_type}"
            items.append(item)
            fields.append(sql_type)
            if self.word() == ",":
                self.next()
            elif self.word() != ")":
                raise self.syntax('")"')
        self.next()
        return tuple(items), f"STRUCT<{', '.join(fields)}>"


def _common_type(types: list[str]) -> str:
    known = {t for t in types if t != "NULL"}
    if not known:
        return "INT64" if types else ""
    if known == {"INT64", "FLOAT64"}:
        return "FLOAT64"
    if len(known) == 1:
        return known.pop()
    # Struct literals agree when their field types do, whatever their field names.
    if len({_field_types(t) for t in known}) == 1:
        return next(t for t in types if t != "NULL")
    raise BigQueryMLError(
        f"Array elements of types {{{', '.join(sorted(known))}}} do not have a common supertype"
    )


def _field_types(sql_type: str) -> str:
    return re.sub(r"(?<=[<,]) ?\w+ (?=\w)", " ", sql_type).replace("< ", "<")


def _describe(token: Token) -> str:
    if token.token_type in _STRINGS:
        return f'string literal "{token.text}"'
    if token.token_type == TokenType.IDENTIFIER:
        return f"identifier `{token.text}`"
    if token.token_type == TokenType.NUMBER:
        return f'integer literal "{token.text}"'
    if _WORD.match(token.text):
        return (
            f"keyword {token.text.upper()}"
            if token.token_type != TokenType.VAR
            else (f"identifier {token.text}")
        )
    return f'"{token.text}"'
