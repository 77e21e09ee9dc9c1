"""Benchmark: each offline sandbox under a bounded concurrent load, through the official clients.

For each workload, a fresh interpreter (see fresh.py) serves the sandbox and another makes one
client per thread, uses each once (none of it timed), then runs --clients threads for --seconds:
  BigQuery  google-cloud-bigquery Client.query_and_wait of a small SELECT (one jobs.query each)
  S3        boto3 put_object of a small object, then get_object of it, bytes compared (moto);
            every key put is listed at the end
  Data API  boto3 redshift-data execute_statement of a small SELECT, describe_statement until
            FINISHED, get_statement_result; then, for a quarter of --seconds, INSERTs of one
            row each (execute + describe until FINISHED), the table read back after
With --same-process the clients run in the sandbox's interpreter, as a lab's pytest run does
(one GIL for both). Prints operations per second, p50 and p99 latency, errors, lost writes and
the sandbox process's resident memory before and after the load, with ratios to the reference
figures below. Every loop is bounded in count and time; all traffic goes to 127.0.0.1.
With --baseline DIR (a checkout of earlier code, e.g. `git worktree add /tmp/before REV`), each
workload is run against that code's sandbox too, just before this code's, and the ratios are
to it: on a shared machine, figures minutes apart move more than most changes do.
Usage: python benchmarks/sandbox_load.py [--seconds 60] [--clients 16] [--same-process]
       [--baseline DIR]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fresh

WORKLOADS = ("bigquery", "s3", "data-api")
LABELS = {
    "bigquery": "BigQuery jobs.query",
    "s3": "S3 put+get",
    "data-api": "Data API execute+describe+get",
    "data-api-insert": "Data API INSERT execute+describe",
}
# Measured on this 2-core machine before the BigQuery sandbox ran jobs on workers (jobs.insert
# answering after a window) and the Data API ran statements on a worker; 0 errors in each. How
# they were measured is not recorded: this script's default layout, run on the code of then
# (b40641f^), gave 393-460 jobs.query/s and 187-244 S3 put+get/s, so it compares.
REFERENCE_DATE = "2026-12-07"
REFERENCE = {"bigquery": 448.0, "s3": 256.0, "data-api": 208.0}
REFERENCE_P99_MS = {"bigquery": 87.0}
BELOW = 0.8  # a ratio under this is a regression worth a look

# Bounds: every call, every operation, every loop, every process.
HTTP_S = 15.0  # one request
OPERATION_S = 30.0  # one operation, its describes included
MAX_OPERATIONS = 1_000_000  # per client and phase, far above what any sandbox answers
MAX_POLLS = 500  # describe_statement calls per statement
POLL_PAUSE_S = 0.005  # between a statement's describes after the first
JOIN_S = OPERATION_S + HTTP_S  # the longest a client thread may take to end past its deadline
START_S = 120.0  # the longest a sandbox's process may take to start serving
STOP_S = 30.0  # ... and to stop once told
ERROR_KINDS_SHOWN = 3

SELECT = "SELECT 1 AS one, 'ok' AS word"  # the same text for BigQuery and Redshift
EXPECTED = [(1, "ok")]
OBJECT_BYTES = 1024
BUCKET = "load-bench"
TABLE = "load_rows"
CLUSTER = {"ClusterIdentifier": "load-bench", "Database": "dev", "DbUser": "bench"}
REGION = "us-east-1"
# The AWS sandbox's own placeholders (mlops_labs.cloud.aws_sandbox): never shaped like keys.
ACCESS_KEY = ("mlops-labs-offline", "mlops-labs-offline-placeholder")

Operation = Callable[[int, "Outcome"], int]


# Memory


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory of process ``pid`` now and at its peak, in MB (NaN where unknown)."""
    figures = {"VmRSS": float("nan"), "VmHWM": float("nan")}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in figures:
                    figures[name] = int(value.split()[0]) / 1024
    except OSError:  # no /proc: this process's own peak only (KB on Linux, bytes on macOS)
        if pid == os.getpid():
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            figures["VmHWM"] = peak / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {"rss": figures["VmRSS"], "peak": figures["VmHWM"]}


