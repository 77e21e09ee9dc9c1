"""LOAD DATA: files in Cloud Storage into a table, as a statement of a query job.

``LOAD DATA {INTO | OVERWRITE} [[project.]dataset.]table [(column list)] FROM FILES(...)`` runs
as the load job it stands for: INTO appends (creating the table if there is none), OVERWRITE
replaces the rows, a column list is the table's schema. The load options read here are
``format``, ``uris``, ``skip_leading_rows``, ``field_delimiter``, ``null_marker``, ``quote`` and
``allow_quoted_newlines``; any other option is refused by name rather than ignored.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from .errors import InvalidQuery
from .jobs import QueryContext
from .loads import load_files
from .models import QueryResult
from .sql import Statement, table_parts
from .statement_options import literal, option_pairs
from .storage import CloudStorage
from .values import Field

_FORMATS = {"CSV": "CSV", "JSON": "NEWLINE_DELIMITED_JSON", "PARQUET": "PARQUET"}
# LOAD DATA option -> the load job configuration member it sets.
_OPTIONS = {
    "skip_leading_rows": "skipLeadingRows",
    "field_delimiter": "fieldDelimiter",
    "null_marker": "nullMarker",
    "quote": "quote",
    "allow_quoted_newlines": "allowQuotedNewlines",
}


def run_load_data(
    storage: CloudStorage, statement: Statement, context: QueryContext
) -> QueryResult:
    """Load the files the statement names; all rows or none."""
    tree = statement.tree
    assert isinstance(tree, exp.LoadData)
    if tree.args.get("temp") or tree.args.get("partition"):
        raise InvalidQuery(
            "LOAD DATA into a temporary table or a partition is not supported by the BigQuery "
            "sandbox"
        )
    target = tree.this
    columns = target.expressions if isinstance(target, exp.Schema) else []
    table = target.this if isinstance(target, exp.Schema) else target
    if not isinstance(table, exp.Table):
        raise InvalidQuery("LOAD DATA must name the table it loads")
    name = context.runner.resolve(table_parts(table), context)
    options = _options(tree)
    uris = options.pop("uris", None)
    if not uris:
        raise InvalidQuery("LOAD DATA requires the uris option")
    kind = str(options.pop("format", "") or "").upper()
    if kind not in _FORMATS:
        raise InvalidQuery(
            f"LOAD DATA format {kind or '(none)'} is not supported by the BigQuery sandbox: "
            "use CSV, JSON or PARQUET"
        )
    config: dict[str, Any] = {
        "destinationTable": {
            "projectId": name.project,
            "datasetId": name.dataset,
            "tableId": name.table,
        },
        "sourceFormat": _FORMATS[kind],
        "writeDisposition": "WRITE_TRUNCATE" if tree.args.get("overwrite") else "WRITE_APPEND",
    }
    for option, value in options.items():
        config[_OPTIONS[option]] = value
    if columns:
        config["schema"] = {"fields": [_field(column) for column in columns]}
    elif not context.catalog.exists(name):
        config["autodetect"] = True
    if context.dry_run:
        return QueryResult("LOAD_DATA", ddl_target_table=name)
    files = storage.read(list(uris))
    with context.catalog.lock:
        load_files(context.catalog, config, [data for _, data in files])
    return QueryResult("LOAD_DATA", ddl_target_table=name)


def _options(tree: exp.LoadData) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, value in option_pairs(tree.args.get("files"), "LOAD DATA"):
        if name not in ("format", "uris", *_OPTIONS):
            raise InvalidQuery(f"LOAD DATA option {name} is not supported by the BigQuery sandbox")
        options[name] = _uris(value) if name == "uris" else literal(name, value, "LOAD DATA")
    return options


def _uris(value: Any) -> list[str]:
    items = value.expressions if isinstance(value, exp.Array) else [value]
    if not all(isinstance(item, exp.Literal) and item.is_string for item in items):
        raise InvalidQuery("The uris option of LOAD DATA must be an array of string literals")
    return [item.this for item in items]


def _field(column: exp.Expression) -> dict[str, Any]:
    if not isinstance(column, exp.ColumnDef) or column.args.get("kind") is None:
        raise InvalidQuery("A LOAD DATA column list gives each column a name and a type")
    kind = column.args["kind"]
    # Parameters (STRING(16), NUMERIC(8, 2)) are checked by BigQuery, not stored in the type.
    base = exp.DataType(this=kind.this, nested=kind.args.get("nested", False))
    field = {"name": column.name, "type": base.sql(dialect="bigquery")}
    if any(isinstance(c.kind, exp.NotNullColumnConstraint) for c in column.constraints):
        field["mode"] = "REQUIRED"
    return Field.from_api(field).to_api()
