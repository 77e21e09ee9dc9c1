"""The ``OPTIONS(...)`` lists of EXPORT DATA and LOAD DATA, read from sqlglot's tree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from .errors import InvalidQuery


def option_pairs(properties: exp.Expression | None, statement: str) -> Iterator[tuple[str, Any]]:
    """Each option's lower-case name and value node; ``statement`` names it in errors."""
    for prop in properties.expressions if properties is not None else []:
        if isinstance(prop, exp.FileFormatProperty):
            yield "format", prop.this
        elif isinstance(prop, exp.Property):
            yield prop.name.lower(), prop.args.get("value")
        else:
            raise InvalidQuery(f"Unsupported {statement} option: {prop.sql(dialect='bigquery')}")


def literal(name: str, value: Any, statement: str) -> bool | str:
    """A boolean or literal option's Python value."""
    if isinstance(value, exp.Boolean):
        return bool(value.this)
    if isinstance(value, exp.Literal | exp.Var | exp.Identifier):
        return value.name
    raise InvalidQuery(f"The {name} option of {statement} must be a literal")