# Running a phase


class Wrong(Exception):
    """An answer that came back without error but is not the right one."""


class Outcome:
    """What one phase's clients saw: latencies, requests, errors and the writes they made."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.requests = 0
        self.errors: collections.Counter[str] = collections.Counter()
        self.first_error: dict[str, str] = {}
        self.lost = 0  # confirmed writes not read back as written
        self.written: list[Any] = []  # what each confirmed write wrote (a key, a row)
        self.unsure = 0  # writes answered with an error: done or not, the client cannot know

    def error(self, error: BaseException) -> None:
        kind = type(error).__name__
        response = getattr(error, "response", None)
        if isinstance(response, dict):  # botocore's ClientError: add the service's error code
            kind = f"{kind}:{response.get('Error', {}).get('Code', '?')}"
        with self.lock:
            self.errors[kind] += 1
            self.first_error.setdefault(kind, " ".join(str(error).split())[:160])


def run_phase(operations: list[Operation], seconds: float, outcome: Outcome) -> float:
    """Each client's operation in a thread of its own until ``seconds`` pass; the seconds taken.

    An operation returns how many requests it made. Each thread stops by itself at the deadline
    or after MAX_OPERATIONS; Ctrl-C stops them too, and is raised again once they have ended.
    """
    stop = threading.Event()
    start = threading.Barrier(len(operations) + 1)
    deadline = [0.0]

    def client(operation: Operation) -> None:
        latencies, requests = [], 0
        try:
            start.wait(timeout=START_S)
        except threading.BrokenBarrierError:
            return
        for number in range(MAX_OPERATIONS):
            if stop.is_set() or time.perf_counter() >= deadline[0]:
                break
            began = time.perf_counter()
            try:
                requests += operation(number, outcome)
            except Exception as error:  # counted; the client carries on
                outcome.error(error)
            else:
                latencies.append(time.perf_counter() - began)
        with outcome.lock:
            outcome.latencies.extend(latencies)
            outcome.requests += requests

    threads = [
        threading.Thread(target=client, args=(op,), daemon=True, name=f"load-client-{n}")
        for n, op in enumerate(operations)
    ]
    for thread in threads:
        thread.start()
    try:
        began = time.perf_counter()
        deadline[0] = began + seconds
        start.wait(timeout=START_S)
        for thread in threads:
            thread.join(timeout=max(0.0, deadline[0] + JOIN_S - time.perf_counter()))
        return time.perf_counter() - began
    finally:  # Ctrl-C included: no client thread outlives the phase by more than its bounds
        stop.set()
        start.abort()
        for thread in threads:
            thread.join(timeout=JOIN_S)


def measure(
    operations: list[Operation], seconds: float, server_pid: int, *, warm_up: bool = True
) -> tuple[dict[str, Any], Outcome]:
    """Each operation once, untimed (the warm-up); then the timed phase, memory around it."""
    if warm_up:
        scratch = Outcome()
        for index, operation in enumerate(operations):
            operation(-1 - index, scratch)
    before = memory_mb(server_pid)
    outcome = Outcome()
    elapsed = run_phase(operations, seconds, outcome)
    after = memory_mb(server_pid)
    done = len(outcome.latencies)
    ms = sorted(1000 * s for s in outcome.latencies)
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if done >= 2 else ms * 99
    figures = {
        "seconds": elapsed,
        "operations": done,
        "ops_per_s": done / elapsed,
        "requests_per_s": outcome.requests / elapsed,
        "p50_ms": cuts[49] if cuts else float("nan"),
        "p99_ms": cuts[98] if cuts else float("nan"),
        "max_ms": ms[-1] if ms else float("nan"),
        "errors": sum(outcome.errors.values()),
        "error_kinds": [
            f"{count} x {kind}: {outcome.first_error[kind]}"
            for kind, count in outcome.errors.most_common(ERROR_KINDS_SHOWN)
        ],
        "lost": outcome.lost,
        "unsure": outcome.unsure,
        "rss_before_mb": before["rss"],
        "rss_after_mb": after["rss"],
        "peak_mb": after["peak"],
    }
    return figures, outcome


# The sandboxes


@contextlib.contextmanager
def serve(name: str) -> Iterator[str]:
    """Sandbox ``name`` serving in this process for the block; its endpoint."""
    if name == "bigquery":
        from mlops_labs.bigquery.server import BigQuerySandbox

        with BigQuerySandbox(bigquery_ml=False) as sandbox:
            yield sandbox.endpoint
    elif name == "s3":
        from mlops_labs.cloud.aws_sandbox import AwsSandbox

        with AwsSandbox() as sandbox:
            yield sandbox.endpoint
    else:
        from mlops_labs.warehouse.data_api.server import DataApiServer
        from mlops_labs.warehouse.engine import Warehouse

        warehouse = Warehouse()
        try:
            with DataApiServer(warehouse) as server:
                yield server.endpoint
        finally:
            warehouse.close()


def serve_until_told(name: str) -> None:
    """In a sandbox's own process: serve, print the endpoint, stop at a line or EOF on stdin."""
    import mlops_labs

    with serve(name) as endpoint:
        code = str(Path(mlops_labs.__file__).resolve().parent.parent)
        print(json.dumps({"endpoint": endpoint, "code": code}), flush=True)
        sys.stdin.readline()  # the parent's word, or its end (EOF): either stops the sandbox


