"""The sandbox's state and operations: the catalog, the query runner, jobs, upload sessions.

Jobs run on worker threads. jobs.insert answers once its job is DONE or after a window
(``SYNC_WINDOW_S``), jobs.query and getQueryResults after their ``timeoutMs`` (then with
``jobComplete: false``, the job running on); a job past its jobTimeoutMs or the sandbox's
limit, or cancelled, is interrupted where it is.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import duckdb

from . import billing, job_control
from .errors import AccessDenied, BigQueryError, Duplicate, InternalError, Invalid, NotFound
from .jobs import QueryContext, QueryRunner
from .loads import load, load_files
from .models import DEFAULT_LOCATION, PUBLIC_PROJECT, Catalog, Job, QueryResult, now_ms
from .parameters import bind_parameters
from .public_data import install_public_data
from .sql import StatementKind, TableName
from .storage import CloudStorage, StorageFactory
from .values import quote

DEFAULT_PAGE_SIZE = 100_000
# Jobs that run at once; more wait PENDING (a runaway job holds one worker until its deadline).
WORKERS = 4
_log = logging.getLogger(__name__)
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,1024}")
# A query that only reads runs first on the request's own thread, for up to this long (see
# job_control.Handover); one still running then starts again on a worker.
INLINE_S = 0.25
_READS = re.compile(r"\s*(?:\(|SELECT\b|WITH\b)", re.IGNORECASE)


def _reads_only(config: dict[str, Any]) -> bool:
    """Whether a query job only reads (so running it again from the start changes nothing)."""
    query = config.get("query")
    return (
        isinstance(query, str) and not config.get("destinationTable") and bool(_READS.match(query))
    )


@dataclass
class UploadSession:
    """A resumable upload under way: the job it will insert and the bytes received so far."""

    project: str
    resource: dict[str, Any]
    data: bytearray


class BigQueryBackend:
    """One sandbox's datasets, tables and jobs."""

    def __init__(
        self,
        page_size: int | None = None,
        *,
        bigquery_ml: bool = True,
        storage: StorageFactory | None = None,
        max_job_seconds: float = job_control.MAX_JOB_S,
        sync_window_seconds: float = job_control.SYNC_WINDOW_S,
    ) -> None:
        self.catalog = Catalog()
        self.runner = QueryRunner(self.catalog)
        # Loads from gs://, extract jobs, EXPORT / LOAD DATA and EXPORT MODEL need Cloud Storage;
        # without a client factory they stay refused by name.
        self.storage = CloudStorage(storage) if storage is not None else None
        self.bigquery_ml = bigquery_ml
        if bigquery_ml:
            # Imported here: scikit-learn loads only in sandboxes that train models.
            from .ml import install

            install(self.runner, self.storage)
        if self.storage is not None:
            from .exports import run_export_data
            from .load_data import run_load_data

            self.runner.register(
                StatementKind.EXPORT, functools.partial(run_export_data, self.storage)
            )
            self.runner.register(StatementKind.LOAD, functools.partial(run_load_data, self.storage))
        self.page_size = page_size or DEFAULT_PAGE_SIZE
        self.jobs: dict[tuple[str, str], Job] = {}
        self.uploads: dict[str, UploadSession] = {}
        # The catalog's lock guards names and metadata; a SELECT runs outside it.
        self.lock = self.catalog.lock
        self.max_job_seconds = max_job_seconds
        self.sync_window_seconds = sync_window_seconds
        self._workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="bigquery-sandbox-job")
        self._deadlines = job_control.Deadlines()
        install_public_data(self.catalog)

    def reset(self) -> None:
        """Forget every project, dataset, table and job but the public datasets."""
        self.stop_jobs()
        with self.lock:
            self.catalog.reset(keep={PUBLIC_PROJECT})
            self.jobs.clear()
            self.uploads.clear()

    def close(self) -> None:
        """Stop every job and release the DuckDB database."""
        self.stop_jobs()
        self._workers.shutdown(wait=True, cancel_futures=True)
        self.catalog.close()

    def stop_jobs(self) -> None:
        """Stop every job that is not DONE, and wait (a little) for each to end."""
        running = [job for job in list(self.jobs.values()) if not job.finished.is_set()]
        for job in running:
            job.stopper.stop(job_control.cancelled())
        for job in running:
            job.finished.wait(self.sync_window_seconds)

    def wait(self, job: Job, timeout_ms: int | None) -> bool:
        """Wait up to ``timeout_ms`` (BigQuery's default, 10 s, if None) for a job; is it DONE?"""
        seconds = 10.0 if timeout_ms is None else timeout_ms / 1000
        return job.finished.wait(seconds)

    def cancel(self, job: Job) -> Job:
        """jobs.cancel: stop a job that is not DONE; it is DONE soon after, stopped."""
        if not job.finished.is_set():
            job.stopper.stop(job_control.cancelled())
            job.finished.wait(1.0)
        return job

    # Jobs

    def insert_job(
        self,
        project: str,
        resource: dict[str, Any],
        data: bytes | None = None,
        *,
        wait_ms: int | None = None,
    ) -> Job:
        """jobs.insert: start a query, load or extract job (copy jobs are refused).

        It answers when the job is DONE or after ``wait_ms`` (the sandbox's window if None).
        """
        configuration = dict(resource.get("configuration") or {})
        reference = resource.get("jobReference") or {}
        job_id = reference.get("jobId") or f"job_{uuid.uuid4().hex}"
        location = reference.get("location") or DEFAULT_LOCATION
        kinds = [k for k in ("query", "load", "extract", "copy") if k in configuration]
        if len(kinds) != 1:
            raise Invalid("Job configuration must name exactly one of query, load, extract, copy")
        kind = kinds[0]
        if kind == "extract" and self.storage is None:
            raise Invalid(
                "Extract jobs (exporting a table to Cloud Storage) are not supported by the "
                "BigQuery sandbox without Cloud Storage: start it with a storage client factory"
            )
        model_extract = kind == "extract" and configuration["extract"].get("sourceModel")
        if model_extract and not self.bigquery_ml:
            raise Invalid(
                "Extract jobs of models are not supported by a BigQuery sandbox without BigQuery ML"
            )
        if kind == "copy":
            raise Invalid("Copy jobs are not supported by the BigQuery sandbox yet")
        if kind == "load" and data is None:
            if not configuration["load"].get("sourceUris"):
                raise Invalid("Load configuration must specify at least one source URI")
            if self.storage is None:
                raise Invalid(
                    "Loading from Cloud Storage (sourceUris) is not supported by the BigQuery "
                    "sandbox without Cloud Storage: start it with a storage client factory, or "
                    "upload the data with load_table_from_file or load_table_from_dataframe"
                )
        self._check_job_id(project, job_id)
        timeout_ms = job_control.milliseconds(
            configuration.get("jobTimeoutMs"), "jobTimeoutMs", zero_allowed=False
        )
        configuration["jobType"] = kind.upper()
        if kind == "query":
            configuration["query"].setdefault("priority", "INTERACTIVE")
            configuration["query"].setdefault("useLegacySql", False)
        job = Job(project, job_id, location, kind.upper(), configuration, now_ms())
        if configuration.get("dryRun"):
            self._run_query(job, configuration["query"], True)
            if job.error is not None:
                raise job.error  # a dry run's mistakes are the request's errors
            job.state = "DONE"
            job.finished.set()
            return job
        with self.lock:
            self.jobs[(project, job_id)] = job
        window = self.sync_window_seconds if wait_ms is None else wait_ms / 1000
        deadline = self._deadlines.watch(
            job_control.deadline_s(timeout_ms, self.max_job_seconds),
            job.stopper,
            job_control.timed_out(timeout_ms, self.max_job_seconds),
        )
        if kind == "query" and _reads_only(configuration["query"]) and window > 0:
            if self._try_here(job, min(window, INLINE_S), deadline):
                return job
            window -= INLINE_S
        self._workers.submit(self._execute, job, kind, data, deadline)
        job.finished.wait(max(window, 0))
        return job

    def _try_here(self, job: Job, seconds: float, deadline: list[Any]) -> bool:
        """Run a query on the request's thread for up to ``seconds``; did it end (DONE)?"""
        handover = job_control.Handover(job.stopper)
        budget = self._deadlines.call(seconds, handover.fire)
        job.state = "RUNNING"
        try:
            self._run(job, "query", None)
        finally:
            self._deadlines.release(budget)
        if handover.close() and job.error is not None and job.stopper.reason is None:
            job.error, job.result = None, None  # interrupted to hand over: it runs again
            return False
        self._finish(job, deadline)
        return True

    def _execute(self, job: Job, kind: str, data: bytes | None, deadline: list[Any]) -> None:
        """Run a job to its end on a worker thread, stopped at its deadline."""
        job.state = "RUNNING"
        try:
            self._run(job, kind, data)
        finally:
            self._finish(job, deadline)

    def _run(self, job: Job, kind: str, data: bytes | None) -> None:
        try:
            if job.stopper.reason is not None:
                job.error = job.stopper.reason  # cancelled while it waited for a worker
            elif kind == "query":
                self._run_query(job, job.configuration["query"], False)
            elif kind == "extract":
                self._run_extract(job, job.configuration["extract"])
            elif data is None:
                self._run_load_uris(job, job.configuration["load"])
            else:
                self._run_load(job, job.configuration["load"], data)
        except Exception as error:  # a bug of the sandbox fails the job, not the worker
            _log.exception("the BigQuery sandbox failed to run job %s", job.full_id)
            job.error = InternalError(f"The BigQuery sandbox failed to run the job: {error}")

    def _finish(self, job: Job, deadline: list[Any]) -> None:
        self._deadlines.release(deadline)
        if job.stopper.reason is not None and job.error is not None:
            # Interrupted work fails with DuckDB's words: the job says why it stopped.
            job.error, job.result = job.stopper.reason, None
        job.ended_ms = job.ended_ms or now_ms()
        job.state = "DONE"
        job.finished.set()

    def query(self, project: str, request: dict[str, Any], wait_ms: int | None = None) -> Job:
        """jobs.query: start a query job and wait for it up to ``wait_ms``."""
        configuration: dict[str, Any] = {"query": {}}
        copied = (
            "query",
            "useLegacySql",
            "defaultDataset",
            "queryParameters",
            "parameterMode",
            "useQueryCache",
            "maximumBytesBilled",
            "labels",
            "createSession",
            "connectionProperties",
        )
        for key in copied:
            if key in request and key != "labels":
                configuration["query"][key] = request[key]
        if request.get("labels"):
            configuration["labels"] = request["labels"]
        if request.get("dryRun"):
            configuration["dryRun"] = True
        if request.get("jobTimeoutMs") is not None:
            configuration["jobTimeoutMs"] = request["jobTimeoutMs"]
        resource = {
            "jobReference": {"location": request.get("location") or DEFAULT_LOCATION},
            "configuration": configuration,
        }
        return self.insert_job(project, resource, wait_ms=wait_ms)

    def _check_job_id(self, project: str, job_id: str) -> None:
        if not _JOB_ID.fullmatch(job_id):
            raise Invalid(
                f'Invalid job ID "{job_id}". Job IDs must be alphanumeric (plus underscores '
                "and dashes) and must be at most 1024 characters long."
            )
        if project == PUBLIC_PROJECT:
            raise AccessDenied(
                f"Access Denied: Project {project}: User does not have bigquery.jobs.create "
                f"permission in project {project}."
            )
        if (project, job_id) in self.jobs:
            raise Duplicate(f"Already Exists: Job {project}:{DEFAULT_LOCATION}.{job_id}")

    def _run_query(self, job: Job, config: dict[str, Any], dry_run: bool) -> None:
        job.started_ms = now_ms()
        contexts: list[QueryContext] = []
        try:
            contexts.append(self._context(job, config, dry_run))
            query = config.get("query")
            if not isinstance(query, str) or not query.strip():
                raise Invalid("Required parameter is missing: query")
            cap = config.get("maximumBytesBilled")
            if cap not in (None, "") and not dry_run:
                # Refused before it runs, as BigQuery refuses a query over its cap.
                contexts.append(self._context(job, config, True))
                estimate = self.runner.run(query, contexts[-1])
                billing.check_cap(self._bill(estimate).bytes_billed, cap)
            job.result = self._bill(self.runner.run(query, contexts[0]))
        except BigQueryError as error:
            job.error = error
        except Exception as error:  # a bug of the sandbox fails the job, not the request
            _log.exception("the BigQuery sandbox failed to run job %s", job.full_id)
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            job.error = InternalError(f"The BigQuery sandbox failed to run the query: {first}")
        finally:
            for context in contexts:
                context.close()
        job.ended_ms = now_ms()

    def _bill(self, result: QueryResult) -> QueryResult:
        tables = result.referenced_tables
        result.bytes_processed = billing.bytes_processed(self.catalog, tables)
        result.bytes_billed = billing.bytes_billed(result.bytes_processed, tables)
        return result

    def _context(self, job: Job, config: dict[str, Any], dry_run: bool) -> QueryContext:
        if config.get("useLegacySql"):
            raise Invalid(
                "Legacy SQL is not supported by the BigQuery sandbox: set useLegacySql to false"
            )
        default = config.get("defaultDataset")
        destination = config.get("destinationTable")
        types, values = bind_parameters(
            config.get("queryParameters") or [], config.get("parameterMode")
        )
        return QueryContext(
            catalog=self.catalog,
            runner=self.runner,
            project=job.project,
            location=job.location,
            default_dataset=(
                TableName(default.get("projectId") or job.project, default["datasetId"])
                if default
                else None
            ),
            parameter_types=types,
            parameter_values=values,
            destination=(
                TableName(
                    destination.get("projectId") or job.project,
                    destination["datasetId"],
                    destination["tableId"],
                )
                if destination
                else None
            ),
            write_disposition=config.get("writeDisposition"),
            create_disposition=config.get("createDisposition"),
            dry_run=dry_run,
            stopper=job.stopper,
        )

    def _run_load(self, job: Job, config: dict[str, Any], data: bytes) -> None:
        job.started_ms = now_ms()
        try:
            with self.catalog.lock:
                job.load_statistics = load(self.catalog, config, data)
        except BigQueryError as error:
            job.error = error
        job.ended_ms = now_ms()

    def _run_load_uris(self, job: Job, config: dict[str, Any]) -> None:
        assert self.storage is not None
        job.started_ms = now_ms()
        try:
            files = self.storage.read(list(config["sourceUris"]))
            with self.catalog.lock:
                job.load_statistics = load_files(self.catalog, config, [data for _, data in files])
        except BigQueryError as error:
            job.error = error
        job.ended_ms = now_ms()

    def _run_extract(self, job: Job, config: dict[str, Any]) -> None:
        assert self.storage is not None
        if config.get("sourceModel"):
            self._run_model_extract(job, config)
            return
        from .exports import ExportFormat, delimiter, write

        job.started_ms = now_ms()
        try:
            uris = list(config.get("destinationUris") or [])
            if config.get("destinationUri"):
                uris.append(config["destinationUri"])
            if not uris:
                raise Invalid("Extract configuration must specify at least one destination URI")
            for uri in uris:
                if uri.count("*") > 1:
                    raise Invalid(
                        f"Invalid URI: {uri}. Only one wildcard (*) is allowed in a destination URI"
                    )
            source = config.get("sourceTable") or {}
            if not source.get("datasetId") or not source.get("tableId"):
                raise Invalid("Extract configuration must specify sourceTable")
            name = TableName(
                source.get("projectId") or job.project, source["datasetId"], source["tableId"]
            )
            form = ExportFormat(
                destination_format=(config.get("destinationFormat") or "CSV").upper(),
                print_header=config.get("printHeader", True) is not False,
                field_delimiter=delimiter(config.get("fieldDelimiter")),
                compression=(config.get("compression") or "NONE").upper(),
            )
            with self.catalog.lock:
                table = self.catalog.get_table(name)
                if table.kind == "VIEW":
                    raise Invalid(
                        f"Table {name} is not allowed for this operation because it is "
                        "currently a VIEW."
                    )
                columns = ", ".join(quote(f.name) for f in table.fields)
                size = self.catalog.num_bytes(table)
                cursor = self.catalog.connection.cursor()
            try:  # the rows are read on a cursor of the job's own, the catalog let go
                with job.stopper.running(cursor.interrupt):
                    rows = cursor.sql(f"SELECT {columns} FROM {table.sql_name}").to_arrow_table()
            except duckdb.Error as error:
                first = str(error).splitlines()[0]
                raise InternalError(f"Could not read {name}: {first}") from None
            finally:
                cursor.close()
            counts = write(self.storage, uris, rows, table.fields, form)
            job.extract_statistics = {
                "destinationUriFileCounts": [str(count) for count in counts],
                "inputBytes": str(size),
            }
        except BigQueryError as error:
            job.error = error
        job.ended_ms = now_ms()

    def _run_model_extract(self, job: Job, config: dict[str, Any]) -> None:
        assert self.storage is not None
        from .ml import export_model

        job.started_ms = now_ms()
        try:
            uris = list(config.get("destinationUris") or [])
            if config.get("destinationUri"):
                uris.append(config["destinationUri"])
            if len(uris) != 1 or "*" in uris[0]:
                raise Invalid("A model extract job takes exactly one destination URI, a folder")
            source = config["sourceModel"]
            if not source.get("datasetId") or not source.get("modelId"):
                raise Invalid("Extract configuration must specify sourceModel's dataset and model")
            name = TableName(
                source.get("projectId") or job.project, source["datasetId"], source["modelId"]
            )
            form = (config.get("destinationFormat") or "ML_TF_SAVED_MODEL").upper()
            count, size = export_model(self.catalog, name, uris[0], self.storage, form)
            job.extract_statistics = {
                "destinationUriFileCounts": [str(count)],
                "inputBytes": str(size),
            }
        except BigQueryError as error:
            job.error = error
        job.ended_ms = now_ms()

    def get_job(self, project: str, job_id: str, location: str | None = None) -> Job:
        """jobs.get; NotFound in BigQuery's words for an unknown job or another location."""
        job = self.jobs.get((project, job_id))
        if job is None or (location and location.upper() != job.location.upper()):
            where = (location or DEFAULT_LOCATION).upper()
            raise NotFound(f"Not found: Job {project}:{where}.{job_id}")
        return job

    def list_jobs(self, project: str, state: list[str] | None = None) -> list[Job]:
        """The project's jobs, newest first, in the states asked for (all if none)."""
        wanted = {s.upper() for s in state or []}
        found = [
            job
            for (p, _), job in list(self.jobs.items())
            if p == project and (not wanted or job.state in wanted)
        ]
        return sorted(found, key=lambda job: job.created_ms, reverse=True)

    def delete_job(self, project: str, job_id: str, location: str | None = None) -> None:
        """jobs.delete: forget a job's metadata."""
        job = self.get_job(project, job_id, location)
        with self.lock:
            del self.jobs[(job.project, job.job_id)]

    # Uploads

    def open_upload(self, project: str, resource: dict[str, Any]) -> str:
        """Start a resumable upload; its session id."""
        session = uuid.uuid4().hex
        with self.lock:
            self.uploads[session] = UploadSession(project, resource, bytearray())
        return session

    def upload_chunk(
        self, session_id: str, content_range: str | None, chunk: bytes
    ) -> tuple[Job | None, int]:
        """Add a chunk; the inserted job once the last byte is in, and the bytes held."""
        session = self.uploads.get(session_id)
        if session is None:
            raise NotFound(f"Not found: upload session {session_id}")
        match = re.fullmatch(r"bytes (\*|(\d+)-(\d+))/(\*|\d+)", (content_range or "").strip())
        if content_range and not match:
            raise Invalid(f"Invalid Content-Range header: {content_range}")
        if match and match.group(2) is not None and int(match.group(2)) != len(session.data):
            raise Invalid(
                f"Upload chunk starts at byte {match.group(2)} but {len(session.data)} bytes "
                "have been received"
            )
        session.data.extend(chunk)
        total = match.group(4) if match else str(len(session.data))
        if total == "*" or int(total) > len(session.data):
            return None, len(session.data)
        with self.lock:
            del self.uploads[session_id]
        return self.insert_job(session.project, session.resource, bytes(session.data)), len(
            session.data
        )

    # Result pages

    def result_page(
        self,
        job: Job,
        start_index: int | None,
        max_results: int | None,
        page_token: str | None,
    ) -> tuple[list[tuple[Any, ...]], str | None]:
        """A page of a finished query's rows and the token of the next page."""
        assert job.result is not None
        rows = job.result.rows
        return page(rows, job.full_id, start_index, max_results, page_token, self.page_size)


def page(
    rows: list[Any],
    owner: str,
    start_index: int | None,
    max_results: int | None,
    page_token: str | None,
    page_size: int,
) -> tuple[list[Any], str | None]:
    """A page of ``rows`` from a token (or a start index), and the token for the next."""
    start = read_token(page_token, owner) if page_token else int(start_index or 0)
    count = page_size if max_results is None else min(int(max_results), page_size)
    end = min(start + count, len(rows))
    more = end < len(rows) and count > 0
    return rows[start:end], make_token(owner, end) if more else None


def make_token(owner: str, offset: int) -> str:
    """An opaque page token: which listing it belongs to and where the next page starts."""
    raw = json.dumps({"o": owner, "i": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def read_token(token: str, owner: str) -> int:
    """The offset a page token holds; Invalid for a token of another listing or garbage."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        if decoded["o"] == owner and isinstance(decoded["i"], int) and decoded["i"] >= 0:
            return decoded["i"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise Invalid(f"Invalid page token: {token}")
