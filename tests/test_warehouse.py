"""The embedded Redshift warehouse: Redshift SQL translated, run and accounted for like Redshift."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from mlops_labs.warehouse.catalog import TableDesign
from mlops_labs.warehouse.engine import Warehouse
from mlops_labs.warehouse.errors import (
    SqlSyntaxError,
    UndefinedObject,
    UnsupportedFeature,
    WarehouseError,
)

PINNED = datetime(2026, 1, 29, 6, 0)


@pytest.fixture
def db() -> Iterator[Warehouse]:
    """A fresh warehouse with a pinned clock; nothing here reaches S3, so no sandbox."""
    warehouse = Warehouse(clock=PINNED)
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="module")
def shared() -> Iterator[Warehouse]:
    """One warehouse for the tests that only read or fail (a fresh one costs ~20 ms)."""
    warehouse = Warehouse(clock=PINNED)
    warehouse.run_script(
        "CREATE TABLE people (id INT, name VARCHAR(64));"
        "INSERT INTO people VALUES (1, 'ann'), (2, 'bob'), (3, 'ann');"
        "CREATE TABLE items (grp VARCHAR(4), name VARCHAR(8), price INT);"
        "INSERT INTO items VALUES ('a', 'pear', NULL), ('a', 'apple', 3), ('b', 'fig', 2)"
    )
    yield warehouse
    warehouse.close()


def svv_row(db: Warehouse, table: str) -> dict | None:
    """The table's svv_table_info row as a dict, or None when it has none."""
    result = db.execute('SELECT * FROM svv_table_info WHERE "table" = %s', [table])
    assert len(result.rows) <= 1, f"svv_table_info has {len(result.rows)} rows for {table}"
    return (
        dict(zip([c.name for c in result.columns], result.rows[0], strict=True))
        if result.rows
        else None
    )


def columns_of(db: Warehouse, table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of the table's columns, in order."""
    return db.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )


def history(db: Warehouse, query_id: int) -> dict:
    """The sys_query_history row of one statement."""
    result = db.execute("SELECT * FROM sys_query_history WHERE query_id = %s", [query_id])
    assert len(result.rows) == 1, f"sys_query_history has {len(result.rows)} rows for {query_id}"
    return dict(zip([c.name for c in result.columns], result.rows[0], strict=True))


def scanned(db: Warehouse, query_id: int) -> list[tuple[str, int, int]]:
    """(table, input_rows, input_bytes) of each scan step of one statement."""
    return db.query(
        "SELECT table_name, input_rows, input_bytes FROM sys_query_detail "
        "WHERE query_id = %s AND step_name = 'scan' ORDER BY table_name",
        [query_id],
    )


# Physical design: taken out of the DDL, kept in the catalog and in svv_table_info


def test_table_level_design_is_kept_and_the_table_is_made_without_it(db):
    db.execute(
        "CREATE TABLE sales ("
        "  sale_id BIGINT ENCODE az64,"
        "  customer_id VARCHAR(32) ENCODE zstd,"
        "  sold_on DATE,"
        "  amount DECIMAL(12, 2) ENCODE az64"
        ") DISTSTYLE KEY DISTKEY (customer_id) COMPOUND SORTKEY (sold_on, customer_id) BACKUP NO"
    )
    assert db.catalog.design("sales") == TableDesign(
        name="sales",
        diststyle="KEY",
        distkey="customer_id",
        sortkey=["sold_on", "customer_id"],
        sortkey_style="COMPOUND",
        encodings={"sale_id": "az64", "customer_id": "zstd", "amount": "az64"},
        backup=False,
    )
    assert db.catalog.design("SALES") is db.catalog.design("sales"), "lookup ignores case"
    assert svv_row(db, "sales") == {
        "schema": "public",
        "table": "sales",
        "diststyle": "KEY(customer_id)",
        "sortkey1": "sold_on",
        "sortkey_num": 2,
        "encoded": "Y",
    }
    assert columns_of(db, "sales") == [
        ("sale_id", "BIGINT"),
        ("customer_id", "VARCHAR"),
        ("sold_on", "DATE"),
        ("amount", "DECIMAL(12,2)"),
    ]


