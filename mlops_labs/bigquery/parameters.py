"""Query parameters: QueryParameter resources as DuckDB types and bound Python values.

Values are bound, never pasted into the SQL: ``@name`` and ``?`` become DuckDB parameters cast
to the declared type, so a NULL parameter keeps its type and no value is read as SQL.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import Invalid
from .sql import Parameters
from .values import Field, decode_scalar


def bind_parameters(
    parameters: list[dict[str, Any]], mode: str | None
) -> tuple[Parameters, dict[str, Any] | list[Any] | None]:
    """Query parameters as DuckDB types and Python values; Invalid when malformed."""
    if not parameters:
        return Parameters(), None
    named = [p for p in parameters if p.get("name")]
    if named and len(named) != len(parameters):
        raise Invalid("Query parameters must all be named or all be positional")
    if mode == "POSITIONAL" and named:
        raise Invalid("Named query parameters cannot be used with parameterMode POSITIONAL")
    types, values = Parameters(), []
    for parameter in parameters:
        field_ = _parameter_field(parameter.get("name") or "p", parameter.get("parameterType"))
        value = _parameter_value(parameter.get("parameterValue"), field_)
        values.append(value)
        if named:
            types.named[parameter["name"]] = field_.duckdb_type()
        else:
            types.positional.append(field_.duckdb_type())
    if named:
        return types, {p["name"]: v for p, v in zip(parameters, values, strict=True)}
    return types, values


def _parameter_field(name: str, spec: dict[str, Any] | None) -> Field:
    if not spec or not spec.get("type"):
        raise Invalid(f"Query parameter '{name}' has no parameterType.type")
    kind = spec["type"].upper()
    if kind == "ARRAY":
        element = _parameter_field(name, spec.get("arrayType"))
        return Field(name, element.type, "REPEATED", element.fields)
    if kind == "STRUCT":
        children = tuple(
            _parameter_field(member.get("name") or f"_field_{i + 1}", member.get("type"))
            for i, member in enumerate(spec.get("structTypes") or [])
        )
        return Field(name, "RECORD", "NULLABLE", children)
    return Field.from_api({"name": re.sub(r"\W", "_", name) or "p", "type": kind})


def _parameter_value(value: dict[str, Any] | None, field_: Field) -> Any:
    if value is None:
        return [] if field_.mode == "REPEATED" else None
    try:
        if field_.mode == "REPEATED":
            scalar = Field(field_.name, field_.type, "NULLABLE", field_.fields)
            return [_parameter_value(item, scalar) for item in value.get("arrayValues") or []]
        if field_.type == "RECORD":
            members = value.get("structValues") or {}
            return {c.name: _parameter_value(members.get(c.name), c) for c in field_.fields}
        if "value" not in value:
            return None
        return decode_scalar(value["value"], field_.type)
    except ValueError as error:
        raise Invalid(f"Invalid value for query parameter {field_.name}: {error}") from None
