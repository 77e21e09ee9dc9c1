"""CREATE MODEL options: which exist, their GoogleSQL types, the model types they apply to.

Validation runs in BigQuery's order: each option's name, then its value's type (GoogleSQL's
analyzer), then what BigQuery ML checks (model type, applicability, ranges).

Wordings and where they come from:

- ``Unknown option: <name>`` and ``Option <name> value has type <T> which cannot be coerced to
  expected type <U>`` are GoogleSQL's analyzer messages (google/zetasql, resolver.cc,
  ``GetHintOrOptionProperties`` / ``ResolveHintOrOptionAndAppend``), which BigQuery reports with
  `` at [line:column]`` of the value. The workshop's ``labels=['species']`` therefore gets
  ``Option labels value has type ARRAY<STRING> which cannot be coerced to expected type
  ARRAY<STRUCT<STRING, STRING>> at [1:78]``: the template is confirmed from GoogleSQL's source and
  ``labels``' type ARRAY<STRUCT<STRING, STRING>> from BigQuery's DDL docs and its
  INFORMATION_SCHEMA option tables; that CREATE MODEL types ``labels`` this way is inferred (a
  floci BigQuery emulator test records the same template for ALTER TABLE ... SET OPTIONS).
- The option-not-for-this-model-type, bad-enum-value, missing-model_type and range messages are
  inferred: BigQuery's exact words for them were not found in public material.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import BigQueryMLError, Unsupported
from .statements import OptionValue

LINEAR = ("LINEAR_REG", "LOGISTIC_REG")
DNN = ("DNN_CLASSIFIER", "DNN_REGRESSOR")
TREES = ("BOOSTED_TREE_CLASSIFIER", "BOOSTED_TREE_REGRESSOR")
MODEL_TYPES = (*LINEAR, *DNN, *TREES, "KMEANS")
CLASSIFIERS = ("LOGISTIC_REG", "DNN_CLASSIFIER", "BOOSTED_TREE_CLASSIFIER")
SUPERVISED = (*LINEAR, *DNN, *TREES)
# Model types real BigQuery trains that this sandbox refuses by name.
OTHER_MODEL_TYPES = (
    "MATRIX_FACTORIZATION", "PCA", "AUTOENCODER", "AUTOML_CLASSIFIER", "AUTOML_REGRESSOR",
    "RANDOM_FOREST_CLASSIFIER", "RANDOM_FOREST_REGRESSOR", "DNN_LINEAR_COMBINED_CLASSIFIER",
    "DNN_LINEAR_COMBINED_REGRESSOR", "ARIMA_PLUS", "ARIMA_PLUS_XREG", "TENSORFLOW",
    "TENSORFLOW_LITE", "ONNX", "XGBOOST", "CONTRIBUTION_ANALYSIS", "TRANSFORM_ONLY",
)  # fmt: skip
# Options real BigQuery knows that this sandbox does not implement: refused by name.
OTHER_OPTIONS = (
    "calculate_p_values", "category_encoding_method", "enable_global_explain",
    "integrated_gradients_num_steps", "num_trials", "max_parallel_trials",
    "hparam_tuning_algorithm", "hparam_tuning_objectives", "kms_key_name", "model_registry",
    "vertex_ai_model_id", "vertex_ai_model_version_aliases", "warm_start", "kmeans_init_col",
    "instance_weight_col", "dart_normalize_type", "xgboost_version", "budget_hours",
    "ls_init_learn_rate", "optimize_strategy", "min_tree_child_weight", "colsample_bylevel",
    "colsample_bynode", "approx_global_feature_contrib", "fit_intercept",
)  # fmt: skip


@dataclass(frozen=True)
class Spec:
    """One option: its GoogleSQL type, the model types it applies to, its allowed values."""

    sql_type: str
    applies_to: tuple[str, ...]
    choices: tuple[str, ...] = ()


SPECS: dict[str, Spec] = {
    "model_type": Spec("STRING", MODEL_TYPES),
    "input_label_cols": Spec("ARRAY<STRING>", SUPERVISED),
    "data_split_method": Spec(
        "STRING", SUPERVISED, ("AUTO_SPLIT", "RANDOM", "CUSTOM", "SEQ", "NO_SPLIT")
    ),
    "data_split_eval_fraction": Spec("FLOAT64", SUPERVISED),
    "data_split_col": Spec("STRING", SUPERVISED),
    "max_iterations": Spec("INT64", MODEL_TYPES),
    "early_stop": Spec("BOOL", MODEL_TYPES),
    "min_rel_progress": Spec("FLOAT64", MODEL_TYPES),
    "learn_rate_strategy": Spec("STRING", LINEAR, ("LINE_SEARCH", "CONSTANT")),
    "learn_rate": Spec("FLOAT64", SUPERVISED),
    "l1_reg": Spec("FLOAT64", SUPERVISED),
    "l2_reg": Spec("FLOAT64", SUPERVISED),
    "auto_class_weights": Spec("BOOL", CLASSIFIERS),
    "class_weights": Spec("ARRAY<STRUCT<STRING, FLOAT64>>", CLASSIFIERS),
    "hidden_units": Spec("ARRAY<INT64>", DNN),
    "activation_fn": Spec(
        "STRING", DNN, ("RELU", "RELU6", "CRELU", "ELU", "SELU", "SIGMOID", "TANH")
    ),
    "dropout": Spec("FLOAT64", DNN),
    "batch_size": Spec("INT64", DNN),
    "optimizer": Spec("STRING", DNN, ("ADAGRAD", "ADAM", "FTRL", "RMSPROP", "SGD")),
    "num_clusters": Spec("INT64", ("KMEANS",)),
    "kmeans_init_method": Spec("STRING", ("KMEANS",), ("RANDOM", "KMEANS++", "CUSTOM")),
    "distance_type": Spec("STRING", ("KMEANS",), ("EUCLIDEAN", "COSINE")),
    "standardize_features": Spec("BOOL", ("KMEANS",)),
    "max_tree_depth": Spec("INT64", TREES),
    "num_parallel_tree": Spec("INT64", TREES),
    "subsample": Spec("FLOAT64", TREES),
    "colsample_bytree": Spec("FLOAT64", TREES),
    "min_split_loss": Spec("FLOAT64", TREES),
    "booster_type": Spec("STRING", TREES, ("GBTREE", "DART")),
    "tree_method": Spec("STRING", TREES, ("AUTO", "EXACT", "APPROX", "HIST")),
    "labels": Spec("ARRAY<STRUCT<STRING, STRING>>", MODEL_TYPES),
}
# What sklearn here can do of BigQuery's choices; the rest is refused by name.
IMPLEMENTED_CHOICES = {
    "activation_fn": ("RELU", "SIGMOID", "TANH"),
    "optimizer": ("ADAM", "SGD"),
    "kmeans_init_method": ("RANDOM", "KMEANS++"),
    "distance_type": ("EUCLIDEAN",),
    "booster_type": ("GBTREE",),
}
EXPORT_SPECS: dict[str, Spec] = {"uri": Spec("STRING", MODEL_TYPES)}
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


@dataclass
class ModelOptions:
    """A CREATE MODEL's options after validation, with BigQuery's defaults filled in."""

    model_type: str
    input_label_cols: list[str] = field(default_factory=list)
    data_split_method: str = "AUTO_SPLIT"
    data_split_eval_fraction: float = 0.2
    data_split_col: str | None = None
    max_iterations: int = 20
    early_stop: bool = True
    min_rel_progress: float = 0.01
    learn_rate_strategy: str = "LINE_SEARCH"
    learn_rate: float | None = None
    l1_reg: float = 0.0
    l2_reg: float | None = None
    auto_class_weights: bool = False
    class_weights: dict[str, float] = field(default_factory=dict)
    hidden_units: list[int] = field(default_factory=lambda: [128])
    activation_fn: str = "RELU"
    dropout: float = 0.0
    batch_size: int = 32
    optimizer: str = "ADAM"
    num_clusters: int | None = None
    kmeans_init_method: str = "RANDOM"
    distance_type: str = "EUCLIDEAN"
    standardize_features: bool = True
    max_tree_depth: int = 6
    num_parallel_tree: int = 1
    subsample: float = 1.0
    colsample_bytree: float = 1.0
    min_split_loss: float = 0.0
    booster_type: str = "GBTREE"
    tree_method: str = "AUTO"
    labels: dict[str, str] = field(default_factory=dict)
    given: tuple[str, ...] = ()

    @property
    def is_classifier(self) -> bool:
        """Whether the model predicts classes."""
        return self.model_type in CLASSIFIERS

    @property
    def effective_learn_rate(self) -> float:
        """LEARN_RATE, or BigQuery's default for the model type."""
        if self.learn_rate is not None:
            return self.learn_rate
        return {"DNN_CLASSIFIER": 0.001, "DNN_REGRESSOR": 0.001}.get(
            self.model_type, 0.3 if self.model_type in TREES else 0.1
        )

    @property
    def effective_l2_reg(self) -> float:
        """L2_REG, or BigQuery's default (1.0 for boosted trees, else 0)."""
        if self.l2_reg is not None:
            return self.l2_reg
        return 1.0 if self.model_type in TREES else 0.0


