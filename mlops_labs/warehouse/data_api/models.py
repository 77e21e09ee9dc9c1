"""Data API statements over a Warehouse: submission, lifecycle, results and their pages.

Statements run on a few workers, each in a session of its own on the warehouse, as a queue of
a cluster runs them: in submission order, several at once, so a long statement keeps no other
statement waiting. ExecuteStatement answers once its statement is done or after a short
window; DescribeStatement shows it SUBMITTED, then STARTED, and CancelStatement stops it where
it is (ABORTED).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot.errors import TokenError

from ...cloud.sql_dialects import REDSHIFT
from ..engine import Session, Warehouse
from ..errors import WarehouseError
from ..results import Column, Result, redshift_type

# The pattern the service checks statement Ids against, as its error message quotes it.
ID_PATTERN = r"^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\d+)?$"
LIST_STATEMENTS_MAX = 100
LIST_MAX = 1000
# How long ExecuteStatement waits for its statement before answering (the Id is all it
# returns either way): the labs' statements are FINISHED by their first DescribeStatement.
SUBMIT_WINDOW_S = 2.0
# The Data API's limit on a statement's result set, as its troubleshooting guide states it.
MAX_RESULT_BYTES = 100 * 1024 * 1024
# A GetStatementResult page holds at most this many bytes of records (the service pages by
# size on its own, "depending on result to be retrieved, volume").
PAGE_BYTES = 1024 * 1024
# Results of up to this many rows are measured exactly; larger ones from an even sample.
_COUNTED_ROWS = 10_000
# How long the statement worker waits for another statement before it ends.
_IDLE_S = 5.0
# Statements that run at once, each in its own session (Redshift's queues run several too).
WORKERS = 4
_LONG = range(-(2**63), 2**63)


class DataApiError(Exception):
    """An error answered in the API's format: its ``__type``, HTTP status, message and fields."""

    type_name = "InternalServerException"
    status = 500

    def __init__(self, message: str, **fields: str) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class ValidationException(DataApiError):
    """The request is not valid, or asks for something the statement's state does not allow."""

    type_name = "ValidationException"
    status = 400


class ResourceNotFoundException(DataApiError):
    """No statement has this Id."""

    type_name = "ResourceNotFoundException"
    status = 400

    def __init__(self, resource_id: str) -> None:
        super().__init__("Query does not exist.", ResourceId=resource_id)


class UnknownOperationException(DataApiError):
    """The X-Amz-Target names no Data API operation."""

    type_name = "UnknownOperationException"
    status = 400


class SerializationException(DataApiError):
    """The body is not JSON, or a member has the wrong JSON type."""

    type_name = "SerializationException"
    status = 400


@dataclass(frozen=True)
class Connection:
    """Where a request runs: a cluster or a workgroup, a database, and who connects."""

    cluster_identifier: str | None = None
    workgroup_name: str | None = None
    database: str | None = None
    db_user: str | None = None
    secret_arn: str | None = None


@dataclass
class Query:
    """One SQL statement of a submission, as it ran against the warehouse."""

    id: str
    sql: str
    created_at: datetime
    updated_at: datetime
    status: str = "SUBMITTED"
    error: str | None = None
    duration_ns: int = 0
    redshift_query_id: int | None = None
    columns: list[Column] = field(default_factory=list)
    records: list[list[dict[str, Any]]] = field(default_factory=list)
    has_result_set: bool = False
    result_rows: int = -1
    result_size: int = -1


