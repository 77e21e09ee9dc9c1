"""Benchmark: the workshop's penguins DNN_CLASSIFIER, trained and evaluated in the sandbox.

Times CREATE MODEL and ML.EVALUATE through google-cloud-bigquery against the offline BigQuery
sandbox (median of --repeat runs), and prints them with the evaluation accuracy against the
targets: under 3 s, accuracy at least 0.95. The penguins table has under 500 rows, so
BigQuery's AUTO_SPLIT trains on every row and ML.EVALUATE scores those same rows; the held-out
line trains the same model with a 20% RANDOM split and scores only the rows it never saw.
Usage: python benchmarks/lab_6_5_bqml.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from google.cloud import bigquery

from mlops_labs.cloud import environment
from mlops_labs.cloud.gcp_sandbox import GoogleCloudSandbox
from mlops_labs.labs import bqml

TARGET_SECONDS = 3.0
TARGET_ACCURACY = 0.95
HELD_OUT = (
    "CREATE OR REPLACE MODEL penguins.held_out OPTIONS(model_type = 'DNN_CLASSIFIER', "
    "input_label_cols = ['species'], data_split_method = 'RANDOM', "
    "data_split_eval_fraction = 0.2) AS SELECT * FROM `bigquery-public-data.ml_datasets.penguins`"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    with GoogleCloudSandbox() as sandbox, environment.applied(sandbox.environment()):
        client = bigquery.Client()
        bqml.create_dataset(client)
        train, evaluate, metrics = [], [], {}
        for _ in range(repeat):
            started = time.perf_counter()
            bqml.train_model(client)
            train.append(time.perf_counter() - started)
            started = time.perf_counter()
            metrics = bqml.evaluate_model(client)
            evaluate.append(time.perf_counter() - started)
        client.query_and_wait(HELD_OUT)
        held_out = bqml.evaluate_model(client, model="held_out")
    total = statistics.median(train) + statistics.median(evaluate)
    print(
        f"median of {repeat}: CREATE MODEL {statistics.median(train):.2f} s, "
        f"ML.EVALUATE {statistics.median(evaluate):.2f} s"
    )
    print(
        f"train + evaluate  {total:5.2f} s   target < {TARGET_SECONDS:.1f} s   "
        f"{total / TARGET_SECONDS:.2f}x of the target time"
    )
    print(f"accuracy          {metrics['accuracy']:.3f}     target >= {TARGET_ACCURACY:.2f}")
    print(f"roc_auc           {metrics['roc_auc']:.3f}")
    print(f"held-out accuracy {held_out['accuracy']:.3f}     (20% RANDOM split, unseen rows)")


if __name__ == "__main__":
    main()
