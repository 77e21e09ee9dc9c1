"""Offline AWS: moto's server on 127.0.0.1 at a free port, and the settings pointing boto3 there."""

from __future__ import annotations

import logging
import os
import threading
import urllib.error
import urllib.request

from ..errors import SandboxError

REGION = "us-east-1"
# Placeholders, never shaped like real keys: moto accepts any value, scanners flag none.
ACCESS_KEY_ID = "mlops-labs-offline"
SECRET_ACCESS_KEY = "mlops-labs-offline-placeholder"


class AwsSandbox:
    """A moto server for S3, SageMaker and CloudWatch, reachable only from this machine."""

    def __init__(self, region: str = REGION) -> None:
        self.region = region
        self._server = None
        self._thread: threading.Thread | None = None
        self._endpoint: str | None = None

    @property
    def endpoint(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:51234``."""
        if self._endpoint is None:
            raise SandboxError("the AWS sandbox is not running: call start() first")
        return self._endpoint

    def start(self) -> AwsSandbox:
        """Start the server on a free loopback port (idempotent)."""
        if self._server is not None:
            return self
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        # werkzeug logs every request at INFO; a scenario run should stay quiet.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = DomainDispatcherApplication(create_backend_app)
        try:
            server = make_server("127.0.0.1", 0, app, threaded=True)
        except OSError as exc:
            raise SandboxError(f"the AWS sandbox could not start on 127.0.0.1: {exc}") from None
        # moto's ThreadedMotoServer polls every 0.5 s, which every stop would wait out.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._server = server
        self._endpoint = f"http://127.0.0.1:{server.server_port}"
        return self

    def stop(self) -> None:
        """Stop the server, close its socket and forget its address."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None
        self._endpoint = None

    def reset(self) -> None:
        """Drop every bucket, object, model package and metric: a clean account."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except urllib.error.URLError as exc:
            raise SandboxError(f"the AWS sandbox at {self.endpoint} did not reset: {exc}") from None

    def environment(self) -> dict[str, str | None]:
        """The settings that point boto3 here with dummy credentials (``None`` means unset)."""
        settings: dict[str, str | None] = {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            # Nothing from the user's own AWS set-up may leak into an offline run.
            "AWS_SESSION_TOKEN": None,
            "AWS_SECURITY_TOKEN": None,
            "AWS_PROFILE": None,
            "AWS_DEFAULT_PROFILE": None,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for name in os.environ:
            if name.startswith("AWS_ENDPOINT_URL_"):
                settings[name] = None
        return settings

    def __enter__(self) -> AwsSandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
