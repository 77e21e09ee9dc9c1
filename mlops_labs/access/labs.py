"""The identities each lab runs as, their policy files, and what the scenarios cannot show.

Most of what a lab needs is read from the cassettes. Code paths the scenarios never take (a
checksum mismatch, a registration failing after the upload, a statement outliving its timeout,
an artifact overwritten on a re-run) are declared here, each with its reason and the lab
function whose source makes the call. Calls a service makes on the caller's behalf (the Data
API fetching database credentials, BigQuery writing an export) follow from the recorded
requests instead (see ``permissions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROOT_POLICIES = "policies"


@dataclass(frozen=True)
class Declared:
    """A permission for a code path no scenario takes, with the code that takes it."""

    permission: str
    reason: str
    code: str  # module.function of the lab code
    needle: str  # text in that function's source that makes the call
    source: str = ""  # documentation, where the permission follows from it


@dataclass(frozen=True)
class Identity:
    """One identity a lab's calls run as, and the files that grant it what it needs."""

    id: str
    lab: str
    title: str
    cloud: str
    policy: str
    grants: str | None = None
    trust: str | None = None
    declared: tuple[Declared, ...] = ()
    # The placeholder values the recorded scenarios used (several where scenarios differ).
    scenario_values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def files(self) -> tuple[str, ...]:
        """The policy files, repo-relative: the policy or role, then grants or trust."""
        return tuple(f for f in (self.policy, self.grants, self.trust) if f)


_GCS_OVERWRITE = "https://cloud.google.com/storage/docs/access-control/iam-permissions"
_REGION_ACCOUNT = {"Region": ("us-east-1",), "Account": ("123456789012",)}

IDENTITIES: tuple[Identity, ...] = (
    Identity(
        id="6.1",
        lab="6.1",
        title="Lab 6.1 trainer (EC2 instance profile or SageMaker execution role)",
        cloud="aws",
        policy=f"{ROOT_POLICIES}/aws/lab-6.1-trainer.json",
        declared=(
            Declared(
                "s3:DeleteObject",
                "an upload whose SHA-256 does not match is deleted, and so is the artifact when "
                "registration fails after it; no scenario makes S3 or SageMaker fail that way",
                "model.train",
                "delete_object",
            ),
            Declared(
                "s3:AbortMultipartUpload",
                "upload_file switches to a multipart upload above 8 MB and aborts it when a part "
                "fails; the scenarios' models are a few kilobytes",
                "model._s3_persist",
                "upload_file",
                "https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html",
            ),
        ),
        scenario_values={
            **_REGION_ACCOUNT,
            "DataBucket": ("churn-artifacts", "churn-lake"),
            "DataPrefix": ("data/", "staged/"),
            "ArtifactBucket": ("churn-artifacts",),
            "ArtifactPrefix": ("models/",),
            "PredictionPrefix": ("predictions/",),
            "ModelPackageGroup": ("churn-classifier",),
            "MetricsNamespace": ("MLOpsLabs/Churn",),
        },
    ),
    Identity(
        id="6.2",
        lab="6.2",
        title="Lab 6.2 pipeline (the identity running the Redshift steps)",
        cloud="aws",
        policy=f"{ROOT_POLICIES}/aws/lab-6.2-pipeline.json",
        declared=(
            Declared(
                "redshift-data:CancelStatement",
                "a statement still running after timeout_s is cancelled; the scenarios' "
                "statements finish at once",
                "ingest_model.read_with_data_api",
                "cancel_statement",
            ),
        ),
        scenario_values={
            **_REGION_ACCOUNT,
            "ClusterIdentifier": ("churn-cluster",),
            "DbUser": ("ml_pipeline",),
            "Database": ("dev",),
            "Bucket": ("churn-lake",),
            "StagingPrefix": ("staged/", "unload/", "client/"),
        },
    ),
    Identity(
        id="6.2-cluster",
        lab="6.2",
        title="Lab 6.2 Redshift cluster role (assumed by the cluster for COPY and UNLOAD)",
        cloud="aws",
        policy=f"{ROOT_POLICIES}/aws/lab-6.2-redshift-cluster-role.json",
        trust=f"{ROOT_POLICIES}/aws/lab-6.2-redshift-cluster-trust.json",
        scenario_values={
            "Bucket": ("churn-lake",),
            "InputPrefix": ("raw/",),
            "StagingPrefix": ("staged/", "unload/"),
        },
    ),
    Identity(
        id="6.4",
        lab="6.4",
        title="Lab 6.4 set-up (and Lab 6.1's trainer writing to gs://)",
        cloud="gcp",
        policy=f"{ROOT_POLICIES}/gcp/lab-6.4-role.yaml",
        grants=f"{ROOT_POLICIES}/gcp/lab-6.4-grants.yaml",
        declared=(
            Declared(
                "storage.objects.delete",
                "the trainer names its artifact after its inputs, so a re-run writes the same "
                "object again, and Cloud Storage needs storage.objects.delete to overwrite; the "
                "scenario writes to a new bucket once",
                "dat.GcsHandle.write_bytes",
                "upload_from_string",
                _GCS_OVERWRITE,
            ),
        ),
    ),
    Identity(
        id="6.5",
        lab="6.5",
        title="Lab 6.5 BigQuery ML and Vertex AI",
        cloud="gcp",
        policy=f"{ROOT_POLICIES}/gcp/lab-6.5-role.yaml",
        grants=f"{ROOT_POLICIES}/gcp/lab-6.5-grants.yaml",
    ),
)

LABS = ("6.1", "6.2", "6.4", "6.5")
# The broad roles the workshop text asks for, which the policies in policies/ replace.
WORKSHOP_ROLES = {
    "6.1": ("AmazonSageMakerFullAccess", "AmazonS3FullAccess"),
    "6.2": ("AmazonRedshiftFullAccess", "AmazonS3FullAccess"),
    "6.4": ("roles/storage.admin (Storage Admin)", "roles/aiplatform.admin (Vertex AI Admin)"),
    "6.5": ("roles/bigquery.admin (BigQuery Admin)", "roles/aiplatform.admin (Vertex AI Admin)"),
}


def identity(identity_id: str) -> Identity:
    """The identity ``6.1``, ``6.2``, ``6.2-cluster``, ``6.4`` or ``6.5``."""
    for found in IDENTITIES:
        if found.id == identity_id:
            return found
    known = ", ".join(i.id for i in IDENTITIES)
    raise KeyError(f"no identity {identity_id!r}: use one of {known}")


def identities_of(lab: str) -> tuple[Identity, ...]:
    """The identities of one lab (Lab 6.2 has two: the pipeline and the cluster role)."""
    found = tuple(i for i in IDENTITIES if i.lab == lab)
    if not found:
        raise KeyError(f"no lab {lab!r} with cloud access: use one of {', '.join(LABS)}")
    return found
