"""COPY becomes LOAD DATA and UNLOAD becomes EXPORT DATA: their options read from the tokens.

sqlglot reads UNLOAD only as an opaque command and COPY's options loosely, so both are read
here, option by option. Each option is translated, dropped with its reason, or reported
untranslatable; an option the kit does not know is reported, never ignored. Credentials are
named in the report, their values never repeated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot.tokens import Token, TokenType

from .findings import Finding, Outcome
from .script import start_column

# Words that are an option's value rather than the next option.
_VALUE_WORDS = {
    "ON", "OFF", "TRUE", "FALSE", "DEFAULT", "PRESET", "AUTO", "VERBOSE", "UTF8", "UTF16",
    "UTF16LE", "UTF16BE", "MB", "GB", "INCLUDE",
}  # fmt: skip
_FORMATS = {"CSV", "PARQUET", "ORC", "JSON", "AVRO", "SHAPEFILE", "FIXEDWIDTH"}
_IDENTITY = {"IAM_ROLE", "CREDENTIALS", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SESSION_TOKEN"}
_IDENTITY_REASON = (
    "BigQuery reads and writes Cloud Storage as the identity running the job: grant its service "
    "account roles/storage.objectViewer (loads) or roles/storage.objectCreator (exports) on the "
    "bucket"
)


@dataclass
class Option:
    """One option as written: its keyword, its value (if any) and where it starts."""

    name: str
    value: str
    token: Token
    is_string: bool = False
    argument: str = ""  # a format's string argument, e.g. JSON 'auto'


def options(tokens: list[Token]) -> list[Option]:
    """The options of a COPY or UNLOAD after its source or destination."""
    found: list[Option] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        name = token.text.upper()
        i += 1
        if name == "AS" and found:
            continue
        if name in ("FORMAT",):
            if i < len(tokens) and tokens[i].text.upper() == "AS":
                i += 1
            name = tokens[i].text.upper() if i < len(tokens) else ""
            i += 1
            option = Option("FORMAT", name, token)
        elif name in _FORMATS:
            option = Option("FORMAT", name, token)
        elif name in ("PARTITION", "PARTITION BY"):
            j = (
                i + 1
                if name == "PARTITION" and i < len(tokens) and tokens[i].text.upper() == "BY"
                else i
            )
            depth = 0
            while j < len(tokens):
                depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(tokens[j].token_type, 0)
                j += 1
                if depth == 0:
                    break
            option, i = Option("PARTITION BY", "", token), j
        else:
            option = Option(name, "", token)
        while i < len(tokens):  # the value, after an optional AS
            following = tokens[i]
            word = following.text.upper()
            if word == "AS":
                i += 1
                continue
            is_value = following.token_type in (TokenType.STRING, TokenType.NUMBER)
            if not is_value and word not in _VALUE_WORDS:
                break
            if option.name == "FORMAT":
                option.argument = following.text
            else:
                option.value = f"{option.value} {following.text}".strip()
                option.is_string = option.is_string or following.token_type == TokenType.STRING
            i += 1
            if following.token_type == TokenType.STRING:
                break
        found.append(option)
    return found


_SECRET = re.compile(
    r"\b(CREDENTIALS|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|MASTER_SYMMETRIC_KEY)"
    r"(\s+AS)?(\s+)'(?:[^']|'')*'",
    re.IGNORECASE,
)


def redacted(sql: str) -> str:
    """``sql`` with the values of credential options replaced by ``'***'``."""
    return _SECRET.sub(r"\1\2\3'***'", sql)


def storage_uri(s3_uri: str, buckets: dict[str, str]) -> str | None:
    """The gs:// twin of an s3:// URI (the bucket renamed when ``buckets`` says so)."""
    if not s3_uri.startswith("s3://"):
        return None
    bucket, _, key = s3_uri[len("s3://") :].partition("/")
    return f"gs://{buckets.get(bucket, bucket)}/{key}"


