"""A SQLAlchemy dialect over the warehouse's DB-API driver, so pandas reads it without warnings."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import sqlalchemy
from sqlalchemy.engine.default import DefaultDialect

from . import dbapi
from .engine import Warehouse


class WarehouseDialect(DefaultDialect):
    """Postgres-flavoured SQL text through to the embedded warehouse."""

    name = "mlops_redshift"
    driver = "embedded"
    supports_statement_cache = True
    supports_native_boolean = True
    default_paramstyle = "format"
    supports_sane_rowcount = False

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        """The PEP 249 module behind this dialect."""
        return dbapi

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        return (1, 0)

    def _get_default_schema_name(self, connection: Any) -> str:
        return "public"

    def do_rollback(self, dbapi_connection: Any) -> None:
        """Statements commit as they run: nothing to roll back."""

    def has_table(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        """Whether ``table_name`` exists in the warehouse."""
        cursor = connection.connection.cursor()
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = %s",
            [table_name],
        )
        return cursor.fetchone()[0] > 0


def create_engine(warehouse: Warehouse) -> sqlalchemy.Engine:
    """A SQLAlchemy engine whose connections all reach ``warehouse``."""
    return sqlalchemy.create_engine(
        "mlops_redshift://",
        creator=lambda: dbapi.connect(warehouse),
        poolclass=sqlalchemy.pool.StaticPool,
    )