def test_column_level_distkey_and_sortkey_name_their_column(db):
    db.execute(
        "CREATE TABLE events ("
        "user_id INTEGER NOT NULL DISTKEY, at TIMESTAMP SORTKEY, kind VARCHAR(16))"
    )
    design = db.catalog.design("events")
    assert (design.diststyle, design.distkey, design.sortkey) == ("KEY", "user_id", ["at"])
    assert svv_row(db, "events") == {
        "schema": "public",
        "table": "events",
        "diststyle": "KEY(user_id)",
        "sortkey1": "at",
        "sortkey_num": 1,
        "encoded": "N",
    }
    db.execute("INSERT INTO events VALUES (7, '2026-01-01 10:00', 'click')")
    with pytest.raises(WarehouseError, match="NOT NULL"):
        db.execute("INSERT INTO events VALUES (NULL, '2026-01-01 10:00', 'click')")
    db.execute("DROP TABLE events")
    assert db.catalog.design("events") is None, "DROP TABLE left the design behind"
    assert svv_row(db, "events") is None, "DROP TABLE left the svv_table_info row behind"


def test_an_interleaved_sortkey_keeps_its_style_and_every_column(db):
    db.execute("CREATE TABLE visits (a INT, b INT, c INT) INTERLEAVED SORTKEY (b, a)")
    design = db.catalog.design("visits")
    assert (design.sortkey_style, design.sortkey) == ("INTERLEAVED", ["b", "a"])
    row = svv_row(db, "visits")
    assert row["sortkey_num"] == 2, row
    assert "INTERLEAVED" in row["sortkey1"] and "b" in row["sortkey1"], row


def test_create_if_not_exists_leaves_an_existing_tables_design_alone(db):
    db.execute("CREATE TABLE t (a INT, b INT) DISTKEY (a) SORTKEY (b)")
    db.execute("CREATE TABLE IF NOT EXISTS t (a INT, b INT) DISTSTYLE ALL")
    design = db.catalog.design("t")
    assert (design.diststyle, design.distkey, design.sortkey) == ("KEY", "a", ["b"])
    assert svv_row(db, "t")["diststyle"] == "KEY(a)"


def test_diststyles_and_sortkey_auto(db):
    cases = {
        "even": ("DISTSTYLE EVEN SORTKEY AUTO", "EVEN", "EVEN"),
        "all": ("DISTSTYLE ALL SORTKEY AUTO", "ALL", "ALL"),
        "auto": ("DISTSTYLE AUTO SORTKEY AUTO", "AUTO", "AUTO(EVEN)"),
        "sort_auto": ("SORTKEY AUTO", "AUTO", "AUTO(EVEN)"),
        "plain": ("", "AUTO", "AUTO(EVEN)"),
    }
    for table, (clause, diststyle, shown) in cases.items():
        db.execute(f"CREATE TABLE {table} (a INT, b VARCHAR(8)) {clause}")
        design = db.catalog.design(table)
        assert (design.diststyle, design.distkey, design.sortkey) == (diststyle, None, []), clause
        row = svv_row(db, table)
        assert (row["diststyle"], row["sortkey1"], row["sortkey_num"]) == (shown, None, 0), clause


def test_identity_numbers_from_its_seed_by_its_step(db):
    db.execute(
        "CREATE TABLE orders (order_id BIGINT IDENTITY(100, 5), item VARCHAR(20)) DISTSTYLE EVEN"
    )
    assert db.catalog.design("orders").identity == {"order_id": (100, 5)}
    db.execute("INSERT INTO orders (item) VALUES ('a'), ('b')")
    db.execute("INSERT INTO orders (item) VALUES ('c')")
    assert db.query("SELECT order_id, item FROM orders ORDER BY order_id") == [
        (100, "a"),
        (105, "b"),
        (110, "c"),
    ]


def test_a_table_made_again_numbers_its_identity_from_the_seed_again(db):
    ddl = "CREATE TABLE runs (run_id BIGINT IDENTITY(1, 1), note VARCHAR(8))"
    db.execute(ddl)
    db.execute("INSERT INTO runs (note) VALUES ('old'), ('old')")
    db.execute("DROP TABLE runs")
    db.execute(ddl)
    db.execute("INSERT INTO runs (note) VALUES ('new')")
    assert db.query("SELECT run_id, note FROM runs") == [(1, "new")]


def test_varchar_max_holds_redshifts_longest_string(shared):
    shared.execute("CREATE TABLE notes (id INT, body VARCHAR(MAX))")
    longest = "x" * 65535  # VARCHAR(MAX) in Redshift: 65,535 bytes
    shared.execute("INSERT INTO notes VALUES (1, %s)", [longest])
    assert shared.query("SELECT length(body) FROM notes") == [(65535,)]
    assert columns_of(shared, "notes") == [("id", "INTEGER"), ("body", "VARCHAR")]


