"""ML.PREDICT: the input rows with BigQuery's prediction columns in front of them.

Classifiers add ``predicted_<label>`` and ``predicted_<label>_probs``, an array of
``{"label", "prob"}`` structs; regressors add ``predicted_<label>``; KMEANS adds
``CENTROID_ID`` (1-based) and ``NEAREST_CENTROIDS_DISTANCE`` (``{"CENTROID_ID", "DISTANCE"}``
structs, nearest first). The prediction columns come first, then every input column, as
BigQuery lays them out. Inferred, not confirmed: the probs array lists the classes in
descending label order (for a binary model, the positive class first); a binary prediction is
the positive class when its probability exceeds THRESHOLD (default 0.5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .training import TrainedModel


def predict(model: TrainedModel, frame: pd.DataFrame, *, threshold: float = 0.5) -> pd.DataFrame:
    """ML.PREDICT's rows for ``frame`` (any columns beyond the features pass through)."""
    if model.model_type == "KMEANS":
        added = _clusters(model, frame)
    elif model.options.is_classifier:
        added = _classes(model, frame, threshold)
    else:
        x = model.preprocessor.transform(frame)
        added = {f"predicted_{model.label}": model.estimator.predict(x).astype(float)}
    result = pd.DataFrame(added, index=frame.index)
    # An input column named like a prediction column is shadowed, as in BigQuery's output.
    rest = frame[[c for c in frame.columns if c not in added]]
    return pd.concat([result, rest], axis=1).reset_index(drop=True)


def probabilities(model: TrainedModel, frame: pd.DataFrame) -> np.ndarray:
    """Class probabilities, one column per class in ``model.classes`` order."""
    x = model.preprocessor.transform(frame)
    probs = model.estimator.predict_proba(x)
    order = [list(model.estimator.classes_).index(c) for c in model.classes]
    return probs[:, order]


def _classes(model: TrainedModel, frame: pd.DataFrame, threshold: float) -> dict[str, list]:
    probs = probabilities(model, frame)
    classes = model.classes
    binary = len(classes) == 2
    chosen = np.where(probs[:, 1] > threshold, 1, 0) if binary else probs.argmax(axis=1)
    listed = sorted(range(len(classes)), key=lambda i: classes[i], reverse=True)
    label = model.label
    return {
        f"predicted_{label}": [_plain(classes[i]) for i in chosen],
        f"predicted_{label}_probs": [
            [{"label": _plain(classes[i]), "prob": float(row[i])} for i in listed] for row in probs
        ],
    }


def _clusters(model: TrainedModel, frame: pd.DataFrame) -> dict[str, list]:
    distances = model.estimator.transform(model.preprocessor.transform(frame))
    nearest = distances.argsort(axis=1, kind="stable")
    return {
        "CENTROID_ID": [int(order[0]) + 1 for order in nearest],
        "NEAREST_CENTROIDS_DISTANCE": [
            [{"CENTROID_ID": int(i) + 1, "DISTANCE": float(row[i])} for i in order]
            for row, order in zip(distances, nearest, strict=True)
        ],
    }


def _plain(value: object) -> object:
    # numpy scalars become Python ones, so rows serialise like BigQuery's JSON values.
    return value.item() if isinstance(value, np.generic) else value