@dataclass
class Statement:
    """What ExecuteStatement (one query) or BatchExecuteStatement (several) submitted."""

    id: str
    connection: Connection
    queries: list[Query]
    is_batch: bool
    created_at: datetime
    sequence: int
    name: str | None = None
    parameters: list[dict[str, str]] | None = None
    with_event: bool | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)
    cancelled: bool = False
    # The warehouse session it runs in, once a worker has taken it.
    session: Session | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        """FAILED or ABORTED if a query was; FINISHED, SUBMITTED if all are; STARTED between."""
        statuses = {query.status for query in self.queries}
        for status in ("FAILED", "ABORTED"):
            if status in statuses:
                return status
        if statuses == {"FINISHED"}:
            return "FINISHED"
        if statuses == {"SUBMITTED"}:
            return "SUBMITTED"
        return "STARTED"

    @property
    def error(self) -> str | None:
        """The first failed query's error message."""
        return next((q.error for q in self.queries if q.error), None)

    @property
    def updated_at(self) -> datetime:
        """When the last query's state last changed."""
        return max(query.updated_at for query in self.queries)

    @property
    def duration_ns(self) -> int:
        """Nanoseconds spent running the queries."""
        return sum(query.duration_ns for query in self.queries)

    @property
    def has_result_set(self) -> bool:
        """Whether any query returned a result set (an empty one counts)."""
        return any(query.has_result_set for query in self.queries)

    @property
    def result_rows(self) -> int:
        """Rows returned or affected: for a batch the sum, -1 when unknown or failed."""
        if not self.is_batch:
            return self.queries[0].result_rows
        if self.status != "FINISHED":
            return -1
        return sum(max(query.result_rows, 0) for query in self.queries)

    @property
    def result_size(self) -> int:
        """Bytes of the results: for a batch the sum, -1 when failed."""
        if not self.is_batch:
            return self.queries[0].result_size
        if self.status != "FINISHED":
            return -1
        return sum(max(query.result_size, 0) for query in self.queries)

    @property
    def query_string(self) -> str:
        """The SQL text; a batch's statements joined in order."""
        return "; ".join(query.sql for query in self.queries)


@dataclass
class ResultPage:
    """One page of a query's records, and the token for the next one."""

    query: Query
    records: list[list[dict[str, Any]]]
    next_token: str | None


@dataclass
class TableColumn:
    """A column of a stored table, as the warehouse's information_schema describes it."""

    schema: str
    table: str
    name: str
    type_name: str
    nullable: bool
    default: str | None
    precision: int | None
    scale: int | None
    length: int | None


