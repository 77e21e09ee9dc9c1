"""BigQuery types and values: schema fields, their DuckDB types, and values on the wire.

The REST API carries every cell as a string (``{"f": [{"v": "42"}]}``), with type names of the
legacy dialect in schemas (INT64 is INTEGER, FLOAT64 is FLOAT, BOOL is BOOLEAN, STRUCT is
RECORD). These are the conversions both ways, as google-cloud-bigquery's parsers expect them.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import Invalid

# Standard SQL names of the legacy names the REST schema uses.
LEGACY_NAMES = {"INT64": "INTEGER", "FLOAT64": "FLOAT", "BOOL": "BOOLEAN", "STRUCT": "RECORD"}
TYPES = {
    "STRING",
    "BYTES",
    "INTEGER",
    "FLOAT",
    "NUMERIC",
    "BIGNUMERIC",
    "BOOLEAN",
    "TIMESTAMP",
    "DATE",
    "TIME",
    "DATETIME",
    "GEOGRAPHY",
    "JSON",
    "INTERVAL",
    "RECORD",
}
MODES = {"NULLABLE", "REQUIRED", "REPEATED"}
_DUCKDB_TYPES = {
    "STRING": "VARCHAR",
    "BYTES": "BLOB",
    "INTEGER": "BIGINT",
    "FLOAT": "DOUBLE",
    # DuckDB's widest decimal has 38 digits: BIGNUMERIC's 76 cannot be held exactly.
    "NUMERIC": "DECIMAL(38,9)",
    "BIGNUMERIC": "DECIMAL(38,9)",
    "BOOLEAN": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMPTZ",
    "DATE": "DATE",
    "TIME": "TIME",
    "DATETIME": "TIMESTAMP",
    "GEOGRAPHY": "VARCHAR",
    "JSON": "JSON",
    "INTERVAL": "INTERVAL",
}
_INTEGER_IDS = {
    "tinyint",
    "smallint",
    "integer",
    "bigint",
    "hugeint",
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
    "uhugeint",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_INT64 = range(-(2**63), 2**63)
_BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False, "t": True, "f": False}


@dataclass(frozen=True)
class Field:
    """A column of a BigQuery schema: name, legacy type name, mode, sub-fields of a RECORD."""

    name: str
    type: str
    mode: str = "NULLABLE"
    fields: tuple[Field, ...] = field(default=())
    description: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The TableFieldSchema resource."""
        resource: dict[str, Any] = {"name": self.name, "type": self.type, "mode": self.mode}
        if self.fields:
            resource["fields"] = [child.to_api() for child in self.fields]
        if self.description is not None:
            resource["description"] = self.description
        return resource

    @classmethod
    def from_api(cls, resource: dict[str, Any]) -> Field:
        """A field from a TableFieldSchema resource, with its type name made legacy."""
        name = resource.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,299}", name):
            raise Invalid(
                f'Invalid field name "{name}". Fields must contain only letters, '
                "numbers, and underscores, start with a letter or underscore, "
                "and be at most 300 characters long."
            )
        kind = str(resource.get("type", "")).upper()
        kind = LEGACY_NAMES.get(kind, kind)
        if kind not in TYPES:
            raise Invalid(f"Invalid value for type: {resource.get('type')} is not a valid value")
        mode = str(resource.get("mode") or "NULLABLE").upper()
        if mode not in MODES:
            raise Invalid(f"Invalid value for mode: {resource.get('mode')} is not a valid value")
        children = tuple(cls.from_api(child) for child in resource.get("fields") or [])
        if kind == "RECORD" and not children:
            raise Invalid(f"Field {name} is type RECORD but has no schema")
        return cls(name, kind, mode, children, resource.get("description"))

    def duckdb_type(self) -> str:
        """The DuckDB type that holds this field's values (a list for REPEATED)."""
        if self.type == "RECORD":
            members = ", ".join(f"{quote(c.name)} {c.duckdb_type()}" for c in self.fields)
            base = f"STRUCT({members})"
        else:
            base = _DUCKDB_TYPES[self.type]
        return f"{base}[]" if self.mode == "REPEATED" else base

    def column_sql(self) -> str:
        """This field as a DuckDB column definition."""
        required = " NOT NULL" if self.mode == "REQUIRED" else ""
        return f"{quote(self.name)} {self.duckdb_type()}{required}"