def validate_options(options: dict[str, OptionValue]) -> ModelOptions:
    """Check a CREATE MODEL's options the way BigQuery does; BigQueryMLError if it would not."""
    for option in options.values():
        check_type(option, SPECS)
    model_type_option = options.get("model_type")
    if model_type_option is None or model_type_option.value is None:
        raise BigQueryMLError("Option model_type is required in CREATE MODEL OPTIONS")
    model_type = str(model_type_option.value).upper()
    if model_type in OTHER_MODEL_TYPES:
        raise Unsupported(f"model_type {model_type} is not supported by the BigQuery sandbox")
    if model_type not in MODEL_TYPES:
        raise BigQueryMLError(
            f"Invalid value for option model_type: '{model_type_option.value}' is not a "
            f"supported model type at {model_type_option.where}"
        )
    result = ModelOptions(model_type=model_type, given=tuple(options))
    for name, option in options.items():
        if name == "model_type" or option.value is None:
            continue
        spec = SPECS[name]
        if model_type not in spec.applies_to:
            raise BigQueryMLError(
                f"Option {name} is not supported for model_type {model_type} at {option.where}"
            )
        setattr(result, name, _convert(name, option, spec))
    _check_ranges(result, options)
    return result


def validate_export_options(options: dict[str, OptionValue]) -> str:
    """The ``URI`` of an EXPORT MODEL, checked like CREATE MODEL's options."""
    for option in options.values():
        check_type(option, EXPORT_SPECS)
    uri = options.get("uri")
    if uri is None or not str(uri.value or "").startswith("gs://"):
        raise BigQueryMLError("EXPORT MODEL requires OPTIONS(URI = 'gs://bucket/path')")
    return str(uri.value)