def test_create_table_as_keeps_its_design_and_copies_the_rows(db):
    db.run_script(
        "CREATE TABLE src (k VARCHAR(4), d DATE, v INT);"
        "INSERT INTO src VALUES ('a', '2026-01-01', 1), ('b', '2026-01-02', 2),"
        " ('a', '2026-01-03', 3)"
    )
    result = db.execute(
        "CREATE TABLE by_key DISTKEY (k) SORTKEY (d) AS SELECT k, d, v FROM src WHERE v > 1"
    )
    assert result.statement == "CREATE TABLE"
    assert result.rowcount == 2, "CTAS reports the rows it wrote"
    design = db.catalog.design("by_key")
    assert (design.diststyle, design.distkey, design.sortkey) == ("KEY", "k", ["d"])
    assert svv_row(db, "by_key")["diststyle"] == "KEY(k)"
    assert db.query("SELECT k, v FROM by_key ORDER BY v") == [("b", 2), ("a", 3)]


# Materialized views: a stored table, stale until REFRESH


def test_a_materialized_view_is_stale_until_refreshed(db):
    db.run_script(
        "CREATE TABLE sales (region VARCHAR(8), amount INT);"
        "INSERT INTO sales VALUES ('north', 10), ('south', 5)"
    )
    db.execute(
        "CREATE MATERIALIZED VIEW region_totals AS "
        "SELECT region, sum(amount) AS total FROM sales GROUP BY region"
    )
    view = db.catalog.materialized_views["region_totals"]
    assert (view.refreshed_at, view.auto_refresh) == (PINNED, False)
    assert "sales" in view.query.lower()
    db.execute("INSERT INTO sales VALUES ('north', 100), ('east', 1)")
    stale = db.query("SELECT region, total FROM region_totals ORDER BY region")
    assert stale == [("north", 10), ("south", 5)], "the view changed before REFRESH"
    result = db.execute("REFRESH MATERIALIZED VIEW region_totals")
    assert result.statement == "REFRESH MATERIALIZED VIEW"
    fresh = db.query("SELECT region, total FROM region_totals ORDER BY region")
    assert fresh == [("east", 1), ("north", 110), ("south", 5)]


def test_drop_materialized_view_forgets_it(db):
    db.execute("CREATE TABLE s (a INT)")
    db.execute("CREATE MATERIALIZED VIEW mv AUTO REFRESH YES AS SELECT a FROM s")
    assert db.catalog.materialized_views["mv"].auto_refresh is True
    result = db.execute("DROP MATERIALIZED VIEW mv")
    assert result.statement == "DROP MATERIALIZED VIEW"
    assert "mv" not in db.catalog.materialized_views
    with pytest.raises(UndefinedObject, match='relation "mv" does not exist') as selected:
        db.execute("SELECT * FROM mv")
    assert selected.value.code == "42P01"
    with pytest.raises(UndefinedObject, match='materialized view "mv" does not exist') as refreshed:
        db.execute("REFRESH MATERIALIZED VIEW mv")
    assert refreshed.value.code == "42P01"


# The clock, and Redshift's functions


def test_a_pinned_clock_answers_getdate_sysdate_and_current_date(shared):
    result = shared.execute("SELECT GETDATE(), SYSDATE, CURRENT_DATE")
    assert result.rows == [(PINNED, PINNED, PINNED.date())]
    # Redshift's default names: GETDATE and SYSDATE give "timestamp", CURRENT_DATE "date".
    assert [(c.name, c.type_name) for c in result.columns] == [
        ("timestamp", "timestamp"),
        ("timestamp", "timestamp"),
        ("date", "date"),
    ]


def test_a_clock_given_as_a_function_is_read_at_each_statement():
    now = [datetime(2026, 3, 1, 12, 0)]
    db = Warehouse(clock=lambda: now[0])
    try:
        assert db.query("SELECT GETDATE()") == [(datetime(2026, 3, 1, 12, 0),)]
        now[0] = datetime(2026, 3, 2, 8, 30)
        assert db.query("SELECT GETDATE(), CURRENT_DATE") == [
            (datetime(2026, 3, 2, 8, 30), date(2026, 3, 2))
        ]
    finally:
        db.close()


