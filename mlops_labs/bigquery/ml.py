"""BigQuery ML in the sandbox: the MODEL statements of a query job, run on ``bigquery_ml``.

``install(runner, storage)`` registers ``run_model_statement`` for ``StatementKind.MODEL``;
with Cloud Storage, EXPORT MODEL (and extract jobs of models) write ``bigquery_ml.serving``'s
files under the URI. The library
parses, validates, trains and scores; this module resolves names the way BigQuery does, runs
every query through the sandbox's own SQL engine, keeps trained models in the catalog (per
project and dataset, in memory) and hands ML function rows back to DuckDB so the outer SELECT's
projection, WHERE, ORDER BY and LIMIT apply as written.

Wordings: "Not found: Model p:d.m" and "Already Exists: Model p:d.m" follow BigQuery's
"Not found: Table ..." / "Already Exists: Table ..." (the REST API's own messages for models);
'Model name "m" missing dataset while no default dataset is set in the request.' is inferred
from BigQuery's documented message for tables ('Table name "t" missing dataset ...').
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from ..bigquery_ml.errors import BigQueryMLError
from ..bigquery_ml.functions import run_ml_function
from ..bigquery_ml.options import validate_export_options, validate_options
from ..bigquery_ml.resources import MODEL_TYPES, model_resource
from ..bigquery_ml.serving import export_files
from ..bigquery_ml.statements import (
    CreateModel,
    DropModel,
    ExportModel,
    MLFunctionCall,
    ObjectName,
    parse_statement,
)
from ..bigquery_ml.training import TrainedModel, train_model
from . import sql as sqlmod
from .errors import BigQueryError, Duplicate, InvalidQuery, NotFound
from .jobs import QueryContext, QueryRunner
from .models import Catalog, QueryResult, etag_of, now_ms
from .sql import Statement, StatementKind, TableName
from .storage import CloudStorage, split_uri

_ARROW_TYPES = {
    "STRING": pa.string(),
    "INTEGER": pa.int64(),
    "INT64": pa.int64(),
    "FLOAT": pa.float64(),
    "FLOAT64": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "BOOL": pa.bool_(),
}
_INTEGER_COLUMNS = {"training_run", "iteration", "duration_ms", "CENTROID_ID"}
_relation_ids = itertools.count(1)


@dataclass
class StoredModel:
    """A trained model as a dataset holds it, with the metadata models.patch may change."""

    project: str
    dataset_id: str
    model_id: str
    trained: TrainedModel
    location: str
    created_ms: int = field(default_factory=now_ms)
    modified_ms: int = field(default_factory=now_ms)
    description: str | None = None
    friendly_name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    expiration_ms: str | None = None

    @property
    def name(self) -> TableName:
        """The model's reference, as project, dataset and model id."""
        return TableName(self.project, self.dataset_id, self.model_id)

    def resource(self) -> dict[str, Any]:
        """The REST Model resource (models.get, models.patch)."""
        resource = model_resource(
            self.trained,
            self.project,
            self.dataset_id,
            self.model_id,
            location=self.location,
            created_ms=self.created_ms,
            modified_ms=self.modified_ms,
            description=self.description,
        )
        resource.pop("etag", None)
        resource.pop("labels", None)
        if self.labels:
            resource["labels"] = dict(self.labels)
        if self.friendly_name is not None:
            resource["friendlyName"] = self.friendly_name
        if self.expiration_ms is not None:
            resource["expirationTime"] = self.expiration_ms
        resource["etag"] = etag_of(resource)
        return resource

    def list_item(self) -> dict[str, Any]:
        """The members models.list fills for each model."""
        item: dict[str, Any] = {
            "modelReference": {
                "projectId": self.project,
                "datasetId": self.dataset_id,
                "modelId": self.model_id,
            },
            "modelType": MODEL_TYPES[self.trained.model_type],
            "creationTime": str(self.created_ms),
            "lastModifiedTime": str(self.modified_ms),
        }
        if self.labels:
            item["labels"] = dict(self.labels)
        return item


