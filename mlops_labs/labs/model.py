"""Lab 6.1 — a churn trainer that keeps its artifacts on local disk or in Amazon S3.

The trainer reads a customers CSV (a local path or ``s3://``), selects features by stated rules,
fits a scikit-learn pipeline, names the artifact after what produced it, and persists it:
through the storage handle for a local / dev run, or — when ``model_path`` starts with
``s3://`` — by the orchestrated pattern: local temp file -> S3 upload -> SageMaker model
registry. It logs and publishes the run's metrics at the end. ``predict`` scores a CSV with a
stored model and writes the predictions CSV back the same way.
"""

# TODO: Lab 6.1.1 - Line-by-Line Import Exploration
# WHERE: these imports.
# WHAT:  which library persists the model on local disk (joblib) and which carries it to S3,
#        the SageMaker registry and CloudWatch (boto3); what the standard library adds
#        (tempfile for staging, hashlib for integrity).
# WHY:   the persistence libraries decide what a run needs: a writable disk, or AWS
#        credentials, network access and IAM permissions.
from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3  # AWS SDK: S3 upload_file, SageMaker model registry, CloudWatch metrics
import joblib  # local persistence: serialises the fitted pipeline to a file
import pandas as pd
import sklearn
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from . import dat
from .churn_data import LABEL

LOG = logging.getLogger(__name__)

MODEL_NAME = "churn"
ALGORITHM = "logreg"
DEFAULT_PACKAGE_GROUP = "churn-classifier"
DEFAULT_METRICS_NAMESPACE = "MLOpsLabs/Churn"
ID_COLUMN = "customer_id"

# SageMaker's prebuilt scikit-learn serving image lives in a per-region ECR account.
SKLEARN_IMAGE_ACCOUNTS = {
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-2": "246618743249",
    "eu-west-1": "141502667606",
    "eu-central-1": "492215442770",
}
SKLEARN_IMAGE_TAG = "1.2-1-cpu-py3"


class DataError(ValueError):
    """Training or scoring data that the trainer cannot use; the message says what to fix."""


class ArtifactIntegrityError(dat.StorageError):
    """S3 holds different bytes from the ones uploaded."""


@dataclass(frozen=True)
class TrainingParams:
    """Everything besides the data that decides the trained model (part of its name)."""

    C: float = 1.0
    max_iter: int = 500
    test_fraction: float = 0.25
    seed: int = 42
    leakage_columns: tuple[str, ...] = ("cancellation_reason",)
    max_missing_fraction: float = 0.5
    max_categories: int = 20


@dataclass(frozen=True)
class FeatureSelection:
    """The columns a model trains on, and each left-out column with the rule that dropped it."""

    numeric: list[str]
    categorical: list[str]
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Every selected column, numeric first."""
        return [*self.numeric, *self.categorical]


@dataclass(frozen=True)
class PersistedArtifact:
    """A stored model file: where it is, its SHA-256 and its size."""

    uri: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class TrainingRun:
    """What one call of ``train`` produced."""

    artifact: PersistedArtifact
    artifact_name: str
    features: FeatureSelection
    metrics: dict[str, float]
    n_rows: int
    elapsed_s: float
    model_package_arn: str | None = None


def _select_features(
    frame: pd.DataFrame, label: str, params: TrainingParams | None = None
) -> FeatureSelection:
    """Choose the training columns of ``frame`` by the rules below, in this order."""
    # TODO: Lab 6.1.3 - Parameter and Artifact Evolution
    # WHERE: here and in artifact_name() below.
    # WHAT:  the feature selection rules, and an artifact name built from what produced it.
    # WHY:   the same data and parameters must give the same features and the same name, so a
    #        stored artifact can be traced back to its inputs and loaded by a compatible runtime.
    # Rules, first match wins: 1 the label is the target, never a feature; 2 identifiers (``id``,
    # ``*_id``) name rows, they do not describe them; 3 leakage columns (``leakage_columns``) are
    # only known after the outcome; 4 a constant column carries no information; 5 a column
    # missing in more than ``max_missing_fraction`` of rows is mostly noise; 6 text with more
    # than ``max_categories`` distinct values would explode one-hot encoding. Numbers stay
    # numeric, text is categorical; each dropped column is kept with its reason.
    # Naming: <model>-<algorithm>-sklearn<major.minor>-<feature count>f-<fingerprint>.joblib,
    # the fingerprint being 12 hex digits of a SHA-256 over the data's SHA-256, the label, the
    # features, the parameters and the library version.
    params = params or TrainingParams()
    # BEGIN SOLUTION
    numeric: list[str] = []
    categorical: list[str] = []
    dropped: dict[str, str] = {}
    for column in frame.columns:
        values = frame[column]
        if column == label:
            continue
        if column == "id" or column.endswith("_id"):
            dropped[column] = "identifier"
        elif column in params.leakage_columns:
            dropped[column] = "leakage"
        elif values.nunique(dropna=True) <= 1:
            dropped[column] = "constant"
        elif values.isna().mean() > params.max_missing_fraction:
            dropped[column] = "mostly missing"
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numeric.append(column)
        elif values.nunique(dropna=True) > params.max_categories:
            dropped[column] = "high cardinality"
        else:
            categorical.append(column)
    if not numeric and not categorical:
        raise DataError(
            f"no usable feature columns besides '{label}': dropped {dropped}; "
            "add descriptive columns to the training data"
        )
    return FeatureSelection(numeric=numeric, categorical=categorical, dropped=dropped)
    # END SOLUTION


def artifact_name(
    data_sha256: str,
    features: FeatureSelection,
    params: TrainingParams,
    label: str = LABEL,
) -> str:
    """The artifact's file name: what produced it, and a fingerprint of every input."""
    # BEGIN SOLUTION
    recipe = {
        "data_sha256": data_sha256,
        "label": label,
        "numeric": features.numeric,
        "categorical": features.categorical,
        "params": asdict(params),
        "algorithm": ALGORITHM,
        "sklearn": sklearn.__version__,
    }
    fingerprint = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    # The library's minor version is in the name: a joblib pickle loads reliably only there.
    runtime = "sklearn" + ".".join(sklearn.__version__.split(".")[:2])
    return f"{MODEL_NAME}-{ALGORITHM}-{runtime}-{len(features.columns)}f-{fingerprint}.joblib"
    # END SOLUTION


