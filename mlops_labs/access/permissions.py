"""Which IAM action (AWS) or IAM permission (Google Cloud) each API operation needs, and why.

Every rule names the page that documents it. A rule the documentation does not state outright
is marked ``inferred``, with the reasoning in ``note``. An operation without a rule is not
guessed at: ``permissions_for`` raises ``NoPermissionMapping`` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .operations import Call

_S3_API = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_{}.html"
_AUTHZ = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_{}.html"
_DATA_API_IAM = "https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html"
_GCS_IAM = "https://cloud.google.com/storage/docs/access-control/iam-json"
_BQ_CREATE_MODEL = (
    "https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create"
)
_BQ_EXPORT_MODEL = "https://cloud.google.com/bigquery/docs/exporting-models"
_BQ_MODELS = "https://cloud.google.com/bigquery/docs/managing-models"
_BQ_MODEL_METADATA = "https://cloud.google.com/bigquery/docs/getting-model-metadata"
_BQ_DATASETS = "https://cloud.google.com/bigquery/docs/datasets"
_BQ_QUERIES = "https://cloud.google.com/bigquery/docs/running-queries"
_VERTEX_IAM = "https://cloud.google.com/vertex-ai/docs/general/iam-permissions"
_VERTEX = "aiplatform.projects.locations."


@dataclass(frozen=True)
class Rule:
    """The permissions one operation needs, the page that says so, and a note if inferred."""

    permissions: tuple[str, ...]
    source: str
    note: str = ""
    inferred: bool = False


class NoPermissionMapping(LookupError):
    """An operation the table has no rule for: its permission is not guessed."""


def _s3(operation: str, *actions: str) -> tuple[str, Rule]:
    return f"s3:{operation}", Rule(actions, _S3_API.format(operation))


def _same_name(service: str, reference: str, *operations: str) -> dict[str, Rule]:
    """Operations whose IAM action has the operation's own name (the reference's table)."""
    return {
        f"{service}:{name}": Rule((f"{service}:{name}",), _AUTHZ.format(reference))
        for name in operations
    }


def _vertex(method: str, permission: str, note: str = "") -> tuple[str, Rule]:
    return _VERTEX + method, Rule((permission,), _VERTEX_IAM, note)


_LRO = "the permission to GET a long-running operation is that of the resource that started it"

RULES: dict[str, Rule] = {
    # Amazon S3: each operation's API reference page has a Permissions section.
    **dict(
        [
            _s3("CreateBucket", "s3:CreateBucket"),
            _s3("HeadBucket", "s3:ListBucket"),
            _s3("ListObjectsV2", "s3:ListBucket"),
            _s3("ListObjects", "s3:ListBucket"),
            _s3("GetBucketLocation", "s3:GetBucketLocation"),
            _s3("GetObject", "s3:GetObject"),
            _s3("HeadObject", "s3:GetObject"),
            _s3("PutObject", "s3:PutObject"),
            _s3("CopyObject", "s3:GetObject", "s3:PutObject"),
            _s3("DeleteObject", "s3:DeleteObject"),
            _s3("DeleteObjects", "s3:DeleteObject"),
            _s3("CreateMultipartUpload", "s3:PutObject"),
            _s3("UploadPart", "s3:PutObject"),
            _s3("CompleteMultipartUpload", "s3:PutObject"),
            _s3("AbortMultipartUpload", "s3:AbortMultipartUpload"),
            _s3("ListParts", "s3:ListMultipartUploadParts"),
        ]
    ),
    **_same_name(
        "sagemaker",
        "amazonsagemaker",
        "CreateModelPackageGroup",
        "DescribeModelPackageGroup",
        "ListModelPackageGroups",
        "CreateModelPackage",
        "DescribeModelPackage",
        "ListModelPackages",
        "UpdateModelPackage",
    ),
    **_same_name(
        "cloudwatch", "amazoncloudwatch", "PutMetricData", "GetMetricStatistics", "ListMetrics"
    ),
    **_same_name(
        "redshift-data",
        "amazonredshiftdataapi",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "DescribeStatement",
        "GetStatementResult",
        "CancelStatement",
        "ListStatements",
        "ListDatabases",
        "ListSchemas",
        "ListTables",
        "DescribeTable",
    ),
    "redshift-data:GetStatementResultV2": Rule(
        ("redshift-data:GetStatementResult",), _AUTHZ.format("amazonredshiftdataapi")
    ),
    **_same_name("redshift", "amazonredshift", "GetClusterCredentials", "DescribeClusters"),
    # Google OAuth 2.0: exchanging credentials for an access token is not an IAM-checked call.
    "oauth2.token": Rule(
        (),
        "https://developers.google.com/identity/protocols/oauth2/service-account",
        "a token exchange authenticates; IAM authorizes the calls made with the token",
    ),
    # Cloud Storage JSON API: "IAM permissions for JSON methods".
    "storage.buckets.get": Rule(("storage.buckets.get",), _GCS_IAM),
    "storage.buckets.insert": Rule(("storage.buckets.create",), _GCS_IAM),
    "storage.buckets.list": Rule(("storage.buckets.list",), _GCS_IAM),
    "storage.objects.get": Rule(("storage.objects.get",), _GCS_IAM),
    "storage.objects.list": Rule(("storage.objects.list",), _GCS_IAM),
    "storage.objects.insert": Rule(("storage.objects.create",), _GCS_IAM),
    "storage.objects.delete": Rule(("storage.objects.delete",), _GCS_IAM),
    # BigQuery: a query job needs bigquery.jobs.create, plus what its statement does.
    "bigquery.datasets.get": Rule(("bigquery.datasets.get",), _BQ_DATASETS),
    "bigquery.datasets.insert": Rule(("bigquery.datasets.create",), _BQ_DATASETS),
    "bigquery.models.get": Rule(("bigquery.models.getMetadata",), _BQ_MODEL_METADATA),
    "bigquery.jobs.query[CREATE SCHEMA]": Rule(
        ("bigquery.jobs.create", "bigquery.datasets.create"), _BQ_CREATE_MODEL
    ),
    "bigquery.jobs.query[CREATE MODEL]": Rule(
        (
            "bigquery.jobs.create",
            "bigquery.models.create",
            "bigquery.models.getData",
            "bigquery.models.updateData",
        ),
        _BQ_CREATE_MODEL,
        "reading the training query's tables needs bigquery.tables.getData on them; the labs "
        "read bigquery-public-data, which grants it to every authenticated user",
    ),
    "bigquery.jobs.query[ML.EVALUATE]": Rule(
        ("bigquery.jobs.create", "bigquery.models.getData"),
        _BQ_MODELS,
        "ML.EVALUATE's page names no permission; 'Manage models' says reading information "
        "from a model needs bigquery.models.getData, and every query job needs jobs.create",
        inferred=True,
    ),
    "bigquery.jobs.query[EXPORT MODEL]": Rule(
        ("bigquery.jobs.create", "bigquery.models.export", "storage.objects.create"),
        _BQ_EXPORT_MODEL,
        "BigQuery writes the files with the caller's storage.objects.create on the bucket",
    ),
    "bigquery.jobs.query[SELECT]": Rule(
        ("bigquery.jobs.create", "bigquery.tables.getData"), _BQ_QUERIES
    ),
    # Vertex AI: the "Vertex AI IAM permissions" table, operation by operation.
    **dict(
        [
            _vertex("models.upload", "aiplatform.models.upload"),
            _vertex("models.get", "aiplatform.models.get"),
            _vertex("models.list", "aiplatform.models.list"),
            _vertex("models.operations.get[models]", "aiplatform.models.get", _LRO),
            _vertex("operations.get[models]", "aiplatform.models.get", _LRO),
            _vertex("endpoints.create", "aiplatform.endpoints.create"),
            _vertex("endpoints.get", "aiplatform.endpoints.get"),
            _vertex("endpoints.list", "aiplatform.endpoints.list"),
            _vertex("endpoints.deployModel", "aiplatform.endpoints.deploy"),
            _vertex("endpoints.undeployModel", "aiplatform.endpoints.undeploy"),
            _vertex("endpoints.predict", "aiplatform.endpoints.predict"),
            _vertex("endpoints.delete", "aiplatform.endpoints.delete"),
            _vertex("endpoints.operations.get[endpoints]", "aiplatform.endpoints.get", _LRO),
            _vertex("operations.get[endpoints]", "aiplatform.endpoints.get", _LRO),
        ]
    ),
}


@dataclass(frozen=True)
class Implied:
    """A permission a service checks on the caller's behalf, read from the request's content."""

    permission: str
    reason: str
    source: str


def rule_for(call: Call) -> Rule:
    """The rule for a call's operation; NoPermissionMapping if the table has none."""
    if call.operation.cloud == "unknown":
        raise NoPermissionMapping(
            f"no permission mapping for {call.operation.name} ({call.request}, {call.where})"
        )
    rule = RULES.get(call.operation.key)
    if rule is None:
        raise NoPermissionMapping(
            f"no permission mapping for {call.operation.key} ({call.request}, {call.where})"
        )
    return rule


