"""Lab 6.2 live on a real cluster: the run's tables in a schema of its own, dropped after."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy

from . import names
from .active_runs import active
from .resources import Resource
from .settings import LiveSettings

SCHEMA = "lab_6_2"


@contextlib.contextmanager
def run_schema_engine(settings: LiveSettings) -> Iterator[sqlalchemy.Engine]:
    """An engine on ``settings.redshift_url`` whose unqualified tables land in the run's schema."""
    schema = names.current().dataset(SCHEMA).lower()
    engine = sqlalchemy.create_engine(settings.redshift_url)

    @sqlalchemy.event.listens_for(engine, "connect")
    def _search_path(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute(f'SET search_path TO "{schema}"')
        cursor.close()

    run = active()
    with engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    if run is not None:
        run.ledger.add(Resource("redshift-schema", schema))
    try:
        yield engine
    finally:
        engine.dispose()


def drop_schema(url: str, schema: str) -> bool:
    """Drop ``schema`` and everything in it; False when it was already gone."""
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as connection:
            exists = connection.exec_driver_sql(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
            ).first()
            if exists is None:
                return False
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        return True
    finally:
        engine.dispose()
