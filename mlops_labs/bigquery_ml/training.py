"""CREATE MODEL's training: label, data split, preprocessing and a seeded scikit-learn fit.

How each model type maps (one "iteration" is what ML.TRAINING_INFO reports a row for):

- LOGISTIC_REG: LogisticRegression, one warm-started L-BFGS step per iteration (so the loss
  falls iteration by iteration, as BigQuery's batch gradient descent does); L1/L2 mapped to C.
- LINEAR_REG: closed-form ridge (BigQuery's NORMAL_EQUATION, one iteration), elastic net when
  L1_REG > 0.
- DNN_*: MLPClassifier / MLPRegressor, one partial_fit pass over the training rows per
  iteration ("a single pass of the entire training data", as BigQuery defines MAX_ITERATIONS),
  in mini-batches of min(BATCH_SIZE, rows) (BATCH_SIZE defaults to 32, as documented). With no
  HIDDEN_UNITS, BigQuery documents one layer of min(128, num_samples / (10 * (num_input_units +
  num_output_units))) units without defining how it counts input units (feature columns or
  encoded width) or rounds; the sandbox uses that rule's cap, one layer of 128, and reports it
  in the model's trainingOptions.hiddenUnits.
- BOOSTED_TREE_*: GradientBoosting*, one tree per iteration (L2_REG is recorded, not applied:
  scikit-learn's trees have no leaf-weight penalty).
- KMEANS: KMeans, one Lloyd step per iteration.

EARLY_STOP (default TRUE) stops after the first iteration whose relative loss improvement is
below MIN_REL_PROGRESS (default 0.01). AUTO_SPLIT follows BigQuery's documented thresholds:
under 500 rows no split, up to 50,000 rows a 20% random eval split, above that 10,000 eval rows.
Defaults BigQuery documents are used; where it picks a value itself (NUM_CLUSTERS) the sandbox
uses round(log10(rows)), at least 2 (inferred).
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.neural_network import MLPClassifier, MLPRegressor

from .errors import BigQueryMLError, Unsupported
from .options import DNN, TREES, ModelOptions
from .preprocessing import Preprocessor, check_feature_types, infer_types

SEED = 42
# BigQuery's documented error when no label column can be found.
NO_LABEL = (
    "Unable to identify the label column in query statement. Either specify the label column "
    "using OPTIONS(input_label_cols=['your_label_col']) or name the label column in the data as "
    "'label'."
)


@dataclass
class Iteration:
    """One row of ML.TRAINING_INFO."""

    iteration: int
    loss: float
    eval_loss: float | None
    learning_rate: float | None
    duration_ms: int


@dataclass
class TrainedModel:
    """A trained BigQuery ML model: what it needs to predict, evaluate and describe itself."""

    options: ModelOptions
    label: str | None
    label_type: str | None
    classes: list[Any]
    preprocessor: Preprocessor
    estimator: Any
    iterations: list[Iteration]
    evaluation_rows: pd.DataFrame
    split_method: str
    eval_fraction: float | None
    training_rows: int
    start_ms: int
    feature_types: dict[str, str] = field(default_factory=dict)

    @property
    def model_type(self) -> str:
        """The MODEL_TYPE option."""
        return self.options.model_type

    @property
    def feature_columns(self) -> list[str]:
        """The input columns the model reads."""
        return self.preprocessor.names

    def training_info(self) -> pd.DataFrame:
        """ML.TRAINING_INFO's rows: one per iteration of the single training run."""
        return pd.DataFrame(
            {
                "training_run": [0] * len(self.iterations),
                "iteration": [i.iteration for i in self.iterations],
                "loss": [i.loss for i in self.iterations],
                "eval_loss": [i.eval_loss for i in self.iterations],
                "learning_rate": [i.learning_rate for i in self.iterations],
                "duration_ms": [i.duration_ms for i in self.iterations],
            }
        )


# Training is deterministic (fixed seed): the same rows and options give the same model, so
# one fitted in this process is reused (scenarios train the same penguins model many times).
_TRAINED: collections.OrderedDict[str, TrainedModel] = collections.OrderedDict()
_TRAINED_KEPT = 16


def train_model(
    frame: pd.DataFrame,
    options: ModelOptions,
    schema: dict[str, str] | None = None,
    *,
    seed: int = SEED,
) -> TrainedModel:
    """Train on the training query's rows (``schema``: column -> BigQuery type, if known)."""
    start_ms = time.time_ns() // 1_000_000
    key = _training_key(frame, options, schema, seed)
    if key in _TRAINED:
        _TRAINED.move_to_end(key)
        return dataclasses.replace(_TRAINED[key], start_ms=start_ms)
    trained = _train(frame, options, schema, seed, start_ms)
    _TRAINED[key] = trained
    while len(_TRAINED) > _TRAINED_KEPT:
        _TRAINED.popitem(last=False)
    return trained