def permissions_for(call: Call) -> tuple[str, ...]:
    """The IAM actions or permissions the call needs itself."""
    return rule_for(call).permissions


def implied_by(call: Call) -> list[Implied]:
    """Permissions the service checks as the caller while serving this call."""
    # The Redshift Data API fetches database credentials as the caller: with DbUser that is
    # redshift:GetClusterCredentials, with a secret secretsmanager:GetSecretValue, with
    # neither the caller's IAM identity (GetClusterCredentialsWithIAM, or Serverless
    # GetCredentials). Source: the Data API's "Configuring IAM permissions" page.
    if call.operation.key not in (
        "redshift-data:ExecuteStatement",
        "redshift-data:BatchExecuteStatement",
    ):
        return []
    params = call.params
    if params.get("SecretArn"):
        permission, how = "secretsmanager:GetSecretValue", "authenticates with a secret"
    elif params.get("ClusterIdentifier") and params.get("DbUser"):
        permission, how = "redshift:GetClusterCredentials", "names a DbUser on a cluster"
    elif params.get("ClusterIdentifier"):
        permission, how = "redshift:GetClusterCredentialsWithIAM", "names no DbUser"
    elif params.get("WorkgroupName"):
        permission, how = "redshift-serverless:GetCredentials", "targets a Serverless workgroup"
    else:
        return []
    return [Implied(permission, f"{call.operation.name} {how}", _DATA_API_IAM)]
