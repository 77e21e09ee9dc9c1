"""COPY from S3 and UNLOAD to S3, executed: the files really move through the S3 client.

What is supported is parsed and honoured; any other option is refused by name, never ignored.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import sqlglot
from botocore.exceptions import ClientError
from sqlglot.dialects.redshift import Redshift

from .databases import private_folder
from .errors import S3AccessError, SqlSyntaxError, UnsupportedFeature, WarehouseError
from .results import Result

if TYPE_CHECKING:
    from .engine import Warehouse

T = sqlglot.TokenType


class _Tokenizer(Redshift.Tokenizer):
    """Redshift's tokens, except that UNLOAD does not swallow the rest as one opaque command."""

    KEYWORDS: ClassVar[dict[str, sqlglot.TokenType]] = {
        word: kind for word, kind in Redshift.Tokenizer.KEYWORDS.items() if word != "UNLOAD"
    }


COPY_OPTIONS = (
    "IAM_ROLE",
    "FORMAT",
    "CSV",
    "PARQUET",
    "DELIMITER",
    "IGNOREHEADER",
    "GZIP",
    "MANIFEST",
    "REGION",
)
UNLOAD_OPTIONS = (
    "IAM_ROLE",
    "FORMAT",
    "CSV",
    "PARQUET",
    "HEADER",
    "DELIMITER",
    "GZIP",
    "MANIFEST",
    "PARALLEL",
    "ALLOWOVERWRITE",
    "CLEANPATH",
    "REGION",
)


@dataclass
class Options:
    """The options of one COPY or UNLOAD, as written."""

    format: str = "TEXT"  # Redshift's default: pipe-delimited text
    delimiter: str | None = None
    ignore_header: int = 0
    header: bool = False
    gzip: bool = False
    manifest: bool = False
    verbose_manifest: bool = False
    parallel: bool = True
    allow_overwrite: bool = False
    clean_path: bool = False
    iam_role: str | None = None
    region: str | None = None
    seen: list[str] = field(default_factory=list)

    @property
    def separator(self) -> str:
        """The field delimiter: as given, else ``,`` for CSV and ``|`` for text."""
        return self.delimiter or ("," if self.format == "CSV" else "|")