def _where(token: Token) -> tuple[int, int]:
    return token.line, start_column(token)


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _storage_finding(token: Token, s3_uri: str, gs_uri: str, *, reading: bool) -> Finding:
    advice = (
        "copy the objects to Cloud Storage first (Storage Transfer Service)"
        if reading
        else "whatever read the files from S3 reads them from Cloud Storage now"
    )
    return Finding(
        *_where(token),
        s3_uri,
        Outcome.TRANSLATED,
        f"{gs_uri}: {advice}; a bucket keeps its name unless --bucket renames it",
    )


def copy_to_load(
    head: Token, tokens: list[Token], table: str, buckets: dict[str, str]
) -> tuple[str | None, list[Finding]]:
    """``COPY t FROM 's3://...' options`` (``head`` the COPY, ``tokens`` those after ``t``) as
    LOAD DATA, and the findings."""
    findings: list[Finding] = []
    first = tokens[0] if tokens else None
    if first is not None and first.token_type == TokenType.L_PAREN:
        return None, [
            Finding(
                *_where(first),
                "COPY column list",
                Outcome.UNTRANSLATABLE,
                "COPY's column list maps file fields to columns; LOAD DATA's column list is a "
                "schema: load into a staging table, then INSERT ... SELECT the columns",
            )
        ]
    if (
        len(tokens) < 2
        or tokens[0].text.upper() != "FROM"
        or tokens[1].token_type != TokenType.STRING
    ):
        where = _where(first) if first else (1, 1)
        return None, [
            Finding(
                *where, "COPY", Outcome.UNTRANSLATABLE, "expected FROM 's3://...' after the table"
            )
        ]
    source = tokens[1].text
    gs = storage_uri(source, buckets)
    if gs is None:
        return None, [
            Finding(
                *_where(tokens[1]),
                f"COPY FROM {source.split(':', 1)[0]}",
                Outcome.UNTRANSLATABLE,
                "LOAD DATA reads files in Cloud Storage only: export the source to files first",
            )
        ]
    findings.append(_storage_finding(tokens[1], source, gs + "*", reading=True))
    load: dict[str, str] = {}
    text_format = True
    for option in options(tokens[2:]):
        where = _where(option.token)
        name, value = option.name, option.value
        if name in _IDENTITY:
            findings.append(Finding(*where, name, Outcome.DROPPED, _IDENTITY_REASON))
        elif name == "FORMAT":
            text_format = False
            outcome = _load_format(value, option, load)
            if outcome is not None:
                findings.append(Finding(*where, f"FORMAT {value}", *outcome))
        elif name == "DELIMITER":
            load["field_delimiter"] = _quote(value)
        elif name == "QUOTE":
            load["quote"] = _quote(value)
        elif name == "IGNOREHEADER" and value.isdigit():
            load["skip_leading_rows"] = value
        elif name == "NULL":
            load["null_marker"] = _quote(value)
        elif name == "MAXERROR" and value.isdigit():
            load["max_bad_records"] = value
            findings.append(Finding(*where, "MAXERROR", Outcome.TRANSLATED, "max_bad_records"))
        elif name == "FILLRECORD":
            load["allow_jagged_rows"] = "TRUE"
            findings.append(Finding(*where, name, Outcome.TRANSLATED, "allow_jagged_rows = TRUE"))
        elif name == "EMPTYASNULL":
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.DROPPED,
                    "BigQuery already loads an empty field as NULL, for strings too",
                )
            )
        elif name == "GZIP":
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.DROPPED,
                    "BigQuery reads gzip-compressed CSV and JSON files as they are (a compressed "
                    "file loads on one worker, more slowly)",
                )
            )
        elif name in ("BZIP2", "LZOP", "ZSTD"):
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.UNTRANSLATABLE,
                    "BigQuery loads only gzip-compressed text files: recompress them with gzip",
                )
            )
        elif name == "MANIFEST":
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.UNTRANSLATABLE,
                    "LOAD DATA reads no manifest file: list the files it names in uris = [...]",
                )
            )
        elif name == "REGION":
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.DROPPED,
                    "a load reads the bucket where it is: keep the bucket in the dataset's "
                    "location",
                )
            )
        elif name in ("COMPUPDATE", "STATUPDATE"):
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.DROPPED,
                    "BigQuery keeps compression and statistics itself",
                )
            )
        elif name in ("DATEFORMAT", "TIMEFORMAT") and value.lower() == "auto":
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.DROPPED,
                    "BigQuery reads ISO 8601 dates and times without being told",
                )
            )
        else:
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.UNTRANSLATABLE,
                    "no LOAD DATA option the kit knows does what this COPY option does",
                )
            )
    if text_format:
        load["format"] = "'CSV'"
        load.setdefault("field_delimiter", "'|'")
        findings.append(
            Finding(
                *_where(head),
                "COPY without FORMAT",
                Outcome.TRANSLATED,
                "Redshift's default text format read as CSV with field_delimiter '|' (if the "
                "files use backslash escapes, BigQuery reads the backslashes as data)",
            )
        )
    load["uris"] = f"[{_quote(gs + '*')}]"
    order = ("format", "uris", "skip_leading_rows", "field_delimiter", "quote", "null_marker")
    items = [(k, load[k]) for k in order if k in load]
    items += [(k, v) for k, v in load.items() if k not in order]
    body = ",\n".join(f"  {key} = {value}" for key, value in items)
    return f"LOAD DATA INTO {table}\nFROM FILES (\n{body}\n)", findings


