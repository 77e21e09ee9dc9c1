"""moto's server application, remembering which AWS service each request's host means."""

from __future__ import annotations

from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


class MotoDispatcher(DomainDispatcherApplication):
    """moto's dispatcher with the host -> service answer kept: moto works it out per request."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._services: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        """The service ``host`` names (or None), worked out once per host."""
        # moto lists its own package folder and tries every service's URL pattern each time:
        # a third of a sandboxed S3 call. The answer depends on the host alone.
        if host not in self._services:
            self._services[host] = super().get_backend_for_host(host)
        return self._services[host]
