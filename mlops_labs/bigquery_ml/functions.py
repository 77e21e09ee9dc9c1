"""Run one parsed ML table function on a trained model: the rows its outer SELECT reads.

The sandbox's side: parse with ``statements.parse_statement``, look the model up, run the
call's ``input_query`` / ``input_table`` itself, then::

    rows = run_ml_function(call, model, input_rows)
    # bind rows as a relation, then run call.outer_query(<relation name>) on the SQL engine
"""

from __future__ import annotations

import pandas as pd

from .errors import BigQueryMLError
from .evaluation import evaluate
from .prediction import predict
from .statements import MLFunctionCall
from .training import TrainedModel


def run_ml_function(
    call: MLFunctionCall, model: TrainedModel, rows: pd.DataFrame | None = None
) -> pd.DataFrame:
    """ML.EVALUATE / ML.PREDICT / ML.TRAINING_INFO's result rows."""
    unknown = [name for name in call.settings if name != "threshold"]
    if unknown or (call.settings and call.function == "TRAINING_INFO"):
        name = (unknown or list(call.settings))[0]
        raise BigQueryMLError(f"Unknown setting {name} for ML.{call.function}")
    threshold = 0.5
    if "threshold" in call.settings:
        threshold = float(call.settings["threshold"].value)
        if not 0 <= threshold <= 1:
            raise BigQueryMLError(f"threshold must be in [0, 1], got {threshold}")
    if call.function == "TRAINING_INFO":
        return model.training_info()
    if call.function == "EVALUATE":
        return evaluate(model, rows, threshold=threshold)
    if rows is None:
        raise BigQueryMLError("ML.PREDICT needs input rows")
    return predict(model, rows, threshold=threshold)
