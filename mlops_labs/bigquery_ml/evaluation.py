"""ML.EVALUATE: BigQuery's metric columns, averaged the way BigQuery averages them.

Averaging, from the BigQuery v2 discovery document (AggregateClassificationMetrics): accuracy
is micro-averaged for multiclass; precision, recall, f1_score and roc_auc are macro-averaged
(one-vs-rest for roc_auc); log_loss is documented as "macro-averaged" too, which the sandbox
reads as the usual multiclass cross-entropy (inferred). Binary metrics use THRESHOLD (default
0.5) on the positive class, the larger label value. With no input rows ML.EVALUATE scores the
eval split, or the training rows when training did not split (under 500 rows, NO_SPLIT).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics

from .errors import BigQueryMLError
from .prediction import probabilities
from .training import TrainedModel

CLASSIFIER_COLUMNS = ("precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc")
REGRESSOR_COLUMNS = (
    "mean_absolute_error",
    "mean_squared_error",
    "mean_squared_log_error",
    "median_absolute_error",
    "r2_score",
    "explained_variance",
)
KMEANS_COLUMNS = ("davies_bouldin_index", "mean_squared_distance")


def evaluate(
    model: TrainedModel, frame: pd.DataFrame | None = None, *, threshold: float = 0.5
) -> pd.DataFrame:
    """ML.EVALUATE's one row, on ``frame`` or (None) on the model's own evaluation rows."""
    rows = model.evaluation_rows if frame is None else frame
    return pd.DataFrame([metric_values(model, rows, threshold=threshold)])


def metric_values(model: TrainedModel, rows: pd.DataFrame, *, threshold: float = 0.5) -> dict:
    """The metrics of ``rows`` as a column -> value dict, in BigQuery's column order."""
    if model.model_type == "KMEANS":
        return _clustering(model, rows)
    if model.label not in rows.columns:
        raise BigQueryMLError(f"ML.EVALUATE needs the label column {model.label} in its input data")
    rows = rows[rows[model.label].notna()]
    if model.options.is_classifier:
        rows = rows[rows[model.label].isin(model.classes)]
        return _classification(model, rows, threshold)
    return _regression(model, rows)


def _classification(model: TrainedModel, rows: pd.DataFrame, threshold: float) -> dict:
    # A typed array (bool, int, str): scikit-learn cannot classify an object array of booleans.
    truth = np.asarray(rows[model.label].tolist())
    if not len(truth):
        return dict.fromkeys(CLASSIFIER_COLUMNS)
    probs = probabilities(model, rows)
    classes = model.classes
    if len(classes) == 2:
        positive = classes[1]
        predicted = np.where(probs[:, 1] > threshold, positive, classes[0])
        binary = dict(pos_label=positive, zero_division=0)
        scores = dict(
            precision=metrics.precision_score(truth, predicted, **binary),
            recall=metrics.recall_score(truth, predicted, **binary),
            accuracy=metrics.accuracy_score(truth, predicted),
            f1_score=metrics.f1_score(truth, predicted, **binary),
            log_loss=metrics.log_loss(truth, probs, labels=classes),
            roc_auc=_auc(lambda: metrics.roc_auc_score(truth == positive, probs[:, 1])),
        )
    else:
        predicted = np.asarray(classes)[probs.argmax(axis=1)]
        macro = dict(labels=classes, average="macro", zero_division=0)
        scores = dict(
            precision=metrics.precision_score(truth, predicted, **macro),
            recall=metrics.recall_score(truth, predicted, **macro),
            accuracy=metrics.accuracy_score(truth, predicted),
            f1_score=metrics.f1_score(truth, predicted, **macro),
            log_loss=metrics.log_loss(truth, probs, labels=classes),
            roc_auc=_auc(
                lambda: metrics.roc_auc_score(
                    truth, probs, labels=classes, multi_class="ovr", average="macro"
                )
            ),
        )
    return {k: None if v is None else float(v) for k, v in scores.items()}


def _auc(compute) -> float | None:
    try:
        return compute()
    except ValueError:
        # One class only in the rows scored: ROC AUC is undefined, BigQuery answers NULL.
        return None


def _regression(model: TrainedModel, rows: pd.DataFrame) -> dict:
    if rows.empty:
        return dict.fromkeys(REGRESSOR_COLUMNS)
    truth = pd.to_numeric(rows[model.label]).to_numpy(float)
    predicted = model.estimator.predict(model.preprocessor.transform(rows))
    log_error = None
    if (truth >= 0).all() and (predicted >= 0).all():
        log_error = float(metrics.mean_squared_log_error(truth, predicted))
    return {
        "mean_absolute_error": float(metrics.mean_absolute_error(truth, predicted)),
        "mean_squared_error": float(metrics.mean_squared_error(truth, predicted)),
        "mean_squared_log_error": log_error,
        "median_absolute_error": float(metrics.median_absolute_error(truth, predicted)),
        "r2_score": float(metrics.r2_score(truth, predicted)),
        "explained_variance": float(metrics.explained_variance_score(truth, predicted)),
    }


def _clustering(model: TrainedModel, rows: pd.DataFrame) -> dict:
    if rows.empty:
        return dict.fromkeys(KMEANS_COLUMNS)
    x = model.preprocessor.transform(rows)
    distances = model.estimator.transform(x)
    nearest = distances.argmin(axis=1)
    davies_bouldin = None
    if len(set(nearest.tolist())) > 1:
        davies_bouldin = float(metrics.davies_bouldin_score(x, nearest))
    return {
        "davies_bouldin_index": davies_bouldin,
        "mean_squared_distance": float((distances.min(axis=1) ** 2).mean()),
    }