def _training_key(
    frame: pd.DataFrame, options: ModelOptions, schema: dict[str, str] | None, seed: int
) -> str:
    digest = hashlib.sha256(repr((options, sorted((schema or {}).items()), seed)).encode())
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def _train(
    frame: pd.DataFrame,
    options: ModelOptions,
    schema: dict[str, str] | None,
    seed: int,
    start_ms: int,
) -> TrainedModel:
    label = resolve_label(list(frame.columns), options)
    types = infer_types(frame, schema)
    if label is not None:
        frame = frame[frame[label].notna()]
    if frame.empty:
        raise BigQueryMLError("Training data is empty: the training query returned no usable rows")
    train_index, eval_index, method, fraction = split_rows(frame, options, seed)
    excluded = {label, options.data_split_col}
    feature_names = [c for c in frame.columns if c not in excluded]
    check_feature_types({c: types[c] for c in feature_names})
    train, evaluation = frame.iloc[train_index], frame.iloc[eval_index]
    preprocessor = Preprocessor.fit(
        train[feature_names], types, standardize=options.standardize_features
    )
    x_train = preprocessor.transform(train)
    x_eval = preprocessor.transform(evaluation) if len(evaluation) else None
    classes: list[Any] = []
    y_train = y_eval = None
    if label is not None:
        y_train, classes = _labels(train[label], options, types[label])
        y_eval = _labels(evaluation[label], options, types[label])[0] if len(evaluation) else None
        if options.is_classifier:
            unseen = set(y_eval if y_eval is not None else []) - set(classes)
            if unseen:
                # An eval-only class cannot be scored; BigQuery's split would have seen it.
                keep = ~pd.Series(y_eval).isin(unseen).to_numpy()
                x_eval, y_eval = x_eval[keep], y_eval[keep]
    fit = _FITTERS[_family(options.model_type)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator, iterations = fit(options, x_train, y_train, x_eval, y_eval, classes, seed)
    return TrainedModel(
        options=options,
        label=label,
        label_type=types.get(label) if label else None,
        classes=classes,
        preprocessor=preprocessor,
        estimator=estimator,
        iterations=iterations,
        evaluation_rows=(evaluation if len(evaluation) else train).reset_index(drop=True),
        split_method=method,
        eval_fraction=fraction,
        training_rows=len(train),
        start_ms=start_ms,
        feature_types={c: types[c] for c in feature_names},
    )


def resolve_label(columns: list[str], options: ModelOptions) -> str | None:
    """The label column: INPUT_LABEL_COLS, else a column named ``label``; None for KMEANS."""
    if options.model_type == "KMEANS":
        return None
    by_lower = {c.lower(): c for c in columns}
    if options.input_label_cols:
        if len(options.input_label_cols) > 1:
            raise BigQueryMLError(
                f"Only one label column is supported for model_type {options.model_type}, got "
                f"{len(options.input_label_cols)} in input_label_cols"
            )
        wanted = options.input_label_cols[0]
        if wanted.lower() not in by_lower:
            raise BigQueryMLError(
                f"Column {wanted} named in input_label_cols is not in the training query's result"
            )
        return by_lower[wanted.lower()]
    if "label" in by_lower:
        return by_lower["label"]
    raise BigQueryMLError(NO_LABEL)


def split_rows(
    frame: pd.DataFrame, options: ModelOptions, seed: int
) -> tuple[np.ndarray, np.ndarray, str, float | None]:
    """Training and eval row positions, the split method used and the eval fraction."""
    rows = len(frame)
    method, fraction = options.data_split_method, options.data_split_eval_fraction
    if method == "AUTO_SPLIT":
        if rows < 500:
            method = "NO_SPLIT"
        else:
            method, fraction = "RANDOM", 0.2 if rows <= 50_000 else 10_000 / rows
    everything = np.arange(rows)
    if method == "NO_SPLIT":
        return everything, everything[:0], "NO_SPLIT", None
    if method == "RANDOM":
        order = np.random.default_rng(seed).permutation(rows)
        eval_count = round(rows * fraction)
        return np.sort(order[eval_count:]), np.sort(order[:eval_count]), "RANDOM", fraction
    column = _split_column(frame, options.data_split_col or "")
    if method == "CUSTOM":
        is_eval = column.fillna(False).astype(bool).to_numpy()
        return everything[~is_eval], everything[is_eval], "CUSTOM", None
    order = np.argsort(column.to_numpy(), kind="stable")
    train_count = rows - round(rows * fraction)
    return np.sort(order[:train_count]), np.sort(order[train_count:]), "SEQ", fraction


def _split_column(frame: pd.DataFrame, name: str) -> pd.Series:
    by_lower = {c.lower(): c for c in frame.columns}
    if name.lower() not in by_lower:
        raise BigQueryMLError(f"Column {name} named in data_split_col is not in the training data")
    return frame[by_lower[name.lower()]]


def _labels(column: pd.Series, options: ModelOptions, sql_type: str) -> tuple[np.ndarray, list]:
    if not options.is_classifier:
        if sql_type not in ("INT64", "INTEGER", "FLOAT64", "FLOAT", "NUMERIC", "BIGNUMERIC"):
            raise BigQueryMLError(
                f"Label column {column.name} of type {sql_type} cannot be used by "
                f"{options.model_type}: a regression label must be numeric"
            )
        return pd.to_numeric(column).to_numpy(float), []
    if sql_type not in ("STRING", "INT64", "INTEGER", "BOOL", "BOOLEAN"):
        raise BigQueryMLError(
            f"Label column {column.name} of type {sql_type} cannot be used by "
            f"{options.model_type}: a classification label is STRING, INT64 or BOOL"
        )
    # Typed arrays: scikit-learn cannot tell an object array of booleans is a class label.
    kind = {"BOOL": bool, "BOOLEAN": bool, "INT64": np.int64, "INTEGER": np.int64}.get(sql_type)
    values = column.astype(kind).to_numpy() if kind else column.to_numpy(object)
    classes = sorted(set(values.tolist()))
    if len(classes) < 2:
        raise BigQueryMLError(
            f"Label column {column.name} has only one distinct value: a classifier needs two"
        )
    if options.model_type == "LOGISTIC_REG" and len(classes) > 50:
        raise BigQueryMLError(
            "Logistic regression supports at most 50 unique label values, got "
            f"{len(classes)} in {column.name}"
        )
    return values, classes


def _family(model_type: str) -> str:
    if model_type in DNN:
        return "DNN"
    if model_type in TREES:
        return "TREES"
    return model_type


def _weights(options: ModelOptions, y: np.ndarray, classes: list) -> np.ndarray | None:
    if options.auto_class_weights:
        counts = pd.Series(y).value_counts()
        # Inverse frequency, as BigQuery describes AUTO_CLASS_WEIGHTS.
        return np.array([len(y) / (len(counts) * counts[v]) for v in y])
    if options.class_weights:
        by_text = {str(c): c for c in classes}
        unknown = [k for k in options.class_weights if k not in by_text]
        if unknown:
            raise BigQueryMLError(f"class_weights names label {unknown[0]}, not a training label")
        return np.array([options.class_weights.get(str(v), 1.0) for v in y])
    return None


def _stop(options: ModelOptions, losses: list[float]) -> bool:
    if not options.early_stop or len(losses) < 2:
        return False
    previous, current = losses[-2], losses[-1]
    return previous <= 0 or (previous - current) / previous < options.min_rel_progress


def _loss(options: ModelOptions, estimator: Any, x: np.ndarray | None, y: Any, classes: list):
    if x is None or y is None or len(y) == 0:
        return None
    if options.is_classifier:
        return float(log_loss(y, estimator.predict_proba(x), labels=classes))
    return float(mean_squared_error(y, estimator.predict(x)))


def _iterate(options, estimator, step, x, y, x_eval, y_eval, classes, rate):
    iterations: list[Iteration] = []
    losses: list[float] = []
    for index in range(options.max_iterations):
        started = time.perf_counter()
        step(index)
        duration = round((time.perf_counter() - started) * 1000)
        losses.append(_loss(options, estimator, x, y, classes))
        eval_loss = _loss(options, estimator, x_eval, y_eval, classes)
        iterations.append(Iteration(index, losses[-1], eval_loss, rate, duration))
        if _stop(options, losses):
            break
    return estimator, iterations


def _fit_logistic(options, x, y, x_eval, y_eval, classes, seed):
    l1, l2 = options.l1_reg, options.effective_l2_reg
    penalty = (l1 + l2) * len(y)
    estimator = LogisticRegression(
        C=1.0 / penalty if penalty else np.inf,
        l1_ratio=l1 / (l1 + l2) if l1 else 0.0,
        solver="saga" if l1 else "lbfgs",
        max_iter=1,
        warm_start=True,
        random_state=seed,
    )
    weights = _weights(options, y, classes)

    def step(_: int) -> None:
        estimator.fit(x, y, sample_weight=weights)

    return _iterate(options, estimator, step, x, y, x_eval, y_eval, classes, None)


def _fit_linear(options, x, y, x_eval, y_eval, classes, seed):
    rows, l1, l2 = len(y), options.l1_reg, options.effective_l2_reg
    if l1:
        estimator = ElasticNet(
            alpha=l1 + l2, l1_ratio=l1 / (l1 + l2), max_iter=1000, random_state=seed
        )
    else:
        estimator = Ridge(alpha=l2 * rows, solver="cholesky")
    started = time.perf_counter()
    estimator.fit(x, y)
    duration = round((time.perf_counter() - started) * 1000)
    loss = _loss(options, estimator, x, y, classes)
    eval_loss = _loss(options, estimator, x_eval, y_eval, classes)
    return estimator, [Iteration(0, loss, eval_loss, None, duration)]


_ACTIVATIONS = {"RELU": "relu", "SIGMOID": "logistic", "TANH": "tanh"}


def _fit_dnn(options, x, y, x_eval, y_eval, classes, seed):
    if options.l1_reg:
        raise Unsupported("l1_reg for DNN models is not supported by the BigQuery sandbox")
    kind = MLPClassifier if options.is_classifier else MLPRegressor
    rate = options.effective_learn_rate
    estimator = kind(
        hidden_layer_sizes=tuple(options.hidden_units),
        activation=_ACTIVATIONS[options.activation_fn],
        solver=options.optimizer.lower(),
        alpha=options.effective_l2_reg,
        batch_size=min(options.batch_size, len(y)),
        learning_rate_init=rate,
        random_state=seed,
    )
    weights = _weights(options, y, classes) if options.is_classifier else None
    extra = {"classes": np.asarray(classes)} if options.is_classifier else {}

    def step(_: int) -> None:
        estimator.partial_fit(x, y, sample_weight=weights, **extra)

    return _iterate(options, estimator, step, x, y, x_eval, y_eval, classes, rate)


def _fit_trees(options, x, y, x_eval, y_eval, classes, seed):
    kind = GradientBoostingClassifier if options.is_classifier else GradientBoostingRegressor
    rate = options.effective_learn_rate

    def build(trees: int) -> Any:
        return kind(
            n_estimators=trees,
            learning_rate=rate,
            max_depth=options.max_tree_depth,
            subsample=options.subsample,
            max_features=options.colsample_bytree if options.colsample_bytree < 1 else None,
            min_impurity_decrease=options.min_split_loss,
            random_state=seed,
        )

    weights = _weights(options, y, classes) if options.is_classifier else None
    started = time.perf_counter()
    estimator = build(options.max_iterations).fit(x, y, sample_weight=weights)
    per_tree = round((time.perf_counter() - started) * 1000 / options.max_iterations)
    train_stages = _staged(options, estimator, x, y, classes)
    eval_stages = _staged(options, estimator, x_eval, y_eval, classes)
    iterations: list[Iteration] = []
    for index, loss in enumerate(train_stages):
        eval_loss = eval_stages[index] if eval_stages else None
        iterations.append(Iteration(index, loss, eval_loss, rate, per_tree))
        if _stop(options, train_stages[: index + 1]):
            break
    if len(iterations) < options.max_iterations:
        # Early stop: the same seed grows the same first trees, so refit just those.
        estimator = build(len(iterations)).fit(x, y, sample_weight=weights)
    return estimator, iterations


def _staged(options, estimator, x, y, classes) -> list[float]:
    if x is None or y is None or len(y) == 0:
        return []
    if options.is_classifier:
        return [float(log_loss(y, p, labels=classes)) for p in estimator.staged_predict_proba(x)]
    return [float(mean_squared_error(y, p)) for p in estimator.staged_predict(x)]


def _fit_kmeans(options, x, y, x_eval, y_eval, classes, seed):
    rows = len(x)
    clusters = options.num_clusters or max(2, round(math.log10(max(rows, 1))))
    if clusters > rows:
        raise BigQueryMLError(
            f"num_clusters {clusters} is more than the {rows} rows of training data"
        )
    init = "k-means++" if options.kmeans_init_method == "KMEANS++" else "random"
    centres = KMeans(clusters, init=init, n_init=1, max_iter=1, random_state=seed).fit(x)
    estimator = centres
    iterations: list[Iteration] = []
    losses: list[float] = []
    for index in range(options.max_iterations):
        started = time.perf_counter()
        if index:
            estimator = KMeans(clusters, init=estimator.cluster_centers_, n_init=1, max_iter=1).fit(
                x
            )
        duration = round((time.perf_counter() - started) * 1000)
        losses.append(float(estimator.inertia_ / rows))
        iterations.append(Iteration(index, losses[-1], None, None, duration))
        if _stop(options, losses):
            break
    return estimator, iterations


_FITTERS = {
    "LOGISTIC_REG": _fit_logistic,
    "LINEAR_REG": _fit_linear,
    "DNN": _fit_dnn,
    "TREES": _fit_trees,
    "KMEANS": _fit_kmeans,
}
