"""The warehouse: one DuckDB database that takes Redshift SQL, statement by statement.

Statements run in a session: the warehouse's own (its main connection, one statement at a time,
as the DB-API driver uses it) or one opened with ``Warehouse.session`` (a DuckDB cursor of its
own, as each Data API statement is a session of its own in Redshift). A session's query runs
with the warehouse's lock let go, so a long statement never keeps another session waiting.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token

from ..cloud.sql_dialects import REDSHIFT
from ..cloud.step_out_lock import StepOutLock
from . import databases, dialect, statement_screen
from .catalog import Catalog
from .errors import SqlSyntaxError, UndefinedObject, UnsupportedFeature, WarehouseError
from .results import Column, Result, redshift_type
from .settings import Settings
from .system_views import READS_VIEWS, SystemViews

Clock = Callable[[], datetime]


@dataclass
class Session:
    """One connection to the warehouse: its DuckDB cursor and the statement running on it."""

    db: duckdb.DuckDBPyConnection
    # Its own cursor: its queries run outside the warehouse's lock.
    own: bool
    query_id: int = 0
    # Why its running statement was interrupted (a timeout, CancelStatement), if it was.
    stopped: WarehouseError | None = None
    # The DuckDB search path last set on its cursor.
    search_path: str = ""


# The longest a statement may run in the warehouse, whatever statement_timeout says (as a
# cluster's query monitoring rule would stop it).
MAX_STATEMENT_S = 300.0
# A stopped statement is interrupted this often, for at most this long, until it has ended.
_REPEAT_EVERY_S = 0.05
_REPEAT_FOR_S = 30.0
# Statements that leave every table's columns as they were.
_KEEPS_COLUMNS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "COPY", "UNLOAD"})


class Warehouse:
    """Redshift SQL on an in-process DuckDB; safe to share between threads (one at a time)."""

    def __init__(
        self,
        *,
        clock: datetime | Clock | None = None,
        slices: int = 2,
        s3_client: Callable[[], Any] | None = None,
        max_statement_seconds: float = MAX_STATEMENT_S,
    ) -> None:
        self._db = databases.fresh()
        self._lock = StepOutLock()
        self._main = Session(self._db, own=False)
        self._local = threading.local()
        self.catalog = Catalog()
        self.system = SystemViews(self._db)
        # The id of the statement that ran last, as Redshift's PG_LAST_QUERY_ID() reports it.
        self._db.execute(
            "CREATE MACRO pg_last_query_id() AS (SELECT coalesce(max(query_id), -1) "
            "FROM sys_query_history)"
        )
        # Redshift's default schema is public; the SYS views stay in main, found by the path.
        self._db.execute("CREATE SCHEMA public")
        self._search_path = "'public,main'"
        self._db.execute(f"SET search_path = {self._search_path}")
        self._main.search_path = self._search_path
        # A plain view may read the SYS views without naming them: once one exists, the
        # history rows are written before every statement.
        self._views_defined = False
        self.slices = slices
        self._clock = clock
        self._s3_client = s3_client
        self.max_statement_seconds = max_statement_seconds
        self._stop_lock = threading.Lock()
        # Redshift's session parameters (SET / RESET / SHOW); DuckDB's own are locked.
        self.settings = Settings()

    # The clock: GETDATE(), SYSDATE and CURRENT_TIMESTAMP answer from it when it is pinned.
    def now(self) -> datetime | None:
        """The pinned time, or None when the warehouse follows the real clock."""
        if self._clock is None:
            return None
        return self._clock() if callable(self._clock) else self._clock

    # Sessions
    def open_session(self) -> Session:
        """A session of its own: a DuckDB cursor whose queries run outside the warehouse's lock."""
        with self._lock:
            return Session(self._db.cursor(), own=True)

    def close_session(self, session: Session) -> None:
        """End a session: what it left open (a transaction, temp tables) goes with it."""
        with self._stop_lock:
            session.db.close()

    @contextlib.contextmanager
    def using(self, session: Session) -> Iterator[Session]:
        """Run this thread's statements in ``session`` until the block ends."""
        outer = getattr(self._local, "session", None)
        self._local.session = session
        try:
            yield session
        finally:
            self._local.session = outer

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """Run this thread's statements in a new session until the block ends, then close it."""
        opened = self.open_session()
        try:
            with self.using(opened):
                yield opened
        finally:
            self.close_session(opened)

    def _session(self) -> Session:
        return getattr(self._local, "session", None) or self._main

    @property
    def query_id(self) -> int:
        """The id of the statement this thread's session runs, 0 between statements."""
        return self._session().query_id

    @query_id.setter
    def query_id(self, value: int) -> None:
        self._session().query_id = value

    def s3(self) -> Any:
        """The boto3 S3 client COPY and UNLOAD use (one per AWS settings, see aws_clients)."""
        if self._s3_client is None:
            from ..cloud.aws_clients import client

            return client("s3")
        return self._s3_client()

    def execute(
        self,
        sql: str,
        parameters: Sequence[Any] | Mapping[str, Any] | None = None,
        *,
        arrow: bool = False,
    ) -> Result:
        """Run one statement; ``parameters`` bind ``%s`` / ``:name`` / ``%(name)s`` placeholders."""
        tokens = _tokenize(sql)
        statements = split(sql, tokens)
        if len(statements) != 1:
            raise WarehouseError(
                f"expected one SQL statement, got {len(statements)}: use run_script for several",
                code="42601",
            )
        # The statement's tokens are the text's when it is the whole text: lexed once, not twice.
        same = tokens if statements[0] == sql else None
        return self._run(statements[0], parameters, arrow, same)

    def run_script(self, sql: str) -> list[Result]:
        """Run every statement of ``sql`` in order; stop at the first error."""
        return [self._run(statement, None, False) for statement in split(sql)]

    def query(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> list[tuple]:
        """The rows of one query."""
        return self.execute(sql, parameters).rows

    def close(self) -> None:
        """Release the database."""
        databases.release(self._db)

    def _run(
        self,
        sql: str,
        parameters: Sequence[Any] | Mapping[str, Any] | None,
        arrow: bool,
        tokens: list[Token] | None = None,
    ) -> Result:
        session = self._session()
        with self._lock:
            if session.search_path != self._search_path:
                session.db.execute(f"SET search_path = {self._search_path}")
                session.search_path = self._search_path
            if self._views_defined or READS_VIEWS.search(sql):
                self._bookkeep(self.system.flush)
            if self.query_id:
                # A statement inside another (UNLOAD's query) is part of it, as in Redshift:
                # the outer query id, no history row of its own, its scans under that id.
                result, tree = self._dispatch(sql, parameters, arrow, tokens)
                result.query_id = self.query_id
                self._record_scans(result, tree)
                return result
            self.query_id = self.system.new_query_id()
            # Redshift's SYS views keep UTC, as its clock reads.
            started = self.now() or datetime.now(UTC).replace(tzinfo=None)
            clock = time.perf_counter()
            try:
                result, tree = self._bounded(sql, parameters, arrow, tokens)
            except WarehouseError as exc:
                self.system.forget_columns()
                self._record(sql, started, clock, None, str(exc))
                raise
            else:
                if result.statement not in _KEEPS_COLUMNS:
                    self.system.forget_columns()
                    self._views_defined |= result.statement.endswith(" VIEW")
                result.query_id = self.query_id
                self._record(sql, started, clock, result, None)
                self._record_scans(result, tree)
                return result
            finally:
                self.query_id = 0

    def cancel(self, session: Session | None = None) -> bool:
        """Stop the statement a session (the warehouse's own by default) runs; was one running?"""
        session = session or self._main
        return self._stop(
            WarehouseError(f"Query ({session.query_id}) cancelled on user's request", code="57014"),
            session,
        )

    def _stop(self, reason: WarehouseError, session: Session) -> bool:
        with self._stop_lock:
            if not session.query_id or session.stopped is not None:
                return False
            session.stopped = reason
            session.db.interrupt()
        threading.Thread(
            target=self._keep_interrupting, args=[reason, session], daemon=True
        ).start()
        return True

    def _keep_interrupting(self, reason: WarehouseError, session: Session) -> None:
        # DuckDB forgets an interrupt that arrives just before its query starts: repeat it
        # until the statement has ended (its reason is cleared then).
        for _ in range(int(_REPEAT_FOR_S / _REPEAT_EVERY_S)):
            time.sleep(_REPEAT_EVERY_S)
            with self._stop_lock:
                if session.stopped is not reason:
                    return
                with contextlib.suppress(duckdb.Error):
                    session.db.interrupt()

    def _bounded(
        self,
        sql: str,
        parameters: Sequence[Any] | Mapping[str, Any] | None,
        arrow: bool,
        tokens: list[Token] | None,
    ) -> tuple[Result, exp.Expression | None]:
        """Run a statement within statement_timeout and the warehouse's limit, interruptibly."""
        session = self._session()
        limit_ms = self.settings.statement_timeout_ms()
        seconds = self.max_statement_seconds
        reason = WarehouseError(
            f"Query ({self.query_id}) ran past the embedded warehouse's limit of {seconds:g} "
            "seconds and was cancelled",
            code="57014",
        )
        if limit_ms and limit_ms / 1000 < seconds:
            seconds = limit_ms / 1000
            reason = WarehouseError("canceling statement due to statement timeout", code="57014")
        timer = threading.Timer(seconds, self._stop, [reason, session])
        timer.daemon = True
        timer.start()
        try:
            return self._dispatch(sql, parameters, arrow, tokens)
        except (WarehouseError, duckdb.Error):
            if session.stopped is not None:
                raise session.stopped from None
            raise
        finally:
            timer.cancel()
            with self._stop_lock:
                session.stopped = None

    def _record_scans(self, result: Result, tree: exp.Expression | None) -> None:
        """sys_query_detail scan rows for a statement that read tables."""
        if tree is not None and result.statement in ("SELECT", "CREATE TABLE", "INSERT"):
            self._bookkeep(self.system.record_scans, self.query_id, tree)

    def _record(
        self, sql: str, started: datetime, clock: float, result: Result | None, error: str | None
    ) -> None:
        elapsed = time.perf_counter() - clock
        ended = started + timedelta(seconds=elapsed)
        self._bookkeep(
            self.system.record_query,
            self.query_id,
            query_type=(result.statement if result else first_keywords(sql)).split(" ")[0],
            text=sql,
            started=started,
            ended=ended,
            elapsed_us=int(elapsed * 1e6),
            returned_rows=max(result.rowcount, 0) if result and result.has_result_set else 0,
            error=error,
        )

    @staticmethod
    def _bookkeep(record: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Write monitoring rows; an aborted transaction may refuse them, the statement stands."""
        with contextlib.suppress(duckdb.Error):
            record(*args, **kwargs)

    def _dispatch(
        self,
        sql: str,
        parameters: Sequence[Any] | Mapping[str, Any] | None,
        arrow: bool,
        tokens: list[Token] | None = None,
    ) -> tuple[Result, exp.Expression | None]:
        statement_screen.screen(sql, tokens)
        keyword = first_keywords(sql)
        if keyword.startswith(("SET", "RESET", "SHOW")):
            return self._setting(sql, keyword.split(" ")[0]), None
        if keyword.startswith("COPY"):
            from .copy_unload import run_copy

            return run_copy(self, sql), None
        if keyword.startswith("UNLOAD"):
            from .copy_unload import run_unload

            return run_unload(self, sql), None
        if keyword.startswith("REFRESH MATERIALIZED VIEW"):
            return self._refresh(sql), None
        text, design = dialect.extract_design(sql)
        tree = parse(text)
        plan = dialect.to_duckdb(tree, self, design)
        for setup in plan.before:
            self._session().db.execute(setup)
        result = self._execute_duckdb(plan.sql, parameters, plan.statement, arrow)
        for follow_up in plan.after:
            follow_up()
        return result, tree

    def _execute_duckdb(
        self,
        sql: str,
        parameters: Sequence[Any] | Mapping[str, Any] | None,
        statement: str,
        arrow: bool,
    ) -> Result:
        session = self._session()
        # A session's query (and the fetch, where DuckDB streams a large result) lets the lock go.
        stepped_out = self._lock.stepped_out() if session.own else contextlib.nullcontext()
        try:
            with stepped_out:
                if arrow and statement == "SELECT":
                    # A relation hands its rows to Arrow without a copy through Python.
                    relation = session.db.sql(sql, params=_duckdb_parameters(parameters))
                    table = relation.to_arrow_table()
                    columns = [
                        Column(name, redshift_type(kind))
                        for name, kind in zip(relation.columns, relation.types, strict=True)
                    ]
                    return Result(statement, columns, rowcount=table.num_rows, arrow=table)
                cursor = session.db.execute(sql, _duckdb_parameters(parameters))
                rows = cursor.fetchall() if cursor.description else []
        except duckdb.Error as exc:
            raise translate_error(exc, sql) from None
        if cursor.description is None or statement not in ("SELECT", "WITH", "SHOW", "VALUES"):
            count = rows[0][0] if rows and len(rows[0]) == 1 and isinstance(rows[0][0], int) else -1
            return Result(statement=statement, rowcount=count)
        columns = [Column(d[0], redshift_type(d[1])) for d in cursor.description]
        return Result(statement=statement, columns=columns, rows=rows, rowcount=len(rows))

    def _setting(self, sql: str, verb: str) -> Result:
        if verb == "SHOW":
            rows = self.settings.show(sql)
            name = rows[0][0] if len(rows) == 1 else "name"
            columns = (
                [Column(name, "varchar")]
                if len(rows) == 1
                else [
                    Column("name", "varchar"),
                    Column("setting", "varchar"),
                ]
            )
            shown = [(value,) for _, value in rows] if len(rows) == 1 else rows
            return Result("SHOW", columns, shown, rowcount=len(shown))
        name = self.settings.set(sql) if verb == "SET" else self.settings.reset(sql)
        if name in ("search_path", "all"):
            self._apply_search_path()
        return Result(verb)

    def _apply_search_path(self) -> None:
        """DuckDB's search path: the schemas of Redshift's that exist, then the SYS views."""
        session = self._session()
        existing = {
            row[0]
            for row in session.db.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()
        }
        schemas = [name for name in self.settings.search_path() if name in existing]
        path = ",".join(_quoted(name) for name in [*schemas, "main"])
        self._search_path = "'" + path.replace("'", "''") + "'"
        session.db.execute(f"SET search_path = {self._search_path}")
        session.search_path = self._search_path

    def _refresh(self, sql: str) -> Result:
        match = re.match(r"\s*REFRESH\s+MATERIALIZED\s+VIEW\s+(\S+?)\s*;?\s*$", sql, re.I)
        if not match:
            raise SqlSyntaxError(f"syntax error in REFRESH MATERIALIZED VIEW: {sql.strip()}")
        name = match.group(1).strip('"').lower()
        view = self.catalog.materialized_views.get(name)
        if view is None:
            raise UndefinedObject(f'materialized view "{name}" does not exist', code="42P01")
        db = self._session().db
        db.execute(f'DELETE FROM "{name}"')
        db.execute(f'INSERT INTO "{name}" {view.duckdb_query}')
        view.refreshed_at = self.now()
        return Result(statement="REFRESH MATERIALIZED VIEW", rowcount=0)

    def duckdb(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection of this thread's session, for the warehouse's own modules."""
        return self._session().db


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _duckdb_parameters(
    parameters: Sequence[Any] | Mapping[str, Any] | None,
) -> Sequence[Any] | Mapping[str, Any] | None:
    if parameters is None:
        return None
    if isinstance(parameters, Mapping):
        return dict(parameters)
    return list(parameters)


def _tokenize(sql: str) -> list[Token]:
    try:
        return REDSHIFT.tokenize(sql)
    except TokenError as exc:
        raise SqlSyntaxError(f"syntax error: {exc}", code="42601") from None


def split(sql: str, tokens: list[Token] | None = None) -> list[str]:
    """The statements of ``sql`` (semicolons inside strings and comments do not split)."""
    if tokens is None:
        tokens = _tokenize(sql)
    statements: list[str] = []
    start = 0
    for token in tokens:
        if token.token_type == sqlglot.TokenType.SEMICOLON:
            statements.append(sql[start : token.start])
            start = token.end + 1
    statements.append(sql[start:])
    return [s.strip() for s in statements if s.strip()]


def first_keywords(sql: str) -> str:
    """The statement's leading words, upper-cased and single-spaced (``REFRESH MATERIALIZED``)."""
    return " ".join(re.findall(r"[A-Za-z_]+", sql[:80])[:3]).upper()


def parse(sql: str) -> exp.Expression:
    """Parse one Redshift statement, naming the position of a syntax error."""
    try:
        tree = sqlglot.parse_one(sql, read=REDSHIFT)
    except ParseError as exc:
        detail = exc.errors[0] if exc.errors else {}
        position = _offset(sql, detail.get("line"), detail.get("col"))
        near = (detail.get("highlight") or "").strip()
        if position and detail.get("highlight"):
            # sqlglot's column is the token's last character; Redshift points at its first.
            position -= len(detail["highlight"]) - 1
        where = f' at or near "{near}"' if near else ""
        raise SqlSyntaxError(
            f"syntax error{where} (position {position})" if position else f"syntax error{where}",
            code="42601",
            position=position,
        ) from None
    except TokenError as exc:
        raise SqlSyntaxError(f"syntax error: {exc}", code="42601") from None
    if isinstance(tree, exp.Command):
        raise UnsupportedFeature(
            f"the embedded warehouse does not run this statement: {sql.strip()[:60]}",
            code="0A000",
        )
    return tree


def _offset(sql: str, line: int | None, col: int | None) -> int | None:
    if not line or col is None:
        return None
    lines = sql.splitlines(keepends=True)
    return sum(len(text) for text in lines[: line - 1]) + col


def translate_error(exc: duckdb.Error, sql: str) -> WarehouseError:
    """DuckDB's error as Redshift would word it, where the two differ."""
    message = str(exc).splitlines()[0]
    missing_table = re.search(r"Table with name (\S+) does not exist", message)
    if missing_table:
        return UndefinedObject(f'relation "{missing_table.group(1)}" does not exist', code="42P01")
    missing_column = re.search(r'Referenced column "([^"]+)" not found', message)
    if missing_column:
        return UndefinedObject(f'column "{missing_column.group(1)}" does not exist', code="42703")
    if isinstance(exc, duckdb.ParserException):
        return SqlSyntaxError(message, code="42601")
    if isinstance(exc, duckdb.CatalogException):
        return UndefinedObject(message, code="42P01")
    if isinstance(exc, duckdb.ConstraintException):
        return WarehouseError(message, code="23505")
    return WarehouseError(message)
