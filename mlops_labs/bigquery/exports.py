"""Rows out to Cloud Storage: extract jobs and EXPORT DATA, in CSV, JSON lines or Parquet.

Values are written in BigQuery's export forms: TIMESTAMP as ``2026-01-15 09:30:00 UTC``, BOOL as
``true`` / ``false``, BYTES as base64, NULL as an empty CSV field (and left out of a JSON row),
INT64 in JSON as a string. A URI with one ``*`` becomes numbered shards, ``000000000000`` first.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import gzip
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pa_parquet
from sqlglot import exp

from .errors import Invalid, InvalidQuery
from .jobs import QueryContext
from .models import QueryResult
from .sql import Statement, StatementKind, TableName
from .statement_options import literal, option_pairs
from .storage import SHARD, CloudStorage, split_uri
from .values import Field

FORMATS = {"CSV", "NEWLINE_DELIMITED_JSON", "PARQUET"}
_CONTENT_TYPES = {
    "CSV": "text/csv",
    "NEWLINE_DELIMITED_JSON": "application/json",
    "PARQUET": "application/octet-stream",
}


@dataclass
class ExportFormat:
    """How rows become bytes: the format, CSV's header and delimiter, the compression."""

    destination_format: str = "CSV"
    print_header: bool = True
    field_delimiter: str = ","
    compression: str = "NONE"

    def check(self) -> None:
        """Invalid for a format or compression the sandbox does not write."""
        if self.destination_format not in FORMATS:
            raise Invalid(
                f"Destination format {self.destination_format} is not supported by the BigQuery "
                "sandbox: export CSV, NEWLINE_DELIMITED_JSON or PARQUET"
            )
        if self.compression not in ("NONE", "GZIP"):
            raise Invalid(
                f"Compression {self.compression} is not supported by the BigQuery sandbox: "
                "use GZIP or NONE"
            )
        if self.compression == "GZIP" and self.destination_format == "PARQUET":
            raise Invalid("Compression GZIP is not supported by the BigQuery sandbox for PARQUET")