def check_type(option: OptionValue, specs: dict[str, Spec]) -> None:
    """GoogleSQL's checks of one option: a known name, a value of a coercible type."""
    if option.name in OTHER_OPTIONS:
        raise Unsupported(f"Option {option.name} is not supported by the BigQuery sandbox")
    spec = specs.get(option.name)
    if spec is None:
        # GoogleSQL points at the option's name here, at its value for type errors.
        raise BigQueryMLError(f"Unknown option: {option.name} at {option.name_at or option.where}")
    if not coerces(option.sql_type, spec.sql_type):
        raise BigQueryMLError(
            f"Option {option.name} value has type {option.sql_type} which cannot be coerced to "
            f"expected type {spec.sql_type} at {option.where}"
        )


def coerces(actual: str, expected: str) -> bool:
    """Whether a literal of type ``actual`` coerces implicitly to ``expected``."""
    if actual in ("NULL", expected):
        return True
    if actual == "INT64" and expected == "FLOAT64":
        return True
    inner_actual, inner_expected = _inner(actual, "ARRAY"), _inner(expected, "ARRAY")
    if inner_actual is not None and inner_expected is not None:
        return inner_actual == "" or coerces(inner_actual, inner_expected)
    fields_actual, fields_expected = _inner(actual, "STRUCT"), _inner(expected, "STRUCT")
    if fields_actual is not None and fields_expected is not None:
        left, right = _fields(fields_actual), _fields(fields_expected)
        return len(left) == len(right) and all(map(coerces, left, right))
    return False


