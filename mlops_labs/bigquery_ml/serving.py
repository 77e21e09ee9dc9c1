"""What EXPORT MODEL writes: a model that answers JSON instances, and the metadata beside it.

Real BigQuery writes a TensorFlow SavedModel (DNN, linear, logistic, k-means) or an XGBoost
Booster with a predictor package (boosted trees); the sandbox writes ``model.joblib``, a pickled
:class:`ExportedModel` holding the scikit-learn estimator and the sandbox's preprocessing, plus
``assets/model_metadata.json``. The Vertex AI sandbox serves it; loading it anywhere else needs
``mlops_labs`` installed. Its predictions take the exported model's documented output shape per
model type (BigQuery's "Prediction output format"):

- DNN_CLASSIFIER: ``all_class_ids``, ``all_classes``, ``class_ids``, ``classes``, ``logits``,
  ``probabilities`` (and ``logistic`` for two classes). The sandbox's logits are log
  probabilities: equal to TensorFlow's up to a constant per row, so softmax gives the same
  probabilities.
- LOGISTIC_REG, BOOSTED_TREE_CLASSIFIER: ``<label>_probs``, ``<label>_values``,
  ``predicted_<label>``.
- LINEAR_REG, DNN_REGRESSOR, BOOSTED_TREE_REGRESSOR: ``predicted_<label>``.
- KMEANS: ``centroid_distances``, ``centroid_ids``, ``nearest_centroid_id``.

Each instance is one row as a JSON object of feature column to value, as ML.PREDICT takes it;
a missing or unknown column, or a value of the wrong type, is a ``ValueError`` naming it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from typing import Any

import joblib
import numpy as np
import pandas as pd

from .prediction import predict, probabilities
from .training import TrainedModel

MODEL_FILE = "model.joblib"
METADATA_FILE = "assets/model_metadata.json"
FORMAT = "mlops-labs scikit-learn joblib"
_NUMERIC = {"INT64", "INTEGER", "FLOAT64", "FLOAT", "NUMERIC", "BIGNUMERIC"}


class ExportedModel:
    """A trained model cut down to what serving needs: no training rows travel with it."""

    def __init__(self, trained: TrainedModel) -> None:
        self.trained = dataclasses.replace(
            trained, evaluation_rows=trained.evaluation_rows.iloc[:0].copy()
        )

    @property
    def features(self) -> dict[str, str]:
        """Feature column -> BigQuery type, in training order."""
        return dict(self.trained.feature_types)

    def predict(self, instances: list[Any]) -> list[dict[str, Any]]:
        """One prediction per instance, in the exported model's output shape."""
        frame = self._frame(instances)
        model = self.trained
        if model.model_type == "KMEANS":
            return _clusters(model, frame)
        if model.model_type == "DNN_CLASSIFIER":
            return _dnn_classes(model, frame)
        if model.options.is_classifier:
            return _label_probs(model, frame)
        column = f"predicted_{model.label}"
        return [{column: float(v)} for v in predict(model, frame)[column]]

    def _frame(self, instances: list[Any]) -> pd.DataFrame:
        if not isinstance(instances, list) or not instances:
            raise ValueError("instances must be a non-empty list of JSON objects, one per row")
        features = self.features
        for index, instance in enumerate(instances):
            _check_instance(index, instance, features)
        frame = pd.DataFrame(
            {name: [instance.get(name) for instance in instances] for name in features}
        )
        for name, sql_type in features.items():
            if sql_type in _NUMERIC:
                frame[name] = pd.to_numeric(frame[name]).astype(float)
        return frame