@contextlib.contextmanager
def sandbox_process(name: str, temp: Path, code: Path | None = None) -> Iterator[tuple[str, int]]:
    """Sandbox ``name`` in a fresh process of its own for the block; its endpoint and pid.

    ``code``: the checkout whose mlops_labs serves (this one's if None).
    """
    env = {**os.environ, "TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp)}
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", name]
    with (
        open(temp / "sandbox.err", "w+", encoding="utf-8") as err,
        subprocess.Popen(
            command,
            cwd=fresh.ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,  # a Ctrl-C at the terminal reaches it once, from here
        ) as process,
    ):
        try:
            first: list[str] = []
            reader = threading.Thread(
                target=lambda: first.append(process.stdout.readline()), daemon=True
            )
            reader.start()
            reader.join(START_S)
            if not first or not first[0]:
                err.seek(0)
                sys.exit(f"{name}: the sandbox's process did not start\n{err.read()}")
            started = json.loads(first[0])
            if Path(started["code"]) != (code or Path(fresh.ROOT)).resolve():
                sys.exit(f"{name}: the sandbox ran the code in {started['code']}, not {code}")
            yield started["endpoint"], process.pid
        finally:  # every exit path: told to stop, then interrupted, then killed
            with contextlib.suppress(OSError):
                process.stdin.close()
            try:
                process.wait(timeout=STOP_S)
            except BaseException:
                with contextlib.suppress(OSError):
                    process.send_signal(signal.SIGINT if os.name == "posix" else signal.SIGTERM)
                try:
                    process.wait(timeout=STOP_S)
                finally:
                    if process.poll() is None:
                        process.kill()
                        process.wait()


# The clients and their workloads


def boto_client(service: str, endpoint: str) -> Any:
    """A boto3 client of a session of its own: one attempt per call, bounded in time."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY[0],
        aws_secret_access_key=ACCESS_KEY[1],
        config=Config(
            retries={"total_max_attempts": 1}, connect_timeout=HTTP_S, read_timeout=HTTP_S
        ),
    )


def load_bigquery(endpoint: str, seconds: float, clients: int, pid: int) -> dict[str, Any]:
    import google.auth.credentials
    from google.cloud import bigquery

    saved = os.environ.get("BIGQUERY_EMULATOR_HOST")
    os.environ["BIGQUERY_EMULATOR_HOST"] = endpoint  # read when each client is made
    try:
        made = [
            bigquery.Client(
                project="mlops-labs-sandbox",
                credentials=google.auth.credentials.AnonymousCredentials(),
            )
            for _ in range(clients)
        ]
    finally:
        if saved is None:
            os.environ.pop("BIGQUERY_EMULATOR_HOST", None)
        else:
            os.environ["BIGQUERY_EMULATOR_HOST"] = saved

    def operation(client: Any) -> Operation:
        def query(_number: int, _outcome: Outcome) -> int:
            rows = client.query_and_wait(SELECT, api_timeout=HTTP_S, wait_timeout=HTTP_S)
            got = [tuple(row.values()) for row in rows]
            if got != EXPECTED:
                raise Wrong(f"jobs.query answered {got!r}")
            return 1

        return query

    return measure([operation(client) for client in made], seconds, pid)[0]


def load_s3(endpoint: str, seconds: float, clients: int, pid: int) -> dict[str, Any]:
    made = [boto_client("s3", endpoint) for _ in range(clients)]
    made[0].create_bucket(Bucket=BUCKET)

    def operation(index: int, s3: Any) -> Operation:
        def put_get(number: int, outcome: Outcome) -> int:
            key = f"client-{index:02d}/{number:07d}"  # the warm-up's numbers are negative
            body = os.urandom(OBJECT_BYTES)
            try:
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            except Exception:
                with outcome.lock:
                    outcome.unsure += 1
                raise
            with outcome.lock:
                outcome.written.append(key)
            try:
                got = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            except Exception as error:
                if getattr(error, "response", {}).get("Error", {}).get("Code") == "NoSuchKey":
                    with outcome.lock:
                        outcome.lost += 1
                raise
            if got != body:
                with outcome.lock:
                    outcome.lost += 1
                raise Wrong(f"get_object of {key} read {len(got)} other bytes")
            return 2

        return put_get

    figures, outcome = measure(
        [operation(index, s3) for index, s3 in enumerate(made)], seconds, pid
    )
    listed: set[str] = set()
    token: dict[str, str] = {}
    for _page in range(len(outcome.written) // 1000 + 2):  # bounded: every key fits in these
        page = made[0].list_objects_v2(Bucket=BUCKET, Prefix="client-", **token)
        listed.update(item["Key"] for item in page.get("Contents", []))
        if not page.get("IsTruncated"):
            break
        token = {"ContinuationToken": page["NextContinuationToken"]}
    figures["unlisted"] = len(set(outcome.written) - listed)
    figures["lost"] += figures["unlisted"]
    return figures


def finished(client: Any, statement_id: str) -> int:
    """Describe a statement until it is FINISHED (bounded); the describes it took."""
    ends = time.perf_counter() + OPERATION_S
    for poll in range(1, MAX_POLLS + 1):
        status = client.describe_statement(Id=statement_id)
        if status["Status"] == "FINISHED":
            return poll
        if status["Status"] in ("FAILED", "ABORTED"):
            raise Wrong(f"statement {status['Status']}: {status.get('Error', '')}")
        if time.perf_counter() >= ends:
            break
        time.sleep(POLL_PAUSE_S)
    raise Wrong(f"statement not FINISHED after {poll} describes")


def run_sql(client: Any, sql: str) -> list[tuple[Any, ...]]:
    """One statement run to its end through the Data API; its rows (every page, bounded)."""
    statement = client.execute_statement(Sql=sql, **CLUSTER)["Id"]
    finished(client, statement)
    if not client.describe_statement(Id=statement).get("HasResultSet"):
        return []
    rows, token = [], {}
    for _page in range(10_000):
        page = client.get_statement_result(Id=statement, **token)
        rows += [tuple(next(iter(field.values())) for field in r) for r in page["Records"]]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    return rows


def load_data_api(endpoint: str, seconds: float, clients: int, pid: int) -> dict[str, Any]:
    made = [boto_client("redshift-data", endpoint) for _ in range(clients)]
    run_sql(made[0], f"CREATE TABLE {TABLE} (client INTEGER, n INTEGER)")

    def select(client: Any) -> Operation:
        def execute_describe_get(_number: int, _outcome: Outcome) -> int:
            statement = client.execute_statement(Sql=SELECT, **CLUSTER)["Id"]
            polls = finished(client, statement)
            records = client.get_statement_result(Id=statement)["Records"]
            got = [(r[0]["longValue"], r[1]["stringValue"]) for r in records]
            if got != EXPECTED:
                raise Wrong(f"get_statement_result answered {got!r}")
            return 2 + polls

        return execute_describe_get

    def insert(index: int, client: Any) -> Operation:
        def execute_describe(number: int, outcome: Outcome) -> int:
            sql = f"INSERT INTO {TABLE} VALUES ({index}, {number})"
            try:
                statement = client.execute_statement(Sql=sql, **CLUSTER)["Id"]
                polls = finished(client, statement)
            except Exception:
                with outcome.lock:
                    outcome.unsure += 1
                raise
            with outcome.lock:
                outcome.written.append((index, number))
            return 1 + polls

        return execute_describe

    figures = measure([select(client) for client in made], seconds, pid)[0]
    inserts, outcome = measure(
        [insert(index, client) for index, client in enumerate(made)],
        max(1.0, seconds / 4),
        pid,
        warm_up=False,  # the clients are warm from the SELECTs
    )
    rows = run_sql(made[0], f"SELECT client, n FROM {TABLE}")
    written = set(outcome.written)
    inserts["lost"] = len(written - set(rows))
    inserts["rows"] = len(rows)
    inserts["duplicates"] = len(rows) - len(set(rows))
    figures["insert"] = inserts
    return figures


LOADS = {"bigquery": load_bigquery, "s3": load_s3, "data-api": load_data_api}


def one_run(name: str, endpoint: str | None, pid: int, seconds: float, clients: int) -> None:
    """In a fresh process: the clients' figures, as the last line (see fresh.figures)."""
    if endpoint is not None:
        fresh.report(LOADS[name](endpoint, seconds, clients, pid))
        return
    with serve(name) as own:
        fresh.report(LOADS[name](own, seconds, clients, os.getpid()))


# The parent: the processes, then the table


def show(name: str, figures: dict[str, Any], against: float | None, label: str = "") -> None:
    ratio = f"{figures['ops_per_s'] / against:5.2f}x" if against else "-"
    lost = "n/a" if name in ("bigquery", "data-api") else str(figures["lost"])
    print(
        f"{LABELS[name] + label:<45}{figures['ops_per_s']:7.0f}{ratio:>7}"
        f"{figures['requests_per_s']:7.0f}"
        f"{figures['p50_ms']:8.1f}{figures['p99_ms']:8.1f}{figures['max_ms']:7.0f}"
        f"{figures['operations']:>8}{figures['errors']:>7}{lost:>6}"
        f"{figures['rss_before_mb']:>8.0f}{figures['rss_after_mb']:>7.0f}{figures['peak_mb']:>7.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="per workload (default 60)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--only", choices=WORKLOADS, nargs="+", default=list(WORKLOADS))
    parser.add_argument(
        "--same-process", action="store_true", help="clients in the sandbox's interpreter"
    )
    parser.add_argument("--serve", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--one-run", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--pid", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path, help="a checkout of earlier code to compare with")
    args = parser.parse_args()
    if args.baseline is not None and not (args.baseline / "mlops_labs").is_dir():
        parser.error(f"--baseline {args.baseline}: no mlops_labs package there")
    if args.baseline is not None and args.same_process:
        parser.error("--baseline compares sandboxes in processes of their own: drop --same-process")
    if not 0 < args.seconds <= 3600 or not 0 < args.clients <= 256:
        parser.error("--seconds must be in (0, 3600] and --clients in (0, 256]")
    # A SIGTERM ends any of these processes as Ctrl-C does: threads and sandboxes stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if args.serve:
        serve_until_told(args.serve)
        return
    if args.one_run:
        one_run(args.one_run, args.endpoint, args.pid, args.seconds, args.clients)
        return
    script = str(Path(__file__).resolve())
    results, baseline = {}, {}
    for name in args.only:
        command = [sys.executable, script, "--one-run", name]
        command += ["--seconds", str(args.seconds), "--clients", str(args.clients)]
        if args.same_process:
            results[name] = fresh.figures(command)
            continue
        runs = [(baseline, args.baseline.resolve())] if args.baseline else []
        for into, code in [*runs, (results, None)]:
            with fresh.scratch() as temp, sandbox_process(name, temp, code) as (endpoint, pid):
                into[name] = fresh.figures([*command, "--endpoint", endpoint, "--pid", str(pid)])
    report(results, baseline, args)


def report(
    results: dict[str, dict[str, Any]],
    baseline: dict[str, dict[str, Any]],
    args: argparse.Namespace,
) -> None:
    reference = ", ".join(
        f"{LABELS[name]} {REFERENCE[name]:.0f} ops/s"
        + (f" (p99 {REFERENCE_P99_MS[name]:.0f} ms)" if name in REFERENCE_P99_MS else "")
        for name in REFERENCE
    )
    where = (
        "the clients in the sandbox's interpreter (one GIL for both, as in a lab's pytest run)"
        if args.same_process
        else "the sandbox in a fresh interpreter of its own, the clients in another"
    )
    print(
        f"{args.clients} client threads, each with its own client, for {args.seconds:g} s per "
        f"sandbox (then Data API INSERTs for {max(1.0, args.seconds / 4):g} s);\n{where}\n"
        "warm: each sandbox started once, its clients made and each used once before timing; "
        "the machine (2 cores) may be shared\n"
        "BigQuery: google-cloud-bigquery Client.query_and_wait (one jobs.query each); "
        "S3 (moto) and Data API: boto3\n"
        f"reference, before the limits ({REFERENCE_DATE}, this 2-core machine): {reference}; "
        "0 errors"
    )
    if baseline:
        print(f"baseline: the code in {args.baseline}, each workload run just before this code's")
    print(
        f"\n{'':45}{'ops/s':>7}{'x base' if baseline else 'x ref':>7}{'req/s':>7}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>7}"
        f"{'ops':>8}{'errors':>7}{'lost':>6}{'RSS MB':>8}{'after':>7}{'peak':>7}"
    )
    notes = []

    def against(name: str) -> float | None:
        if baseline:
            kind = "insert" if name == "data-api-insert" else None
            base = baseline["data-api"] if kind else baseline.get(name)
            return (base[kind] if kind else base)["ops_per_s"] if base else None
        return REFERENCE.get(name)

    for name, figures in results.items():
        if name in baseline:
            show(name, baseline[name], None, " (baseline)")
            if name == "data-api":
                show("data-api-insert", baseline[name]["insert"], None, " (baseline)")
        show(name, figures, against(name))
        for kind in figures["error_kinds"]:
            notes.append(f"{LABELS[name]}: {kind}")
        if name == "bigquery":
            notes.append(
                f"BigQuery p99 {figures['p99_ms']:.0f} ms, "
                f"{figures['p99_ms'] / REFERENCE_P99_MS[name]:.2f}x the reference's"
            )
        if name == "s3":
            notes.append(
                f"S3 lost writes: objects put (and confirmed) not read back with the same bytes, "
                f"or not listed after ({figures['unlisted']}); {figures['unsure']} puts answered "
                "with an error"
            )
        if name == "data-api":
            insert = figures["insert"]
            show("data-api-insert", insert, against("data-api-insert"))
            for kind in insert["error_kinds"]:
                notes.append(f"{LABELS['data-api-insert']}: {kind}")
            notes.append(
                f"Data API lost writes: of {insert['operations']} INSERTs FINISHED, "
                f"{insert['lost']} not in the table, which holds {insert['rows']} rows "
                f"({insert['duplicates']} duplicates; {insert['unsure']} INSERTs answered with "
                "an error)"
            )
    print(
        "an operation: one jobs.query, one put+get, or one execute+describe(s)[+get]; "
        + (
            "x base: ops/s over the baseline's;\n"
            if baseline
            else "x ref: ops/s over the reference's;\n"
        )
        + "RSS MB: the sandbox process's resident memory before the load, after it, and its peak\n"
    )
    print("\n".join(notes))
    regressed = [
        LABELS[name] for name, f in results.items() if f["ops_per_s"] < BELOW * against(name)
    ]
    what = "the baseline" if baseline else "the reference"
    print(f"below {BELOW}x {what}: " + (", ".join(regressed) if regressed else "none"))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # everything it started has been stopped by now
        sys.exit("interrupted")