class DataApiBackend:
    """The statements of one Data API endpoint, each run at submission on one warehouse."""

    def __init__(
        self, warehouse: Warehouse, *, database: str = "dev", page_size: int | None = None
    ) -> None:
        if page_size is not None and page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self.warehouse = warehouse
        self.database = database
        self.page_size = page_size
        self._statements: dict[str, Statement] = {}
        self._client_tokens: dict[str, str] = {}
        self._sequence = 0
        # The lock guards the statements' records; each statement runs in a warehouse session of
        # its own, so a batch's transaction never interleaves with another statement.
        self._lock = threading.RLock()
        self.submit_window_seconds = SUBMIT_WINDOW_S
        # Workers are daemons (a statement still running never holds up the interpreter's
        # exit), started as statements arrive, up to WORKERS, and gone after a while with none.
        self._queue: queue.Queue[Statement] = queue.Queue()
        self._workers = 0
        self._idle = 0

    def reset(self) -> None:
        """Stop what runs and forget every statement (the warehouse's data stays)."""
        self.stop_statements()
        with self._lock:
            self._statements.clear()
            self._client_tokens.clear()

    def stop_statements(self) -> None:
        """Cancel every statement not yet done, and wait (a little) for each to end."""
        with self._lock:
            running = [s for s in self._statements.values() if not s.done.is_set()]
        for statement in running:
            statement.cancelled = True
            if statement.session is not None:
                self.warehouse.cancel(statement.session)
        for statement in running:
            statement.done.wait(self.submit_window_seconds)

    # Submitting
    def execute_statement(
        self,
        sql: str,
        connection: Connection,
        *,
        parameters: list[dict[str, str]] | None = None,
        name: str | None = None,
        with_event: bool | None = None,
        client_token: str | None = None,
    ) -> Statement:
        """Run one SQL statement now; it is FINISHED or FAILED when this returns."""
        return self._submit([sql], connection, False, parameters, name, with_event, client_token)

    def batch_execute_statement(
        self,
        sqls: Sequence[str],
        connection: Connection,
        *,
        parameters: list[dict[str, str]] | None = None,
        name: str | None = None,
        with_event: bool | None = None,
        client_token: str | None = None,
    ) -> Statement:
        """Run statements in order as one transaction: a failure rolls back and aborts the rest."""
        return self._submit(sqls, connection, True, parameters, name, with_event, client_token)

    def _submit(
        self,
        sqls: Sequence[str],
        connection: Connection,
        is_batch: bool,
        parameters: list[dict[str, str]] | None,
        name: str | None,
        with_event: bool | None,
        client_token: str | None,
    ) -> Statement:
        with self._lock:
            # botocore fills ClientToken in itself, so a retried request arrives with the same one.
            if client_token and client_token in self._client_tokens:
                return self._statements[self._client_tokens[client_token]]
            now = self._now()
            statement_id = str(uuid.uuid4())
            queries = [
                Query(
                    id=f"{statement_id}:{number}" if is_batch else statement_id,
                    sql=sql,
                    created_at=now,
                    updated_at=now,
                )
                for number, sql in enumerate(sqls, start=1)
            ]
            self._sequence += 1
            statement = Statement(
                id=statement_id,
                connection=connection,
                queries=queries,
                is_batch=is_batch,
                created_at=now,
                sequence=self._sequence,
                name=name,
                parameters=parameters,
                with_event=with_event,
            )
            self._statements[statement_id] = statement
            if client_token:
                self._client_tokens[client_token] = statement_id
        with self._lock:
            self._queue.put(statement)
            # _idle counts workers free for work less statements waiting for one.
            if self._idle <= 0 and self._workers < WORKERS:
                self._workers += 1
                threading.Thread(target=self._work, name="data-api-statements", daemon=True).start()
            else:
                self._idle -= 1
        statement.done.wait(self.submit_window_seconds)
        return statement

    def _work(self) -> None:
        session: Session | None = None
        try:
            while True:
                try:
                    statement = self._queue.get(timeout=_IDLE_S)
                except queue.Empty:
                    with self._lock:
                        if self._queue.empty():
                            self._workers -= 1
                            self._idle -= 1
                            return
                    continue
                if session is None:
                    session = self.warehouse.open_session()
                try:
                    with self.warehouse.using(session):
                        statement.session = session
                        self._run(statement)
                except Exception:  # the statement's own failures are recorded by _run
                    for query in statement.queries:
                        if query.status in ("SUBMITTED", "STARTED"):
                            self._fail(query, "the Data API sandbox failed to run the statement", 0)
                finally:
                    statement.session = None
                    if not _leaves_session_clean(statement):
                        # Each statement is a session of its own: what this one may have left
                        # (a transaction, temp tables) must not reach the next.
                        self.warehouse.close_session(session)
                        session = None
                    statement.done.set()
                    with self._lock:
                        self._idle += 1
        finally:
            if session is not None:
                self.warehouse.close_session(session)

    def _run(self, statement: Statement) -> None:
        if statement.cancelled:  # cancelled while it waited for its turn
            for query in statement.queries:
                query.status, query.updated_at = "ABORTED", self._now()
            return
        database = statement.connection.database
        if database is not None and database != self.database:
            for query in statement.queries:
                self._fail(query, f'database "{database}" does not exist', 0)
            return
        values = {p["name"]: p["value"] for p in statement.parameters or []}
        if not statement.is_batch:
            self._run_query(statement.queries[0], values)
            return
        began = self._begin()
        failed = False
        for query in statement.queries:
            if failed or statement.cancelled:
                query.status, query.updated_at = "ABORTED", self._now()
                continue
            self._run_query(query, values)
            failed = query.status in ("FAILED", "ABORTED")
        if began:
            self.warehouse.execute("ROLLBACK" if failed else "COMMIT")

    def _begin(self) -> bool:
        try:
            self.warehouse.execute("BEGIN")
        except WarehouseError:
            # A transaction someone opened on the warehouse is running: the batch joins it.
            return False
        return True

    def _run_query(self, query: Query, values: dict[str, str]) -> None:
        query.created_at = self._now()
        query.status = "STARTED"
        started = time.perf_counter_ns()
        try:
            result = self.warehouse.execute(query.sql, _bound(query.sql, values))
        except Exception as exc:  # any failure of the engine is the statement's failure
            self._fail(query, _message(exc), time.perf_counter_ns() - started)
            if _was_cancelled(exc):
                query.status = "ABORTED"
            return
        elapsed = max(time.perf_counter_ns() - started, 1)
        try:
            _store_result(query, result)
        except WarehouseError as exc:
            self._fail(query, _message(exc), elapsed)
            return
        query.duration_ns = elapsed
        query.updated_at = query.created_at + timedelta(microseconds=query.duration_ns / 1000)
        query.redshift_query_id = getattr(result, "query_id", None)
        query.status = "FINISHED"

    def _fail(self, query: Query, message: str, duration_ns: int) -> None:
        query.status, query.error, query.duration_ns = "FAILED", message, duration_ns
        query.updated_at = query.created_at + timedelta(microseconds=duration_ns / 1000)
        query.has_result_set, query.result_rows, query.result_size = False, -1, -1

    def _now(self) -> datetime:
        # Statement times follow the warehouse clock, so a pinned GETDATE() and CreatedAt agree.
        pinned = self.warehouse.now()
        if pinned is None:
            return datetime.now(UTC)
        return pinned if pinned.tzinfo else pinned.replace(tzinfo=UTC)

    # Reading back
    def find(self, statement_id: str) -> tuple[Statement, Query | None]:
        """The statement an Id names and, for a ``<id>:<n>`` sub-statement Id, that query."""
        if not re.fullmatch(ID_PATTERN, statement_id):
            raise ValidationException(f"id must satisfy regex pattern: {ID_PATTERN}")
        base, _, number = statement_id.partition(":")
        with self._lock:
            statement = self._statements.get(base)
        if statement is None:
            raise ResourceNotFoundException(statement_id)
        if not number:
            return statement, None
        index = int(number) - 1
        if not statement.is_batch or not 0 <= index < len(statement.queries):
            raise ResourceNotFoundException(statement_id)
        return statement, statement.queries[index]

    def result_page(self, statement_id: str, next_token: str | None = None) -> ResultPage:
        """A page of the records of a finished query that returned a result set."""
        statement, query = self.find(statement_id)
        if query is None:
            if statement.is_batch:
                raise ValidationException(
                    "BatchExecuteStatement result can only be retrieved with sub-statement id."
                )
            query = statement.queries[0]
        if query.status != "FINISHED" or not query.has_result_set:
            raise ValidationException(
                "Query does not have result. Please check query status with DescribeStatement."
            )
        start = _read_token(next_token, "GetStatementResult", query.id) if next_token else 0
        total = len(query.records)
        limit = total if self.page_size is None else min(start + self.page_size, total)
        records, size = [], 2  # the page's brackets
        for index in range(start, limit):
            record = query.records[index]
            size += _json_size(record) + 1  # and the comma after it
            if records and size > PAGE_BYTES:
                break  # built one record too many: the next page starts with it
            records.append(record)
        end = start + len(records)
        token = _make_token("GetStatementResult", query.id, end) if end < total else None
        return ResultPage(query=query, records=records, next_token=token)

    def cancel(self, statement_id: str) -> None:
        """Stop a statement that is SUBMITTED or STARTED (it ends ABORTED); refuse the rest."""
        statement, query = self.find(statement_id)
        with self._lock:
            done = statement.done.is_set()
            if not done:
                statement.cancelled = True
        if done:
            status = (query or statement).status
            raise ValidationException(
                f"Could not cancel a query that is already in {status} state with ID: "
                f"{statement_id}"
            )
        if any(q.status == "STARTED" for q in statement.queries):
            session = statement.session
            if session is not None:
                self.warehouse.cancel(session)
            statement.done.wait(self.submit_window_seconds)
        else:
            # Still waiting for the worker: aborted now, skipped when its turn comes.
            for waiting in statement.queries:
                waiting.status, waiting.updated_at = "ABORTED", self._now()

    def list_statements(
        self,
        *,
        status: str | None = None,
        name_prefix: str | None = None,
        connection: Connection | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[Statement], str | None]:
        """Statements newest first; by default only FINISHED ones, as the service documents."""
        status = status or "FINISHED"
        limit = max_results or LIST_STATEMENTS_MAX
        with self._lock:
            found = sorted(self._statements.values(), key=lambda s: s.sequence, reverse=True)
        if status != "ALL":
            found = [s for s in found if s.status == status]
        if name_prefix:
            found = [s for s in found if (s.name or "").startswith(name_prefix)]
        if connection is not None:
            found = [s for s in found if _same_place(s.connection, connection)]
        if next_token:
            after = _read_token(next_token, "ListStatements", "")
            found = [s for s in found if s.sequence < after]
        chosen = found[:limit]
        more = len(found) > limit
        return chosen, _make_token("ListStatements", "", chosen[-1].sequence) if more else None

    # The warehouse's catalog
    def list_databases(self, connection: Connection) -> list[str]:
        """The databases: the warehouse is one."""
        self.check_database(connection.database)
        return [self.database]

    def list_schemas(self, connection: Connection, pattern: str | None = None) -> list[str]:
        """Schema names matching a LIKE pattern, sorted."""
        self.check_database(connection.database)
        rows = self._catalog_query(
            "SELECT DISTINCT schema_name FROM information_schema.schemata "
            "WHERE catalog_name NOT IN ('system', 'temp') AND schema_name LIKE :schema "
            "ORDER BY schema_name",
            {"schema": pattern or "%"},
        )
        return [row[0] for row in rows]

    def list_tables(
        self,
        connection: Connection,
        schema_pattern: str | None = None,
        table_pattern: str | None = None,
    ) -> list[tuple[str, str, str]]:
        """``(schema, table, type)`` of tables and views matching LIKE patterns, sorted."""
        self.check_database(connection.database)
        rows = self._catalog_query(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog <> 'system' AND table_schema LIKE :schema "
            "AND table_name LIKE :table ORDER BY table_schema, table_name",
            {"schema": schema_pattern or "%", "table": table_pattern or "%"},
        )
        # information_schema says BASE TABLE where the Data API says TABLE.
        return [(s, t, "TABLE" if kind == "BASE TABLE" else kind) for s, t, kind in rows]

    def describe_table(
        self, connection: Connection, schema: str | None = None, table: str | None = None
    ) -> list[TableColumn]:
        """The columns of the tables named (all when not named), in table and column order."""
        self.check_database(connection.database)
        # Redshift folds unquoted names to lower case, so names match whatever case is asked.
        where, parameters = ["table_catalog <> 'system'"], {}
        if schema is not None:
            where.append("lower(table_schema) = lower(:schema)")
            parameters["schema"] = schema
        if table is not None:
            where.append("lower(table_name) = lower(:table)")
            parameters["table"] = table
        rows = self._catalog_query(
            "SELECT table_schema, table_name, column_name, data_type, is_nullable, "
            "column_default, numeric_precision, numeric_precision_radix, numeric_scale, "
            "character_maximum_length FROM information_schema.columns "
            f"WHERE {' AND '.join(where)} "
            "ORDER BY table_schema, table_name, ordinal_position",
            parameters,
        )
        columns = []
        for schema_name, table_name, name, data_type, nullable, default, *sizes in rows:
            precision, radix, scale, length = sizes
            decimal = radix == 10  # DuckDB gives integer precision in bits; Redshift in digits
            columns.append(
                TableColumn(
                    schema=schema_name,
                    table=table_name,
                    name=name,
                    type_name=redshift_type(data_type),
                    nullable=nullable == "YES",
                    default=default,
                    precision=precision if decimal else None,
                    scale=scale if decimal else None,
                    length=length,
                )
            )
        return columns

    def check_database(self, database: str | None) -> None:
        """Refuse a database other than the warehouse's."""
        if database is not None and database != self.database:
            raise ValidationException(f'database "{database}" does not exist')

    def _catalog_query(self, sql: str, parameters: dict[str, str]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self.warehouse.execute(sql, parameters or None).rows
            except WarehouseError as exc:
                raise DataApiError(f"the warehouse catalog could not be read: {exc}") from None


def page(
    items: Sequence[Any], operation: str, max_results: int | None, next_token: str | None
) -> tuple[list[Any], str | None]:
    """One page of a listing that has a fixed order, and the token for the next."""
    start = _read_token(next_token, operation, "") if next_token else 0
    end = start + (max_results or LIST_MAX)
    more = end < len(items)
    return list(items[start:end]), _make_token(operation, "", end) if more else None


def placeholders(sql: str) -> set[str] | None:
    """The ``:name`` placeholders in ``sql`` (not in strings or comments); None if it won't lex."""
    try:
        tokens = REDSHIFT.tokenize(sql)
    except TokenError:
        return None
    names = set()
    for colon, word in itertools.pairwise(tokens):
        adjacent = word.start == colon.end + 1
        named = re.fullmatch(r"[0-9A-Za-z_]+", word.text)
        if colon.token_type == sqlglot.TokenType.COLON and adjacent and named:
            names.add(word.text)
    return names


def _bound(sql: str, values: dict[str, str]) -> dict[str, str] | None:
    # A batch shares one parameter list: each statement gets the ones it names, as DuckDB
    # refuses values for placeholders a statement does not have.
    if not values:
        return None
    wanted = placeholders(sql)
    if wanted is None:
        return values
    chosen = {name: value for name, value in values.items() if name in wanted}
    return chosen or None


# SQL that may leave a session other than it found it: transaction control, temporary
# objects (#name tables are Redshift's temp tables), prepared statements, cursors.
_SESSION_STATE = re.compile(
    r"\b(?:BEGIN|START|COMMIT|END|ROLLBACK|ABORT|TEMP|TEMPORARY|PREPARE|DECLARE)\b|#", re.I
)


def _leaves_session_clean(statement: Statement) -> bool:
    """Whether the next statement may reuse this one's session (a new one costs a little)."""
    if statement.is_batch:
        return False
    return not any(_SESSION_STATE.search(query.sql) for query in statement.queries)


def _was_cancelled(exc: BaseException) -> bool:
    """Whether the warehouse stopped the query on CancelStatement (not on a timeout)."""
    return isinstance(exc, WarehouseError) and "cancelled on user's request" in str(exc)


def _message(exc: BaseException) -> str:
    # Inside a transaction the warehouse's own bookkeeping can fail after the real error,
    # which then sits in the exception's context: that is the one the statement failed with.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, WarehouseError):
            return str(seen).splitlines()[0] if str(seen) else type(seen).__name__
        seen = seen.__context__
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Records(Sequence):
    """A result's records, each made from its row when it is read: a page costs its own size."""

    def __init__(self, rows: list[tuple[Any, ...]], types: list[str]) -> None:
        self._rows = rows
        self._types = types

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._record(row) for row in self._rows[index]]
        return self._record(self._rows[index])

    def _record(self, row: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [to_field(value, kind) for value, kind in zip(row, self._types, strict=False)]

    def size(self) -> int:
        """The results' size in bytes as JSON: counted whole when small, else from a sample."""
        total = len(self._rows)
        if total <= _COUNTED_ROWS:
            return _json_size(self[:])
        step = total // _COUNTED_ROWS
        sample = [self._record(row) for row in self._rows[::step][:_COUNTED_ROWS]]
        return _json_size(sample) * total // len(sample)


def _json_size(records: list[Any]) -> int:
    return len(json.dumps(records, separators=(",", ":")).encode())


def _store_result(query: Query, result: Result) -> None:
    if not result.has_result_set:
        query.result_rows, query.result_size = result.rowcount, 0
        return
    query.columns = list(result.columns)
    records = Records(result.rows, [column.type_name for column in result.columns])
    size = records.size()
    if size > MAX_RESULT_BYTES:
        raise WarehouseError(
            f"Database response exceeded size limit: the result set is {size} bytes, the "
            f"Data API returns at most {MAX_RESULT_BYTES}: add a LIMIT clause or UNLOAD to S3",
            code="54000",
        )
    query.records = records  # type: ignore[assignment]
    query.has_result_set = True
    query.result_rows = len(result.rows)
    query.result_size = size


def to_field(value: Any, type_name: str = "") -> dict[str, Any]:
    """A value as the Data API's Field union, formatted the way Redshift prints it."""
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int) and type_name != "numeric" and value in _LONG:
        return {"longValue": value}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": to_text(value)}


