"""BigQuery ML on scikit-learn: statements, options, preprocessing, training, metrics, resources."""

from __future__ import annotations

import io
import time

import duckdb
import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from mlops_labs.bigquery.public_data import penguins_frame
from mlops_labs.bigquery_ml.errors import BigQueryMLError, Unsupported
from mlops_labs.bigquery_ml.evaluation import evaluate
from mlops_labs.bigquery_ml.functions import run_ml_function
from mlops_labs.bigquery_ml.options import validate_export_options, validate_options
from mlops_labs.bigquery_ml.prediction import predict
from mlops_labs.bigquery_ml.preprocessing import NULL_CATEGORY, Preprocessor, infer_types
from mlops_labs.bigquery_ml.resources import model_resource
from mlops_labs.bigquery_ml.serving import export_files
from mlops_labs.bigquery_ml.serving import load as load_exported
from mlops_labs.bigquery_ml.statements import (
    CreateModel,
    DropModel,
    ExportModel,
    MLFunctionCall,
    parse_statement,
)
from mlops_labs.bigquery_ml.training import NO_LABEL, train_model
from mlops_labs.cloud.discovery import DiscoveryDocument

WORKSHOP_WRONG = (
    "CREATE OR REPLACE MODEL penguins OPTIONS(model_type='DNN_CLASSIFIER', labels=['species']) "
    "AS SELECT * FROM `bigquery-public-data.ml_datasets.penguins`"
)
WORKSHOP_RIGHT = (
    "CREATE OR REPLACE MODEL `penguins.penguin_model` OPTIONS(model_type='DNN_CLASSIFIER', "
    "input_label_cols=['species']) AS SELECT * FROM `bigquery-public-data.ml_datasets.penguins`"
)


def options_of(sql_options: str):
    """Validated options of ``CREATE MODEL d.m OPTIONS(<sql_options>) AS SELECT 1``."""
    statement = parse_statement(f"CREATE MODEL d.m OPTIONS({sql_options}) AS SELECT 1")
    return validate_options(statement.options)


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    return penguins_frame()


@pytest.fixture(scope="module")
def workshop_model(penguins):
    statement = parse_statement(WORKSHOP_RIGHT)
    started = time.perf_counter()
    model = train_model(penguins, validate_options(statement.options))
    return model, time.perf_counter() - started