def _load_format(value: str, option: Option, load: dict[str, str]) -> tuple[Outcome, str] | None:
    if value in ("CSV", "PARQUET", "ORC", "AVRO"):
        load["format"] = _quote(value)
        return None
    if value == "JSON" and option.argument.lower() in ("", "auto", "auto ignorecase"):
        load["format"] = "'JSON'"
        return (
            Outcome.TRANSLATED,
            "format = 'JSON': BigQuery reads newline-delimited JSON, matching keys to column "
            "names ('auto'); a JSONPaths file has no equivalent",
        )
    if value == "JSON":
        return (Outcome.UNTRANSLATABLE, "a JSONPaths file has no LOAD DATA equivalent")
    return (Outcome.UNTRANSLATABLE, f"BigQuery loads no {value} files")


@dataclass
class Unload:
    """An UNLOAD's parts: its query (a string literal) and where that literal is."""

    query: str
    literal: Token


def read_unload(tokens: list[Token]) -> Unload | None:
    """The query literal of ``UNLOAD ('...') TO ...``; None when the statement is not that."""
    if len(tokens) < 4 or tokens[1].token_type != TokenType.L_PAREN:
        return None
    if tokens[2].token_type != TokenType.STRING or tokens[3].token_type != TokenType.R_PAREN:
        return None
    return Unload(tokens[2].text, tokens[2])