def _read_training_frame(raw: bytes, source: str, label: str) -> pd.DataFrame:
    """Parse the training CSV and check it can train a binary classifier."""
    try:
        frame = pd.read_csv(io.BytesIO(raw))
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise DataError(f"training data at {source} is not a readable CSV: {exc}") from None
    if label not in frame.columns:
        raise DataError(
            f"training data at {source} has no label column '{label}'; its columns are: "
            + ", ".join(map(str, frame.columns))
        )
    classes = frame[label].dropna().unique()
    if len(classes) != 2:
        raise DataError(
            f"label column '{label}' at {source} needs exactly two classes, found {len(classes)}"
        )
    return frame


def _fit(
    frame: pd.DataFrame, features: FeatureSelection, label: str, params: TrainingParams
) -> tuple[Pipeline, dict[str, float]]:
    """Fit the pipeline on a stratified split and score it on the held-out part."""
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    pipeline = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [("num", numeric, features.numeric), ("cat", categorical, features.categorical)]
                ),
            ),
            (
                "classifier",
                LogisticRegression(C=params.C, max_iter=params.max_iter, random_state=params.seed),
            ),
        ]
    )
    x = frame[features.columns].astype({c: "object" for c in features.categorical})
    y = frame[label]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=params.test_fraction, random_state=params.seed, stratify=y
    )
    pipeline.fit(x_train, y_train)
    probability = pipeline.predict_proba(x_test)[:, 1]
    predicted = pipeline.predict(x_test)
    metrics = {
        "accuracy": accuracy_score(y_test, predicted),
        "precision": precision_score(y_test, predicted, zero_division=0),
        "recall": recall_score(y_test, predicted, zero_division=0),
        "f1_score": f1_score(y_test, predicted, zero_division=0),
        "roc_auc": roc_auc_score(y_test, probability),
        "log_loss": log_loss(y_test, probability),
    }
    return pipeline, {name: round(float(value), 6) for name, value in metrics.items()}


def _s3_persist(local_path: Path, uri: str) -> PersistedArtifact:
    """Upload ``local_path`` to the ``s3://`` ``uri`` and prove S3 holds the same bytes."""
    # TODO: Lab 6.1.4 - S3 Data Loading Conversion
    # WHERE: this function.
    # WHAT:  boto3's upload_file (managed transfer: multipart above 8 MB, retries), asked to
    #        have S3 compute a SHA-256 checksum that is compared with the one computed here.
    # WHY:   S3 is the durable store; an upload is only done when the bytes are proven equal.
    #        IAM: s3:PutObject to write, s3:ListBucket for a clear "no such bucket", s3:GetObject
    #        to verify; cost: one PUT per part plus storage, no charge for transfer in.
    # BEGIN SOLUTION
    location = dat.parse_uri(uri)
    if location.scheme != "s3":
        raise dat.UnsupportedSchemeError(f"_s3_persist writes to s3:// only, got {uri}")
    digest = _sha256_file(local_path)
    s3 = boto3.client("s3")
    dat.require_bucket(s3, location.bucket)
    try:
        s3.upload_file(
            str(local_path),
            location.bucket,
            location.path,
            ExtraArgs={"ChecksumAlgorithm": "SHA256", "Metadata": {"sha256": digest}},
        )
    except (S3UploadFailedError, ClientError) as exc:
        raise dat.StorageError(f"upload of {local_path.name} to {uri} failed: {exc}") from None
    stored = _remote_sha256(s3, location)
    if stored != digest:
        s3.delete_object(Bucket=location.bucket, Key=location.path)
        raise ArtifactIntegrityError(
            f"S3 holds different bytes at {uri} (sha256 {stored[:12]} vs {digest[:12]} sent); "
            "the object was removed: upload again"
        )
    return PersistedArtifact(uri=location.uri, sha256=digest, size_bytes=local_path.stat().st_size)
    # END SOLUTION