def to_text(value: Any) -> str:
    """A value as Redshift's text output shows it: numeric in full, ISO dates, trimmed seconds."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S") + _fraction(value.microsecond)
        return text + _offset(value.utcoffset()) if value.tzinfo else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time_of_day):
        return value.strftime("%H:%M:%S") + _fraction(value.microsecond)
    if isinstance(value, timedelta):
        return _interval(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str)
    return str(value)


def _fraction(microsecond: int) -> str:
    return f".{microsecond:06d}".rstrip("0") if microsecond else ""


def _offset(offset: timedelta | None) -> str:
    seconds = int((offset or timedelta()).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")


def _interval(value: timedelta) -> str:
    days, seconds = value.days, value.seconds
    parts = [f"{days} day{'s' if abs(days) != 1 else ''}"] if days else []
    if seconds or value.microseconds or not days:
        hours, rest = divmod(seconds, 3600)
        clock = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}{_fraction(value.microseconds)}"
        parts.append(clock)
    return " ".join(parts)


def _same_place(ran: Connection, wanted: Connection) -> bool:
    checks = [
        (wanted.cluster_identifier, ran.cluster_identifier),
        (wanted.workgroup_name, ran.workgroup_name),
        (wanted.database, ran.database),
    ]
    return all(asked is None or asked == actual for asked, actual in checks)


def _make_token(operation: str, key: str, position: int) -> str:
    payload = json.dumps({"op": operation, "key": key, "at": position}).encode()
    return base64.urlsafe_b64encode(payload).decode()


def _read_token(token: str, operation: str, key: str) -> int:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        valid = payload["op"] == operation and payload["key"] == key
        position = payload["at"]
    except (ValueError, binascii.Error, KeyError, TypeError):
        valid, position = False, None
    if not valid or not isinstance(position, int) or position < 0:
        raise ValidationException(f"NextToken is not a token {operation} gave for this request")
    return position


REDSHIFT_PID = os.getpid()  # the process that runs every query is this one