def _check_instance(index: int, instance: Any, features: dict[str, str]) -> None:
    if not isinstance(instance, dict):
        raise ValueError(
            f"instance {index} is a {type(instance).__name__}, not a JSON object: send one "
            f'{{"column": value}} object per row, with the columns {list(features)}'
        )
    missing = [name for name in features if name not in instance]
    if missing:
        raise ValueError(
            f"instance {index} is missing the feature column(s) {missing}: the model takes "
            f"{list(features)} (null for an unknown value)"
        )
    unknown = [name for name in instance if name not in features]
    if unknown:
        raise ValueError(
            f"instance {index} has column(s) {unknown} the model was not trained on: it takes "
            f"{list(features)}"
        )
    for name, sql_type in features.items():
        value = instance[name]
        if value is None:
            continue
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if sql_type in _NUMERIC and not (numeric and math.isfinite(value)):
            raise ValueError(
                f"instance {index} column {name} is {value!r}: a number (or null) is expected"
            )
        if sql_type == "STRING" and not isinstance(value, str):
            raise ValueError(
                f"instance {index} column {name} is {value!r}: a string (or null) is expected"
            )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _dnn_classes(model: TrainedModel, frame: pd.DataFrame) -> list[dict[str, Any]]:
    probs = probabilities(model, frame)
    classes = [_plain(c) for c in model.classes]
    ids = list(range(len(classes)))
    out = []
    for row in probs:
        chosen = int(row.argmax())
        clipped = np.clip(row, 1e-12, 1.0)
        answer: dict[str, Any] = {
            "all_class_ids": ids,
            "all_classes": [str(c) for c in classes],
            "class_ids": [chosen],
            "classes": [str(classes[chosen])],
            "probabilities": [float(p) for p in row],
        }
        if len(classes) == 2:
            # A binary head has one logit: the positive class's log odds.
            answer["logistic"] = [float(row[1])]
            answer["logits"] = [float(math.log(clipped[1] / clipped[0]))]
        else:
            answer["logits"] = [float(v) for v in np.log(clipped)]
        out.append(answer)
    return out


def _label_probs(model: TrainedModel, frame: pd.DataFrame) -> list[dict[str, Any]]:
    probs = probabilities(model, frame)
    label = model.label
    classes = [str(_plain(c)) for c in model.classes]
    return [
        {
            f"{label}_probs": [float(p) for p in row],
            f"{label}_values": classes,
            f"predicted_{label}": classes[int(row.argmax())],
        }
        for row in probs
    ]


def _clusters(model: TrainedModel, frame: pd.DataFrame) -> list[dict[str, Any]]:
    distances = model.estimator.transform(model.preprocessor.transform(frame))
    ids = list(range(1, distances.shape[1] + 1))
    return [
        {
            "centroid_distances": [float(d) for d in row],
            "centroid_ids": ids,
            "nearest_centroid_id": int(row.argmin()) + 1,
        }
        for row in distances
    ]


def metadata(trained: TrainedModel, model_name: str) -> dict[str, Any]:
    """``assets/model_metadata.json``: what the artifact is and what it takes and returns."""
    return {
        "format": FORMAT,
        "model": model_name,
        "model_type": trained.model_type,
        "label_col": trained.label,
        "features": [{"name": n, "type": t} for n, t in trained.feature_types.items()],
        "classes": [str(_plain(c)) for c in trained.classes],
        "model_file": MODEL_FILE,
        "not_like_bigquery": (
            "BigQuery writes a TensorFlow SavedModel or an XGBoost Booster; this is a "
            "scikit-learn model pickled with joblib, served by the mlops-labs Vertex AI sandbox"
        ),
    }


def export_files(trained: TrainedModel, model_name: str) -> dict[str, tuple[bytes, str]]:
    """Relative path -> (bytes, content type) of everything EXPORT MODEL writes."""
    buffer = io.BytesIO()
    joblib.dump(ExportedModel(trained), buffer)
    described = json.dumps(metadata(trained, model_name), indent=2).encode()
    # The model file last: a reader that finds it finds the metadata too.
    return {
        METADATA_FILE: (described, "application/json"),
        MODEL_FILE: (buffer.getvalue(), "application/octet-stream"),
    }


def load(data: bytes) -> ExportedModel:
    """The model in a ``model.joblib``'s bytes."""
    model = joblib.load(io.BytesIO(data))
    if not isinstance(model, ExportedModel):
        raise ValueError(f"{MODEL_FILE} holds a {type(model).__name__}, not an exported model")
    return model
