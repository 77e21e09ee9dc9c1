"""The REST ``Model`` resource (models.get / models.list) of a trained model, BigQuery v2 shape.

Field names, enums and formats follow the v2 discovery document google-api-python-client
ships: int64 values travel as decimal strings, times as milliseconds since the epoch (and
``startTime`` as RFC 3339), ``labelColumns`` name the label columns as trained.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

from .evaluation import metric_values
from .options import TREES
from .training import TrainedModel

MODEL_TYPES = {
    "LINEAR_REG": "LINEAR_REGRESSION",
    "LOGISTIC_REG": "LOGISTIC_REGRESSION",
    "KMEANS": "KMEANS",
    "DNN_CLASSIFIER": "DNN_CLASSIFIER",
    "DNN_REGRESSOR": "DNN_REGRESSOR",
    "BOOSTED_TREE_CLASSIFIER": "BOOSTED_TREE_CLASSIFIER",
    "BOOSTED_TREE_REGRESSOR": "BOOSTED_TREE_REGRESSOR",
}
_TYPE_KINDS = {
    "INTEGER": "INT64",
    "FLOAT": "FLOAT64",
    "BOOLEAN": "BOOL",
    "BIGDECIMAL": "BIGNUMERIC",
}
_SPLIT_METHODS = {"SEQ": "SEQUENTIAL"}


def model_resource(
    model: TrainedModel,
    project: str,
    dataset: str,
    model_id: str,
    *,
    location: str = "US",
    created_ms: int | None = None,
    modified_ms: int | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The Model resource models.get answers for ``project.dataset.model_id``."""
    created = created_ms if created_ms is not None else model.start_ms
    resource: dict[str, Any] = {
        "modelReference": {"projectId": project, "datasetId": dataset, "modelId": model_id},
        "creationTime": str(created),
        "lastModifiedTime": str(modified_ms if modified_ms is not None else created),
        "modelType": MODEL_TYPES[model.model_type],
        "trainingRuns": [training_run(model)],
        "featureColumns": [_field(n, t) for n, t in model.feature_types.items()],
        "location": location,
    }
    if model.label is not None:
        resource["labelColumns"] = [_field(model.label, model.label_type or "STRING")]
    if model.options.labels:
        resource["labels"] = dict(model.options.labels)
    if description is not None:
        resource["description"] = description
    resource["etag"] = _etag(resource)
    return resource


def training_run(model: TrainedModel) -> dict[str, Any]:
    """The one TrainingRun: options used, per-iteration results, final evaluation metrics."""
    start = dt.datetime.fromtimestamp(model.start_ms / 1000, tz=dt.UTC)
    return {
        "trainingOptions": training_options(model),
        "trainingStartTime": str(model.start_ms),
        "startTime": start.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "results": [
            {
                k: v
                for k, v in {
                    "index": i.iteration,
                    "durationMs": str(i.duration_ms),
                    "trainingLoss": i.loss,
                    "evalLoss": i.eval_loss,
                    "learnRate": i.learning_rate,
                }.items()
                if v is not None
            }
            for i in model.iterations
        ],
        "evaluationMetrics": evaluation_metrics(model),
    }


def training_options(model: TrainedModel) -> dict[str, Any]:
    """TrainingOptions: what the user gave and the defaults training used."""
    options = model.options
    result: dict[str, Any] = {
        "maxIterations": str(options.max_iterations),
        "earlyStop": options.early_stop,
        "minRelativeProgress": options.min_rel_progress,
        "dataSplitMethod": _SPLIT_METHODS.get(model.split_method, model.split_method),
    }
    if model.label is not None:
        result["inputLabelColumns"] = [model.label]
        result["l1Regularization"] = options.l1_reg
        result["l2Regularization"] = options.effective_l2_reg
        result["learnRate"] = options.effective_learn_rate
    if model.eval_fraction is not None:
        result["dataSplitEvalFraction"] = model.eval_fraction
    if options.data_split_col:
        result["dataSplitColumn"] = options.data_split_col
    if options.model_type in ("LINEAR_REG", "LOGISTIC_REG"):
        result["learnRateStrategy"] = options.learn_rate_strategy
    if options.is_classifier:
        result["autoClassWeights"] = options.auto_class_weights
        if options.class_weights:
            result["labelClassWeights"] = dict(options.class_weights)
    if options.model_type.startswith("DNN_"):
        result |= {
            "hiddenUnits": [str(u) for u in options.hidden_units],
            "activationFn": options.activation_fn,
            "batchSize": str(options.batch_size),
            "dropout": options.dropout,
            "optimizer": options.optimizer,
        }
    if options.model_type in TREES:
        result |= {
            "maxTreeDepth": str(options.max_tree_depth),
            "subsample": options.subsample,
            "numParallelTree": str(options.num_parallel_tree),
            "minSplitLoss": options.min_split_loss,
            "boosterType": options.booster_type,
            "treeMethod": options.tree_method,
        }
    if options.model_type == "KMEANS":
        result |= {
            "numClusters": str(model.estimator.n_clusters),
            "kmeansInitializationMethod": {"KMEANS++": "KMEANS_PLUS_PLUS"}.get(
                options.kmeans_init_method, options.kmeans_init_method
            ),
            "distanceType": options.distance_type,
            "standardizeFeatures": options.standardize_features,
        }
    return result


def evaluation_metrics(model: TrainedModel) -> dict[str, Any]:
    """EvaluationMetrics over the model's evaluation rows, as training reports them."""
    values = metric_values(model, model.evaluation_rows)
    if model.model_type == "KMEANS":
        return {"clusteringMetrics": _camel(values, {"davies_bouldin_index": "daviesBouldinIndex"})}
    if not model.options.is_classifier:
        return {"regressionMetrics": _camel(values, {"r2_score": "rSquared"})}
    aggregate = _camel(values, {"f1_score": "f1Score", "roc_auc": "rocAuc"})
    if len(model.classes) == 2:
        aggregate["threshold"] = 0.5
        return {
            "binaryClassificationMetrics": {
                "aggregateClassificationMetrics": aggregate,
                "positiveLabel": str(model.classes[1]),
                "negativeLabel": str(model.classes[0]),
            }
        }
    return {"multiClassClassificationMetrics": {"aggregateClassificationMetrics": aggregate}}


def _camel(values: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.title() for part in rest)

    known = {"explained_variance"}  # ML.EVALUATE has it; the REST RegressionMetrics does not.
    return {
        renames.get(k, camel(k)): v for k, v in values.items() if v is not None and k not in known
    }


def _field(name: str, sql_type: str) -> dict[str, Any]:
    return {"name": name, "type": {"typeKind": _TYPE_KINDS.get(sql_type, sql_type)}}


def _etag(resource: dict[str, Any]) -> str:
    digest = hashlib.md5(json.dumps(resource, sort_keys=True).encode(), usedforsecurity=False)
    return base64.b64encode(digest.digest()).decode("ascii")
