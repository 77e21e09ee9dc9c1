"""BigQuery REST v2 on the wire: routes, request parsing and checking, response shapes, errors.

Request bodies are held to the method's request schema in the discovery document (as the real
front end refuses unknown names); responses are built to validate against the response schema.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import replace
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..cloud.discovery import DiscoveryDocument
from ..cloud.request_guard import RefusedBody, load_json
from . import job_control
from . import sql as sqlmod
from .backend import BigQueryBackend, page
from .errors import (
    AccessDenied,
    BigQueryError,
    InternalError,
    Invalid,
    NotFound,
    PreconditionFailed,
)
from .jobs import QueryContext
from .models import PUBLIC_PROJECT, Dataset, Job, Table, etag_of, now_ms
from .resources import (
    API,
    dataset_reference,
    dataset_resource,
    job_reference,
    job_resource,
    partial,
    table_reference,
    table_resource,
)
from .sql import TableName
from .values import Field, decode_row, encode_row

_log = logging.getLogger(__name__)
UPLOAD = "/upload/bigquery/v2/projects"
JSON_TYPE = "application/json; charset=UTF-8"
# BigQuery's API takes requests of up to 10 MB ("Request payload size exceeds the limit:
# 10485760 bytes."). Uploads of load-job data go through /upload: the sandbox keeps them in
# memory and takes up to 4 GiB a request or a resumable session, BigQuery's largest
# compressed CSV or JSON file.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 4 * 1024**3

_ROUTES = [
    ("GET", "/bigquery/v2/projects", "list_projects"),
    ("GET", f"{API}/<project>/datasets", "list_datasets"),
    ("POST", f"{API}/<project>/datasets", "insert_dataset"),
    ("GET", f"{API}/<project>/datasets/<dataset>", "get_dataset"),
    ("PATCH", f"{API}/<project>/datasets/<dataset>", "patch_dataset"),
    ("PUT", f"{API}/<project>/datasets/<dataset>", "update_dataset"),
    ("DELETE", f"{API}/<project>/datasets/<dataset>", "delete_dataset"),
    ("GET", f"{API}/<project>/datasets/<dataset>/tables", "list_tables"),
    ("POST", f"{API}/<project>/datasets/<dataset>/tables", "insert_table"),
    ("GET", f"{API}/<project>/datasets/<dataset>/tables/<table>", "get_table"),
    ("PATCH", f"{API}/<project>/datasets/<dataset>/tables/<table>", "patch_table"),
    ("PUT", f"{API}/<project>/datasets/<dataset>/tables/<table>", "patch_table"),
    ("DELETE", f"{API}/<project>/datasets/<dataset>/tables/<table>", "delete_table"),
    ("GET", f"{API}/<project>/datasets/<dataset>/tables/<table>/data", "list_rows"),
    ("POST", f"{API}/<project>/datasets/<dataset>/tables/<table>/insertAll", "insert_all"),
    ("GET", f"{API}/<project>/datasets/<dataset>/models", "list_models"),
    ("GET", f"{API}/<project>/datasets/<dataset>/models/<model>", "get_model"),
    ("PATCH", f"{API}/<project>/datasets/<dataset>/models/<model>", "patch_model"),
    ("DELETE", f"{API}/<project>/datasets/<dataset>/models/<model>", "delete_model"),
    ("GET", f"{API}/<project>/jobs", "list_jobs"),
    ("POST", f"{API}/<project>/jobs", "insert_job"),
    ("GET", f"{API}/<project>/jobs/<job>", "get_job"),
    ("POST", f"{API}/<project>/jobs/<job>/cancel", "cancel_job"),
    ("DELETE", f"{API}/<project>/jobs/<job>/delete", "delete_job"),
    ("POST", f"{API}/<project>/queries", "query"),
    ("GET", f"{API}/<project>/queries/<job>", "get_query_results"),
    ("POST", f"{UPLOAD}/<project>/jobs", "upload_job"),
    ("PUT", f"{UPLOAD}/<project>/jobs", "upload_chunk"),
]
# Request schemas of the methods whose bodies are checked, by handler.
_REQUEST_SCHEMAS = {
    "insert_dataset": "Dataset",
    "patch_dataset": "Dataset",
    "update_dataset": "Dataset",
    "insert_table": "Table",
    "patch_table": "Table",
    "insert_all": "TableDataInsertAllRequest",
    "patch_model": "Model",
    "insert_job": "Job",
    "query": "QueryRequest",
}

Reply = tuple[int, Any] | Response


class BigQueryResponses:
    """Answers HTTP requests from one backend: one method per route."""

    def __init__(self, backend: BigQueryBackend) -> None:
        self.backend = backend
        self.routes = Map(
            [Rule(path, methods=[verb], endpoint=name) for verb, path, name in _ROUTES],
            strict_slashes=False,
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        uploading = request.path.startswith(UPLOAD)
        request.max_content_length = MAX_UPLOAD_BYTES if uploading else MAX_REQUEST_BYTES
        try:
            reply = self.dispatch(request)
        except RequestEntityTooLarge:
            error = _too_large(request.max_content_length)
            reply = (error.code, error.envelope())
        except BigQueryError as error:
            reply = (error.code, error.envelope())
        except Exception as exc:  # a bug here must still answer in the API's format
            _log.exception("the BigQuery sandbox failed on %s %s", request.method, request.path)
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            error = InternalError(f"The BigQuery sandbox failed: {first}")
            reply = (error.code, error.envelope())
        if not isinstance(reply, Response):
            status, body = reply
            if status == 200 and isinstance(body, dict) and request.args.get("fields"):
                body = partial(body, request.args["fields"])
            text = "" if body is None else json.dumps(body)
            reply = Response(text, status=status, content_type=JSON_TYPE)
        return reply(environ, start_response)

    def dispatch(self, request: Request) -> Reply:
        """Route a request to its handler, with its body checked against the API's schema."""
        adapter = self.routes.bind_to_environ(request.environ)
        try:
            endpoint, arguments = adapter.match()
        except HTTPException:
            raise NotFound(
                f"Not found: the BigQuery sandbox has no method {request.method} {request.path}"
            ) from None
        handler: Callable[..., Reply] = getattr(self, endpoint)
        method = _discovery().find_method(request.method, request.path)
        problems = _discovery().check_parameters(method, request.args) if method else []
        if problems:
            raise Invalid(problems[0])
        # Read the whole body before taking the lock: a slow sender holds up no one else.
        request.get_data()
        body = None
        if endpoint in _REQUEST_SCHEMAS:
            body = _json_body(request)
            body = _checked(_REQUEST_SCHEMAS[endpoint], body)
        if endpoint in _JOB_ENDPOINTS:
            # Jobs take the lock themselves, only while they touch shared state: waiting for a
            # job, or a job's long query, never holds up another request.
            return handler(request, body, **arguments)
        with self.backend.lock:
            return handler(request, body, **arguments)

    # Projects and datasets

    def list_projects(self, request: Request, body: Any) -> Reply:
        """projects.list: every project the sandbox has seen."""
        projects = sorted(self.backend.catalog.projects)
        items = [
            {
                "kind": "bigquery#project",
                "id": p,
                "numericId": str(zlib.crc32(p.encode())),
                "projectReference": {"projectId": p},
                "friendlyName": p,
            }
            for p in projects
        ]
        return 200, {"kind": "bigquery#projectList", "projects": items, "totalItems": len(items)}

    def insert_dataset(self, request: Request, body: Any, project: str) -> Reply:
        """datasets.insert."""
        reference = body.get("datasetReference") or {}
        dataset_id = reference.get("datasetId")
        if not dataset_id:
            raise Invalid("Missing required field: datasetReference.datasetId")
        if reference.get("projectId") not in (None, project):
            raise Invalid("datasetReference.projectId does not match the project of the URL")
        _check_dataset_id(dataset_id)
        if project == PUBLIC_PROJECT:
            raise AccessDenied(
                f"Access Denied: Project {project}: User does not have bigquery.datasets.create "
                f"permission in project {project}."
            )
        location = body.get("location") or "US"
        dataset = Dataset(
            project,
            dataset_id,
            location=location.upper() if location.lower() in ("us", "eu") else location,
            description=body.get("description"),
            friendly_name=body.get("friendlyName"),
            labels=dict(body.get("labels") or {}),
            default_table_expiration_ms=body.get("defaultTableExpirationMs"),
        )
        self.backend.catalog.create_dataset(dataset)
        return 200, dataset_resource(dataset, _base(request))

    def get_dataset(self, request: Request, body: Any, project: str, dataset: str) -> Reply:
        """datasets.get."""
        found = self.backend.catalog.get_dataset(TableName(project, dataset))
        return 200, dataset_resource(found, _base(request))

    def list_datasets(self, request: Request, body: Any, project: str) -> Reply:
        """datasets.list, paged."""
        hidden = request.args.get("all", "false").lower() == "true"
        datasets = self.backend.catalog.list_datasets(project, include_hidden=hidden)
        chosen, token = _page(request, datasets, f"datasets:{project}")
        resource: dict[str, Any] = {"kind": "bigquery#datasetList"}
        items = []
        for dataset in chosen:
            item = {
                "kind": "bigquery#dataset",
                "id": f"{dataset.project}:{dataset.dataset_id}",
                "datasetReference": dataset_reference(dataset.name),
                "location": dataset.location,
            }
            if dataset.labels:
                item["labels"] = dataset.labels
            if dataset.friendly_name:
                item["friendlyName"] = dataset.friendly_name
            items.append(item)
        if items:
            resource["datasets"] = items
        if token:
            resource["nextPageToken"] = token
        resource["etag"] = etag_of(resource)
        return 200, resource

    def patch_dataset(self, request: Request, body: Any, project: str, dataset: str) -> Reply:
        """datasets.patch: description, friendlyName, labels (null removes one), expiration."""
        found = self.backend.catalog.get_dataset(TableName(project, dataset))
        self._check_etag(request, dataset_resource(found, _base(request)))
        self.backend.catalog.check_writable(found.name)
        _patch_metadata(found, body, {"defaultTableExpirationMs": "default_table_expiration_ms"})
        return 200, dataset_resource(found, _base(request))

    def update_dataset(self, request: Request, body: Any, project: str, dataset: str) -> Reply:
        """datasets.update: the given resource replaces the dataset's metadata."""
        found = self.backend.catalog.get_dataset(TableName(project, dataset))
        found.labels = {}
        cleared = {"description": None, "friendlyName": None, "defaultTableExpirationMs": None}
        return self.patch_dataset(request, {**cleared, **body}, project, dataset)

    def delete_dataset(self, request: Request, body: Any, project: str, dataset: str) -> Reply:
        """datasets.delete; deleteContents drops its tables too."""
        contents = request.args.get("deleteContents", "false").lower() == "true"
        self.backend.catalog.delete_dataset(TableName(project, dataset), contents)
        return Response(status=204)

    # Tables

    def insert_table(self, request: Request, body: Any, project: str, dataset: str) -> Reply:
        """tables.insert: a table from a schema, or a view from a query."""
        reference = body.get("tableReference") or {}
        table_id = reference.get("tableId")
        if not table_id:
            raise Invalid("Missing required field: tableReference.tableId")
        _check_table_id(table_id)
        fields = [Field.from_api(f) for f in (body.get("schema") or {}).get("fields") or []]
        names = [f.name.lower() for f in fields]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise Invalid(f"Duplicate column names in the schema: {duplicate}")
        table = Table(
            project,
            dataset,
            table_id,
            fields,
            description=body.get("description"),
            friendly_name=body.get("friendlyName"),
            labels=dict(body.get("labels") or {}),
            expiration_ms=body.get("expirationTime"),
        )
        view = body.get("view")
        if view:
            table.kind, table.view_query = "VIEW", view.get("query")
            table.fields = []
            created = self._create_view(table, view)
        else:
            created = self.backend.catalog.create_table(table)
        return 200, table_resource(created, _base(request), self.backend.catalog)

    def _create_view(self, table: Table, view: dict[str, Any]) -> Table:
        if view.get("useLegacySql", True) and "useLegacySql" in view:
            raise Invalid("Legacy SQL views are not supported by the BigQuery sandbox")
        statement = sqlmod.parse(view.get("query") or "")
        if statement.kind != sqlmod.StatementKind.QUERY:
            raise Invalid("A view's query must be a SELECT")
        context = QueryContext(self.backend.catalog, self.backend.runner, table.project, "US")
        duck, _ = self.backend.runner.translate(statement, context)
        return self.backend.catalog.create_table(table, view_sql=duck)

    def get_table(
        self, request: Request, body: Any, project: str, dataset: str, table: str
    ) -> Reply:
        """tables.get."""
        found = self.backend.catalog.get_table(TableName(project, dataset, table))
        return 200, table_resource(found, _base(request), self.backend.catalog)

    def patch_table(
        self, request: Request, body: Any, project: str, dataset: str, table: str
    ) -> Reply:
        """tables.patch: description, friendlyName, labels, expirationTime, new NULLABLE fields."""
        catalog = self.backend.catalog
        found = catalog.get_table(TableName(project, dataset, table))
        self._check_etag(request, table_resource(found, _base(request), self.backend.catalog))
        catalog.check_writable(found.name)
        if "schema" in body:
            self._patch_schema(found, body["schema"])
        _patch_metadata(found, body, {"expirationTime": "expiration_ms"})
        return 200, table_resource(found, _base(request), self.backend.catalog)

    def _patch_schema(self, table: Table, schema: dict[str, Any]) -> None:
        wanted = [Field.from_api(f) for f in schema.get("fields") or []]
        have = {f.name: f for f in table.fields}
        missing = [name for name in have if name not in {f.name for f in wanted}]
        if missing:
            raise Invalid(
                f"Provided Schema does not match Table {table.name}. Field {missing[0]} is "
                "missing in new schema"
            )
        for field_ in wanted:
            if field_.name in have:
                continue
            if field_.mode == "REQUIRED":
                raise Invalid(
                    f"Provided Schema does not match Table {table.name}. Cannot add required "
                    f"fields to an existing schema. (field: {field_.name})"
                )
            self.backend.catalog.run(
                f"ALTER TABLE {table.sql_name} ADD COLUMN {field_.column_sql()}"
            )
        # Existing columns keep their type and mode; the new schema may change descriptions.
        table.fields = [
            replace(have[f.name], description=f.description) if f.name in have else f
            for f in wanted
        ]

    def delete_table(
        self, request: Request, body: Any, project: str, dataset: str, table: str
    ) -> Reply:
        """tables.delete."""
        self.backend.catalog.drop_table(TableName(project, dataset, table))
        return Response(status=204)

    def list_tables(self, request: Request, body: Any, project: str, dataset: str) -> Reply:
        """tables.list, paged."""
        name = TableName(project, dataset)
        self.backend.catalog.get_dataset(name)
        tables = self.backend.catalog.list_tables(name)
        chosen, token = _page(request, tables, f"tables:{name}")
        items = []
        for table in chosen:
            item: dict[str, Any] = {
                "kind": "bigquery#table",
                "id": f"{table.project}:{table.dataset_id}.{table.table_id}",
                "tableReference": table_reference(table.name),
                "type": table.kind,
                "creationTime": str(table.created_ms),
            }
            if table.kind == "VIEW":
                item["view"] = {"useLegacySql": False}
            for key, value in (
                ("friendlyName", table.friendly_name),
                ("expirationTime", table.expiration_ms),
            ):
                if value is not None:
                    item[key] = value
            if table.labels:
                item["labels"] = table.labels
            items.append(item)
        resource: dict[str, Any] = {"kind": "bigquery#tableList", "totalItems": len(tables)}
        if items:
            resource["tables"] = items
        if token:
            resource["nextPageToken"] = token
        resource["etag"] = etag_of(resource)
        return 200, resource

    # Rows

    def list_rows(
        self, request: Request, body: Any, project: str, dataset: str, table: str
    ) -> Reply:
        """tabledata.list: rows as f/v cells, paged by pageToken or startIndex/maxResults."""
        catalog = self.backend.catalog
        found = catalog.get_table(TableName(project, dataset, table))
        if found.kind == "VIEW":
            raise Invalid(f"Cannot list a table of type VIEW: {found.name}")
        total = catalog.num_rows(found)
        start, count, token = self._page_bounds(request, total, f"rows:{found.name}")
        fields = found.fields
        selected = request.args.get("selectedFields")
        rows = catalog.read_rows(found, start, count) if fields else []
        if selected:
            wanted = [name.strip() for name in selected.split(",") if name.strip()]
            unknown = [n for n in wanted if n not in {f.name for f in fields}]
            if unknown:
                raise Invalid(f"Invalid field selection {unknown[0]}")
            keep = [i for i, f in enumerate(fields) if f.name in wanted]
            fields = [fields[i] for i in keep]
            rows = [tuple(row[i] for i in keep) for row in rows]
        resource: dict[str, Any] = {"kind": "bigquery#tableDataList", "totalRows": str(total)}
        if rows:
            stamps = _timestamp_format(request.args)
            resource["rows"] = [encode_row(row, fields, stamps) for row in rows]
        if token:
            resource["pageToken"] = token
        resource["etag"] = etag_of({"t": str(found.name), "m": found.modified_ms})
        return 200, resource

    def _page_bounds(self, request: Request, total: int, owner: str) -> tuple[int, int, str | None]:
        indices = list(range(total))
        chosen, token = page(
            indices,
            owner,
            _int_arg(request, "startIndex"),
            _int_arg(request, "maxResults"),
            request.args.get("pageToken"),
            self.backend.page_size,
        )
        start = chosen[0] if chosen else min(_int_arg(request, "startIndex") or 0, total)
        return start, len(chosen), token

    def insert_all(
        self, request: Request, body: Any, project: str, dataset: str, table: str
    ) -> Reply:
        """tabledata.insertAll: valid rows go in; bad rows come back as insertErrors."""
        catalog = self.backend.catalog
        found = catalog.get_table(TableName(project, dataset, table))
        catalog.check_writable(found.name)
        if found.kind == "VIEW":
            raise Invalid(f"Cannot insert into a view: {found.name}")
        ignore = bool(body.get("ignoreUnknownValues"))
        skip_invalid = bool(body.get("skipInvalidRows"))
        accepted, errors = [], []
        for index, row in enumerate(body.get("rows") or []):
            decoded, problems = decode_row(row.get("json") or {}, found.fields, ignore)
            if problems:
                errors.append({"index": index, "errors": problems})
                continue
            insert_id = row.get("insertId")
            if insert_id and insert_id in found.insert_ids:
                continue  # BigQuery's best-effort de-duplication of retried rows
            accepted.append((insert_id, decoded))
        if errors and not skip_invalid:
            failed = {error["index"] for error in errors}
            stopped = {"reason": "stopped", "location": "", "debugInfo": "", "message": ""}
            errors += [
                {"index": index, "errors": [stopped]}
                for index in range(len(body.get("rows") or []))
                if index not in failed
            ]
            errors.sort(key=lambda error: error["index"])
            accepted = []
        catalog.insert_rows(found, [decoded for _, decoded in accepted])
        found.insert_ids.update(insert_id for insert_id, _ in accepted if insert_id)
        resource: dict[str, Any] = {"kind": "bigquery#tableDataInsertAllResponse"}
        if errors:
            resource["insertErrors"] = errors
        return 200, resource

    # Models (BigQuery ML): imported when asked for, so scikit-learn loads only when used

    def list_models(self, request: Request, body: Any, project: str, dataset: str) -> Reply:
        """models.list, paged: reference, type, times and labels of each model."""
        from . import ml

        name = TableName(project, dataset)
        models = ml.list_models(self.backend.catalog, name)
        chosen, token = _page(request, models, f"models:{name}")
        resource: dict[str, Any] = {}
        if chosen:
            resource["models"] = [model.list_item() for model in chosen]
        if token:
            resource["nextPageToken"] = token
        return 200, resource

    def get_model(
        self, request: Request, body: Any, project: str, dataset: str, model: str
    ) -> Reply:
        """models.get."""
        from . import ml

        found = ml.get_model(self.backend.catalog, TableName(project, dataset, model))
        return 200, found.resource()

    def patch_model(
        self, request: Request, body: Any, project: str, dataset: str, model: str
    ) -> Reply:
        """models.patch: description, friendlyName, labels (null removes one), expirationTime."""
        from . import ml

        found = ml.get_model(self.backend.catalog, TableName(project, dataset, model))
        self._check_etag(request, found.resource())
        self.backend.catalog.check_writable(found.name)
        _patch_metadata(found, body, {"expirationTime": "expiration_ms"})
        return 200, found.resource()

    def delete_model(
        self, request: Request, body: Any, project: str, dataset: str, model: str
    ) -> Reply:
        """models.delete."""
        from . import ml

        ml.delete_model(self.backend.catalog, TableName(project, dataset, model))
        return Response(status=204)

    # Jobs

    def insert_job(self, request: Request, body: Any, project: str) -> Reply:
        """jobs.insert (metadata only): a query job, or a load job that is refused by name."""
        job = self.backend.insert_job(project, body)
        return 200, job_resource(job, _base(request))

    def upload_job(self, request: Request, body: Any, project: str) -> Reply:
        """jobs.insert through the upload URI: multipart (one request) or resumable (a session)."""
        kind = request.args.get("uploadType")
        if kind == "multipart":
            resource, data = _multipart(request)
            resource = _checked("Job", resource)
            job = self.backend.insert_job(project, resource, data)
            return 200, job_resource(job, _base(request))
        if kind == "resumable":
            resource = _checked("Job", _json_body(request))
            session = self.backend.open_upload(project, resource)
            location = (
                f"{_base(request)}{UPLOAD}/{project}/jobs?uploadType=resumable&upload_id={session}"
            )
            return Response(status=200, headers={"Location": location})
        raise Invalid(f"uploadType must be multipart or resumable, got {kind!r}")

    def upload_chunk(self, request: Request, body: Any, project: str) -> Reply:
        """A resumable upload's chunk: 308 until the last byte, then the inserted job."""
        session = request.args.get("upload_id") or ""
        _check_upload_size(self.backend, session, request)
        job, received = self.backend.upload_chunk(
            session, request.headers.get("Content-Range"), request.get_data()
        )
        if job is None:
            headers = {"Range": f"bytes=0-{received - 1}"} if received else {}
            return Response(status=308, headers=headers)
        return 200, job_resource(job, _base(request))

    def get_job(self, request: Request, body: Any, project: str, job: str) -> Reply:
        """jobs.get."""
        found = self.backend.get_job(project, job, request.args.get("location"))
        return 200, job_resource(found, _base(request))

    def list_jobs(self, request: Request, body: Any, project: str) -> Reply:
        """jobs.list, newest first, paged."""
        jobs = self.backend.list_jobs(project, request.args.getlist("stateFilter"))
        chosen, token = _page(request, jobs, f"jobs:{project}")
        items = []
        for job in chosen:
            resource = job_resource(job, _base(request))
            item = {
                key: resource[key]
                for key in ("id", "kind", "jobReference", "configuration", "status", "statistics")
            }
            item["state"] = job.state
            if job.state == "DONE" and job.error is not None:
                item["errorResult"] = job.error.error_proto()
            items.append(item)
        listing: dict[str, Any] = {"kind": "bigquery#jobList", "jobs": items}
        if token:
            listing["nextPageToken"] = token
        listing["etag"] = etag_of(listing)
        return 200, listing

    def cancel_job(self, request: Request, body: Any, project: str, job: str) -> Reply:
        """jobs.cancel: a job not yet DONE is stopped where it is; the job as it is then."""
        found = self.backend.cancel(
            self.backend.get_job(project, job, request.args.get("location"))
        )
        return 200, {
            "kind": "bigquery#jobCancelResponse",
            "job": job_resource(found, _base(request)),
        }

    def delete_job(self, request: Request, body: Any, project: str, job: str) -> Reply:
        """jobs.delete: the job's metadata is forgotten."""
        self.backend.delete_job(project, job, request.args.get("location"))
        return Response(status=204)

    def query(self, request: Request, body: Any, project: str) -> Reply:
        """jobs.query: the first page of rows, or ``jobComplete: false`` after ``timeoutMs``."""
        job = self.backend.query(project, body, _timeout_ms(body.get("timeoutMs")))
        if not job.finished.is_set():
            return 200, _incomplete(job, "bigquery#queryResponse")
        if job.error is not None:
            raise job.error
        max_results = body.get("maxResults")
        stamps = _timestamp_format_body(body.get("formatOptions") or {})
        resource = self._results(job, None, max_results, None, stamps)
        resource["kind"] = "bigquery#queryResponse"
        resource["location"] = job.location
        result = job.result
        assert result is not None
        resource["statementType"] = result.statement_type
        resource["creationTime"] = str(job.created_ms)
        resource["startTime"] = str(job.started_ms)
        resource["endTime"] = str(job.ended_ms)
        resource.pop("etag", None)
        if result.dml_stats:
            resource["dmlStats"] = result.dml_stats
        if body.get("dryRun"):
            resource.pop("jobReference", None)
        return 200, resource

    def get_query_results(self, request: Request, body: Any, project: str, job: str) -> Reply:
        """jobs.getQueryResults: a page of a query job's rows, or the job's error."""
        found = self.backend.get_job(project, job, request.args.get("location"))
        if found.job_type != "QUERY":
            raise Invalid(f"Job {found.full_id} is not a query job")
        if not self.backend.wait(found, _timeout_ms(request.args.get("timeoutMs"))):
            return 200, _incomplete(found, "bigquery#getQueryResultsResponse")
        if found.error is not None:
            raise found.error
        stamps = _timestamp_format(request.args)
        resource = self._results(
            found,
            _int_arg(request, "startIndex"),
            _int_arg(request, "maxResults"),
            request.args.get("pageToken"),
            stamps,
        )
        resource["kind"] = "bigquery#getQueryResultsResponse"
        return 200, resource

    def _results(
        self,
        job: Job,
        start_index: int | None,
        max_results: int | None,
        page_token: str | None,
        stamps: str,
    ) -> dict[str, Any]:
        result = job.result
        assert result is not None
        resource: dict[str, Any] = {
            "jobReference": job_reference(job),
            "jobComplete": True,
            "cacheHit": False,
            "totalBytesProcessed": str(result.bytes_processed),
        }
        if result.num_dml_affected_rows is not None:
            resource["numDmlAffectedRows"] = str(result.num_dml_affected_rows)
        if result.fields is not None:
            rows, token = self.backend.result_page(job, start_index, max_results, page_token)
            resource["schema"] = {"fields": [f.to_api() for f in result.fields]}
            resource["totalRows"] = str(len(result.rows))
            if rows:
                resource["rows"] = [encode_row(row, result.fields, stamps) for row in rows]
            if token:
                resource["pageToken"] = token
        resource["etag"] = etag_of({"job": job.full_id})
        return resource

    def _check_etag(self, request: Request, resource: dict[str, Any]) -> None:
        wanted = request.headers.get("If-Match")
        if wanted and wanted != resource["etag"]:
            raise PreconditionFailed("Precondition check failed.")