def write(
    storage: CloudStorage,
    uris: list[str],
    rows: pa.Table,
    fields: list[Field],
    form: ExportFormat,
) -> list[int]:
    """Write the rows across the URIs (one file each); how many files each URI received."""
    form.check()
    if form.destination_format == "CSV":
        nested = [f.name for f in fields if f.mode == "REPEATED" or f.type == "RECORD"]
        if nested:
            raise Invalid(f"Operation cannot be performed on a nested schema. Field: {nested[0]}")
    share = -(-rows.num_rows // len(uris)) if rows.num_rows else 0
    counts = []
    for number, uri in enumerate(uris):
        part = rows.slice(number * share, share) if share else rows.slice(0, 0)
        data = _encode(part, fields, form)
        if form.compression == "GZIP":
            data = gzip.compress(data, mtime=0)
        storage.write(uri.replace("*", SHARD, 1), data, _CONTENT_TYPES[form.destination_format])
        counts.append(1)
    return counts


def _encode(rows: pa.Table, fields: list[Field], form: ExportFormat) -> bytes:
    if form.destination_format == "PARQUET":
        sink = io.BytesIO()
        pa_parquet.write_table(rows, sink)
        return sink.getvalue()
    records = rows.to_pylist()
    if form.destination_format == "NEWLINE_DELIMITED_JSON":
        lines = []
        for record in records:
            shown = {
                f.name: _json_value(record[f.name], f)
                for f in fields
                if record.get(f.name) is not None
            }
            lines.append(json.dumps(shown, separators=(",", ":"), ensure_ascii=False) + "\n")
        return "".join(lines).encode("utf-8")
    text = io.StringIO()
    writer = csv.writer(text, delimiter=form.field_delimiter, lineterminator="\n")
    if form.print_header:
        writer.writerow([f.name for f in fields])
    for record in records:
        writer.writerow([_text(record[f.name]) for f in fields])
    return text.getvalue().encode("utf-8")


def _text(value: Any) -> str:
    """A scalar in BigQuery's CSV form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        moment = value.astimezone(dt.UTC).replace(tzinfo=None)
        return f"{moment.isoformat(sep=' ')} UTC"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    return str(value)


def _json_value(value: Any, f: Field) -> Any:
    if value is None:
        return None
    if f.mode == "REPEATED":
        scalar = Field(f.name, f.type, "NULLABLE", f.fields)
        return [_json_value(item, scalar) for item in value]
    if f.type == "RECORD":
        return {c.name: _json_value(value.get(c.name), c) for c in f.fields}
    if f.type == "JSON":
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(value, bool | float) or f.type in ("FLOAT",):
        return value
    # INT64 as a string keeps its 64 bits, as BigQuery exports it.
    return _text(value)


# EXPORT DATA

_EXPORT_FORMATS = {"CSV": "CSV", "JSON": "NEWLINE_DELIMITED_JSON", "PARQUET": "PARQUET"}
_EXPORT_OPTIONS = {"uri", "format", "overwrite", "header", "field_delimiter", "compression"}


def run_export_data(
    storage: CloudStorage, statement: Statement, context: QueryContext
) -> QueryResult:
    """EXPORT DATA OPTIONS(uri=..., format=...) AS query: the query's rows to Cloud Storage."""
    tree = statement.tree
    assert isinstance(tree, exp.Export)
    if tree.args.get("connection"):
        raise InvalidQuery(
            "EXPORT DATA WITH CONNECTION (Amazon S3, Azure) is not supported by the BigQuery "
            "sandbox: export to gs:// without a connection"
        )
    options = _export_options(tree)
    uri = options.get("uri")
    if not isinstance(uri, str):
        raise InvalidQuery("EXPORT DATA requires the uri option")
    if uri.count("*") != 1:
        raise InvalidQuery(
            f"Invalid value: the uri option of EXPORT DATA must contain exactly one wildcard "
            f"(*): {uri}"
        )
    split_uri(uri)
    kind = str(options.get("format") or "").upper()
    if kind not in _EXPORT_FORMATS:
        raise InvalidQuery(
            f"EXPORT DATA format {kind or '(none)'} is not supported by the BigQuery sandbox: "
            "use CSV, JSON or PARQUET"
        )
    form = ExportFormat(
        destination_format=_EXPORT_FORMATS[kind],
        print_header=bool(options.get("header", False)),
        field_delimiter=delimiter(options.get("field_delimiter")),
        compression=str(options.get("compression") or "NONE").upper(),
    )
    form.check()
    query = Statement(StatementKind.QUERY, "SELECT", statement.sql, tree.this)
    duck, read = context.runner.translate(query, context)
    if context.dry_run:
        return QueryResult("EXPORT_DATA", referenced_tables=read)
    fields, rows = context.runner.arrow(duck, context, statement.sql)
    with context.catalog.lock.stepped_out():  # Cloud Storage's answers keep nobody else waiting
        return _write_export(storage, uri, options, rows, fields, form, read)


def _write_export(
    storage: CloudStorage,
    uri: str,
    options: dict[str, Any],
    rows: pa.Table,
    fields: list[Field],
    form: ExportFormat,
    read: list[TableName],
) -> QueryResult:
    existing = storage.matching(uri)
    if existing and not options.get("overwrite", False):
        raise Invalid(
            f"Invalid value: EXPORT DATA cannot write to {uri}: files matching the uri already "
            "exist (for example "
            f"{existing[0]}). Set the overwrite option to true to replace them"
        )
    for old in existing:
        storage.delete(old)  # no stale shard of an earlier export survives an overwrite
    counts = write(storage, [uri], rows, fields, form)
    return QueryResult(
        "EXPORT_DATA",
        referenced_tables=read,
        export_statistics={"fileCount": str(sum(counts)), "rowCount": str(rows.num_rows)},
    )


def _export_options(tree: exp.Export) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, value in option_pairs(tree.args.get("options"), "EXPORT DATA"):
        if name not in _EXPORT_OPTIONS:
            raise InvalidQuery(f"Unknown option: {name}")
        options[name] = literal(name, value, "EXPORT DATA")
    return options


def delimiter(value: Any) -> str:
    """A CSV delimiter as BigQuery reads one: its first character, ``\\t`` or ``tab`` a tab."""
    if not value:
        return ","
    text = str(value)
    return "\t" if text in ("\\t", "\t", "tab") else text[0]