def synthetic(rows: int, seed: int = 7) -> pd.DataFrame:
    """A deterministic table with numeric, string and NULL features and three kinds of label."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    colour = rng.choice(["red", "green", "blue"], size=rows).astype(object)
    colour[rng.random(rows) < 0.1] = None
    score = x1 + 0.5 * x2 + (colour == "red") + rng.normal(scale=0.5, size=rows)
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": np.where(rng.random(rows) < 0.05, np.nan, x2),
            "colour": colour,
            "amount": 50 + 10 * score,
            "bought": score > 0.5,
            "tier": np.where(score > 1, "gold", np.where(score > -0.5, "silver", "bronze")),
        }
    )


# Statements


def test_create_model_keeps_name_disposition_options_and_query():
    statement = parse_statement(WORKSHOP_RIGHT)
    assert isinstance(statement, CreateModel)
    assert statement.name.parts == ("penguins", "penguin_model")
    assert statement.replace and not statement.if_not_exists
    assert statement.options["model_type"].value == "DNN_CLASSIFIER"
    assert statement.options["input_label_cols"].sql_type == "ARRAY<STRING>"
    assert statement.query == "SELECT * FROM `bigquery-public-data.ml_datasets.penguins`"


def test_option_values_of_every_literal_kind():
    statement = parse_statement(
        "CREATE MODEL IF NOT EXISTS my-project.d.m OPTIONS(MODEL_TYPE='kmeans', x=-1.5, n=3, "
        "b=TRUE, z=NULL, a=['p', 'q'], l=[('k', 'v'), STRUCT('k2' AS key, 'v2' AS value)]) "
        "AS (SELECT 1 AS f)"
    )
    assert statement.name.parts == ("my-project", "d", "m") and statement.if_not_exists
    got = {k: (v.value, v.sql_type) for k, v in statement.options.items()}
    assert got == {
        "model_type": ("kmeans", "STRING"),
        "x": (-1.5, "FLOAT64"),
        "n": (3, "INT64"),
        "b": (True, "BOOL"),
        "z": (None, "NULL"),
        "a": (["p", "q"], "ARRAY<STRING>"),
        "l": ([("k", "v"), ("k2", "v2")], "ARRAY<STRUCT<STRING, STRING>>"),
    }


def test_ml_functions_keep_model_input_settings_and_the_outer_select():
    evaluate_call = parse_statement(
        "SELECT * FROM ML.EVALUATE(MODEL `p.d.m`, (SELECT * FROM t WHERE a IN (1, 2)), "
        "STRUCT(0.6 AS threshold)) ORDER BY roc_auc DESC LIMIT 1"
    )
    assert isinstance(evaluate_call, MLFunctionCall)
    assert evaluate_call.function == "EVALUATE" and evaluate_call.model.parts == ("p", "d", "m")
    assert evaluate_call.input_query == "SELECT * FROM t WHERE a IN (1, 2)"
    assert evaluate_call.settings["threshold"].value == 0.6
    assert evaluate_call.outer_query("r") == "SELECT * FROM r ORDER BY roc_auc DESC LIMIT 1"
    predict_call = parse_statement("SELECT predicted_y FROM ML.PREDICT(MODEL d.m, TABLE d.t)")
    assert predict_call.input_table.parts == ("d", "t") and predict_call.input_query is None
    info = parse_statement("select * from ml.training_info(model d.m)")
    assert info.function == "TRAINING_INFO" and info.outer_query("r") == "select * from r"
    bare = parse_statement("SELECT * FROM ML.EVALUATE(MODEL penguins)")
    assert bare.model.parts == ("penguins",) and bare.input_query is None


def test_drop_and_export_model():
    assert parse_statement("DROP MODEL IF EXISTS d.m;") == DropModel(
        parse_statement("DROP MODEL d.m").name, True
    )
    export = parse_statement("EXPORT MODEL d.m OPTIONS(URI='gs://bucket/models/m')")
    assert isinstance(export, ExportModel)
    assert validate_export_options(export.options) == "gs://bucket/models/m"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "CREATE OR REPLACE MODEL IF NOT EXISTS d.m OPTIONS(model_type='KMEANS') AS SELECT 1",
            "OR REPLACE and IF NOT EXISTS cannot both be present at [1:1]",
        ),
        (
            "CREATE MODEL d.m OPTIONS(model_type='KMEANS')",
            "The AS SELECT clause is required for CREATE MODEL at [1:1]",
        ),
        (
            "CREATE MODEL d.m OPTIONS(model_type='KMEANS' AS SELECT 1",
            'Syntax error: Expected ")" but got keyword AS at [1:46]',
        ),
        (
            "SELECT * FROM ML.PREDICT(MODEL d.m)",
            "ML.PREDICT requires a table or query as its second argument at [1:15]",
        ),
    ],
)
def test_malformed_statements_are_refused_in_one_line(sql, message):
    with pytest.raises(BigQueryMLError) as error:
        parse_statement(sql)
    assert error.value.message == message


def test_unimplemented_features_are_refused_by_name():
    with pytest.raises(Unsupported, match="TRANSFORM clause"):
        parse_statement("CREATE MODEL d.m TRANSFORM(x) OPTIONS(model_type='KMEANS') AS SELECT 1")
    with pytest.raises(Unsupported, match=r"ML\.WEIGHTS"):
        parse_statement("SELECT * FROM ML.WEIGHTS(MODEL d.m)")


# Options


def test_workshop_labels_option_gets_bigquerys_error_verbatim():
    statement = parse_statement(WORKSHOP_WRONG)
    with pytest.raises(BigQueryMLError) as error:
        validate_options(statement.options)
    assert str(error.value) == (
        "Option labels value has type ARRAY<STRING> which cannot be coerced to expected type "
        "ARRAY<STRUCT<STRING, STRING>> at [1:78]"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("model_type='KMEANS', foo=1", "Unknown option: foo at [1:47]"),
        (
            "model_type='LOGISTIC_REG', max_iterations='ten'",
            "Option max_iterations value has type STRING which cannot be coerced to expected "
            "type INT64 at [1:68]",
        ),
        (
            "model_type='LOGISTIC_REG', hidden_units=[8]",
            "Option hidden_units is not supported for model_type LOGISTIC_REG at [1:66]",
        ),
        ("input_label_cols=['y']", "Option model_type is required in CREATE MODEL OPTIONS"),
        (
            "model_type='LINEAR_REG', data_split_method='CUSTOM'",
            "Option data_split_method CUSTOM requires data_split_col at [1:69]",
        ),
    ],
)
def test_option_errors(options, message):
    with pytest.raises(BigQueryMLError) as error:
        options_of(options)
    assert error.value.message == message


def test_options_are_case_insensitive_coerce_and_take_resource_labels():
    options = options_of(
        "MODEL_TYPE='dnn_regressor', LEARN_RATE=1, Hidden_Units=[16, 8], "
        "labels=[('team', 'ml'), STRUCT('env' AS k, 'dev' AS v)]"
    )
    assert options.model_type == "DNN_REGRESSOR" and options.learn_rate == 1.0
    assert options.hidden_units == [16, 8]
    assert options.labels == {"team": "ml", "env": "dev"}


def test_dnn_defaults_are_bigquerys_documented_ones(workshop_model):
    model, _ = workshop_model
    options = model.options
    assert (options.batch_size, options.max_iterations, options.effective_learn_rate) == (
        32,
        20,
        0.001,
    )
    training = model_resource(model, "p", "d", "m")["trainingRuns"][0]["trainingOptions"]
    assert training["batchSize"] == "32" and training["hiddenUnits"] == ["128"]
    with pytest.raises(BigQueryMLError, match="batch_size must be between 1 and 8192"):
        options_of("model_type='DNN_CLASSIFIER', batch_size=8193")


def test_known_but_unimplemented_choices_are_refused_by_name():
    with pytest.raises(Unsupported, match="ARIMA_PLUS"):
        options_of("model_type='ARIMA_PLUS'")
    with pytest.raises(Unsupported, match="ELU"):
        options_of("model_type='DNN_CLASSIFIER', activation_fn='ELU'")


def test_missing_label_column_gets_bigquerys_error(penguins):
    with pytest.raises(BigQueryMLError) as error:
        train_model(penguins, options_of("model_type='LOGISTIC_REG'"))
    assert error.value.message == NO_LABEL
    assert NO_LABEL.startswith("Unable to identify the label column in query statement.")


# Preprocessing


def test_preprocessing_standardises_numbers_and_one_hot_encodes_strings_with_nulls():
    train = pd.DataFrame({"n": [1.0, 3.0, None], "s": ["b", None, "a"], "f": [True, False, True]})
    types = infer_types(train)
    assert types == {"n": "FLOAT64", "s": "STRING", "f": "BOOL"}
    pre = Preprocessor.fit(train, types)
    assert pre.features[1].categories == [NULL_CATEGORY, "a", "b"]
    matrix = pre.transform(train)
    # n: mean 2, population std 1; the NULL is imputed with the mean, so 0 after scaling.
    np.testing.assert_allclose(matrix[:, 0], [-1.0, 1.0, 0.0])
    np.testing.assert_array_equal(matrix[:, 1:4], [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(matrix[:, 4:], [[0, 1], [1, 0], [0, 1]])
    # A category training never saw is encoded as the NULL category, which training had.
    np.testing.assert_array_equal(
        pre.transform(pd.DataFrame({**train, "s": "z"}))[0, 1:4], [1, 0, 0]
    )


def test_timestamp_features_are_refused_by_name():
    frame = pd.DataFrame(
        {"when": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True), "label": [1.0, 2.0]}
    )
    with pytest.raises(Unsupported, match="TIMESTAMP feature when"):
        train_model(frame, options_of("model_type='LINEAR_REG'"))


def test_rows_with_a_null_label_are_left_out_of_training():
    frame = synthetic(100)
    frame.loc[:9, "amount"] = None
    model = train_model(frame, options_of("model_type='LINEAR_REG', input_label_cols=['amount']"))
    assert model.training_rows == 90


# The workshop's model


def test_workshop_dnn_trains_fast_and_evaluates_well(workshop_model):
    model, seconds = workshop_model
    assert seconds < 2
    assert model.split_method == "NO_SPLIT"  # 344 rows: under AUTO_SPLIT's 500
    result = evaluate(model)
    assert list(result.columns) == [
        "precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc",
    ]  # fmt: skip
    assert result.loc[0, "accuracy"] > 0.9
    call = parse_statement(
        "SELECT * FROM ML.EVALUATE(MODEL penguins.penguin_model) ORDER BY roc_auc DESC LIMIT 1"
    )
    rows = run_ml_function(call, model)
    answer = duckdb.sql(call.outer_query("rows")).df()
    assert len(answer) == 1 and answer.loc[0, "roc_auc"] == rows.loc[0, "roc_auc"] > 0.9


def test_workshop_prediction_columns(workshop_model, penguins):
    model, _ = workshop_model
    out = predict(model, penguins.head(3))
    assert list(out.columns[:2]) == ["predicted_species", "predicted_species_probs"]
    assert list(out.columns[2:]) == list(penguins.columns)
    probs = out.loc[0, "predicted_species_probs"]
    assert [p["label"] for p in probs] == sorted(model.classes, reverse=True)
    assert sum(p["prob"] for p in probs) == pytest.approx(1.0)
    assert out.loc[0, "predicted_species"] == max(probs, key=lambda p: p["prob"])["label"]


def test_training_info_and_pickling(workshop_model, penguins):
    model, _ = workshop_model
    info = model.training_info()
    assert list(info.columns) == [
        "training_run", "iteration", "loss", "eval_loss", "learning_rate", "duration_ms",
    ]  # fmt: skip
    assert info["iteration"].tolist() == list(range(len(info)))
    assert info["loss"].iloc[-1] < info["loss"].iloc[0]
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    restored = joblib.load(buffer)
    assert restored.classes == model.classes and restored.feature_columns == model.feature_columns
    pd.testing.assert_frame_equal(predict(restored, penguins), predict(model, penguins))


# Every model type


@pytest.mark.parametrize(
    ("model_type", "label", "columns"),
    [
        ("LOGISTIC_REG", "bought", "precision"),
        ("LOGISTIC_REG", "tier", "precision"),
        ("LINEAR_REG", "amount", "mean_absolute_error"),
        ("DNN_CLASSIFIER", "bought", "precision"),
        ("DNN_REGRESSOR", "amount", "mean_absolute_error"),
        ("BOOSTED_TREE_CLASSIFIER", "tier", "precision"),
        ("BOOSTED_TREE_REGRESSOR", "amount", "mean_absolute_error"),
        ("KMEANS", None, "davies_bouldin_index"),
    ],
)
def test_each_model_type_trains_evaluates_and_predicts_the_same_twice(model_type, label, columns):
    frame = synthetic(200)
    other_labels = [c for c in ("amount", "bought", "tier") if c != label]
    frame = frame.drop(columns=other_labels)
    sql = f"model_type='{model_type}', max_iterations=5"
    if label:
        sql += f", input_label_cols=['{label}']"
    first = train_model(frame, options_of(sql))
    second = train_model(frame, options_of(sql))
    pd.testing.assert_frame_equal(evaluate(first), evaluate(second))
    assert evaluate(first).columns[0] == columns
    out = predict(first, frame.head(5))
    pd.testing.assert_frame_equal(out, predict(second, frame.head(5)))
    assert len(first.iterations) <= 5
    if model_type == "KMEANS":
        assert list(out.columns[:2]) == ["CENTROID_ID", "NEAREST_CENTROIDS_DISTANCE"]
        distances = out.loc[0, "NEAREST_CENTROIDS_DISTANCE"]
        assert distances[0]["CENTROID_ID"] == out.loc[0, "CENTROID_ID"]
        assert [d["DISTANCE"] for d in distances] == sorted(d["DISTANCE"] for d in distances)
    else:
        assert out.columns[0] == f"predicted_{label}"


def test_auto_split_and_metrics_match_sklearn_on_the_eval_rows():
    frame = synthetic(600).drop(columns=["amount", "tier"])
    model = train_model(frame, options_of("model_type='LOGISTIC_REG', input_label_cols=['bought']"))
    assert model.split_method == "RANDOM" and model.training_rows == 480
    rows = model.evaluation_rows
    assert len(rows) == 120
    out = predict(model, rows)
    truth = rows["bought"].to_numpy()
    predicted = out["predicted_bought"].to_numpy(bool)
    positive = [next(p["prob"] for p in probs if p["label"] is True) for probs in out.iloc[:, 1]]
    expected = {
        "precision": metrics.precision_score(truth, predicted),
        "recall": metrics.recall_score(truth, predicted),
        "accuracy": metrics.accuracy_score(truth, predicted),
        "f1_score": metrics.f1_score(truth, predicted),
        "log_loss": metrics.log_loss(truth, positive),
        "roc_auc": metrics.roc_auc_score(truth, positive),
    }
    assert evaluate(model).iloc[0].to_dict() == pytest.approx(expected)


def test_multiclass_metrics_are_macro_averaged_and_threshold_is_a_setting():
    frame = synthetic(300).drop(columns=["amount", "bought"])
    model = train_model(frame, options_of("model_type='LOGISTIC_REG', input_label_cols=['tier']"))
    out = predict(model, frame)
    truth, predicted = frame["tier"], out["predicted_tier"]
    result = evaluate(model, frame).iloc[0]
    assert result["precision"] == pytest.approx(
        metrics.precision_score(truth, predicted, average="macro")
    )
    assert result["recall"] == pytest.approx(
        metrics.recall_score(truth, predicted, average="macro")
    )
    assert result["accuracy"] == pytest.approx(metrics.accuracy_score(truth, predicted))
    call = parse_statement("SELECT * FROM ML.EVALUATE(MODEL d.m, TABLE d.t, STRUCT(2 AS foo))")
    with pytest.raises(BigQueryMLError, match="Unknown setting foo"):
        run_ml_function(call, model, frame)


def test_regression_metrics_match_sklearn():
    frame = synthetic(200).drop(columns=["bought", "tier"])
    model = train_model(frame, options_of("model_type='LINEAR_REG', input_label_cols=['amount']"))
    truth = frame["amount"]
    predicted = predict(model, frame)["predicted_amount"]
    result = evaluate(model, frame).iloc[0]
    assert result["mean_squared_error"] == pytest.approx(
        metrics.mean_squared_error(truth, predicted)
    )
    assert result["r2_score"] == pytest.approx(metrics.r2_score(truth, predicted))
    assert result["median_absolute_error"] == pytest.approx(
        metrics.median_absolute_error(truth, predicted)
    )


# The REST resource


@pytest.mark.parametrize("kind", ["workshop", "LINEAR_REG", "KMEANS", "BOOSTED_TREE_CLASSIFIER"])
def test_model_resource_validates_against_the_discovery_document(kind, workshop_model):
    if kind == "workshop":
        model = workshop_model[0]
    else:
        frame = synthetic(120).drop(columns=["amount", "tier"])
        label = "" if kind == "KMEANS" else ", input_label_cols=['bought']"
        if kind == "LINEAR_REG":
            frame, label = synthetic(120).drop(columns=["bought", "tier"]), ", labels=[('a','b')]"
            label += ", input_label_cols=['amount']"
        model = train_model(frame, options_of(f"model_type='{kind}', max_iterations=3{label}"))
    resource = model_resource(model, "proj", "penguins", "penguin_model")
    assert DiscoveryDocument.load("bigquery.v2").check("Model", resource) == []
    assert resource["modelReference"]["modelId"] == "penguin_model"
    assert len(resource["trainingRuns"][0]["results"]) == len(model.iterations)
    if kind == "workshop":
        assert resource["modelType"] == "DNN_CLASSIFIER"
        assert resource["labelColumns"] == [{"name": "species", "type": {"typeKind": "STRING"}}]
        metrics_ = resource["trainingRuns"][0]["evaluationMetrics"]
        assert "multiClassClassificationMetrics" in metrics_


# Exported models


@pytest.mark.parametrize(
    ("options", "keys"),
    [
        ("model_type='LOGISTIC_REG', input_label_cols=['tier']", {"tier_probs", "tier_values",
                                                                    "predicted_tier"}),
        ("model_type='LINEAR_REG', input_label_cols=['amount']", {"predicted_amount"}),
        ("model_type='DNN_CLASSIFIER', input_label_cols=['bought'], hidden_units=[8]",
         {"all_class_ids", "all_classes", "class_ids", "classes", "logistic", "logits",
          "probabilities"}),
        ("model_type='KMEANS', num_clusters=3",
         {"centroid_distances", "centroid_ids", "nearest_centroid_id"}),
    ],
)  # fmt: skip
def test_exported_models_answer_in_bigquerys_export_output_shape(options, keys):
    frame = synthetic(200)
    statement = parse_statement(f"CREATE MODEL d.m OPTIONS({options}) AS SELECT 1")
    trained = train_model(frame.drop(columns=["bought"]) if "KMEANS" in options else frame,
                          validate_options(statement.options))  # fmt: skip
    files = export_files(trained, "p.d.m")
    assert set(files) == {"model.joblib", "assets/model_metadata.json"}
    model = load_exported(files["model.joblib"][0])
    features = list(trained.feature_types)
    instances = frame[features].head(3).astype(object).where(frame[features].head(3).notna())
    answers = model.predict(instances.to_dict("records"))
    assert len(answers) == 3 and all(set(a) == keys for a in answers)
    expected = predict(trained, frame.head(3))
    if "LINEAR_REG" in options:
        assert [a["predicted_amount"] for a in answers] == pytest.approx(
            list(expected["predicted_amount"])
        )
    if "LOGISTIC_REG" in options:
        assert [a["predicted_tier"] for a in answers] == list(expected["predicted_tier"])
    if "KMEANS" in options:
        assert [a["nearest_centroid_id"] for a in answers] == list(expected["CENTROID_ID"])


def test_exported_models_name_what_is_wrong_with_an_instance():
    frame = synthetic(120)
    trained = train_model(frame, options_of("model_type='LINEAR_REG', input_label_cols=['amount']"))
    model = load_exported(export_files(trained, "p.d.m")["model.joblib"][0])
    good = {"x1": 0.1, "x2": None, "colour": "red", "bought": True, "tier": "gold"}
    assert len(model.predict([good])) == 1
    cases = [
        ([[0.1, 0.2]], "instance 0 is a list, not a JSON object"),
        ([good, {"x1": 0.1}], "instance 1 is missing the feature column(s) ['x2', 'colour',"),
        ([{**good, "amount": 3}], "instance 0 has column(s) ['amount'] the model was not"),
        ([{**good, "x1": "high"}], "instance 0 column x1 is 'high': a number (or null)"),
        ([{**good, "colour": 3}], "instance 0 column colour is 3: a string (or null)"),
        ([], "instances must be a non-empty list"),
    ]
    for instances, message in cases:
        with pytest.raises(ValueError) as caught:
            model.predict(instances)
        assert message in str(caught.value)
    with pytest.raises(ValueError, match="holds a dict, not an exported model"):
        load_exported(_joblib_bytes({"not": "a model"}))


def _joblib_bytes(value) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(value, buffer)
    return buffer.getvalue()
