"""A dress rehearsal of live mode on this machine: the sandboxes stand in for the accounts.

``python -m mlops_labs.live.rehearsal [PYTEST ARGS]`` starts the AWS and Google Cloud
sandboxes, points the SDKs at them through their standard settings with placeholder
credentials (the way a real account is found), runs the scenarios with ``--cloud live`` and
then lists whatever the run left in them. It exits non-zero if a scenario failed or anything
is left: CI runs it over every scenario. Lab 6.2 runs on the embedded warehouse.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pytest

from ..cloud import environment
from ..cloud.aws_sandbox import AwsSandbox
from ..cloud.gcp_sandbox import GoogleCloudSandbox
from ..pytest_plugin import KIT_PLUGIN

ROLE = "arn:aws:iam::123456789012:role/RedshiftMLPipeline"


def live_arguments(project: str) -> list[str]:
    """The live settings a rehearsal passes: the embedded warehouse, the sandbox's project."""
    return [
        "--cloud=live",
        "--live-redshift-url=embedded",
        f"--live-redshift-iam-role={ROLE}",
        f"--live-project={project}",
    ]


def leftovers(gcp: GoogleCloudSandbox) -> dict[str, list[str]]:
    """What the sandboxes hold: anything here after a live run is a leak."""
    import boto3
    from google.cloud import storage

    s3 = boto3.client("s3")
    sagemaker = boto3.client("sagemaker")
    groups = sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
    found = {
        "S3 buckets": [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]],
        "SageMaker model package groups": [group["ModelPackageGroupName"] for group in groups],
        "Cloud Storage buckets": sorted(
            bucket.name for bucket in storage.Client(project=gcp.project).list_buckets()
        ),
        "BigQuery datasets": sorted(
            f"{project}.{dataset}"
            for project, dataset in gcp.bigquery.backend.catalog.datasets
            if project != "bigquery-public-data"
        ),
        "Vertex AI models": sorted(gcp.vertex_ai.backend.models),
        "Vertex AI endpoints": sorted(gcp.vertex_ai.backend.endpoints),
    }
    return {kind: names for kind, names in found.items() if names}


def rehearse(pytest_args: Sequence[str]) -> int:
    """Run ``pytest_args`` live against fresh sandboxes; non-zero on a failure or a leftover."""
    import boto3

    aws, gcp = AwsSandbox().start(), GoogleCloudSandbox().start()
    try:
        aws.reset()
        gcp.reset()
        with environment.applied({**aws.environment(), **gcp.environment()}):
            boto3.DEFAULT_SESSION = None
            # The kit's plugin by name: a rehearsal is the kit's run, wherever its scenarios are.
            arguments = ["-p", KIT_PLUGIN, *pytest_args, *live_arguments(gcp.project)]
            status = pytest.main(arguments)
            left = leftovers(gcp)
            boto3.DEFAULT_SESSION = None
    finally:
        gcp.stop()
        aws.stop()
    for kind, names in left.items():
        print(f"LEFT BEHIND: {kind}: {', '.join(names)}", file=sys.stderr)
    if left:
        return 1
    print("rehearsal: nothing left behind in the sandboxes")
    return int(status)


if __name__ == "__main__":
    sys.exit(rehearse(sys.argv[1:] or ["step_defs"]))
