"""A DB-API 2.0 (PEP 249) driver for the embedded warehouse, shaped like redshift_connector."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from . import errors as warehouse_errors
from .engine import Warehouse

apilevel = "2.0"
threadsafety = 1
paramstyle = "format"  # %s, as redshift_connector's default


class Warning(Exception):  # the name PEP 249 requires, shadowing the builtin
    """PEP 249 Warning."""


class Error(Exception):
    """PEP 249 Error."""


class InterfaceError(Error):
    """PEP 249 InterfaceError."""


class DatabaseError(Error):
    """PEP 249 DatabaseError."""


class DataError(DatabaseError):
    """PEP 249 DataError."""


class OperationalError(DatabaseError):
    """PEP 249 OperationalError."""


class IntegrityError(DatabaseError):
    """PEP 249 IntegrityError."""


class InternalError(DatabaseError):
    """PEP 249 InternalError."""


class ProgrammingError(DatabaseError):
    """PEP 249 ProgrammingError: bad SQL, a missing table or column."""


class NotSupportedError(DatabaseError):
    """PEP 249 NotSupportedError."""


def _wrap(exc: warehouse_errors.WarehouseError) -> DatabaseError:
    kind = {
        warehouse_errors.SqlSyntaxError: ProgrammingError,
        warehouse_errors.UndefinedObject: ProgrammingError,
        warehouse_errors.UnsupportedFeature: NotSupportedError,
        warehouse_errors.S3AccessError: OperationalError,
    }.get(type(exc), DatabaseError)
    wrapped = kind(str(exc))
    wrapped.sqlstate = exc.code  # type: ignore[attr-defined]
    return wrapped


class Cursor:
    """A PEP 249 cursor over the warehouse."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: list[tuple] | None = None
        self.rowcount = -1
        self._rows: Iterator[tuple] = iter(())

    def execute(
        self, operation: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> Cursor:
        """Run one statement with ``%s`` or ``%(name)s`` parameters."""
        warehouse = self.connection.warehouse
        if parameters is not None:
            # paramstyle format: "%%" is a literal "%", as SQLAlchemy writes it (psycopg2 too).
            operation = operation.replace("%%", "%")
        try:
            result = warehouse.execute(operation, parameters or None)
        except warehouse_errors.WarehouseError as exc:
            raise _wrap(exc) from None
        self.rowcount = result.rowcount
        if result.has_result_set:
            self.description = [
                (c.name, c.type_name, None, None, None, None, None) for c in result.columns
            ]
            self._rows = iter(result.rows)
        else:
            self.description = None
            self._rows = iter(())
        return self

    def executemany(self, operation: str, seq_of_parameters: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per parameter set."""
        total = 0
        for parameters in seq_of_parameters:
            self.execute(operation, parameters)
            total += max(self.rowcount, 0)
        self.rowcount = total

    def fetchone(self) -> tuple | None:
        """The next row, or None."""
        return next(self._rows, None)

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        """Up to ``size`` (default ``arraysize``) more rows."""
        return [row for _, row in zip(range(size or self.arraysize), self._rows, strict=False)]

    def fetchall(self) -> list[tuple]:
        """Every remaining row."""
        return list(self._rows)

    def close(self) -> None:
        """Forget the rows."""
        self._rows = iter(())

    def setinputsizes(self, sizes: object) -> None:
        """PEP 249: a no-op."""

    def setoutputsize(self, size: object, column: object = None) -> None:
        """PEP 249: a no-op."""

    def __iter__(self) -> Iterator[tuple]:
        return self._rows


class Connection:
    """A PEP 249 connection; statements commit as they run, as with autocommit on."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.autocommit = True

    def cursor(self) -> Cursor:
        """A new cursor."""
        return Cursor(self)

    def commit(self) -> None:
        """Nothing to do: every statement has committed."""

    def rollback(self) -> None:
        """Nothing to undo: every statement has committed."""

    def close(self) -> None:
        """The warehouse outlives its connections: nothing to release."""


def connect(warehouse: Warehouse) -> Connection:
    """A connection to ``warehouse``."""
    return Connection(warehouse)
