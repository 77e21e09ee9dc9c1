"""Redshift's physical design clauses: found by token, taken out before parsing, and turned into
BigQuery clustering (applied) and partitioning (suggested), every one of them reported.

sqlglot cannot parse column-level DISTKEY / SORTKEY and cannot write table-level ones in any
dialect but Redshift's, so they are read here from the tokens: DISTSTYLE, DISTKEY, [COMPOUND |
INTERLEAVED] SORTKEY (or SORTKEY AUTO), ENCODE (column or table level), BACKUP and a
materialized view's AUTO REFRESH.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot.tokens import Token, TokenType

from .findings import Finding, Outcome
from .script import Statement, start_column

MAX_CLUSTERING_COLUMNS = 4  # BigQuery clusters a table on at most four columns
# Column types BigQuery can cluster on (FLOAT64, BYTES, JSON, arrays and structs it cannot).
CLUSTERABLE = frozenset(
    (
        "INT64",
        "NUMERIC",
        "BIGNUMERIC",
        "STRING",
        "BOOL",
        "DATE",
        "DATETIME",
        "TIMESTAMP",
        "GEOGRAPHY",
    )
)
_DATES = {"DATE": "{}", "DATETIME": "DATE({})", "TIMESTAMP": "DATE({})"}
_TABLE_CONSTRAINTS = {"PRIMARY", "UNIQUE", "FOREIGN", "CONSTRAINT", "CHECK", "LIKE"}


@dataclass
class Clause:
    """One physical-design clause as written, and where."""

    keyword: str  # DISTSTYLE, DISTKEY, SORTKEY, ENCODE, BACKUP, AUTO REFRESH
    text: str
    line: int
    column: int
    value: str = ""  # DISTSTYLE's style, ENCODE's encoding, BACKUP's and AUTO REFRESH's YES/NO


@dataclass
class Design:
    """The physical design of one CREATE TABLE or CREATE MATERIALIZED VIEW."""

    distkey: str | None = None
    sortkey: list[str] = field(default_factory=list)
    sortkey_style: str = "COMPOUND"  # COMPOUND, INTERLEAVED or AUTO
    clauses: list[Clause] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # statement offsets to blank

    def first(self, keyword: str) -> Clause | None:
        """The first clause with this keyword."""
        return next((c for c in self.clauses if c.keyword == keyword), None)

    @property
    def auto_refresh(self) -> bool | None:
        """A materialized view's AUTO REFRESH (None: not written)."""
        clause = self.first("AUTO REFRESH")
        return None if clause is None else clause.value == "YES"


def creates(words: list[str]) -> str | None:
    """``TABLE`` or ``MATERIALIZED VIEW`` for the CREATE statements that carry a design."""
    if not words or words[0] != "CREATE":
        return None
    rest = [w for w in words[1:6] if w not in ("OR", "REPLACE", "LOCAL", "TEMP", "TEMPORARY")]
    if rest[:1] == ["TABLE"]:
        return "TABLE"
    if rest[:2] == ["MATERIALIZED", "VIEW"]:
        return "MATERIALIZED VIEW"
    return None


def scan(statement: Statement) -> Design:
    """The design clauses of a CREATE TABLE or CREATE MATERIALIZED VIEW statement."""
    tokens, words = statement.tokens, statement.words
    design = Design()
    depth, column, expect_column, named = 0, None, False, False
    i = 0
    while i < len(tokens):
        token, word = tokens[i], words[i]
        if token.token_type == TokenType.L_PAREN:
            depth += 1
            expect_column = depth == 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type == TokenType.COMMA and depth == 1:
            expect_column = True
        elif depth == 1 and expect_column:
            expect_column = False
            column = None if word in _TABLE_CONSTRAINTS else token.text.strip('"').lower()
        if depth == 0 and word == "AS" and named:
            break  # the query of a CTAS or a view: nothing of the design beyond this point
        if not named and token.token_type in (TokenType.VAR, TokenType.IDENTIFIER) and i >= 2:
            named = True
        end = _clause(tokens, words, i, depth, column, design)
        if end is not None:
            text = statement.text[
                token.start - statement.start : tokens[end].end + 1 - statement.start
            ]
            design.clauses[-1].text = " ".join(text.split())
            design.spans.append(
                (token.start - statement.start, tokens[end].end + 1 - statement.start)
            )
            i = end + 1
            continue
        i += 1
    return design