class _Tokens:
    """A cursor over a statement's tokens."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.tokens = _Tokenizer().tokenize(sql)
        self.i = 0

    def peek(self) -> str:
        if self.i >= len(self.tokens):
            return ""
        token = self.tokens[self.i]
        return "" if token.token_type == T.SEMICOLON else token.text.upper()

    def take(self) -> sqlglot.tokens.Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def accept(self, *words: str) -> bool:
        if self.peek() in words:
            self.i += 1
            return True
        return False

    def string(self, what: str) -> str:
        if self.i >= len(self.tokens) or self.tokens[self.i].token_type != T.STRING:
            raise self.error(f"expected {what} as a quoted string")
        return self.take().text

    def integer(self, what: str) -> int:
        if self.i >= len(self.tokens) or self.tokens[self.i].token_type != T.NUMBER:
            raise self.error(f"expected {what} as a number")
        return int(self.take().text)

    def error(self, message: str) -> SqlSyntaxError:
        position = self.tokens[self.i].start + 1 if self.i < len(self.tokens) else len(self.sql)
        return SqlSyntaxError(f"{message} (position {position})", code="42601", position=position)


def _options(cursor: _Tokens, allowed: tuple[str, ...], command: str) -> Options:
    options = Options()
    while cursor.peek():
        word = cursor.peek()
        if word not in allowed:
            raise UnsupportedFeature(
                f"{command} option {word} is not supported by the embedded warehouse; "
                f"supported: {', '.join(allowed)}",
                code="0A000",
            )
        cursor.take()
        options.seen.append(word)
        if word == "IAM_ROLE":
            options.iam_role = (
                "default" if cursor.accept("DEFAULT") else cursor.string("a role ARN")
            )
        elif word == "FORMAT":
            cursor.accept("AS")
            if cursor.peek() not in ("CSV", "PARQUET"):
                raise cursor.error(f"{command} FORMAT must be CSV or PARQUET here")
            options.format = cursor.take().text.upper()
        elif word in ("CSV", "PARQUET"):
            options.format = word
        elif word == "DELIMITER":
            cursor.accept("AS")
            options.delimiter = cursor.string("the delimiter")
        elif word == "IGNOREHEADER":
            cursor.accept("AS")
            options.ignore_header = cursor.integer("the number of header lines")
        elif word == "HEADER":
            options.header = True
        elif word == "GZIP":
            options.gzip = True
        elif word == "MANIFEST":
            options.manifest = True
            options.verbose_manifest = cursor.accept("VERBOSE")
        elif word == "PARALLEL":
            setting = cursor.peek()
            if setting in ("ON", "TRUE", "OFF", "FALSE"):
                cursor.take()
                options.parallel = setting in ("ON", "TRUE")
        elif word == "ALLOWOVERWRITE":
            options.allow_overwrite = True
        elif word == "CLEANPATH":
            options.clean_path = True
        elif word == "REGION":
            cursor.accept("AS")
            options.region = cursor.string("the region")
    if options.format == "PARQUET" and (options.delimiter or options.header or options.gzip):
        raise WarehouseError(
            f"{command} PARQUET cannot be combined with DELIMITER, HEADER or GZIP", code="42601"
        )
    if options.allow_overwrite and options.clean_path:
        raise WarehouseError("ALLOWOVERWRITE and CLEANPATH cannot be used together", code="42601")
    return options


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket:
        raise S3AccessError(f"'{uri}' is not an S3 location: write it as s3://bucket/prefix")
    return bucket, key


def _s3_call(call: Any, uri: str, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket",):
            raise S3AccessError(f"S3 bucket in '{uri}' does not exist", code="XX000") from None
        if code in ("NoSuchKey", "404"):
            raise S3AccessError(f"S3 object '{uri}' does not exist", code="XX000") from None
        raise S3AccessError(f"S3 error for '{uri}': {code}", code="XX000") from None


# COPY


def run_copy(warehouse: Warehouse, sql: str) -> Result:
    """Load files from S3 into a table: all of them or, on any error, none."""
    cursor = _Tokens(sql)
    cursor.accept("COPY")
    table = cursor.take().text
    while cursor.peek() == ".":
        cursor.take()
        table = cursor.take().text
    columns: list[str] = []
    if cursor.peek() == "(":
        cursor.take()
        while cursor.peek() != ")":
            token = cursor.take()
            if token.token_type != T.COMMA:
                columns.append(token.text)
        cursor.take()
    if not cursor.accept("FROM"):
        raise cursor.error("COPY needs FROM 's3://...'")
    source = cursor.string("the S3 location")
    options = _options(cursor, COPY_OPTIONS, "COPY")
    s3 = warehouse.s3()
    files = _manifest_files(s3, source) if options.manifest else _prefix_files(s3, source)
    db = warehouse.duckdb()
    target = ", ".join(f'"{c}"' for c in columns)
    into = f'"{table}" ({target})' if columns else f'"{table}"'
    types = _column_types(db, table, columns)
    loaded = 0
    loaded_bytes = 0
    db.execute("BEGIN TRANSACTION")
    try:
        with tempfile.TemporaryDirectory(prefix="copy-", dir=private_folder()) as staging:
            for n, (bucket, key) in enumerate(files):
                body = _s3_call(s3.get_object, f"s3://{bucket}/{key}", Bucket=bucket, Key=key)
                data = body["Body"].read()
                loaded_bytes += len(data)
                if options.gzip:
                    try:
                        data = gzip.decompress(data)
                    except OSError:
                        raise WarehouseError(
                            f"s3://{bucket}/{key} is not gzip data, but COPY was told GZIP",
                            code="XX000",
                        ) from None
                path = Path(staging) / f"part-{n}"
                path.write_bytes(data)
                inserted = db.execute(
                    f"INSERT INTO {into} SELECT * FROM {_reader(path, options, types)}"
                ).fetchone()
                loaded += inserted[0] if inserted else 0
        db.execute("COMMIT")
    except duckdb.Error as exc:
        db.execute("ROLLBACK")
        raise WarehouseError(
            f"COPY into {table} failed, nothing was loaded: {str(exc).splitlines()[0]}",
            code="XX000",
        ) from None
    except BaseException:
        db.execute("ROLLBACK")
        raise
    warehouse.system.record_load(
        warehouse.query_id,
        table_name=table,
        data_source=source,
        file_format=options.format.lower(),
        loaded_rows=loaded,
        loaded_bytes=loaded_bytes,
        source_file_count=len(files),
        iam_role=options.iam_role,
    )
    return Result(statement="COPY", rowcount=loaded)


def _column_types(db: Any, table: str, columns: list[str]) -> dict[str, str]:
    try:
        described = db.execute(f'DESCRIBE "{table}"').fetchall()
    except Exception:
        from .errors import UndefinedObject

        raise UndefinedObject(f'relation "{table}" does not exist', code="42P01") from None
    types = {row[0]: row[1] for row in described}
    wanted = columns or list(types)
    missing = [c for c in wanted if c not in types]
    if missing:
        from .errors import UndefinedObject

        raise UndefinedObject(
            f'column "{missing[0]}" of relation "{table}" does not exist', code="42703"
        )
    return {name: types[name] for name in wanted}


def _reader(path: Path, options: Options, types: dict[str, str]) -> str:
    if options.format == "PARQUET":
        return f"read_parquet('{path}')"
    columns = "{" + ", ".join(f"'{n}': '{t}'" for n, t in types.items()) + "}"
    quote = "'\"'" if options.format == "CSV" else "''"
    delimiter = options.separator.replace("'", "''")
    return (
        f"read_csv('{path}', delim='{delimiter}', header=false, skip={options.ignore_header}, "
        f"quote={quote}, columns={columns}, auto_detect=false)"
    )


def _prefix_files(s3: Any, source: str) -> list[tuple[str, str]]:
    bucket, prefix = _split_s3(source)
    listing = _s3_call(s3.list_objects_v2, source, Bucket=bucket, Prefix=prefix)
    keys = [item["Key"] for item in listing.get("Contents", []) if not item["Key"].endswith("/")]
    if not keys:
        raise S3AccessError(f"The specified S3 prefix '{prefix}' does not exist", code="XX000")
    return [(bucket, key) for key in sorted(keys)]


def _manifest_files(s3: Any, source: str) -> list[tuple[str, str]]:
    bucket, key = _split_s3(source)
    raw = _s3_call(s3.get_object, source, Bucket=bucket, Key=key)["Body"].read()
    try:
        entries = json.loads(raw)["entries"]
    except (ValueError, KeyError, TypeError):
        raise WarehouseError(f"manifest {source} is not valid: it needs an entries list") from None
    files = []
    for entry in entries:
        entry_bucket, entry_key = _split_s3(entry["url"])
        try:
            s3.head_object(Bucket=entry_bucket, Key=entry_key)
        except ClientError:
            if entry.get("mandatory", False):
                raise S3AccessError(
                    f"manifest {source} lists a mandatory file that does not exist: {entry['url']}"
                ) from None
            continue
        files.append((entry_bucket, entry_key))
    if not files:
        raise S3AccessError(f"manifest {source} lists no file that exists")
    return files


# UNLOAD


def run_unload(warehouse: Warehouse, sql: str) -> Result:
    """Write a query's rows to S3 as Redshift names them; nothing is written if it fails."""
    cursor = _Tokens(sql)
    cursor.accept("UNLOAD")
    if not cursor.accept("("):
        raise cursor.error("UNLOAD needs ('select ...')")
    query = cursor.string("the query")
    if not cursor.accept(")") or not cursor.accept("TO"):
        raise cursor.error("UNLOAD needs ('select ...') TO 's3://...'")
    destination = cursor.string("the S3 location")
    options = _options(cursor, UNLOAD_OPTIONS, "UNLOAD")
    bucket, prefix = _split_s3(destination)
    s3 = warehouse.s3()
    existing = _existing(s3, destination, bucket, prefix)
    if existing and not (options.allow_overwrite or options.clean_path):
        raise WarehouseError(
            "Specified unload destination on S3 is not empty. Consider using a different "
            "bucket / prefix, manually removing the target files in S3, or using the "
            "ALLOWOVERWRITE option.",
            code="XX000",
        )
    result = warehouse.execute(query, arrow=True)
    if not result.has_result_set:
        raise WarehouseError("UNLOAD needs a query that returns rows", code="42601")
    table = result.arrow
    slices = [
        (number, offset, length)
        for number, (offset, length) in enumerate(
            _slices(table.num_rows, warehouse.slices if options.parallel else 1)
        )
        if length or number == 0  # a slice with no rows writes no file
    ]
    # Slices write their files at the same time, as a cluster's slices do.
    with ThreadPoolExecutor(max_workers=len(slices)) as pool:
        encoded = pool.map(lambda s: _encode(table.slice(s[1], s[2]), options), slices)
        files = [
            (prefix + _part_name(number, options), data, length)
            for (number, _, length), data in zip(slices, encoded, strict=True)
        ]
    if options.clean_path:
        for key in existing:
            s3.delete_object(Bucket=bucket, Key=key)
    written: list[str] = []
    try:
        for key, data, _ in files:
            _s3_call(s3.put_object, f"s3://{bucket}/{key}", Bucket=bucket, Key=key, Body=data)
            written.append(key)
        if options.manifest:
            manifest = _manifest(bucket, files, result.columns, options)
            key = prefix + "manifest"
            _s3_call(s3.put_object, f"s3://{bucket}/{key}", Bucket=bucket, Key=key, Body=manifest)
            written.append(key)
    except Exception:
        for key in written:
            s3.delete_object(Bucket=bucket, Key=key)
        raise
    unloaded_bytes = sum(len(data) for _, data, _ in files)
    warehouse.system.record_unload(
        warehouse.query_id,
        unloaded_location=destination,
        file_format=options.format.lower(),
        unloaded_rows=table.num_rows,
        unloaded_files_count=len(files),
        unloaded_files_size=unloaded_bytes,
        iam_role=options.iam_role,
    )
    return Result(statement="UNLOAD", rowcount=table.num_rows)