def test_an_unpinned_clock_is_the_real_time_in_utc_as_redshift_gives_it():
    db = Warehouse()
    try:
        before = datetime.now(UTC).replace(tzinfo=None)
        result = db.execute("SELECT GETDATE(), SYSDATE, CURRENT_DATE")
        after = datetime.now(UTC).replace(tzinfo=None)
        started = history(db, result.query_id)["start_time"]
    finally:
        db.close()
    got_date, sys_date, today = result.rows[0]
    for value in (got_date, sys_date, started):
        assert value.tzinfo is None, f"{value!r} carries a time zone; Redshift's TIMESTAMP has none"
        assert before <= value <= after, f"{value} is not the time of the statement in UTC"
    assert today in (before.date(), after.date())
    assert [(c.name, c.type_name) for c in result.columns] == [
        ("timestamp", "timestamp"),
        ("timestamp", "timestamp"),
        ("date", "date"),
    ]


def test_nvl_dateadd_and_listagg_work_and_are_named_as_redshift_names_them(shared):
    result = shared.execute(
        "SELECT grp, NVL(sum(price), 0), LISTAGG(name, ',') WITHIN GROUP (ORDER BY name), "
        "DATEADD(month, 1, '2026-01-31'::date) "
        "FROM items GROUP BY grp ORDER BY grp"
    )
    assert [c.name for c in result.columns] == ["grp", "coalesce", "listagg", "date_add"]
    assert result.rows == [
        ("a", 3, "apple,pear", datetime(2026, 2, 28)),
        ("b", 2, "fig", datetime(2026, 2, 28)),
    ]
    assert shared.query("SELECT NVL(NULL, 'none'), DATEADD(day, -2, GETDATE())") == [
        ("none", datetime(2026, 1, 27, 6, 0))
    ]


def test_unnamed_columns_are_named_as_redshift_names_them(shared):
    aggregates = shared.execute("SELECT count(*), sum(id), max(id), 1 + 1 FROM people")
    assert [c.name for c in aggregates.columns] == ["count", "sum", "max", "?column?"]
    plain = shared.execute("SELECT id, id AS renamed, upper(name), 'literal' FROM people")
    assert [c.name for c in plain.columns] == ["id", "renamed", "upper", "?column?"]


# Parameters: bound as data, in every style the drivers use


@pytest.mark.parametrize(
    ("sql", "parameters"),
    [
        ("SELECT id FROM people WHERE name = %s AND id > %s ORDER BY id", ["ann", 0]),
        (
            "SELECT id FROM people WHERE name = %(name)s AND id > %(floor)s ORDER BY id",
            {"name": "ann", "floor": 0},
        ),
        (
            "SELECT id FROM people WHERE name = :name AND id > :floor ORDER BY id",
            {"name": "ann", "floor": 0},
        ),
    ],
    ids=["format", "pyformat", "named"],
)
def test_parameters_bind_in_every_style(shared, sql, parameters):
    assert shared.query(sql, parameters) == [(1,), (3,)]


def test_an_injection_attempt_stays_data_in_every_style(db):
    db.run_script(
        "CREATE TABLE people (id INT, name VARCHAR(64)); INSERT INTO people VALUES (1, 'a')"
    )
    attack = "x'); DROP TABLE people; --"
    styles = {
        "format": ("%s", [attack], ["' OR '1'='1"]),
        "pyformat": ("%(v)s", {"v": attack}, {"v": "' OR '1'='1"}),
        "named": (":v", {"v": attack}, {"v": "' OR '1'='1"}),
    }
    for number, (style, (mark, value, sneaky)) in enumerate(styles.items(), start=2):
        db.execute(f"INSERT INTO people VALUES ({number}, {mark})", value)
        found = db.query(f"SELECT id, name FROM people WHERE name = {mark} ORDER BY id", value)
        assert found == [(n, attack) for n in range(2, number + 1)], style
        assert db.query(f"SELECT id FROM people WHERE name = {mark}", sneaky) == [], style
    assert db.query("SELECT count(*) FROM people") == [(4,)], "the table lost or gained rows"


# Errors: one line, worded like Redshift's, with its SQLSTATE


