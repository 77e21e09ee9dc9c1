"""Benchmark: staging a Redshift table to S3 with UNLOAD against the client-side path.

For each size, times (median of --repeat runs) DuckDB writing the table to a local Parquet
file (the floor), UNLOAD as Parquet and as CSV to the offline S3, and the client-side path
(pd.read_sql through the DB-API driver, to_parquet, one upload). Prints rows/s and ratios.
Usage: python benchmarks/lab_6_2_staging.py [--rows 100000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import boto3

from mlops_labs.cloud import environment
from mlops_labs.cloud.aws_sandbox import AwsSandbox
from mlops_labs.labs import ingest_model
from mlops_labs.warehouse.engine import Warehouse
from mlops_labs.warehouse.sqlalchemy_dialect import create_engine

BUCKET = "staging-bench"


def _table(warehouse: Warehouse, rows: int) -> None:
    """A customers-like table of ``rows`` rows, made inside DuckDB (setup, not measured)."""
    warehouse.duckdb().execute(
        f"""CREATE OR REPLACE TABLE bench AS SELECT
            'C' || lpad(CAST(i AS VARCHAR), 8, '0') AS customer_id,
            CAST(i % 72 AS INTEGER) AS tenure_months,
            ['month-to-month', 'one-year', 'two-year'][1 + i % 3] AS contract,
            CAST(20 + (i * 7919) % 9000 / 100.0 AS DECIMAL(8, 2)) AS monthly_charges,
            CAST(i % 5 AS INTEGER) AS support_calls,
            (i * 31) % 97 / 3.0 AS minutes_28d,
            CAST(i % 4 = 0 AS INTEGER) AS churned
        FROM range({rows}) t(i)"""
    )


def _median(action: Callable[[int], object], repeat: int) -> float:
    times = []
    for attempt in range(repeat):
        started = time.perf_counter()
        action(attempt)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _measure(
    warehouse: Warehouse, ingest: ingest_model.RedshiftIngest, rows: int, local: Path, repeat: int
) -> dict[str, float]:
    """Median seconds of each way of staging a ``rows``-row table."""
    _table(warehouse, rows)
    base = f"s3://{BUCKET}/{rows}"
    return {
        "DuckDB to local Parquet": _median(
            lambda n: warehouse.duckdb().execute(f"COPY bench TO '{local}' (FORMAT PARQUET)"),
            repeat,
        ),
        "UNLOAD Parquet to S3": _median(
            lambda n: ingest_model.stage_table_to_s3(ingest, "bench", f"{base}/parquet-{n}/"),
            repeat,
        ),
        "UNLOAD CSV to S3": _median(
            lambda n: ingest_model.stage_table_to_s3(
                ingest, "bench", f"{base}/csv-{n}/", fmt="CSV"
            ),
            repeat,
        ),
        "client-side Parquet to S3": _median(
            lambda n: ingest_model.quick_sample_pipeline(
                ingest, "bench", f"{base}/client-{n}.parquet"
            ),
            repeat,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with AwsSandbox() as sandbox, environment.applied(sandbox.environment()):
        boto3.DEFAULT_SESSION = None
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        warehouse = Warehouse()
        ingest = ingest_model.RedshiftIngest(create_engine(warehouse))
        with tempfile.TemporaryDirectory() as scratch:
            local = Path(scratch) / "bench.parquet"
            for rows in args.rows:
                results = _measure(warehouse, ingest, rows, local, args.repeat)
                floor = results["DuckDB to local Parquet"]
                print(f"{rows:,} rows (median of {args.repeat})")
                for name, seconds in results.items():
                    print(
                        f"  {name:<26} {seconds:7.3f} s  {rows / seconds:12,.0f} rows/s"
                        f"  {seconds / floor:6.2f}x local Parquet"
                    )
        warehouse.close()


if __name__ == "__main__":
    main()
