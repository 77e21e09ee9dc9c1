"""Model artifacts in Cloud Storage: the check at upload and the predictor loaded at deploy.

Vertex AI's prebuilt scikit-learn container serves the one model file of a model directory;
the sandbox serves ``model.joblib`` only (the format the BigQuery sandbox's EXPORT MODEL
writes), loaded with joblib and answered by its ``predict(instances)``. It reaches Cloud
Storage only through the google-cloud-storage client its owner's factory builds.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from google.api_core import exceptions as api_exceptions

from .errors import FailedPrecondition, InvalidArgument

# A factory for google.cloud.storage.Client, typed loosely: the client library loads only in
# sandboxes given one.
StorageFactory = Callable[[], Any]
MODEL_FILE = "model.joblib"
# Model files of formats real Vertex AI serves and the sandbox does not, and what they are.
_OTHER_FORMATS = {
    "saved_model.pb": "a TensorFlow SavedModel",
    "saved_model.pbtxt": "a TensorFlow SavedModel",
    "model.bst": "an XGBoost model",
}


def split_uri(uri: str) -> tuple[str, str]:
    """A gs:// directory's bucket and object prefix ('' for the bucket's root, else ending '/')."""
    if not isinstance(uri, str) or not uri.startswith("gs://") or len(uri) <= len("gs://"):
        raise InvalidArgument(
            f"artifactUri must be a Cloud Storage directory such as gs://bucket/path, got {uri!r}"
        )
    bucket, _, prefix = uri[len("gs://") :].partition("/")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


class ArtifactStore:
    """Model directories read through one google-cloud-storage client."""

    def __init__(self, factory: StorageFactory | None) -> None:
        self._factory = factory

    def check_model_directory(self, uri: str) -> None:
        """FailedPrecondition unless the directory holds ``model.joblib``."""
        files = self._files(uri)
        if MODEL_FILE in files:
            return
        shown = uri.rstrip("/")
        expected = f"Model directory {shown} is expected to contain exactly one of: [{MODEL_FILE}]"
        others = [name for name in _OTHER_FORMATS if name in files]
        if others:
            kind = _OTHER_FORMATS[others[0]]
            raise FailedPrecondition(
                f"{expected}, but it holds {others[0]}, {kind}: the Vertex AI sandbox cannot "
                f"serve TensorFlow SavedModel or XGBoost artifacts, only the {MODEL_FILE} "
                "that the BigQuery sandbox's EXPORT MODEL writes (or joblib.dump of an object "
                "with predict(instances))"
            )
        if "model.pkl" in files:
            raise FailedPrecondition(
                f"{expected}, but it holds model.pkl: the Vertex AI sandbox serves only "
                f'{MODEL_FILE}; save the model with joblib.dump(model, "{MODEL_FILE}")'
            )
        found = f"it holds {sorted(files)[:5]}" if files else "it holds no objects"
        if shown.rsplit("/", 1)[-1].endswith((".joblib", ".pkl")):
            fix = f"point artifact_uri at the directory that holds {MODEL_FILE}, not at a file"
        else:
            fix = f"upload the model as {shown}/{MODEL_FILE} first"
        raise FailedPrecondition(f"{expected}, but {found}: {fix}")

    def load_predictor(self, uri: str) -> Any:
        """The model in the directory's ``model.joblib``, ready to predict."""
        import joblib

        bucket, prefix = split_uri(uri)
        try:
            data = self._client().bucket(bucket).blob(prefix + MODEL_FILE).download_as_bytes()
        except api_exceptions.NotFound:
            raise FailedPrecondition(
                f"Model directory {uri.rstrip('/')} no longer holds {MODEL_FILE}: upload it "
                "again before deploying this model"
            ) from None
        try:
            predictor = joblib.load(io.BytesIO(data))
        except Exception as exc:  # any unpickling failure means the model cannot start
            raise FailedPrecondition(
                f"Model server exited unexpectedly: {MODEL_FILE} in {uri.rstrip('/')} could "
                f"not be loaded ({type(exc).__name__}: {_first_line(exc)})"
            ) from None
        if not callable(getattr(predictor, "predict", None)):
            raise FailedPrecondition(
                f"Model server exited unexpectedly: {MODEL_FILE} in {uri.rstrip('/')} holds a "
                f"{type(predictor).__name__}, which has no predict(instances) method"
            )
        return predictor

    def _client(self) -> Any:
        if self._factory is None:
            raise FailedPrecondition(
                "The Vertex AI sandbox was started without Cloud Storage: start it from "
                "GoogleCloudSandbox (or give it storage=) to read model directories"
            )
        # The Cloud Storage sandbox may start after this one, or restart on another port.
        return self._factory()

    def _files(self, uri: str) -> set[str]:
        """The names of the objects directly in the directory."""
        bucket, prefix = split_uri(uri)
        try:
            names = [blob.name for blob in self._client().list_blobs(bucket, prefix=prefix)]
        except api_exceptions.NotFound:
            raise FailedPrecondition(
                f"Model directory {uri.rstrip('/')} is expected to contain exactly one of: "
                f"[{MODEL_FILE}], but bucket {bucket} does not exist"
            ) from None
        return {name[len(prefix) :] for name in names if "/" not in name[len(prefix) :]}


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
