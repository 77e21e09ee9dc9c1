"""Run names: each bucket, dataset and package group a live run makes carries the run's prefix.

The feature files name resources plainly ("churn-artifacts", "penguins"); in live mode each such
name becomes ``<prefix>-<run id>-<name>`` (underscores for BigQuery datasets), so a run never
touches a resource it did not make and ``mlops-labs cleanup`` can find what it left. Offline and
replay use the names as written. The project placeholder of the features becomes the real one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROJECT_PLACEHOLDER = "mlops-labs-sandbox"
# The account id offline cassettes carry (moto's), so a live recording replays beside them.
ACCOUNT_PLACEHOLDER = "123456789012"
# What the features and steps name: buckets (S3, Cloud Storage), datasets, package groups.
BUCKETS = frozenset({"churn-artifacts", "churn-lake", "penguins-models", "no-such-bucket"})
DATASETS = frozenset({"penguins", "churn"})
PACKAGE_GROUPS = frozenset({"churn-classifier"})
# Lab 6.4.4 builds its bucket's name from a user id and the project: the id carries the run.
USERS = frozenset({"user19"})
# A name stands alone: not inside a longer name ("my-churn-lake-2" is not "churn-lake").
_NAMES = re.compile(
    r"(?<![\w.-])(?:"
    + "|".join(re.escape(name) for name in sorted(BUCKETS | PACKAGE_GROUPS, key=len, reverse=True))
    + r")(?![\w-]|\.\w)"
)
_USERS = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(sorted(USERS)) + r")(?![A-Za-z0-9])")
_PROJECT = re.compile(rf"(?<![\w.-]){re.escape(PROJECT_PLACEHOLDER)}(?![\w-]|\.\w)")


@dataclass(frozen=True)
class RunNames:
    """How one run names what it makes; ``RunNames()`` keeps every name as written."""

    run_id: str | None = None
    prefix: str = "mlops-labs"
    project: str | None = None
    account_id: str | None = None

    @property
    def stem(self) -> str | None:
        """``<prefix>-<run id>``: the start of every name this run makes, or None offline."""
        return f"{self.prefix}-{self.run_id}" if self.run_id else None

    def bucket(self, name: str) -> str:
        """A bucket's name for this run (at most 63 characters, as S3 and Cloud Storage allow)."""
        return f"{self.stem}-{name}"[:63] if self.stem else name

    def dataset(self, name: str) -> str:
        """A BigQuery dataset's name for this run (letters, digits and underscores)."""
        return re.sub(r"[^A-Za-z0-9_]", "_", f"{self.stem}_{name}") if self.stem else name

    def group(self, name: str) -> str:
        """A SageMaker model package group's name for this run."""
        return f"{self.stem}-{name}" if self.stem else name

    def text(self, value: str, parameter: str = "") -> str:
        """``value`` (a step's ``parameter``) with every resource name mapped to this run's.

        Bucket and package group names and the project are told by their value, wherever they
        stand (a URI, a quoted name in an error message); a dataset only by the parameter's
        name, "penguins" being a model's name as well.
        """
        if not self.stem:
            return value
        if value in DATASETS and parameter == "dataset":
            return self.dataset(value)
        mapped = _NAMES.sub(self._name, value)
        # Short: the bucket name it goes into also holds the project, within 63 characters.
        mapped = _USERS.sub(lambda found: f"u{self.run_id}", mapped)
        if self.project:
            mapped = _PROJECT.sub(self.project, mapped)
        return mapped

    def placeholders(self) -> dict[str, str]:
        """This run's names, real project and account id mapped back to the offline ones."""
        if not self.stem:
            return {}
        mapping = {self.bucket(name): name for name in BUCKETS}
        mapping |= {self.dataset(name): name for name in DATASETS}
        mapping |= {self.group(name): name for name in PACKAGE_GROUPS}
        if self.project:
            mapping[self.project] = PROJECT_PLACEHOLDER
        if self.account_id:
            mapping[self.account_id] = ACCOUNT_PLACEHOLDER
        return mapping

    def owns(self, name: str) -> bool:
        """Whether ``name`` (a bucket, dataset, table or group) carries this run's id."""
        return (
            bool(self.run_id)
            and re.search(rf"(?<![0-9a-f]){self.run_id}(?![0-9a-f])", name) is not None
        )

    def _name(self, found: re.Match[str]) -> str:
        name = found.group()
        return self.group(name) if name in PACKAGE_GROUPS else self.bucket(name)


_current = RunNames()


def current() -> RunNames:
    """The names of the run in progress (as written, outside live mode)."""
    return _current


def use(names: RunNames) -> None:
    """Make ``names`` the run's names."""
    global _current
    _current = names