def _sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    hasher = hashlib.sha256()
    with open(path, "rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _remote_sha256(s3: Any, location: dat.Location) -> str:
    """The hex SHA-256 of the object as S3 stores it."""
    head = s3.head_object(Bucket=location.bucket, Key=location.path, ChecksumMode="ENABLED")
    checksum = head.get("ChecksumSHA256", "")
    if checksum and "-" not in checksum:
        return base64.b64decode(checksum).hex()
    # A multipart upload's checksum is a checksum of part checksums: hash the stored bytes.
    body = s3.get_object(Bucket=location.bucket, Key=location.path)["Body"]
    hasher = hashlib.sha256()
    for chunk in iter(lambda: body.read(1 << 20), b""):
        hasher.update(chunk)
    return hasher.hexdigest()


def train(
    data_uri: str,
    model_path: str,
    *,
    label: str = LABEL,
    params: TrainingParams | None = None,
    model_package_group: str = DEFAULT_PACKAGE_GROUP,
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE,
) -> TrainingRun:
    """Train the churn model on ``data_uri`` and persist it under the folder ``model_path``."""
    # TODO: Lab 6.1.2 - Execution Model Translation
    # WHERE: this signature and the two persistence branches below.
    # WHAT:  a local / dev run hands the bytes to dat.get_handle(); an orchestrated run
    #        (model_path starting with s3://) stages a temp file and uploads it by hand.
    # WHY:   on a laptop the artifact is a file; in SageMaker or on EC2 the instance is
    #        disposable, so the artifact must reach durable storage and the registry.
    started = time.perf_counter()
    params = params or TrainingParams()
    destination = dat.parse_uri(model_path)  # a bad URI is refused before any work is done
    raw = dat.get_handle(data_uri).read_bytes()
    frame = _read_training_frame(raw, data_uri, label)
    features = _select_features(frame, label, params)
    name = artifact_name(hashlib.sha256(raw).hexdigest(), features, params, label)
    target = destination.join(name)
    dat.get_handle(target.uri).check_writable()  # fail now, not after the training time
    pipeline, metrics = _fit(frame, features, label, params)
    package_arn = None

    if destination.scheme != "s3":
        # Local / dev run: the storage handle writes the file; nothing leaves the machine.
        # BEGIN SOLUTION
        buffer = io.BytesIO()
        joblib.dump(pipeline, buffer)
        content = buffer.getvalue()
        dat.get_handle(target.uri).write_bytes(content)
        artifact = PersistedArtifact(target.uri, hashlib.sha256(content).hexdigest(), len(content))
        # END SOLUTION
    else:
        # TODO: Lab 6.1.5 - Artifact Persistence and Model Registry Integration
        # WHERE: this branch, taken when model_path starts with s3://.
        # WHAT:  local temp file -> _s3_persist() -> a SageMaker model package (pending manual
        #        approval) pointing at the uploaded artifact and recording its SHA-256; the temp
        #        file is gone after, and a failed registration removes the upload.
        # WHY:   the registry is where governance happens (versions, approval, lineage); a
        #        package must never point at a missing file, nor an artifact sit unregistered.
        # BEGIN SOLUTION
        with tempfile.TemporaryDirectory(prefix="churn-train-") as staging:
            local_file = Path(staging) / name
            joblib.dump(pipeline, local_file)
            artifact = _s3_persist(local_file, target.uri)
        try:
            package_arn = _register_model_package(
                artifact, name, features, metrics, model_package_group
            )
        except Exception:
            boto3.client("s3").delete_object(Bucket=target.bucket, Key=target.path)
            raise
        # END SOLUTION

    # TODO: Lab 6.1.6 - Logging and Metrics Evolution
    # WHERE: the end of train().
    # WHAT:  one LOG.info record, event "training_complete", with elapsed_s, n_features,
    #        artifact_uri and metrics as structured fields; for orchestrated runs the same
    #        metrics in CloudWatch, plus training_seconds and feature_count.
    # WHY:   the evolution runs 1) print(f"acc={acc}") -> lost with the instance;
    #        2) mlflow.log_metric("accuracy", acc) -> an experiment server to run;
    #        3) a SageMaker training job scrapes stdout with metric_definitions regexes;
    #        4) structured logs plus CloudWatch put_metric_data -> queryable, alarmable.
    #        This code does 4. A local run has no AWS identity to publish with: it logs only.
    elapsed = time.perf_counter() - started
    # BEGIN SOLUTION
    LOG.info(
        "training complete: %d features, %.2fs, artifact %s",
        len(features.columns),
        elapsed,
        artifact.uri,
        extra={
            "event": "training_complete",
            "elapsed_s": round(elapsed, 3),
            "n_features": len(features.columns),
            "n_rows": len(frame),
            "artifact_uri": artifact.uri,
            "artifact_sha256": artifact.sha256,
            "metrics": metrics,
        },
    )
    if destination.scheme == "s3":
        _publish_metrics(
            metrics_namespace, model_package_group, metrics, len(features.columns), elapsed
        )
    # END SOLUTION
    return TrainingRun(
        artifact=artifact,
        artifact_name=name,
        features=features,
        metrics=metrics,
        n_rows=len(frame),
        elapsed_s=elapsed,
        model_package_arn=package_arn,
    )


def _register_model_package(
    artifact: PersistedArtifact,
    name: str,
    features: FeatureSelection,
    metrics: dict[str, float],
    group: str,
) -> str:
    """Register ``artifact`` as a new version in a SageMaker model package group."""
    sagemaker = boto3.client("sagemaker")
    try:
        sagemaker.describe_model_package_group(ModelPackageGroupName=group)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ValidationException":
            raise
        sagemaker.create_model_package_group(
            ModelPackageGroupName=group,
            ModelPackageGroupDescription="Churn classifiers trained by the Lab 6.1 trainer",
        )
    response = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription=f"{name} (accuracy {metrics['accuracy']:.3f})",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": _sklearn_image(), "ModelDataUrl": artifact.uri}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        CustomerMetadataProperties={
            "artifact_sha256": artifact.sha256,
            "features": ",".join(features.columns),
            "sklearn_version": sklearn.__version__,
            **{f"metric_{k}": f"{v:.6f}" for k, v in metrics.items()},
        },
    )
    return response["ModelPackageArn"]