# Endpoints that lock what they share themselves (see dispatch).
_JOB_ENDPOINTS = frozenset(
    {
        "insert_job",
        "upload_job",
        "upload_chunk",
        "get_job",
        "list_jobs",
        "cancel_job",
        "delete_job",
        "query",
        "get_query_results",
    }
)


def _timeout_ms(value: Any) -> int | None:
    """How long a request waits for its job: ``timeoutMs`` (10 s if absent), at most 200 s."""
    waited = job_control.milliseconds(value, "timeoutMs", zero_allowed=True)
    return None if waited is None else min(waited, 200_000)


def _incomplete(job: Job, kind: str) -> dict[str, Any]:
    """The answer for a query job still running: its reference and ``jobComplete: false``."""
    resource: dict[str, Any] = {
        "kind": kind,
        "jobReference": job_reference(job),
        "jobComplete": False,
    }
    if kind == "bigquery#getQueryResultsResponse":
        resource["etag"] = etag_of({"job": job.full_id, "state": job.state})
    else:
        resource["location"] = job.location
    return resource


def _check_dataset_id(dataset_id: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_]{1,1024}", dataset_id):
        raise Invalid(
            f'Invalid dataset ID "{dataset_id}". Dataset IDs must be alphanumeric (plus '
            "underscores) and must be at most 1024 characters long."
        )


