"""Offline Google credentials: a service-account key whose token endpoint is on 127.0.0.1.

The official clients find it through ``GOOGLE_APPLICATION_CREDENTIALS`` exactly as they would
find a real key, sign their token request with its (freshly made) private key, and get a
placeholder access token back from this server: no Google account, no network.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from .loopback_server import LoopbackServer

PROJECT = "mlops-labs-sandbox"
CLIENT_EMAIL = f"mlops-labs-offline@{PROJECT}.iam.gserviceaccount.com"
ACCESS_TOKEN = "mlops-labs-offline-token"


@functools.cache
def _private_key_pem() -> str:
    """An RSA key made once per process; it signs nothing outside this machine."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    # 1024 bits: every google.auth.default() parses the key file again, and a 2048-bit key
    # costs eight times as much to check (docs/benchmarks.md); it signs only for the sandbox.
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class GoogleAuthSandbox(LoopbackServer):
    """The token endpoint of the offline service account, and its key file."""

    name = "the Google credentials sandbox"

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.key_file = directory / "offline-service-account.json"
        self.token_requests = 0

    def wsgi_app(self) -> Any:
        """Answers POST /token with a placeholder bearer token, as Google's OAuth server would."""

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            if environ["REQUEST_METHOD"] != "POST" or environ["PATH_INFO"] != "/token":
                start_response("404 Not Found", [("Content-Type", "application/json")])
                return [b'{"error": "not_found"}']
            self.token_requests += 1
            body = {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600}
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]

        return app

    def start(self) -> GoogleAuthSandbox:
        """Serve the token endpoint and write the key file that points at it."""
        super().start()
        write_key(self.key_file, f"{self.endpoint}/token")
        return self

    def environment(self) -> dict[str, str | None]:
        """Settings that make application-default credentials this key, for this project."""
        return key_environment(self.key_file)


def write_key(key_file: Path, token_uri: str) -> None:
    """Write the offline service account's key, its token requests going to ``token_uri``."""
    # The key is made in memory for this run only: nothing secret is ever stored.
    key = dict(
        type="service_account",
        project_id=PROJECT,
        private_key_id="mlops-labs-offline",
        private_key=_private_key_pem(),
        client_email=CLIENT_EMAIL,
        client_id="0",
        token_uri=token_uri,
        universe_domain="googleapis.com",
    )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(json.dumps(key))
    os.chmod(key_file, 0o600)


def key_environment(key_file: Path) -> dict[str, str | None]:
    """Settings that make application-default credentials the key in ``key_file``."""
    return {
        "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        # gcloud's own login and config must not take part in an offline run.
        "CLOUDSDK_CONFIG": str(key_file.parent / "gcloud"),
        "GOOGLE_CLOUD_QUOTA_PROJECT": None,
    }