def _clause(
    tokens: tuple[Token, ...],
    words: list[str],
    i: int,
    depth: int,
    column: str | None,
    design: Design,
) -> int | None:
    """Read a design clause starting at token ``i``; the index of its last token, or None."""
    word, nxt = words[i], words[i + 1] if i + 1 < len(words) else ""
    where = (tokens[i].line, start_column(tokens[i]))
    if word == "DISTSTYLE" and depth == 0 and nxt:
        design.clauses.append(Clause("DISTSTYLE", "", *where, value=nxt))
        return i + 1
    if word == "DISTKEY":
        listed = _names(tokens, i + 1)
        if listed:
            names, end = listed
            design.distkey = names[0] if names else None
        elif depth == 1 and column:
            design.distkey, end = column, i
        else:
            return None
        design.clauses.append(Clause("DISTKEY", "", *where, value=design.distkey or ""))
        return end
    if word in ("COMPOUND", "INTERLEAVED") and nxt == "SORTKEY":
        end = _sortkey(tokens, words, i + 1, depth, column, design)
        if end is not None:
            design.sortkey_style = word
            design.clauses[-1].line, design.clauses[-1].column = where
        return end
    if word == "SORTKEY":
        return _sortkey(tokens, words, i, depth, column, design)
    if word == "ENCODE" and nxt:
        target = column if depth == 1 and column else ""
        design.clauses.append(Clause("ENCODE", "", *where, value=f"{target} {nxt}".strip()))
        return i + 1
    if word == "BACKUP" and depth == 0 and nxt in ("YES", "NO"):
        design.clauses.append(Clause("BACKUP", "", *where, value=nxt))
        return i + 1
    if word == "AUTO" and nxt == "REFRESH" and depth == 0 and i + 2 < len(words):
        design.clauses.append(Clause("AUTO REFRESH", "", *where, value=words[i + 2]))
        return i + 2
    return None


def _sortkey(
    tokens: tuple[Token, ...],
    words: list[str],
    i: int,
    depth: int,
    column: str | None,
    design: Design,
) -> int | None:
    where = (tokens[i].line, start_column(tokens[i]))
    listed = _names(tokens, i + 1)
    if listed:
        design.sortkey, end = listed
    elif i + 1 < len(words) and words[i + 1] == "AUTO":
        design.sortkey_style, end = "AUTO", i + 1
    elif depth == 1 and column:
        design.sortkey, end = [column], i
    else:
        return None
    design.clauses.append(Clause("SORTKEY", "", *where, value=", ".join(design.sortkey)))
    return end


def _names(tokens: tuple[Token, ...], i: int) -> tuple[list[str], int] | None:
    """The names in ``( a, b )`` opening at token ``i``, and the index of the closing paren."""
    if i >= len(tokens) or tokens[i].token_type != TokenType.L_PAREN:
        return None
    names, j = [], i + 1
    while j < len(tokens) and tokens[j].token_type != TokenType.R_PAREN:
        if tokens[j].token_type != TokenType.COMMA:
            names.append(tokens[j].text.strip('"').lower())
        j += 1
    return names, j


def blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span replaced by blanks (line breaks kept): positions do not move."""
    chars = list(text)
    for start, end in spans:
        for index in range(start, end):
            if chars[index] != "\n":
                chars[index] = " "
    return "".join(chars)


@dataclass
class Layout:
    """What the design becomes in BigQuery: clustering columns, and the findings."""

    cluster_by: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def layout(design: Design, column_types: dict[str, str]) -> Layout:
    """CLUSTER BY from the sort and distribution keys (at most 4 clusterable columns), PARTITION
    BY suggested on a date column of them; every clause reported."""
    out = Layout()
    candidates = [] if design.sortkey_style == "AUTO" else list(design.sortkey)
    if design.distkey and design.distkey not in candidates:
        candidates.append(design.distkey)
    refused: dict[str, str] = {}
    for name in candidates:
        kind = column_types.get(name)
        if kind is not None and kind not in CLUSTERABLE:
            refused[name] = kind
        elif len(out.cluster_by) < MAX_CLUSTERING_COLUMNS:
            out.cluster_by.append(name)
    clustered = ", ".join(out.cluster_by)
    for clause in design.clauses:
        out.findings.append(_finding(clause, design, out.cluster_by, clustered, refused))
    for name in dict.fromkeys(candidates):
        kind = column_types.get(name, "")
        if kind in _DATES:
            clause = design.first("SORTKEY") or design.first("DISTKEY")
            assert clause is not None
            out.findings.append(
                Finding(
                    clause.line,
                    clause.column,
                    f"PARTITION BY {_DATES[kind].format(name)}",
                    Outcome.SUGGESTION,
                    f"{name} is a {kind} column of the keys: partitioning on it lets BigQuery "
                    "skip whole partitions on date filters; worth it for large tables (at most "
                    "10,000 partitions), so it is not applied",
                )
            )
    return out


def _finding(
    clause: Clause, design: Design, cluster_by: list[str], clustered: str, refused: dict[str, str]
) -> Finding:
    where = (clause.line, clause.column)
    if clause.keyword == "DISTSTYLE":
        return Finding(
            *where,
            clause.text,
            Outcome.DROPPED,
            "BigQuery has no distribution style: it spreads storage and plans joins itself "
            "(broadcasting a small table when a join needs it)",
        )
    if clause.keyword == "ENCODE":
        return Finding(
            *where,
            clause.text,
            Outcome.DROPPED,
            "BigQuery chooses each column's compression itself: there is no encoding to set",
        )
    if clause.keyword == "BACKUP":
        return Finding(
            *where,
            clause.text,
            Outcome.DROPPED,
            "BigQuery keeps time travel and fail-safe data for every table; no table is left "
            "out of them (the time-travel window is a dataset option, max_time_travel_hours)",
        )
    if clause.keyword == "AUTO REFRESH":
        state = "true" if clause.value == "YES" else "false"
        return Finding(
            *where,
            clause.text,
            Outcome.TRANSLATED,
            f"OPTIONS (enable_refresh = {state}): BigQuery's automatic refresh of the view",
        )
    name = clause.value
    if clause.keyword == "DISTKEY":
        if name in refused:
            return _refused(clause, name, refused[name])
        if name in cluster_by:
            return Finding(
                *where,
                clause.text,
                Outcome.TRANSLATED,
                f"CLUSTER BY {clustered}: BigQuery has no distribution key; clustering on the "
                "join key lets joins and filters on it skip storage blocks",
            )
        return Finding(
            *where,
            clause.text,
            Outcome.DROPPED,
            f"BigQuery has no distribution key, and clustering already takes "
            f"{MAX_CLUSTERING_COLUMNS} columns ({clustered})",
        )
    # SORTKEY
    if design.sortkey_style == "AUTO":
        return Finding(
            *where,
            clause.text,
            Outcome.DROPPED,
            "BigQuery has no automatic sort key: cluster on the columns queries filter on",
        )
    missing = [n for n in design.sortkey if n not in cluster_by]
    notes = []
    if design.sortkey_style == "INTERLEAVED":
        notes.append(
            "BigQuery's clustering is compound, the first column weighing most: interleaved "
            "sorting's equal weight has no equivalent"
        )
    for name in missing:
        if name in refused:
            notes.append(f"{name} ({refused[name]}) cannot cluster a BigQuery table")
        else:
            notes.append(f"{name} left out: BigQuery clusters on at most {MAX_CLUSTERING_COLUMNS}")
    reason = (
        f"CLUSTER BY {clustered}: BigQuery keeps storage ordered by the clustering columns, as "
        "the sort key orders blocks, so filters on them skip blocks"
        if cluster_by
        else "no column of the sort key can cluster a BigQuery table"
    )
    return Finding(
        *where,
        clause.text,
        Outcome.TRANSLATED if cluster_by else Outcome.DROPPED,
        "; ".join([reason, *notes]),
    )


def _refused(clause: Clause, name: str, kind: str) -> Finding:
    return Finding(
        clause.line,
        clause.column,
        clause.text,
        Outcome.DROPPED,
        f"{name} is {kind}, which cannot cluster a BigQuery table",
    )
