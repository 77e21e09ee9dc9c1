"""Data files (Parquet, CSV, JSON lines) compared by what they hold: columns and rows, not bytes.

A writer's next release may encode the same rows in other bytes (compression, row groups, the
``created_by`` string, float formatting), so replay keys an uploaded data file on its
``fingerprint``: the format, each column's name and logical type, the row count, one digest
per column and one per block of rows. Two fingerprints that differ say where
(``difference``): which column, which rows. Rows keep their order: it is part of the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

PARQUET_MAGIC = b"PAR1"
# Row blocks a file is cut into for its row digests: a difference is placed within a block.
ROW_BLOCKS = 64
_DIGEST_CHARS = 16
_DELIMITERS = (",", "|", "\t")
_CSV_NAME = re.compile(r"\.(csv|tsv|psv|txt)$", re.IGNORECASE)
_JSON_LINES_NAME = re.compile(r"\.(jsonl|ndjson)$", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


class DataFile(dict):
    """The fingerprint of a data file, as stored in a cassette and compared on replay."""

    __slots__ = ()


def fingerprint(data: bytes, content_type: str | None = None, name: str = "") -> DataFile | None:
    """The content fingerprint of ``data`` if it is a Parquet, CSV or JSON-lines file, else None.

    ``name`` (the object's path) and ``content_type`` tell CSV and JSON lines from other text.
    """
    kind = (content_type or "").lower()
    if len(data) >= 12 and data.startswith(PARQUET_MAGIC) and data.endswith(PARQUET_MAGIC):
        return _parquet(data)
    if "parquet" in kind:
        return None  # a broken Parquet file: compared by its bytes, as other binary bodies
    text = _text(data)
    if text is None:
        return None
    if "ndjson" in kind or "jsonl" in kind or "json-lines" in kind or _JSON_LINES_NAME.search(name):
        return _json_lines(text)
    if "csv" in kind or "tab-separated" in kind or _CSV_NAME.search(name):
        return _delimited(text, required=True)
    if "json" in kind:
        return _json_lines(text) if _looks_like_json_lines(text) else None
    if _looks_like_json_lines(text):
        return _json_lines(text)
    # UNLOAD's text parts have no extension and no type: delimited text is recognised by shape.
    return _delimited(text, required=False)


def difference(new: DataFile, recorded: DataFile) -> str | None:
    """Where the data in ``new`` differs from ``recorded``, in one sentence; None if it does not."""
    if new.get("format") != recorded.get("format"):
        return f"a {new.get('format')} file where the recording has a {recorded.get('format')} file"
    columns, recorded_columns = new.get("columns", []), recorded.get("columns", [])
    names = [column["name"] for column in columns]
    recorded_names = [column["name"] for column in recorded_columns]
    if names != recorded_names:
        added = [name for name in names if name not in recorded_names]
        missing = [name for name in recorded_names if name not in names]
        if not added and not missing:
            return f"its columns are in another order: {names}, recorded {recorded_names}"
        return f"its columns differ: this file adds {added}, lacks {missing}"
    for column, other in zip(columns, recorded_columns, strict=True):
        if column["type"] != other["type"]:
            return f"column {column['name']!r} is {column['type']}, recorded {other['type']}"
    rows, recorded_rows = new.get("rows"), recorded.get("rows")
    if rows != recorded_rows:
        return f"it has {rows} rows, the recording {recorded_rows}"
    changed = [
        column["name"]
        for column, other in zip(columns, recorded_columns, strict=True)
        if column["digest"] != other["digest"]
    ]
    if not changed:
        return None
    where = _rows_that_differ(new.get("row_blocks", {}), recorded.get("row_blocks", {}), rows)
    listed = ", ".join(repr(name) for name in changed[:5])
    more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
    noun = "column" if len(changed) == 1 else "columns"
    return f"{noun} {listed}{more} differ{'s' if len(changed) == 1 else ''} {where}"


def _rows_that_differ(blocks: dict, recorded: dict, rows: int | None) -> str:
    size = blocks.get("rows_per_block")
    digests, recorded_digests = blocks.get("digests", []), recorded.get("digests", [])
    for index, (one, other) in enumerate(zip(digests, recorded_digests, strict=False)):
        if one != other and size:
            first = index * size + 1
            last = min(first + size - 1, rows or first)
            span = f"row {first}" if first == last else f"rows {first}-{last}"
            return f"in {span} of {rows}"
    return f"(of {rows} rows)"


def _parquet(data: bytes) -> DataFile | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError):
        return None
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        columns.append((field.name, _arrow_type(field.type), _arrow_cells(column)))
    return _fingerprint("parquet", columns, table.num_rows)


def _arrow_type(kind: Any) -> str:
    """A writer-independent name for an Arrow type: string and large_string are one type."""
    import pyarrow as pa

    types = pa.types
    if types.is_dictionary(kind):
        return _arrow_type(kind.value_type)
    if types.is_string(kind) or types.is_large_string(kind) or _is(types, "is_string_view", kind):
        return "string"
    if types.is_binary(kind) or types.is_large_binary(kind) or types.is_fixed_size_binary(kind):
        return "binary"
    if types.is_timestamp(kind):
        return f"timestamp[{kind.tz}]" if kind.tz else "timestamp"
    if types.is_date(kind):
        return "date"
    if types.is_time(kind):
        return "time"
    if types.is_list(kind) or types.is_large_list(kind) or _is(types, "is_list_view", kind):
        return f"list<{_arrow_type(kind.value_type)}>"
    return str(kind)


def _is(types: Any, check: str, kind: Any) -> bool:
    return bool(getattr(types, check, lambda _: False)(kind))


def _arrow_cells(column: Any) -> list[str]:
    """A column's values as canonical text; times in one unit, whatever unit was written."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    if pa.types.is_timestamp(kind):
        column = pc.cast(column, pa.timestamp("ns", kind.tz)).cast(pa.int64())
    elif pa.types.is_date(kind):
        column = pc.cast(column, pa.date32()).cast(pa.int32())
    elif pa.types.is_time(kind):
        column = pc.cast(column, pa.time64("ns")).cast(pa.int64())
    return [_cell(value) for value in column.to_pylist()]


def _cell(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return "s" + value
    if isinstance(value, bytes):
        return "b" + value.hex()
    if isinstance(value, dict | list | tuple):
        return "j" + json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return "s" + str(value)  # Decimal and the rest: their text is their value


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _text_cell(value: str) -> str:
    """A CSV cell: numbers by value ("1.0" is "1"), empty as null, the rest as text."""
    if value == "":
        return "\x00"
    stripped = value.strip()
    if _INTEGER.fullmatch(stripped):
        return str(int(stripped))
    if _NUMBER.fullmatch(stripped):
        return _float(float(stripped))
    return "s" + value


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _looks_like_json_lines(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not all(line.lstrip().startswith("{") for line in lines):
        return False
    try:
        json.loads(text)
    except ValueError:
        return True
    return False  # one JSON document over several lines, not JSON lines


def _json_lines(text: str) -> DataFile | None:
    try:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        return None
    if not all(isinstance(record, dict) for record in records):
        return None
    # The members of a JSON object have no order: columns are named in sorted order.
    names = sorted({name for record in records for name in record})
    columns = [(name, "json", [_cell(record.get(name)) for record in records]) for name in names]
    return _fingerprint("json lines", columns, len(records))


def _delimited(text: str, *, required: bool) -> DataFile | None:
    best: tuple[str, list[list[str]]] | None = None
    for delimiter in _DELIMITERS:
        try:
            rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]
        except csv.Error:
            continue
        widths = {len(row) for row in rows}
        if len(widths) == 1 and (best is None or len(rows[0]) > len(best[1][0])):
            best = delimiter, rows
    if best is None or (not required and (len(best[1]) < 2 or len(best[1][0]) < 2)):
        return None
    delimiter, rows = best
    names = [f"column {index + 1}" for index in range(len(rows[0]))]
    if _is_header(rows):
        names, rows = rows[0], rows[1:]
    columns = [
        (name, "text", [_text_cell(row[index]) for row in rows]) for index, name in enumerate(names)
    ]
    file_format = {",": "csv", "\t": "tsv"}.get(delimiter, f"text delimited by {delimiter!r}")
    return _fingerprint(file_format, columns, len(rows))


def _is_header(rows: list[list[str]]) -> bool:
    """A first row of distinct names over rows that hold a number where it holds a name."""
    first = rows[0]
    if len(rows) < 2 or len(set(first)) < len(first):
        return False
    if any(cell == "" or _NUMBER.fullmatch(cell.strip()) for cell in first):
        return False
    return any(_NUMBER.fullmatch(cell.strip()) for row in rows[1:] for cell in row)


def _fingerprint(
    file_format: str, columns: Sequence[tuple[str, str, Sequence[str]]], rows: int
) -> DataFile:
    """Digests per column and per block of rows, from one digest per (column, block)."""
    size = max(1, math.ceil(rows / ROW_BLOCKS))
    blocks = range(0, rows, size)
    cells: list[list[bytes]] = [
        [_digest(values[start : start + size]) for start in blocks] for _, _, values in columns
    ]
    described = [
        {"name": name, "type": kind, "digest": _hex(_join(cells[index]))}
        for index, (name, kind, _) in enumerate(columns)
    ]
    row_digests = [_hex(_join(column[block] for column in cells)) for block in range(len(blocks))]
    return DataFile(
        format=file_format,
        rows=rows,
        columns=described,
        row_blocks={"rows_per_block": size, "digests": row_digests},
    )


def _digest(values: Iterable[str]) -> bytes:
    hasher = hashlib.sha256()
    for value in values:
        hasher.update(value.encode("utf-8", "surrogatepass"))
        hasher.update(b"\x1e")
    return hasher.digest()


def _join(digests: Iterable[bytes]) -> bytes:
    return hashlib.sha256(b"".join(digests)).digest()


def _hex(digest: bytes) -> str:
    return digest.hex()[:_DIGEST_CHARS]