def _existing(s3: Any, destination: str, bucket: str, prefix: str) -> list[str]:
    listing = _s3_call(s3.list_objects_v2, destination, Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def _slices(rows: int, count: int) -> list[tuple[int, int]]:
    """(offset, length) of each slice's share of ``rows``, as even a distribution as can be."""
    size, extra = divmod(rows, count)
    bounds, offset = [], 0
    for n in range(count):
        length = size + (1 if n < extra else 0)
        bounds.append((offset, length))
        offset += length
    return bounds


def _part_name(number: int, options: Options) -> str:
    name = f"{number:04d}_part_00" if options.parallel else f"{number:03d}"
    if options.format == "PARQUET":
        return name + ".parquet"
    return name + (".gz" if options.gzip else "")


def _encode(table: Any, options: Options) -> bytes:
    """One slice's rows in the UNLOAD's file format."""
    buffer = io.BytesIO()
    if options.format == "PARQUET":
        pq.write_table(table, buffer)
        return buffer.getvalue()
    if options.format == "CSV":
        pa_csv.write_csv(
            table,
            buffer,
            pa_csv.WriteOptions(
                include_header=options.header, delimiter=options.separator, quoting_style="needed"
            ),
        )
        data = buffer.getvalue()
    else:
        data = _text(table, options)
    # mtime=0: the same rows give the same bytes, so runs compare equal.
    return gzip.compress(data, mtime=0) if options.gzip else data


def _text(table: Any, options: Options) -> bytes:
    """Redshift's default text format: delimited, unquoted, delimiters inside values escaped."""
    text = io.StringIO()
    writer = csv.writer(
        text,
        delimiter=options.separator,
        lineterminator="\n",
        quoting=csv.QUOTE_NONE,
        escapechar="\\",
    )
    if options.header:
        writer.writerow(table.column_names)
    for row in zip(*(column.to_pylist() for column in table.columns), strict=True):
        writer.writerow(["" if value is None else value for value in row])
    return text.getvalue().encode()


def _manifest(
    bucket: str,
    files: list[tuple[str, bytes, int]],
    columns: list,
    options: Options,
) -> bytes:
    entries = []
    for key, data, rows in files:
        meta: dict[str, int] = {"content_length": len(data)}
        if options.verbose_manifest:
            meta["record_count"] = rows
        entries.append({"url": f"s3://{bucket}/{key}", "meta": meta})
    manifest: dict[str, Any] = {"entries": entries}
    if options.verbose_manifest:
        manifest["schema"] = {
            "elements": [{"name": c.name, "type": {"base": c.type_name}} for c in columns]
        }
        manifest["meta"] = {
            "content_length": sum(len(data) for _, data, _ in files),
            "record_count": sum(rows for _, _, rows in files),
        }
        manifest["author"] = {"name": "Amazon Redshift", "version": "1.0.0"}
    return json.dumps(manifest, indent=2).encode()