def _check_table_id(table_id: str) -> None:
    # Letters, marks, numbers, connectors, dashes and spaces, up to 1024 bytes in UTF-8.
    allowed = all(
        unicodedata.category(character)[0] in "LMN"
        or unicodedata.category(character) in ("Pc", "Pd", "Zs")
        for character in table_id
    )
    if not allowed or len(table_id.encode()) > 1024:
        raise Invalid(
            f'Invalid table ID "{table_id}". Table IDs must be alphanumeric (plus underscores) '
            "and must be at most 1024 characters long. Also, Table decorators cannot be used."
        )


def _too_large(limit: int) -> BigQueryError:
    error = BigQueryError(f"Request payload size exceeds the limit: {limit} bytes.")
    error.reason = "badRequest"
    return error


def _check_upload_size(backend: BigQueryBackend, session_id: str, request: Request) -> None:
    """A resumable session may not grow past the upload limit, whatever its chunks' sizes."""
    declared = re.fullmatch(
        r"bytes [^/]*/(\d+)", (request.headers.get("Content-Range") or "").strip()
    )
    session = backend.uploads.get(session_id)
    held = len(session.data) if session is not None else 0
    if (declared and int(declared.group(1)) > MAX_UPLOAD_BYTES) or (
        held + len(request.get_data()) > MAX_UPLOAD_BYTES
    ):
        raise _too_large(MAX_UPLOAD_BYTES)


