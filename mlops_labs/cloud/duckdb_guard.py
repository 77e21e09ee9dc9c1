"""DuckDB locked down for a sandbox: no host files, no network, no extensions, no settings.

The sandboxes run their clients' SQL on DuckDB. DuckDB can read and write host files, load
extensions from the internet and change its own settings; none of that is the service's, so
``harden`` turns it off for good (``lock_configuration``), and ``engine_only_calls`` finds the
DuckDB functions a statement names so a sandbox can refuse them in its service's own words
before DuckDB refuses them in its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import duckdb
from sqlglot.tokens import Token, TokenType

# Given when the database is opened: extensions are never fetched nor loaded on their own,
# memory is bounded and nothing spills to the host's disk (a statement over the limit fails
# with DuckDB's out-of-memory error instead of taking the machine's memory).
MEMORY_LIMIT = "2GB"
OPEN_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "memory_limit": MEMORY_LIMIT,
    "temp_directory": "",
}
# DuckDB's own functions that no warehouse service has: files, globs, settings, catalogs.
_ENGINE_ONLY_PREFIXES = (
    "read_",
    "duckdb_",
    "pragma_",
    "parquet_",
    "sniff_",
    "iceberg_",
    "delta_",
    "json_execute",
    "sqlite_",
    "postgres_",
    "mysql_",
)
_ENGINE_ONLY_NAMES = frozenset(
    {
        "glob",
        "current_setting",
        "getenv",
        "query",
        "query_table",
        "which_secret",
        "checkpoint",
        "force_checkpoint",
        "load_extension",
        "install_extension",
        "enable_profiling",
        "disable_profiling",
    }
)


def harden(connection: duckdb.DuckDBPyConnection, private_folder: Path | None = None) -> None:
    """No file or network access (but ``private_folder``), no extension loads, settings locked.

    Call it after the sandbox's own settings: nothing can change a setting afterwards.
    """
    if private_folder is not None:
        # The sandbox's own staging files; a trailing separator allows that folder only.
        folder = str(private_folder).replace("'", "''").rstrip("/") + "/"
        connection.execute(f"SET allowed_directories = ['{folder}']")
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")


def is_engine_only(name: str) -> bool:
    """Whether ``name`` is a DuckDB function no warehouse service offers."""
    lowered = name.lower()
    return lowered in _ENGINE_ONLY_NAMES or lowered.startswith(_ENGINE_ONLY_PREFIXES)


def engine_only_calls(tokens: Sequence[Token]) -> list[Token]:
    """The tokens that call a DuckDB-only function: a name followed by an opening parenthesis."""
    return [
        token
        for token, following in itertools.pairwise(tokens)
        if following.token_type == TokenType.L_PAREN
        and token.token_type not in (TokenType.STRING, TokenType.NUMBER)
        and is_engine_only(token.text)
    ]


def called_as_table(tokens: Sequence[Token], call: Token) -> bool:
    """Whether ``call`` stands where a table does (after FROM or JOIN)."""
    index = next(i for i, token in enumerate(tokens) if token is call)
    before = tokens[index - 1] if index else None
    return before is not None and before.token_type in (TokenType.FROM, TokenType.JOIN)