def install(runner: QueryRunner, storage: CloudStorage | None = None) -> None:
    """Let the runner's query jobs run BigQuery ML statements (EXPORT MODEL needs storage)."""
    runner.register(StatementKind.MODEL, functools.partial(run_model_statement, storage=storage))


def get_model(catalog: Catalog, name: TableName) -> StoredModel:
    """The model a name refers to; NotFound (dataset first) in BigQuery's words."""
    catalog.get_dataset(TableName(name.project, name.dataset))
    model = catalog.models.get((name.project, name.dataset, name.table))
    if model is None:
        raise NotFound(f"Not found: Model {name}")
    return model


def list_models(catalog: Catalog, dataset: TableName) -> list[StoredModel]:
    """The dataset's models in name order."""
    catalog.get_dataset(dataset)
    key = (dataset.project, dataset.dataset)
    return sorted((m for k, m in catalog.models.items() if k[:2] == key), key=lambda m: m.model_id)


def delete_model(catalog: Catalog, name: TableName) -> None:
    """Forget a model; NotFound if there is none."""
    get_model(catalog, name)
    catalog.check_writable(name)
    del catalog.models[(name.project, name.dataset, name.table)]


def run_model_statement(
    statement: Statement, context: QueryContext, storage: CloudStorage | None = None
) -> QueryResult:
    """Run CREATE, DROP or EXPORT MODEL or a SELECT over ML.*; ALTER MODEL is refused."""
    if statement.statement_type == "ALTER_MODEL":
        raise InvalidQuery("ALTER MODEL statements are not supported by the BigQuery sandbox yet")
    try:
        parsed = parse_statement(statement.sql)
        if isinstance(parsed, CreateModel):
            return _create_model(parsed, context)
        if isinstance(parsed, DropModel):
            return _drop_model(parsed, context)
        if isinstance(parsed, ExportModel):
            return _export_model(parsed, context, storage)
        return _run_function(parsed, context)
    except BigQueryMLError as error:
        raise sandbox_error(error) from None


def sandbox_error(error: BigQueryMLError) -> BigQueryError:
    """A library error as the API answers it: its reason decides status and class."""
    if error.reason == "notFound":
        return NotFound(error.message)
    if error.reason == "duplicate":
        return Duplicate(error.message)
    return InvalidQuery(error.message)


def resolve_model(name: ObjectName, context: QueryContext) -> TableName:
    """A model name as project, dataset and model, the default dataset filling a bare name."""
    parts = name.parts
    default = context.default_dataset
    if len(parts) == 3:
        return TableName(*parts)
    if len(parts) == 2:
        return TableName(default.project if default else context.project, *parts)
    if default is None:
        raise InvalidQuery(
            f'Model name "{parts[0]}" missing dataset while no default dataset is set in the '
            "request."
        )
    return TableName(default.project, default.dataset, parts[0])


# CREATE MODEL, DROP MODEL and EXPORT MODEL


def export_model(
    catalog: Catalog, name: TableName, uri: str, storage: CloudStorage, destination_format: str
) -> tuple[int, int]:
    """Write a model's export files under ``uri``, all or (on failure) none: files and bytes."""
    if destination_format not in ("ML_TF_SAVED_MODEL", "ML_XGBOOST_BOOSTER"):
        raise InvalidQuery(
            f"Invalid destination format {destination_format} for a model: use "
            "ML_TF_SAVED_MODEL or ML_XGBOOST_BOOSTER"
        )
    with catalog.lock:
        trained = get_model(catalog, name).trained
    boosted = trained.model_type.startswith("BOOSTED_TREE")
    if destination_format == "ML_XGBOOST_BOOSTER" and not boosted:
        raise InvalidQuery(
            f"Model {name} of type {trained.model_type} cannot be exported as "
            "ML_XGBOOST_BOOSTER: only boosted tree models can; use ML_TF_SAVED_MODEL"
        )
    files = {
        f"{uri.rstrip('/')}/{path}": content
        for path, content in export_files(trained, str(name)).items()
    }
    for target in files:
        split_uri(target)  # a gs:// URI with a bucket, checked before anything is written
    written: list[str] = []
    try:
        for target, (data, content_type) in files.items():
            storage.write(target, data, content_type)
            written.append(target)
    except BigQueryError:
        for target in written:
            storage.delete(target)
        raise
    return len(files), sum(len(data) for data, _ in files.values())