def _checked(schema: str, body: Any) -> Any:
    """A request body held to its schema, in canonical form (as the service stores it)."""
    problems = _discovery().check(schema, body, request=True)
    if problems:
        raise Invalid(f"Invalid JSON payload received. {problems[0]}")
    return _discovery().normalize(schema, body)


def _discovery() -> DiscoveryDocument:
    return DiscoveryDocument.load("bigquery.v2")


def _json_body(request: Request) -> Any:
    raw = request.get_data()
    if not raw.strip():
        return {}
    body = _loaded(raw)
    if not isinstance(body, dict):
        raise Invalid("Invalid JSON payload received. The body must be a JSON object")
    return body


def _multipart(request: Request) -> tuple[dict[str, Any], bytes]:
    """The JSON job resource and the data of a multipart/related upload."""
    content_type = request.headers.get("Content-Type", "")
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.get_data())
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if len(parts) != 2:
        raise Invalid("A multipart upload carries two parts: the job resource, then the data")
    resource = _loaded(parts[0].get_payload(decode=True) or b"")
    return resource, parts[1].get_payload(decode=True) or b""


def _loaded(raw: bytes) -> Any:
    """A JSON request body, too deep or malformed refused as BigQuery's front end refuses it."""
    try:
        return load_json(raw)
    except RefusedBody as refused:
        raise Invalid(f"Invalid JSON payload received. {refused.message}") from None


