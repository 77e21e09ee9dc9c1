"""Load jobs from uploaded bytes or Cloud Storage objects: CSV, JSON lines or Parquet into a table.

Each file's bytes become an Arrow table (pyarrow reads them; DuckDB's file access stays off), DuckDB
casts the columns to the destination's types, and the write disposition says whether the rows
replace, join or may only fill an empty table.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pa_parquet

from .errors import BigQueryError, Duplicate, Invalid, NotFound
from .models import Catalog, Table
from .sql import TableName
from .values import Field, decode_value, quote

SUPPORTED_FORMATS = {"CSV", "NEWLINE_DELIMITED_JSON", "PARQUET"}


def load(catalog: Catalog, config: dict[str, Any], data: bytes) -> dict[str, str]:
    """Run a load of ``data`` as ``config`` (JobConfigurationLoad) says; its statistics."""
    return load_files(catalog, config, [data])


def load_files(catalog: Catalog, config: dict[str, Any], files: list[bytes]) -> dict[str, str]:
    """Load every file's rows, all or none (a load from several Cloud Storage objects)."""
    source_format = (config.get("sourceFormat") or "CSV").upper()
    if source_format not in SUPPORTED_FORMATS:
        raise Invalid(
            f"Source format {source_format} is not supported by the BigQuery sandbox: "
            "load CSV, NEWLINE_DELIMITED_JSON or PARQUET"
        )
    reference = config.get("destinationTable") or {}
    try:
        name = TableName(reference["projectId"], reference["datasetId"], reference["tableId"])
    except KeyError:
        raise Invalid(
            "A load job needs destinationTable with projectId, datasetId and tableId"
        ) from None
    catalog.get_dataset(TableName(name.project, name.dataset))
    catalog.check_writable(name)
    schema = [Field.from_api(f) for f in (config.get("schema") or {}).get("fields") or []]
    existing = catalog.tables.get((name.project, name.dataset, name.table))
    fields = schema or (existing.fields if existing else [])
    # Every file is parsed (its own header rows skipped) before any row is written; a large
    # file's parsing keeps no other request waiting.
    with catalog.lock.stepped_out():
        tables = [_read(data, source_format, config, fields) for data in files]
        try:
            source = pa.concat_tables(tables, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            first = str(error).splitlines()[0]
            raise Invalid(f"Error while reading data, error message: {first}") from None
    catalog.get_dataset(TableName(name.project, name.dataset))  # still there?
    existing = catalog.tables.get((name.project, name.dataset, name.table))
    rows = _write(catalog, name, existing, source, schema, config)
    return {
        "inputFiles": str(len(files)),
        "inputFileBytes": str(sum(len(data) for data in files)),
        "outputRows": str(rows),
        "outputBytes": str(catalog.num_bytes(catalog.get_table(name))),
        "badRecords": "0",
    }


def _read(data: bytes, source_format: str, config: dict[str, Any], fields: list[Field]) -> pa.Table:
    if source_format == "CSV":
        return _read_csv(data, config, fields)
    if source_format == "PARQUET":
        try:
            return pa_parquet.read_table(io.BytesIO(data))
        except pa.ArrowInvalid as error:
            raise Invalid(f"Error while reading data, error message: {error}") from None
    return _read_json(data, config, fields)


def _read_csv(data: bytes, config: dict[str, Any], fields: list[Field]) -> pa.Table:
    skip = int(config.get("skipLeadingRows") or 0)
    if fields:
        read = pa_csv.ReadOptions(skip_rows=skip, column_names=[f.name for f in fields])
        types = {f.name: pa.string() for f in fields}
    elif config.get("autodetect"):
        # With autodetect the row before the data holds the column names.
        read = pa_csv.ReadOptions(skip_rows=max(skip - 1, 0))
        types = {}
    else:
        raise Invalid("No schema specified on job or table: give a schema or set autodetect")
    null_marker = config.get("nullMarker") or ""
    parse = pa_csv.ParseOptions(
        delimiter=_delimiter(config.get("fieldDelimiter")),
        quote_char=config.get("quote", '"') or False,
        newlines_in_values=bool(config.get("allowQuotedNewlines")),
    )
    convert = pa_csv.ConvertOptions(
        column_types=types, null_values=[null_marker], strings_can_be_null=True
    )
    try:
        return pa_csv.read_csv(
            io.BytesIO(data), read_options=read, parse_options=parse, convert_options=convert
        )
    except pa.ArrowInvalid as error:
        raise Invalid(f"Error while reading data, error message: {error}") from None


def _delimiter(value: str | None) -> str:
    if not value:
        return ","
    return "\t" if value in ("\\t", "tab") else value[0]


def _read_json(data: bytes, config: dict[str, Any], fields: list[Field]) -> pa.Table:
    lines = [line for line in data.decode("utf-8").splitlines() if line.strip()]
    if not fields:
        if not config.get("autodetect"):
            raise Invalid("No schema specified on job or table: give a schema or set autodetect")
        return pa_json.read_json(io.BytesIO(data))
    ignore_unknown = bool(config.get("ignoreUnknownValues"))
    known = {f.name for f in fields}
    decoded = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            unknown = [key for key in record if key not in known]
            if unknown and not ignore_unknown:
                raise ValueError(f"No such field: {unknown[0]}.")
            decoded.append({f.name: decode_value(record.get(f.name), f) for f in fields})
        except ValueError as error:
            raise Invalid(
                f"Error while reading data, error message: JSON parsing error in row starting "
                f"at position {number}: {error}"
            ) from None
    columns = {f.name: [row[f.name] for row in decoded] for f in fields}
    return pa.table({name: pa.array(values) for name, values in columns.items()})


def _write(
    catalog: Catalog,
    name: TableName,
    existing: Table | None,
    source: pa.Table,
    schema: list[Field],
    config: dict[str, Any],
) -> int:
    disposition = config.get("writeDisposition") or "WRITE_APPEND"
    if existing is None and config.get("createDisposition") == "CREATE_NEVER":
        raise NotFound(f"Not found: Table {name}")
    if existing is not None and disposition == "WRITE_EMPTY" and catalog.num_rows(existing):
        raise Duplicate(f"Already Exists: Table {name}")
    appending = existing is not None and disposition != "WRITE_TRUNCATE"
    target_fields = schema or (existing.fields if existing else [])
    if appending and existing is not None:
        known = {f.name for f in existing.fields}
        unknown = [column for column in source.column_names if column not in known]
        if unknown:
            raise Invalid(
                f"Provided Schema does not match Table {name}. Cannot add fields "
                f"(field: {unknown[0]})"
            )
    staged = _stage(catalog, source, target_fields)
    # Every row is cast and checked before the destination changes: a load is all or nothing.
    select = f"SELECT * FROM temp.{quote(staged)}"
    try:
        if appending and existing is not None:
            catalog.run(f"INSERT INTO {existing.sql_name} BY NAME {select}")
            catalog.refresh(name)
            return source.num_rows
        if existing is not None:
            catalog.drop_table(name)
        if schema:
            # Declared columns keep their modes (NOT NULL) and types.
            created = catalog.create_table(Table(name.project, name.dataset, name.table, schema))
            catalog.run(f"INSERT INTO {created.sql_name} BY NAME {select}")
        else:
            sql_name = ".".join(quote(part) for part in (name.project, name.dataset, name.table))
            catalog.run(f"CREATE TABLE {sql_name} AS {select}")
            catalog.adopt(name)
        return source.num_rows
    finally:
        catalog.run(f"DROP TABLE IF EXISTS temp.{quote(staged)}")


def _stage(catalog: Catalog, source: pa.Table, fields: list[Field]) -> str:
    """The source cast to the destination's types in a temporary table; Invalid if it won't."""
    view, staged = f"_load_{id(source)}", f"_staged_{id(source)}"
    catalog.connection.register(view, source)
    try:
        catalog.run(
            f"CREATE TEMP TABLE {quote(staged)} AS "
            f"{_cast_select(view, fields, source.column_names)}"
        )
        for f in fields:
            if f.mode != "REQUIRED":
                continue
            missing = catalog.run(
                f"SELECT count(*) FROM temp.{quote(staged)} WHERE {quote(f.name)} IS NULL"
            )[0][0]
            if missing:
                catalog.run(f"DROP TABLE temp.{quote(staged)}")
                raise Invalid(
                    f"Error while reading data, error message: Required field {f.name} "
                    "cannot be null"
                )
    except BigQueryError:
        raise
    except Exception as error:  # DuckDB's cast errors are the load's bad records
        first = str(error).splitlines()[0]
        raise Invalid(f"Error while reading data, error message: {first}") from None
    finally:
        catalog.connection.unregister(view)
    return staged


def _cast_select(view: str, fields: list[Field], columns: list[str]) -> str:
    if not fields:
        return f"SELECT * FROM {quote(view)}"
    present = set(columns)
    parts = [
        f"CAST({quote(f.name)} AS {f.duckdb_type()}) AS {quote(f.name)}"
        if f.name in present
        else f"CAST(NULL AS {f.duckdb_type()}) AS {quote(f.name)}"
        for f in fields
    ]
    return f"SELECT {', '.join(parts)} FROM {quote(view)}"