def _export_model(
    st: ExportModel, context: QueryContext, storage: CloudStorage | None
) -> QueryResult:
    uri = validate_export_options(st.options)
    if storage is None:
        raise InvalidQuery(
            "EXPORT MODEL is not supported by the BigQuery sandbox without Cloud Storage: start "
            "it with a storage client factory"
        )
    name = resolve_model(st.name, context)
    result = QueryResult("EXPORT_MODEL")
    if not context.dry_run:
        export_model(context.catalog, name, uri, storage, "ML_TF_SAVED_MODEL")
    return result


def _create_model(st: CreateModel, context: QueryContext) -> QueryResult:
    catalog = context.catalog
    name = resolve_model(st.name, context)
    # Options before anything runs: BigQuery reports an option error ahead of the query's.
    options = validate_options(st.options)
    catalog.get_dataset(TableName(name.project, name.dataset), context.location)
    catalog.check_writable(name)
    key = (name.project, name.dataset, name.table)
    exists = key in catalog.models
    result = QueryResult("CREATE_MODEL")
    if exists and st.if_not_exists:
        result.ddl_operation = "SKIP"
        return result
    if exists and not st.replace:
        raise Duplicate(f"Already Exists: Model {name}")
    query = sqlmod.parse(st.query)
    if query.kind != StatementKind.QUERY:
        raise InvalidQuery("The AS clause of CREATE MODEL must be a query")
    duck, read = context.runner.translate(query, context)
    result.referenced_tables = read
    result.ddl_operation = "REPLACE" if exists else "CREATE"
    if context.dry_run:
        return result
    fields, rows = context.runner.arrow(duck, context, query.sql)
    with catalog.lock.stepped_out():  # training may take a while: nobody else waits for it
        trained = train_model(rows.to_pandas(), options, schema={f.name: f.type for f in fields})
    previous = catalog.models.get(key)
    stored = StoredModel(name.project, name.dataset, name.table, trained, context.location)
    stored.labels = dict(options.labels)
    if previous is not None:
        stored.created_ms = previous.created_ms
    catalog.models[key] = stored
    result.ml_statistics = ml_statistics(trained)
    return result


def ml_statistics(trained: TrainedModel) -> dict[str, Any]:
    """The job's statistics.query.mlStatistics: model type and each iteration's results."""
    iterations = []
    for it in trained.iterations:
        item: dict[str, Any] = {"index": it.iteration, "durationMs": str(it.duration_ms)}
        item["trainingLoss"] = it.loss
        if it.eval_loss is not None:
            item["evalLoss"] = it.eval_loss
        if it.learning_rate is not None:
            item["learnRate"] = it.learning_rate
        iterations.append(item)
    return {
        "maxIterations": str(trained.options.max_iterations),
        "modelType": MODEL_TYPES[trained.model_type],
        "trainingType": "SINGLE_TRAINING",
        "iterationResults": iterations,
    }


def _drop_model(st: DropModel, context: QueryContext) -> QueryResult:
    catalog = context.catalog
    name = resolve_model(st.name, context)
    catalog.get_dataset(TableName(name.project, name.dataset), context.location)
    exists = (name.project, name.dataset, name.table) in catalog.models
    if not exists and not st.if_exists:
        raise NotFound(f"Not found: Model {name}")
    result = QueryResult("DROP_MODEL", ddl_operation="DROP" if exists else "SKIP")
    if exists and not context.dry_run:
        delete_model(catalog, name)
    return result