def _base(request: Request) -> str:
    return request.host_url.rstrip("/")


def _int_arg(request: Request, name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise Invalid(f"Invalid value for {name}: {value}") from None
    if number < 0:
        raise Invalid(f"Invalid value for {name}: {value}")
    return number


def _page(request: Request, items: list[Any], owner: str) -> tuple[list[Any], str | None]:
    return page(
        items,
        owner,
        None,
        _int_arg(request, "maxResults"),
        request.args.get("pageToken"),
        1000,
    )


def _timestamp_format(args: Any) -> str:
    if args.get("formatOptions.useInt64Timestamp", "").lower() == "true":
        return "int64"
    return _timestamp_format_body(
        {"timestampOutputFormat": args.get("formatOptions.timestampOutputFormat")}
    )


def _timestamp_format_body(options: dict[str, Any]) -> str:
    if options.get("useInt64Timestamp"):
        return "int64"
    chosen = options.get("timestampOutputFormat")
    if chosen == "ISO8601_STRING":
        return "iso"
    if chosen == "INT64":
        return "int64"
    return "float"


def _patch_metadata(found: Any, body: dict[str, Any], extra: dict[str, str]) -> None:
    """PATCH semantics for a dataset, table or model: given members set, a null label removed."""
    for key, attribute in {
        "description": "description",
        "friendlyName": "friendly_name",
        **extra,
    }.items():
        if key in body:
            setattr(found, attribute, body[key])
    for key, value in (body.get("labels") or {}).items():
        if value is None:
            found.labels.pop(key, None)
        else:
            found.labels[key] = value
    found.modified_ms = now_ms()
