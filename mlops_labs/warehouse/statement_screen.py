"""What a client may send the warehouse: Redshift's statements, never DuckDB's own.

DuckDB has statements (PRAGMA, INSTALL, ATTACH, EXPORT DATABASE, FROM-first queries) and
functions (``read_text``, ``glob``, ``duckdb_settings``, ``current_setting``) that Redshift
has not. The engine is locked down whatever a statement says (``cloud.duckdb_guard``); this
screen answers such a statement the way Redshift would, before DuckDB sees it.
"""

from __future__ import annotations

from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from ..cloud.duckdb_guard import engine_only_calls
from ..cloud.sql_dialects import REDSHIFT
from .errors import SqlSyntaxError, UndefinedObject

# The words a Redshift statement starts with.
REDSHIFT_STATEMENTS = frozenset(
    {
        "ABORT", "ALTER", "ANALYZE", "BEGIN", "CALL", "CANCEL", "CLOSE", "COMMENT", "COMMIT",
        "COPY", "CREATE", "DEALLOCATE", "DECLARE", "DELETE", "DROP", "END", "EXECUTE",
        "EXPLAIN", "FETCH", "GRANT", "INSERT", "LOCK", "MERGE", "PREPARE", "REFRESH", "RESET",
        "REVOKE", "ROLLBACK", "SELECT", "SET", "SHOW", "START", "TRUNCATE", "UNLOAD", "UPDATE",
        "VACUUM", "VALUES", "WITH",
    }
)  # fmt: skip


def screen(sql: str, tokens: list[Token] | None = None) -> None:
    """Refuse, in Redshift's words, a statement or function that only DuckDB has."""
    if tokens is None:
        try:
            tokens = REDSHIFT.tokenize(sql)
        except TokenError:
            return  # the parser says what is wrong, with its position
    first = next((token for token in tokens if token.token_type != TokenType.L_PAREN), None)
    if first is None:
        return
    if first.text.upper() not in REDSHIFT_STATEMENTS:
        raise SqlSyntaxError(
            f'syntax error at or near "{first.text}" (position {first.start + 1})',
            code="42601",
            position=first.start + 1,
        )
    calls = engine_only_calls(tokens)
    if calls:
        call = calls[0]
        arguments = ", ".join(_argument_types(tokens, call))
        raise UndefinedObject(
            f"function {call.text.lower()}({arguments}) does not exist (position {call.start + 1})",
            code="42883",
            position=call.start + 1,
        )


def _argument_types(tokens: list[Token], call: Token) -> list[str]:
    """Each argument's type as Redshift names it in the message: literals by kind."""
    index = next(i for i, token in enumerate(tokens) if token is call) + 2
    depth, kinds, first = 0, [], True
    for token in tokens[index:]:
        if token.token_type == TokenType.R_PAREN and depth == 0:
            break
        if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        elif token.token_type == TokenType.COMMA and depth == 0:
            first = True
            continue
        if first:
            kinds.append(_kind(token))
            first = False
    return kinds


def _kind(token: Token) -> str:
    if token.token_type == TokenType.STRING:
        return "unknown"
    if token.token_type == TokenType.NUMBER:
        return "numeric" if "." in token.text else "integer"
    if token.token_type == TokenType.L_BRACKET:
        return "unknown[]"
    return "unknown"
