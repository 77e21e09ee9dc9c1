"""The warehouse's PEP 249 driver and SQLAlchemy dialect: what redshift_connector and pandas users
rely on, with no warning on the way."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy

from mlops_labs.warehouse import dbapi
from mlops_labs.warehouse.engine import Warehouse
from mlops_labs.warehouse.sqlalchemy_dialect import create_engine

PINNED = datetime(2026, 1, 29, 6, 0)
ROWS = [
    (1, "ann", Decimal("10.50"), date(2026, 1, 1)),
    (2, "bob", None, date(2026, 1, 2)),
    (3, "cy", Decimal("0.25"), date(2026, 1, 3)),
]


@pytest.fixture
def db() -> Iterator[Warehouse]:
    """A fresh warehouse with an empty table t, for the tests that change it."""
    warehouse = Warehouse(clock=PINNED)
    warehouse.execute("CREATE TABLE t (id INT, name VARCHAR(8), score DECIMAL(8, 2), day DATE)")
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="module")
def loaded() -> Iterator[Warehouse]:
    """One warehouse holding ROWS in t, for the tests that only read (or fail)."""
    warehouse = Warehouse(clock=PINNED)
    warehouse.execute("CREATE TABLE t (id INT, name VARCHAR(8), score DECIMAL(8, 2), day DATE)")
    dbapi.connect(warehouse).cursor().executemany("INSERT INTO t VALUES (%s, %s, %s, %s)", ROWS)
    yield warehouse
    warehouse.close()


@pytest.fixture
def cursor(loaded) -> dbapi.Cursor:
    return dbapi.connect(loaded).cursor()


@pytest.fixture(scope="module")
def engine(loaded) -> Iterator[sqlalchemy.Engine]:
    engine = create_engine(loaded)
    yield engine
    engine.dispose()


def test_the_module_declares_pep_249_globals():
    assert (dbapi.apilevel, dbapi.threadsafety, dbapi.paramstyle) == ("2.0", 1, "format")
    for name in ("InterfaceError", "DatabaseError"):
        assert issubclass(getattr(dbapi, name), dbapi.Error), name
    for name in (
        "DataError",
        "OperationalError",
        "IntegrityError",
        "InternalError",
        "ProgrammingError",
        "NotSupportedError",
    ):
        assert issubclass(getattr(dbapi, name), dbapi.DatabaseError), name


def test_executemany_runs_once_per_row_and_counts_them_all(db):
    cursor = dbapi.connect(db).cursor()
    cursor.executemany("INSERT INTO t VALUES (%s, %s, %s, %s)", ROWS)
    assert cursor.rowcount == 3
    assert db.query("SELECT * FROM t ORDER BY id") == ROWS


def test_a_query_describes_its_columns_and_counts_its_rows(cursor):
    assert cursor.execute("SELECT id, name, score, day FROM t ORDER BY id") is cursor
    assert cursor.description == [
        ("id", "int4", None, None, None, None, None),
        ("name", "varchar", None, None, None, None, None),
        ("score", "numeric", None, None, None, None, None),
        ("day", "date", None, None, None, None, None),
    ]
    assert cursor.rowcount == 3


def test_a_statement_without_rows_has_no_description(db):
    cursor = dbapi.connect(db).cursor()
    cursor.executemany("INSERT INTO t VALUES (%s, %s, %s, %s)", ROWS)
    cursor.execute("SELECT 1")
    cursor.execute("UPDATE t SET name = %s WHERE id > %s", ["z", 1])
    assert (cursor.description, cursor.rowcount) == (None, 2)
    assert cursor.fetchall() == [], "rows of the statement before were left to fetch"
    cursor.execute("CREATE TABLE u (a INT)")
    assert (cursor.description, cursor.rowcount) == (None, -1)


def test_fetch_one_many_and_all_walk_the_rows_once(cursor):
    cursor.execute("SELECT id FROM t ORDER BY id")
    assert cursor.fetchone() == (1,)
    assert cursor.fetchmany() == [(2,)], "fetchmany() takes arraysize rows (1)"
    assert cursor.fetchmany(5) == [(3,)]
    assert (cursor.fetchone(), cursor.fetchmany(2), cursor.fetchall()) == (None, [], [])
    cursor.execute("SELECT id FROM t ORDER BY id")
    assert cursor.fetchall() == [(1,), (2,), (3,)]
    cursor.execute("SELECT id FROM t WHERE id > %(floor)s ORDER BY id", {"floor": 1})
    assert list(cursor) == [(2,), (3,)]


@pytest.mark.parametrize(
    ("sql", "error", "sqlstate", "message"),
    [
        ("SELECT (id FROM t", dbapi.ProgrammingError, "42601", 'syntax error at or near "FROM"'),
        ("SELECT * FROM nowhere", dbapi.ProgrammingError, "42P01", 'relation "nowhere" does'),
        ("SELECT nope FROM t", dbapi.ProgrammingError, "42703", 'column "nope" does not exist'),
        ("CREATE TABLE j (doc SUPER)", dbapi.NotSupportedError, "0A000", "no SUPER type"),
        (
            "UNLOAD ('SELECT 1') TO 'gs://b/p_' CSV",
            dbapi.OperationalError,
            "XX000",
            "'gs://b/p_' is not an S3 location",
        ),
    ],
)
def test_errors_raise_pep_249_classes_with_the_sqlstate(cursor, sql, error, sqlstate, message):
    with pytest.raises(error, match=message) as caught:
        cursor.execute(sql)
    assert caught.value.sqlstate == sqlstate
    assert isinstance(caught.value, dbapi.DatabaseError)


def test_the_connection_commits_as_it_goes(db):
    connection = dbapi.connect(db)
    assert connection.autocommit is True
    connection.cursor().execute("INSERT INTO t (id) VALUES (%s)", [7])
    connection.rollback()
    connection.close()
    assert db.query("SELECT id FROM t") == [(7,)], "rollback undid a statement that had run"


def test_pandas_reads_through_sqlalchemy_with_parameters_and_no_warning(engine):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = pd.read_sql(
            "SELECT id, name, score FROM t WHERE id >= %s AND name <> %s ORDER BY id",
            engine,
            params=(2, "x"),
        )
        counted = pd.read_sql("SELECT count(*) FROM t", engine)
        named = pd.read_sql(
            sqlalchemy.text("SELECT name FROM t WHERE id = :id"), engine, params={"id": 3}
        )
    assert frame[["id", "name"]].to_dict("list") == {"id": [2, 3], "name": ["bob", "cy"]}
    assert frame.score.isna().tolist() == [True, False] and frame.score[1] == 0.25, frame.score
    assert counted.to_dict("list") == {"count": [3]}
    assert named.to_dict("list") == {"name": ["cy"]}


def test_a_percent_sign_reaches_the_warehouse_once(engine):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = pd.read_sql(sqlalchemy.text("SELECT '50%' AS share"), engine)
        formatted = pd.read_sql(
            "SELECT '50%%' AS share, name FROM t WHERE name LIKE %s ORDER BY name",
            engine,
            params=("%y",),
        )
    assert text.to_dict("list") == {"share": ["50%"]}, "SQLAlchemy's %% escape reached the SQL"
    assert formatted.to_dict("list") == {"share": ["50%"], "name": ["cy"]}


def test_sqlalchemy_sees_the_warehouses_tables(engine):
    inspector = sqlalchemy.inspect(engine)
    assert inspector.has_table("t")
    assert not inspector.has_table("nowhere")
    assert inspector.default_schema_name == "public"