@pytest.mark.parametrize(
    ("sql", "near", "position"),
    [
        ("SELECT (a FROM t", "FROM", 11),
        ("SELECT a,\n  (b FROM t", "FROM", 16),
    ],
)
def test_a_syntax_error_names_where_it_is(shared, sql, near, position):
    with pytest.raises(SqlSyntaxError) as caught:
        shared.execute(sql)
    error = caught.value
    assert (error.code, error.position) == ("42601", position)
    assert str(error) == f'syntax error at or near "{near}" (position {position})'
    assert sql[position - 1 : position - 1 + len(near)] == near, (
        "position is not where the token is"
    )


def test_an_unknown_table_is_worded_like_redshift(shared):
    with pytest.raises(UndefinedObject) as caught:
        shared.execute("SELECT * FROM nowhere")
    assert (str(caught.value), caught.value.code) == ('relation "nowhere" does not exist', "42P01")


def test_an_unknown_column_is_worded_like_redshift(shared):
    with pytest.raises(UndefinedObject) as caught:
        shared.execute("SELECT missing FROM people")
    assert (str(caught.value), caught.value.code) == ('column "missing" does not exist', "42703")


def test_super_is_refused_by_name_and_nothing_is_made(shared):
    with pytest.raises(
        UnsupportedFeature, match="no SUPER type: store the JSON as VARCHAR"
    ) as caught:
        shared.execute("CREATE TABLE docs (id INT, body SUPER)")
    assert caught.value.code == "0A000"
    assert shared.catalog.design("docs") is None
    assert columns_of(shared, "docs") == []


def test_execute_refuses_more_than_one_statement_and_runs_none(shared):
    with pytest.raises(WarehouseError, match="expected one SQL statement, got 2") as caught:
        shared.execute("CREATE TABLE never_a (x INT); CREATE TABLE never_b (x INT)")
    assert caught.value.code == "42601"
    assert columns_of(shared, "never_a") == [] and columns_of(shared, "never_b") == []
    # A semicolon inside a string is not a statement boundary.
    assert shared.query("SELECT 'a;b'") == [("a;b",)]


def test_run_script_runs_every_statement_in_order(db):
    results = db.run_script(
        """
        CREATE TABLE t (a INT);  -- a comment; with a semicolon
        INSERT INTO t VALUES (1), (2);
        SELECT sum(a) FROM t;
        """
    )
    assert [(r.statement, r.rowcount, r.rows) for r in results] == [
        ("CREATE TABLE", -1, []),
        ("INSERT", 2, []),
        ("SELECT", 1, [(3,)]),
    ]
    assert [r.query_id for r in results] == sorted({r.query_id for r in results})


def test_run_script_stops_at_the_first_error(db):
    with pytest.raises(UndefinedObject, match='relation "missing" does not exist'):
        db.run_script(
            "CREATE TABLE t (a INT); INSERT INTO missing VALUES (1); INSERT INTO t VALUES (1)"
        )
    assert db.query("SELECT count(*) FROM t") == [(0,)], "a statement after the error ran"


# System views


def test_query_history_records_success_and_failure(db):
    created = db.execute("CREATE TABLE t (a INT)")
    db.execute("INSERT INTO t VALUES (1), (2), (3)")
    selected = db.execute("SELECT a FROM t WHERE a > 1")
    with pytest.raises(UndefinedObject):
        db.execute("SELECT a FROM nowhere")
    rows = db.query(
        "SELECT query_id, query_type, status, returned_rows, query_text, error_message, start_time "
        "FROM sys_query_history WHERE query_id >= %s ORDER BY query_id",
        [created.query_id],
    )
    first = created.query_id
    assert rows == [
        (first, "CREATE", "success", 0, "CREATE TABLE t (a INT)", None, PINNED),
        (first + 1, "INSERT", "success", 0, "INSERT INTO t VALUES (1), (2), (3)", None, PINNED),
        (first + 2, "SELECT", "success", 2, "SELECT a FROM t WHERE a > 1", None, PINNED),
        (
            first + 3,
            "SELECT",
            "failed",
            0,
            "SELECT a FROM nowhere",
            'relation "nowhere" does not exist',
            PINNED,
        ),
    ]
    assert selected.query_id == first + 2
    timing = history(db, selected.query_id)
    assert timing["elapsed_time"] >= 0 and timing["end_time"] >= timing["start_time"], timing


