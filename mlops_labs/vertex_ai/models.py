"""The Vertex AI sandbox's state: models and their versions, endpoints and what they serve."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_ALIAS = "default"


def now() -> datetime:
    """The current time, as every record is stamped."""
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """A time as Vertex AI writes it: RFC 3339 in UTC, to the microsecond."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def etag_of(resource: dict[str, Any]) -> str:
    """A stable etag for a resource's content."""
    digest = hashlib.sha256(json.dumps(resource, sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


@dataclass
class ModelVersion:
    """One version of a registered model: its artifacts, serving container and metadata."""

    version_id: str
    display_name: str
    artifact_uri: str
    container_spec: dict[str, Any]
    created: datetime
    description: str | None = None
    version_description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    updated: datetime | None = None

    @property
    def version_updated(self) -> datetime:
        """When this version last changed (its aliases, for one)."""
        return self.updated or self.created


@dataclass
class RegisteredModel:
    """A model of the registry: a name and its versions, one of them the default."""

    name: str
    created: datetime
    versions: dict[str, ModelVersion] = field(default_factory=dict)
    next_version: int = 1

    @property
    def id(self) -> str:
        """The model's id, the last segment of its name."""
        return self.name.rsplit("/", 1)[1]

    @property
    def default(self) -> ModelVersion:
        """The version the model's plain name means."""
        for version in self.versions.values():
            if DEFAULT_ALIAS in version.aliases:
                return version
        return next(reversed(self.versions.values()))

    def find(self, reference: str) -> ModelVersion | None:
        """The version a version id or an alias names, if any."""
        if reference in self.versions:
            return self.versions[reference]
        for version in self.versions.values():
            if reference in version.aliases:
                return version
        return None

    def updated(self) -> datetime:
        """When any version of the model last changed."""
        return max([self.created, *(v.version_updated for v in self.versions.values())])


@dataclass
class DeployedModel:
    """A model version deployed to an endpoint, with the resources it was given."""

    id: str
    model: str
    version_id: str
    display_name: str
    created: datetime
    resources: dict[str, Any]
    # The loaded predictor: Vertex AI copies a model's artifacts when it deploys it, so later
    # changes to the Cloud Storage directory do not reach a running deployment.
    predictor: Any = field(default=None, repr=False, compare=False)


@dataclass
class Endpoint:
    """An endpoint: the models deployed to it and how its traffic is split between them."""

    name: str
    display_name: str
    created: datetime
    updated: datetime
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    deployed: list[DeployedModel] = field(default_factory=list)
    traffic_split: dict[str, int] = field(default_factory=dict)

    def find(self, deployed_model_id: str) -> DeployedModel | None:
        """The deployed model of that id, if any."""
        return next((d for d in self.deployed if d.id == deployed_model_id), None)