# ML.EVALUATE, ML.PREDICT, ML.TRAINING_INFO


def _run_function(call: MLFunctionCall, context: QueryContext) -> QueryResult:
    runner = context.runner
    model = get_model(context.catalog, resolve_model(call.model, context))
    read: list[TableName] = []
    source: pa.Table | None = None
    if call.input_query is not None:
        query = sqlmod.parse(call.input_query)
        if query.kind != StatementKind.QUERY:
            raise InvalidQuery(f"The input of ML.{call.function} must be a query")
        duck, read = runner.translate(query, context)
        source = runner.arrow(duck, context, query.sql)[1]
    elif call.input_table is not None:
        table_name = runner.resolve(list(call.input_table.parts), context)
        table = context.catalog.get_table(table_name, context.location)
        read = [table_name]
        source = runner.arrow(f"SELECT * FROM {table.sql_name}", context, call.sql)[1]
    frame = source.to_pandas() if source is not None else None
    with context.catalog.lock.stepped_out():  # scoring a large table keeps nobody waiting
        rows = run_ml_function(call, model.trained, frame)
        arrow = _to_arrow(rows, model.trained, source if call.function == "PREDICT" else None)
    relation = f"__bqml_rows_{next(_relation_ids)}"
    outer = sqlmod.parse(call.outer_query(relation))
    if outer.kind != StatementKind.QUERY or outer.tree is None:
        raise InvalidQuery(f"ML.{call.function} must be read by a SELECT")

    def resolve(parts: list[str], is_target: bool) -> TableName:
        if parts == [relation]:
            return TableName("temp", "main", relation)
        name = runner.resolve(parts, context)
        context.catalog.get_table(name, context.location)
        read.append(name)
        return name

    duck = sqlmod.to_duckdb(outer.tree, resolve, context.parameter_types)
    cursor = context.cursor()  # the relation is the job's own: other jobs never see it
    cursor.register(relation, arrow)
    try:
        if context.dry_run:
            # A dry run reports the schema only, as for any other query.
            duck = f"SELECT * FROM ({duck}) LIMIT 0"
        fields, result_rows = runner.rows(duck, context, call.sql)
    finally:
        cursor.unregister(relation)
    return QueryResult("SELECT", fields, result_rows, referenced_tables=read)


def _to_arrow(rows: pd.DataFrame, model: TrainedModel, source: pa.Table | None) -> pa.Table:
    """The function's rows with BigQuery's column types (pass-through columns keep theirs)."""
    label_type = _ARROW_TYPES.get(model.label_type or "STRING", pa.string())
    added = _prediction_types(model, label_type)
    columns: dict[str, pa.Array] = {}
    for name in rows.columns:
        if source is not None and name not in added and name in source.column_names:
            columns[name] = source.column(name).combine_chunks()
            continue
        kind = added.get(name) or (pa.int64() if name in _INTEGER_COLUMNS else pa.float64())
        values = [None if _missing(v) else v for v in rows[name].tolist()]
        columns[name] = pa.array(values, type=kind)
    return pa.table(columns)


def _prediction_types(model: TrainedModel, label_type: pa.DataType) -> dict[str, pa.DataType]:
    if model.model_type == "KMEANS":
        distance = pa.struct([("CENTROID_ID", pa.int64()), ("DISTANCE", pa.float64())])
        return {"CENTROID_ID": pa.int64(), "NEAREST_CENTROIDS_DISTANCE": pa.list_(distance)}
    predicted = f"predicted_{model.label}"
    if model.options.is_classifier:
        prob = pa.struct([("label", label_type), ("prob", pa.float64())])
        return {predicted: label_type, f"{predicted}_probs": pa.list_(prob)}
    return {predicted: pa.float64()}


def _missing(value: Any) -> bool:
    # NaN stands for NULL in pandas' float columns; BigQuery answers NULL.
    return value is None or (isinstance(value, float) and value != value)