def _inner(sql_type: str, kind: str) -> str | None:
    if sql_type.startswith(f"{kind}<") and sql_type.endswith(">"):
        return sql_type[len(kind) + 1 : -1]
    return None


def _fields(body: str) -> list[str]:
    fields, depth, current = [], 0, ""
    for char in body:
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            fields.append(current.strip())
            current = ""
        else:
            current += char
    fields.append(current.strip())
    # A named field "k STRING" coerces by its type alone.
    return [f.split(" ", 1)[1] if " " in f and "<" not in f.split(" ", 1)[0] else f for f in fields]


def _convert(name: str, option: OptionValue, spec: Spec) -> Any:
    value = option.value
    if spec.choices:
        text = str(value).upper()
        if text not in spec.choices:
            raise BigQueryMLError(
                f"Invalid value for option {name}: '{value}'; expected one of "
                f"{', '.join(spec.choices)} at {option.where}"
            )
        if text not in IMPLEMENTED_CHOICES.get(name, spec.choices):
            raise Unsupported(f"{name} = '{text}' is not supported by the BigQuery sandbox")
        return text
    if name == "labels":
        return _labels(option)
    if name == "class_weights":
        return {str(k): float(v) for k, v in value}
    if spec.sql_type == "FLOAT64":
        return float(value)
    return value


def _labels(option: OptionValue) -> dict[str, str]:
    labels: dict[str, str] = {}
    for key, value in option.value:
        if not _LABEL_KEY.match(str(key)) or not _LABEL_VALUE.match(str(value or "")):
            raise BigQueryMLError(
                f"Invalid label ('{key}', '{value}'): keys start with a lowercase letter; keys "
                "and values hold up to 63 lowercase letters, digits, '_' or '-'"
            )
        labels[str(key)] = str(value or "")
    return labels


def _check_ranges(result: ModelOptions, options: dict[str, OptionValue]) -> None:
    def fail(name: str, rule: str) -> None:
        raise BigQueryMLError(f"Option {name} {rule} at {options[name].where}")

    given = set(options)
    if "data_split_eval_fraction" in given and not 0 < result.data_split_eval_fraction < 1:
        fail("data_split_eval_fraction", "must be between 0 and 1, exclusive")
    if result.data_split_method in ("CUSTOM", "SEQ") and not result.data_split_col:
        fail("data_split_method", f"{result.data_split_method} requires data_split_col")
    if result.data_split_col and result.data_split_method not in ("CUSTOM", "SEQ"):
        fail("data_split_col", "is used only with data_split_method CUSTOM or SEQ")
    if result.max_iterations < 1:
        fail("max_iterations", "must be at least 1")
    if "learn_rate" in given and not result.effective_learn_rate > 0:
        fail("learn_rate", "must be positive")
    for name in ("l1_reg", "l2_reg", "min_rel_progress", "min_split_loss"):
        if name in given and getattr(result, name) < 0:
            fail(name, "must not be negative")
    if "hidden_units" in given and (
        not result.hidden_units or any(u < 1 for u in result.hidden_units)
    ):
        fail("hidden_units", "must list positive layer sizes")
    if "batch_size" in given and not 1 <= result.batch_size <= 8192:
        fail("batch_size", "must be between 1 and 8192")
    if "dropout" in given and not 0 <= result.dropout < 1:
        fail("dropout", "must be in [0, 1)")
    if result.dropout:
        raise Unsupported("dropout other than 0 is not supported by the BigQuery sandbox")
    if result.num_clusters is not None and not 2 <= result.num_clusters <= 100:
        fail("num_clusters", "must be between 2 and 100")
    if "max_tree_depth" in given and result.max_tree_depth < 1:
        fail("max_tree_depth", "must be at least 1")
    for name in ("subsample", "colsample_bytree"):
        if name in given and not 0 < getattr(result, name) <= 1:
            fail(name, "must be in (0, 1]")
    if result.num_parallel_tree != 1:
        raise Unsupported("num_parallel_tree other than 1 is not supported by the BigQuery sandbox")