def test_scan_bytes_count_only_the_columns_a_query_reads(db):
    db.run_script(
        "CREATE TABLE m (id BIGINT, name VARCHAR(8), score DOUBLE, day DATE);"
        "INSERT INTO m VALUES (1, 'a', 0.5, '2026-01-01'), (2, 'bb', 1.5, '2026-01-02'),"
        " (3, 'ccc', NULL, '2026-01-03')"
    )
    # Redshift's widths: BIGINT and DOUBLE 8 bytes, DATE 4; VARCHAR its characters (1+2+3).
    everything = db.execute("SELECT * FROM m")
    assert scanned(db, everything.query_id) == [("m", 3, 3 * 8 + 6 + 3 * 8 + 3 * 4)]
    one = db.execute("SELECT name FROM m")
    assert scanned(db, one.query_id) == [("m", 3, 6)]
    filtered = db.execute("SELECT id FROM m WHERE day > '2026-01-01'")
    assert scanned(db, filtered.query_id) == [("m", 3, 3 * 8 + 3 * 4)]
    counted = db.execute("SELECT count(*) FROM m")
    assert scanned(db, counted.query_id) == [("m", 3, 0)]


def test_a_join_scans_each_table_once_and_system_views_are_not_scanned(db):
    db.run_script(
        "CREATE TABLE a (k INT, x BIGINT); CREATE TABLE b (k INT, y VARCHAR(4));"
        "INSERT INTO a VALUES (1, 10), (2, 20); INSERT INTO b VALUES (1, 'one')"
    )
    joined = db.execute("SELECT b.y FROM a JOIN b ON a.k = b.k")
    assert scanned(db, joined.query_id) == [("a", 2, 2 * 4), ("b", 1, 4 + 3)]
    monitoring = db.execute("SELECT count(*) FROM sys_query_history")
    assert scanned(db, monitoring.query_id) == []


def test_pg_last_query_id_is_the_statement_before(db):
    assert db.query("SELECT pg_last_query_id()") == [(-1,)], "a fresh warehouse has a last query"
    created = db.execute("CREATE TABLE t (a INT)")
    assert db.query("SELECT pg_last_query_id()") == [(created.query_id,)]
    failed_id = created.query_id + 2  # the pg_last_query_id() query itself took one id
    with pytest.raises(UndefinedObject):
        db.execute("SELECT * FROM nowhere")
    assert db.query("SELECT pg_last_query_id()") == [(failed_id,)]
    assert history(db, failed_id)["status"] == "failed"


def test_a_view_over_the_history_sees_every_statement_before_it_is_read(db):
    # History rows wait in memory until a statement may read them; a view reads them unnamed.
    db.execute("CREATE VIEW recent AS SELECT query_id, query_type FROM sys_query_history")
    made = db.execute("CREATE TABLE t (a INT)")
    inserted = db.execute("INSERT INTO t VALUES (1)")
    seen = db.query("SELECT query_id, query_type FROM recent WHERE query_id >= %s", [made.query_id])
    assert seen == [(made.query_id, "CREATE"), (inserted.query_id, "INSERT")]


def test_scans_of_a_table_made_again_count_its_new_columns(db):
    db.run_script("CREATE TABLE t (a INT); INSERT INTO t VALUES (1), (2)")
    first = db.execute("SELECT * FROM t")
    assert scanned(db, first.query_id) == [("t", 2, 2 * 4)]
    db.run_script(
        "DROP TABLE t; CREATE TABLE t (a BIGINT, b VARCHAR(8)); INSERT INTO t VALUES (1, 'xy')"
    )
    again = db.execute("SELECT * FROM t")
    assert scanned(db, again.query_id) == [("t", 1, 8 + 2)], "the old column list was kept"
    db.execute("ALTER TABLE t ADD COLUMN c INT")
    altered = db.execute("SELECT * FROM t")
    assert scanned(db, altered.query_id) == [("t", 1, 8 + 2 + 4)], "the added column is missing"


def test_each_warehouse_starts_empty_and_closing_one_leaves_the_others():
    # Databases are opened ahead of need and closed off the caller's path (warehouse.databases).
    first = Warehouse(clock=PINNED)
    first.execute("CREATE TABLE kept (id INT)")
    second = Warehouse(clock=PINNED)
    with pytest.raises(UndefinedObject):
        second.query("SELECT * FROM kept")
    assert second.query("SELECT status FROM sys_query_history") == [("failed",)]  # that SELECT
    second.close()
    first.execute("INSERT INTO kept VALUES (1)")
    assert first.query("SELECT id FROM kept") == [(1,)]
    first.close()
