"""The SQL dialects the sandboxes speak, each made once.

sqlglot builds a dialect (and its tokenizer and generator settings) anew each time one is
named by a string, which cost more than lexing a short statement.
"""

from __future__ import annotations

from sqlglot.dialects.dialect import Dialect

BIGQUERY = Dialect.get_or_raise("bigquery")
DUCKDB = Dialect.get_or_raise("duckdb")
REDSHIFT = Dialect.get_or_raise("redshift")