def quote(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def field_from_duckdb(name: str, dtype: Any, nullable: bool = True) -> Field:
    """The BigQuery field a DuckDB column of this type reads back as."""
    kind = dtype.id
    if kind == "list":
        element = field_from_duckdb(name, dict(dtype.children)["child"])
        return Field(name, element.type, "REPEATED", element.fields)
    mode = "NULLABLE" if nullable else "REQUIRED"
    if kind == "struct":
        children = tuple(field_from_duckdb(n, t) for n, t in dtype.children)
        return Field(name, "RECORD", mode, children)
    return Field(name, _scalar_type(dtype), mode)


def _scalar_type(dtype: Any) -> str:
    kind = dtype.id
    if kind in _INTEGER_IDS or kind == "null":
        return "INTEGER"  # BigQuery types a bare NULL as INT64
    if kind in ("double", "float"):
        return "FLOAT"
    if kind == "decimal":
        sizes = dict(dtype.children)
        fits = sizes["scale"] <= 9 and sizes["precision"] - sizes["scale"] <= 29
        return "NUMERIC" if fits else "BIGNUMERIC"
    if kind == "varchar":
        return "JSON" if str(dtype) == "JSON" else "STRING"
    simple = {
        "blob": "BYTES",
        "boolean": "BOOLEAN",
        "date": "DATE",
        "time": "TIME",
        "timestamp with time zone": "TIMESTAMP",
        "interval": "INTERVAL",
    }
    if kind in simple:
        return simple[kind]
    if kind.startswith("timestamp"):
        return "DATETIME"
    return "STRING"


# Values to the wire


def encode_row(row: tuple[Any, ...], fields: list[Field], timestamps: str) -> dict[str, Any]:
    """A row as TableRow: ``{"f": [{"v": ...}, ...]}`` with every scalar as a string."""
    return {
        "f": [
            {"v": encode_cell(value, f, timestamps)} for value, f in zip(row, fields, strict=True)
        ]
    }


def encode_cell(value: Any, f: Field, timestamps: str) -> Any:
    """One cell: a string, None, ``[{"v": ...}]`` for REPEATED, ``{"f": [...]}`` for RECORD."""
    if f.mode == "REPEATED":
        scalar = Field(f.name, f.type, "NULLABLE", f.fields)
        return [{"v": encode_cell(item, scalar, timestamps)} for item in value or []]
    if value is None:
        return None
    if f.type == "RECORD":
        items = (
            value
            if isinstance(value, dict)
            else dict(zip([c.name for c in f.fields], value, strict=True))
        )
        return encode_row(tuple(items.get(c.name) for c in f.fields), list(f.fields), timestamps)
    return _encode_scalar(value, f.type, timestamps)


def _encode_scalar(value: Any, kind: str, timestamps: str) -> str:
    if kind == "BOOLEAN":
        return "true" if value else "false"
    if kind == "FLOAT":
        return java_double(float(value))
    if kind in ("NUMERIC", "BIGNUMERIC"):
        return decimal_text(Decimal(value))
    if kind == "BYTES":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "TIMESTAMP":
        return _timestamp_text(value, timestamps)
    if kind in ("DATE", "TIME", "DATETIME"):
        return value.isoformat()
    if kind == "INTERVAL":
        return _interval_text(value)
    if kind == "JSON" and not isinstance(value, str):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def decimal_text(value: Decimal) -> str:
    """NUMERIC as BigQuery prints it: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def java_double(value: float) -> str:
    """A FLOAT64 as the REST API prints it (Java's Double.toString: ``3750.0``, ``1.4E9``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        return text if "." in text or "e" in text else text + ".0"
    _, digits, exponent = Decimal(repr(magnitude)).as_tuple()
    kept = list(digits)
    while len(kept) > 1 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    power = len(kept) - 1 + int(exponent)
    fraction = "".join(map(str, kept[1:])) or "0"
    sign = "-" if value < 0 else ""
    return f"{sign}{kept[0]}.{fraction}E{power}"


def microseconds(moment: datetime) -> int:
    """Microseconds since the epoch of an aware (or UTC-naive) datetime, exactly."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MICROSECOND


def _timestamp_text(value: datetime, timestamps: str) -> str:
    micros = microseconds(value)
    if timestamps == "int64":
        return str(micros)
    if timestamps == "iso":
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The API's default: seconds since the epoch as a floating-point number.
    return java_double(micros / 1_000_000)


def _interval_text(value: timedelta) -> str:
    # DuckDB hands intervals to Python as timedeltas: months have become days by then.
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = f".{value.microseconds:06d}" if value.microseconds else ""
    return f"0-0 {sign}{value.days} {sign}{hours}:{minutes}:{seconds}{fraction}"


# Values from the wire (insertAll rows, query parameters)


def decode_value(value: Any, f: Field) -> Any:
    """A JSON value for field ``f`` as the Python value DuckDB stores; ValueError if it can't."""
    if f.mode == "REPEATED":
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError(f"Array specified for non-repeated field: {f.name}.")
        scalar = Field(f.name, f.type, "NULLABLE", f.fields)
        return [decode_value(item, scalar) for item in value]
    if value is None:
        if f.mode == "REQUIRED":
            raise ValueError(f"Missing required field: {f.name}.")
        return None
    if f.type == "RECORD":
        if not isinstance(value, dict):
            raise ValueError(f"This field: {f.name} is not a record.")
        known = {child.name for child in f.fields}
        unknown = [key for key in value if key not in known]
        if unknown:
            raise ValueError(f"no such field: {unknown[0]}.")
        return {child.name: decode_value(value.get(child.name), child) for child in f.fields}
    return decode_scalar(value, f.type)


def decode_scalar(value: Any, kind: str) -> Any:
    """One scalar from its JSON form (a string, number or boolean) for a legacy type name."""
    try:
        return _DECODERS[kind](value)
    except (ValueError, TypeError, InvalidOperation, binascii.Error, OverflowError):
        shown = value if isinstance(value, str) else json.dumps(value)
        label = _TYPE_WORDS.get(kind, kind.lower())
        raise ValueError(f"Cannot convert value to {label} (bad value): {shown}") from None


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("fraction")
        value = int(value)
    number = int(value) if isinstance(value, int) else int(str(value).strip())
    if number not in _INT64:
        raise ValueError("out of range")
    return number


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("boolean")
    text = str(value).strip()
    special = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf, "inf": math.inf}
    if text.lower() in special:
        return special[text.lower()]
    return float(text)


def _numeric(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("boolean")
    number = Decimal(str(value).strip())
    if not number.is_finite():
        raise ValueError("not finite")
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return _BOOL_TEXT[str(value).strip().lower()]


def _string(value: Any) -> str:
    if isinstance(value, dict | list):
        raise ValueError("not a scalar")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _timestamp(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _EPOCH + timedelta(microseconds=round(value * 1_000_000))
    text = str(value).strip()
    text = re.sub(r"\s*(UTC|Z)$", "+00:00", text)
    moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json(value: Any) -> str:
    if isinstance(value, str):
        json.loads(value)
        return value
    return json.dumps(value, separators=(",", ":"))


def _interval(value: Any) -> timedelta:
    match = re.fullmatch(
        r"(-?)(\d+)-(\d+) (-?\d+) (-?)(\d+):(\d+):(\d+)(?:\.(\d{1,6}))?", str(value).strip()
    )
    if not match or int(match.group(2)) or int(match.group(3)):
        raise ValueError("only day-time intervals are supported")
    sign = -1 if match.group(5) else 1
    micros = int((match.group(9) or "0").ljust(6, "0"))
    clock = timedelta(
        hours=int(match.group(6)),
        minutes=int(match.group(7)),
        seconds=int(match.group(8)),
        microseconds=micros,
    )
    return timedelta(days=int(match.group(4))) + sign * clock


_DECODERS = {
    "INTEGER": _integer,
    "FLOAT": _float,
    "NUMERIC": _numeric,
    "BIGNUMERIC": _numeric,
    "BOOLEAN": _boolean,
    "STRING": _string,
    "GEOGRAPHY": _string,
    "BYTES": lambda v: base64.b64decode(str(v), validate=True),
    "DATE": lambda v: date.fromisoformat(str(v).strip()),
    "TIME": lambda v: time.fromisoformat(str(v).strip()),
    "DATETIME": lambda v: datetime.fromisoformat(str(v).strip().replace(" ", "T", 1)),
    "TIMESTAMP": _timestamp,
    "JSON": _json,
    "INTERVAL": _interval,
}
_TYPE_WORDS = {"INTEGER": "integer", "FLOAT": "double", "BOOLEAN": "boolean"}


def decode_row(
    row: dict[str, Any], fields: list[Field], ignore_unknown: bool
) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """An insertAll row decoded against the schema, or the errors that keep it out."""
    known = {f.name: f for f in fields}
    errors = []
    if not ignore_unknown:
        errors += [
            {
                "reason": "invalid",
                "location": key,
                "debugInfo": "",
                "message": f"no such field: {key}.",
            }
            for key in row
            if key not in known
        ]
    decoded: dict[str, Any] = {}
    for f in fields:
        try:
            decoded[f.name] = decode_value(row.get(f.name), f)
        except ValueError as error:
            errors.append(
                {"reason": "invalid", "location": f.name, "debugInfo": "", "message": str(error)}
            )
    return (None, errors) if errors else (decoded, [])
