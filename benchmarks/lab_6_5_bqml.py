"""Benchmark: the workshop's penguins DNN_CLASSIFIER, trained and evaluated in the sandbox.

Each run is a fresh interpreter (see fresh.COLD) that starts the offline BigQuery sandbox and
creates the dataset (not timed), then times CREATE MODEL and ML.EVALUATE through
google-cloud-bigquery, twice: the first of each is cold; the second is warm, as the sandbox
reuses a model it trained in the same process on the same rows and options. The cold medians
are compared with the targets: under 3 s, accuracy at least 0.95. The penguins table has under
500 rows, so BigQuery's AUTO_SPLIT trains on every row and ML.EVALUATE scores those same rows;
the held-out line trains the same model with a 20% RANDOM split and scores only the rows it
never saw.
Usage: python benchmarks/lab_6_5_bqml.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import fresh

TARGET_SECONDS = 3.0
TARGET_ACCURACY = 0.95
HELD_OUT = (
    "CREATE OR REPLACE MODEL penguins.held_out OPTIONS(model_type = 'DNN_CLASSIFIER', "
    "input_label_cols = ['species'], data_split_method = 'RANDOM', "
    "data_split_eval_fraction = 0.2) AS SELECT * FROM `bigquery-public-data.ml_datasets.penguins`"
)


def one_run() -> dict[str, float]:
    """In this process (a fresh one): cold, then warm, CREATE MODEL and ML.EVALUATE."""
    # Imported here: the parent process only starts fresh ones and needs none of it.
    from google.cloud import bigquery

    from mlops_labs.cloud import environment
    from mlops_labs.cloud.gcp_sandbox import GoogleCloudSandbox
    from mlops_labs.labs import bqml

    figures: dict[str, float] = {}
    with GoogleCloudSandbox() as sandbox, environment.applied(sandbox.environment()):
        client = bigquery.Client()
        bqml.create_dataset(client)
        for state in ("cold", "warm"):
            started = time.perf_counter()
            bqml.train_model(client)
            figures[f"train {state}"] = time.perf_counter() - started
            started = time.perf_counter()
            metrics = bqml.evaluate_model(client)
            figures[f"evaluate {state}"] = time.perf_counter() - started
        client.query_and_wait(HELD_OUT)
        held_out = bqml.evaluate_model(client, model="held_out")
    return {
        **figures,
        "accuracy": metrics["accuracy"],
        "roc_auc": metrics["roc_auc"],
        "held-out accuracy": held_out["accuracy"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        fresh.report(one_run())
        return
    command = [sys.executable, str(Path(__file__).resolve()), "--one-run"]
    runs = [fresh.figures(command) for _ in range(args.repeat)]
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    cold = median["train cold"] + median["evaluate cold"]
    warm = median["train warm"] + median["evaluate warm"]
    print(f"median of {args.repeat} runs\n{fresh.COLD}")
    print("warm: the same statement again in that process (the sandbox reuses its model)")
    for name, key in (("CREATE MODEL", "train"), ("ML.EVALUATE", "evaluate")):
        print(
            f"{name:<17} cold {median[f'{key} cold']:5.2f} s   warm {median[f'{key} warm']:5.2f} s"
        )
    print(
        f"train + evaluate  cold {cold:5.2f} s   target < {TARGET_SECONDS:.1f} s   "
        f"{cold / TARGET_SECONDS:.2f}x of the target time   (warm {warm:.2f} s)"
    )
    print(f"accuracy          {median['accuracy']:.3f}     target >= {TARGET_ACCURACY:.2f}")
    print(f"roc_auc           {median['roc_auc']:.3f}")
    print(
        f"held-out accuracy {median['held-out accuracy']:.3f}     (20% RANDOM split, unseen rows)"
    )


if __name__ == "__main__":
    main()
