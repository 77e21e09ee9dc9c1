"""Offline AWS: moto's server on 127.0.0.1 at a free port, and the settings pointing boto3 there."""

from __future__ import annotations

import os
import urllib.error
import urllib.request

from ..errors import SandboxError
from .loopback_server import LoopbackServer

REGION = "us-east-1"
# Placeholders, never shaped like real keys: moto accepts any value, scanners flag none.
ACCESS_KEY_ID = "mlops-labs-offline"
SECRET_ACCESS_KEY = "mlops-labs-offline-placeholder"


class AwsSandbox(LoopbackServer):
    """A moto server for S3, SageMaker and CloudWatch, reachable only from this machine."""

    name = "the AWS sandbox"

    def __init__(self, region: str = REGION) -> None:
        super().__init__()
        self.region = region

    def wsgi_app(self) -> object:
        """moto's application, dispatching each request to the service it names."""
        from .aws_guard import AwsGuard
        from .moto_dispatcher import MotoDispatcher
        from .sagemaker_deletes import install

        install()
        # Each request held to AWS's rules first: moto answers hostile input with 500s.
        return AwsGuard(MotoDispatcher())

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
        return offline_environment(self.endpoint, self.region)


def offline_environment(endpoint: str, region: str = REGION) -> dict[str, str | None]:
    """boto3 pointed at ``endpoint`` with placeholder credentials (``None`` means unset)."""
    settings: dict[str, str | None] = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
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
