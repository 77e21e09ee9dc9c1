"""Benchmark: staging a Redshift table to S3 with UNLOAD against the client-side path.

For each size, times DuckDB writing the table to a local Parquet file (the floor), UNLOAD as
Parquet and as CSV to the offline S3, and the client-side path (pd.read_sql through the DB-API
driver, to_parquet, one upload). Each way runs in a fresh interpreter of its own (see
fresh.COLD) that makes the table (not timed), then stages it twice: the first is cold, the
second warm (clients, compiled statements and lazily loaded code kept from the first). Prints
the medians of --repeat runs, rows/s and ratios to the floor, cold to cold and warm to warm.
Usage: python benchmarks/lab_6_2_staging.py [--rows 100000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import fresh

BUCKET = "staging-bench"
FLOOR = "DuckDB to local Parquet"
WAYS = (FLOOR, "UNLOAD Parquet to S3", "UNLOAD CSV to S3", "client-side Parquet to S3")
# A customers-like table, made inside DuckDB (setup, not measured).
TABLE = """CREATE OR REPLACE TABLE bench AS SELECT
    'C' || lpad(CAST(i AS VARCHAR), 8, '0') AS customer_id,
    CAST(i % 72 AS INTEGER) AS tenure_months,
    ['month-to-month', 'one-year', 'two-year'][1 + i % 3] AS contract,
    CAST(20 + (i * 7919) % 9000 / 100.0 AS DECIMAL(8, 2)) AS monthly_charges,
    CAST(i % 5 AS INTEGER) AS support_calls,
    (i * 31) % 97 / 3.0 AS minutes_28d,
    CAST(i % 4 = 0 AS INTEGER) AS churned
FROM range({rows}) t(i)"""


def one_run(way: str, rows: int) -> dict[str, float]:
    """In this process (a fresh one): seconds to stage ``rows`` rows ``way``, cold then warm."""
    # Imported here: the parent process only starts fresh ones and needs none of it.
    import boto3
    import duckdb

    from mlops_labs.cloud import environment
    from mlops_labs.cloud.aws_sandbox import AwsSandbox
    from mlops_labs.labs import ingest_model
    from mlops_labs.warehouse.engine import Warehouse
    from mlops_labs.warehouse.sqlalchemy_dialect import create_engine

    with (
        AwsSandbox() as sandbox,
        environment.applied(sandbox.environment()),
        tempfile.TemporaryDirectory() as scratch,
    ):
        boto3.DEFAULT_SESSION = None
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        warehouse = Warehouse()
        # The floor is DuckDB's own writer. The sandbox's DuckDB may not write outside its
        # staging folder, so a plain database holds the table, on one thread as the sandbox's.
        plain = duckdb.connect(config={"threads": 1})
        try:
            (plain if way == FLOOR else warehouse.duckdb()).execute(TABLE.format(rows=rows))
            ingest = ingest_model.RedshiftIngest(create_engine(warehouse))
            actions = {
                WAYS[0]: lambda n: plain.execute(
                    f"COPY bench TO '{Path(scratch, n)}.parquet' (FORMAT PARQUET)"
                ),
                WAYS[1]: lambda n: ingest_model.stage_table_to_s3(
                    ingest, "bench", f"s3://{BUCKET}/parquet-{n}/"
                ),
                WAYS[2]: lambda n: ingest_model.stage_table_to_s3(
                    ingest, "bench", f"s3://{BUCKET}/csv-{n}/", fmt="CSV"
                ),
                WAYS[3]: lambda n: ingest_model.quick_sample_pipeline(
                    ingest, "bench", f"s3://{BUCKET}/client-{n}.parquet"
                ),
            }
            figures = {}
            for state in ("cold", "warm"):  # each to its own key: nothing is overwritten
                started = time.perf_counter()
                actions[way](state)
                figures[state] = time.perf_counter() - started
        finally:
            plain.close()
            warehouse.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one-run", metavar="WAY", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        fresh.report(one_run(args.one_run, args.rows[0]))
        return
    script = str(Path(__file__).resolve())
    runs: dict[tuple[int, str], list[dict[str, float]]] = {}
    # Round by round, so the shared machine's drifting load weighs on every way alike.
    for _ in range(args.repeat):
        for rows in args.rows:
            for way in WAYS:
                command = [sys.executable, script, "--one-run", way, "--rows", str(rows)]
                runs.setdefault((rows, way), []).append(fresh.figures(command))
    print(f"median of {args.repeat} runs\n{fresh.COLD}")
    print("warm: the same staging again in that process, to another key")
    print(f"{'':28}{'cold s':>9}{'rows/s':>13}{'x floor':>10}{'warm s':>9}{'x floor':>10}")
    for rows in args.rows:
        print(f"{rows:,} rows")
        median = {
            (way, state): statistics.median(run[state] for run in runs[rows, way])
            for way in WAYS
            for state in ("cold", "warm")
        }
        floor_cold, floor_warm = median[FLOOR, "cold"], median[FLOOR, "warm"]
        for way in WAYS:
            cold, warm = median[way, "cold"], median[way, "warm"]
            print(
                f"  {way:<26}{cold:9.3f}{rows / cold:13,.0f}{cold / floor_cold:9.2f}x"
                f"{warm:9.3f}{warm / floor_warm:9.2f}x"
            )


if __name__ == "__main__":
    main()
