"""SQL compared as SQL: layout, comments and keyword case do not make two queries differ."""

from __future__ import annotations

import re

# A mask the matchers put in place of run noise (``<uuid>``, ``<timestamp>``) is one token.
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--[^\n]*|\#[^\n]*|/\*.*?\*/)
    | (?P<quoted>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`[^`]*`)
    | (?P<mask><[a-z][a-z-]*>)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<operator><>|!=|<=|>=|\|\||::|=>|->|.)
    """,
    re.VERBOSE | re.DOTALL,
)

# Keywords and built-in functions of GoogleSQL and Redshift whose case carries no meaning.
# Identifiers keep their case: BigQuery table names are case-sensitive.
_KEYWORD_WORDS = """
    ADD ALL ALTER AND ANY ARRAY AS ASC AVG BETWEEN BIGINT BOOL BOOLEAN BY CASE CAST CLUSTER
    COALESCE COLUMN COPY COUNT CREATE CROSS CSV CURRENT CURRENT_DATE CURRENT_TIMESTAMP DATE
    DATETIME DECIMAL DEFAULT DELETE DELIMITER DESC DISTINCT DOUBLE DROP ELSE END EVALUATE
    EXCEPT EXISTS EXPLAIN EXPORT EXTRACT FALSE FEATURE_INFO FIRST FLOAT FLOAT64 FOLLOWING
    FORMAT FROM FULL GENERATE_UUID GROUP HAVING HEADER IAM_ROLE IF IFNULL IGNORE IN INNER
    INSERT INT INT64 INTEGER INTERSECT INTERVAL INTO IS JOIN LAST LEFT LIKE LIMIT MAX MERGE
    MIN ML MODEL NOT NULL NULLS NUMERIC OF OFFSET ON OPTIONS OR ORDER OUTER OVER PARQUET
    PARTITION PRECEDING PREDICT PRIMARY QUALIFY RANGE REAL RECURSIVE REPLACE RIGHT ROUND ROW
    ROWS SAFE_CAST SCHEMA SELECT SET SMALLINT STRING STRUCT SUM TABLE TEMP TEMPORARY THEN
    TIMESTAMP TO TRAINING_INFO TRANSFORM TRUE TRUNCATE UNBOUNDED UNION UNLOAD UNNEST UPDATE
    USING VALUES VARCHAR VIEW WHEN WHERE WINDOW WITH
"""
KEYWORDS = frozenset(_KEYWORD_WORDS.split())

# Where a diff of two queries starts a new line: before these clause keywords, after commas
# outside parentheses.
_CLAUSE_WORDS = """
    COPY CREATE CROSS DELETE EXCEPT FROM FULL GROUP HAVING INNER INSERT INTERSECT JOIN LEFT
    LIMIT MERGE OPTIONS ORDER QUALIFY RIGHT SELECT SET UNION UNLOAD UPDATE USING VALUES
    WHERE WINDOW WITH
"""
_CLAUSES = frozenset(_CLAUSE_WORDS.split())
_JOIN_PREFIXES = frozenset({"LEFT", "RIGHT", "INNER", "FULL", "CROSS", "OUTER"})
_NO_SPACE_BEFORE = frozenset({",", ")", "]", ".", ";"})
_NO_SPACE_AFTER = frozenset({"(", "[", "."})
# Keywords followed by a parenthesis that is not a call: ``IN (1, 2)``, ``AS (SELECT ...)``.
_SPACED_WORDS = """
    AND AS BY EXISTS FROM IN JOIN NOT ON OR OVER SELECT TABLE THEN USING VALUES WHEN WHERE WITH
"""
_SPACE_BEFORE_PAREN = frozenset(_SPACED_WORDS.split())


def tokens(sql: str) -> list[str]:
    """The tokens of ``sql``: comments and whitespace dropped, keywords in upper case."""
    out = []
    for match in _TOKEN.finditer(sql):
        kind, text = match.lastgroup, match.group()
        if kind in ("space", "comment"):
            continue
        if kind == "word" and text.upper() in KEYWORDS:
            text = text.upper()
        out.append(text)
    while out and out[-1] == ";":
        out.pop()
    return out


def normalise_sql(sql: str) -> str:
    """``sql`` in one canonical line: equal for queries that differ only in layout or case."""
    return _join(tokens(sql))


def sql_lines(sql: str) -> list[str]:
    """``sql`` normalised and broken into clause lines, for a readable line diff."""
    lines: list[list[str]] = [[]]
    depth = 0
    previous = ""
    for token in tokens(sql):
        if token in _CLAUSES and lines[-1] and previous not in _JOIN_PREFIXES:
            lines.append([])
        lines[-1].append(token)
        depth += {"(": 1, ")": -1}.get(token, 0)
        if token == "," and depth == 0:
            lines.append([])
        previous = token
    return [_join(line) for line in lines if line]


def _join(parts: list[str]) -> str:
    text = ""
    previous = ""
    for token in parts:
        call = token == "(" and previous[:1].isalpha() and previous not in _SPACE_BEFORE_PAREN
        tight = token in _NO_SPACE_BEFORE or previous in _NO_SPACE_AFTER or call
        text += token if (tight or not text) else " " + token
        previous = token
    return text