def unload_to_export(
    head: Token,
    tokens: list[Token],
    query_sql: str,
    buckets: dict[str, str],
) -> tuple[str | None, list[Finding]]:
    """``UNLOAD (...) TO 's3://...' options`` (``head`` the UNLOAD, ``tokens`` those after the
    query) as EXPORT DATA."""
    if (
        len(tokens) < 2
        or tokens[0].text.upper() != "TO"
        or tokens[1].token_type != TokenType.STRING
    ):
        where = _where(tokens[0]) if tokens else (1, 1)
        return None, [
            Finding(
                *where, "UNLOAD", Outcome.UNTRANSLATABLE, "expected TO 's3://...' after the query"
            )
        ]
    destination = tokens[1].text
    gs = storage_uri(destination, buckets)
    if gs is None:
        return None, [
            Finding(
                *_where(tokens[1]),
                "UNLOAD TO",
                Outcome.UNTRANSLATABLE,
                "EXPORT DATA writes to Cloud Storage: give an s3:// destination to map",
            )
        ]
    findings: list[Finding] = []
    export: dict[str, str] = {}
    kind, extension, compression = "", "", ""
    for option in options(tokens[2:]):
        where = _where(option.token)
        name, value = option.name, option.value
        if name in _IDENTITY:
            findings.append(Finding(*where, name, Outcome.DROPPED, _IDENTITY_REASON))
        elif name == "FORMAT" and value in ("CSV", "PARQUET", "JSON"):
            kind = value
        elif name == "HEADER":
            export["header"] = "TRUE"
        elif name == "DELIMITER":
            export["field_delimiter"] = _quote(value)
        elif name == "MANIFEST":
            findings.append(
                Finding(
                    *where,
                    " ".join(["MANIFEST", value]).strip(),
                    Outcome.DROPPED,
                    "BigQuery writes no manifest: list the exported files with the Cloud Storage "
                    "client (bucket.list_blobs(prefix=...))",
                )
            )
        elif name == "PARALLEL":
            findings.append(
                Finding(
                    *where,
                    " ".join(["PARALLEL", value]).strip(),
                    Outcome.DROPPED,
                    "BigQuery decides how many files to write (one file per 1 GB at most) and "
                    "numbers them where the uri has its *",
                )
            )
        elif name in ("ALLOWOVERWRITE", "CLEANPATH"):
            export["overwrite"] = "TRUE"
            extra = (
                " (it replaces the files the uri matches, not everything under the prefix)"
                if name == "CLEANPATH"
                else ""
            )
            findings.append(Finding(*where, name, Outcome.TRANSLATED, "overwrite = TRUE" + extra))
        elif name == "GZIP":
            compression = "GZIP"
        elif name == "EXTENSION" and option.is_string:
            extension = "." + value.lstrip(".")
        elif name in ("MAXFILESIZE", "ROWGROUPSIZE"):
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.DROPPED,
                    "BigQuery sizes the files itself (at most 1 GB each)",
                )
            )
        elif name in ("ENCRYPTED", "KMS_KEY_ID"):
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.DROPPED,
                    "Cloud Storage encrypts every object; for a key of your own, set the bucket's "
                    "default Cloud KMS key",
                )
            )
        elif name == "ADDQUOTES":
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.DROPPED,
                    "BigQuery quotes a CSV value when it needs quotes, not always",
                )
            )
        elif name == "REGION":
            findings.append(
                Finding(
                    *where,
                    name,
                    Outcome.DROPPED,
                    "an export writes to the bucket where it is: keep the bucket in the "
                    "dataset's location",
                )
            )
        elif name == "PARTITION BY":
            findings.append(
                Finding(
                    *where,
                    "PARTITION BY",
                    Outcome.UNTRANSLATABLE,
                    "EXPORT DATA writes no partition folders (key=value/): export one query per "
                    "partition value",
                )
            )
        else:
            findings.append(
                Finding(
                    *where,
                    f"FORMAT {value}" if name == "FORMAT" else name,
                    Outcome.UNTRANSLATABLE,
                    "no EXPORT DATA option the kit knows does what this UNLOAD option does",
                )
            )
    if not kind:
        kind = "CSV"
        export.setdefault("field_delimiter", "'|'")
        findings.append(
            Finding(
                *_where(head),
                "UNLOAD without FORMAT",
                Outcome.TRANSLATED,
                "Redshift's default text format written as CSV with field_delimiter '|' "
                "(BigQuery quotes values that need it instead of escaping with backslashes)",
            )
        )
    extension = extension or {"CSV": ".csv", "PARQUET": ".parquet", "JSON": ".json"}[kind]
    if compression and kind != "PARQUET" and not extension.endswith(".gz"):
        extension += ".gz"
    uri = gs + "*" + extension
    findings.insert(0, _storage_finding(tokens[1], destination, uri, reading=False))
    items = [("uri", _quote(uri)), ("format", _quote(kind))]
    if compression:
        items.append(("compression", _quote(compression)))
    items += sorted(export.items())
    body = ",\n".join(f"  {key} = {value}" for key, value in items)
    return f"EXPORT DATA OPTIONS (\n{body}\n) AS\n{query_sql}", findings