def _sklearn_image() -> str:
    """SageMaker's scikit-learn serving image for the session's region."""
    region = boto3.session.Session().region_name or "us-east-1"
    account = SKLEARN_IMAGE_ACCOUNTS.get(region)
    if account is None:
        raise dat.StorageError(
            f"no SageMaker scikit-learn image known for region {region}: use one of "
            + ", ".join(sorted(SKLEARN_IMAGE_ACCOUNTS))
        )
    return f"{account}.dkr.ecr.{region}.amazonaws.com/sagemaker-scikit-learn:{SKLEARN_IMAGE_TAG}"


def _publish_metrics(
    namespace: str,
    group: str,
    metrics: dict[str, float],
    n_features: int,
    elapsed_s: float,
) -> None:
    """Put the run's metrics into CloudWatch, one data point each, by model package group."""
    dimensions = [{"Name": "ModelPackageGroup", "Value": group}]
    data = [
        {"MetricName": name, "Value": value, "Unit": "None", "Dimensions": dimensions}
        for name, value in metrics.items()
    ]
    data.append(
        {
            "MetricName": "training_seconds",
            "Value": elapsed_s,
            "Unit": "Seconds",
            "Dimensions": dimensions,
        }
    )
    data.append(
        {
            "MetricName": "feature_count",
            "Value": n_features,
            "Unit": "Count",
            "Dimensions": dimensions,
        }
    )
    boto3.client("cloudwatch").put_metric_data(Namespace=namespace, MetricData=data)


def predict(model_uri: str, data_uri: str, output_uri: str) -> int:
    """Score the customers CSV at ``data_uri`` and write a predictions CSV; return its rows."""
    output = dat.get_handle(output_uri)
    output.check_writable()
    # joblib runs pickle code: load only artifacts from a store you control.
    pipeline = joblib.load(io.BytesIO(dat.get_handle(model_uri).read_bytes()))
    frame = dat.get_handle(data_uri).read_csv()
    expected = list(pipeline.feature_names_in_)
    missing = [column for column in [*expected, ID_COLUMN] if column not in frame.columns]
    if missing:
        raise DataError(f"scoring data at {data_uri} lacks columns: {', '.join(missing)}")
    categorical = pipeline.named_steps["features"].transformers_[1][2]
    features = frame[expected].astype({c: "object" for c in categorical})
    probability = pipeline.predict_proba(features)[:, 1]
    predictions = pd.DataFrame(
        {
            ID_COLUMN: frame[ID_COLUMN],
            "churn_probability": probability.round(6),
            "churn_predicted": (probability >= 0.5).astype(int),
        }
    )
    output.write_csv(predictions)
    return len(predictions)
