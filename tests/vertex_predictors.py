"""Stand-in predictors for the Vertex AI sandbox tests, pickled into ``model.joblib``.

They live in an importable module (not in a test file) so that joblib can find their class
again when the sandbox loads the model.
"""

from __future__ import annotations

from typing import Any


class ChurnScorer:
    """Scores customers by tenure and monthly charges: one dict per instance, or ValueError."""

    features = ("tenure", "monthly_charges")

    def __init__(self, version: int = 1) -> None:
        self.version = version

    def predict(self, instances: list[Any]) -> list[dict[str, Any]]:
        """One prediction per instance; ValueError for an instance of the wrong shape."""
        answers = []
        for index, instance in enumerate(instances):
            if not isinstance(instance, dict) or set(instance) != set(self.features):
                raise ValueError(
                    f"instance {index} must be an object with the keys {list(self.features)}, "
                    f"got {instance!r}"
                )
            score = min(1.0, instance["monthly_charges"] / 100 / (1 + instance["tenure"] / 12))
            answers.append({"churn_probability": round(score, 4), "model_version": self.version})
        return answers
