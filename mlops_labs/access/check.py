"""What each identity needs against what its policy grants: missing and extra, with reasons.

``required`` reads the recorded calls each identity makes (cassettes + ``policies/callers.json``),
maps each to its permissions, adds what services check on the caller's behalf and the declared
code paths no scenario takes. ``granted`` reads the policy file. ``compare`` sets them side by
side. ``resource_gaps`` checks, for AWS, that every successful recorded call is allowed on the
very resource it touched, with the placeholders set to the values the scenarios used.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..coursework import project
from ..coursework.lab_code import REFERENCE_PACKAGE
from . import callers as callers_module
from . import iam, labs, policies
from .operations import Call, load_cassettes
from .permissions import NoPermissionMapping, implied_by, permissions_for

# Where the offline scenarios ran: moto's default account, the region the sandbox sets.
RECORDED_REGION = "us-east-1"
RECORDED_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Need:
    """Why an identity needs a permission: a recorded call, a service's check, or a declaration."""

    permission: str
    why: str
    call: Call | None = None


@dataclass
class Requirements:
    """The permissions an identity needs, each with its reasons, and the calls nothing maps."""

    needs: dict[str, list[Need]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)

    def add(self, need: Need) -> None:
        """Record one reason for a permission."""
        self.needs.setdefault(need.permission, []).append(need)


@dataclass(frozen=True)
class Gap:
    """How a policy differs from what its identity needs."""

    identity: str
    policy: str
    missing: dict[str, list[Need]]
    extra: frozenset[str]
    unmapped: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.unmapped)

    def report(self) -> str:
        """One line per problem: the permission, the file, and the call or reason behind it."""
        lines = []
        for permission, needs in sorted(self.missing.items()):
            lines.append(f"{self.policy} lacks {permission}, needed by {needs[0].why}")
        for permission in sorted(self.extra):
            lines.append(
                f"{self.policy} grants {permission}, which no call of Lab {self.identity} needs"
            )
        lines += [f"Lab {self.identity}: {message}" for message in self.unmapped]
        return "\n".join(lines)


@dataclass(frozen=True)
class Evidence:
    """The recorded calls and who made them: parsed cassettes and the callers file."""

    cassettes: Mapping[str, list[Call]]
    callers: Mapping[str, list[tuple[str, str]]]


@cache
def _default_evidence(root: Path) -> Evidence:
    return Evidence(load_cassettes(root / "cassettes"), callers_module.load(root))


def evidence(root: Path | None = None) -> Evidence:
    """The repository's cassettes and callers file, parsed once per process."""
    return _default_evidence((root or project.find_root()).resolve())


def calls_of(identity_id: str, found: Evidence) -> list[tuple[Call, str]]:
    """The recorded calls an identity makes, with the code that made each."""
    labs.identity(identity_id)
    return [
        (call, chain)
        for call, chain, owner in callers_module.attributed(found.cassettes, found.callers)
        if owner == identity_id
    ]


def required(identity_id: str, found: Evidence | None = None) -> Requirements:
    """Every permission an identity needs, with the calls or declarations that need it."""
    found = found or evidence()
    spec = labs.identity(identity_id)
    result = Requirements()
    for call, chain in calls_of(identity_id, found):
        what = f"{call.operation.key} ({chain}) in {call.where}"
        try:
            permissions = permissions_for(call)
        except NoPermissionMapping as exc:
            result.unmapped.append(f"{exc} made by {chain}")
            continue
        for permission in permissions:
            result.add(Need(permission, what, call))
        for implied in implied_by(call):
            result.add(Need(implied.permission, f"{implied.reason}, {what}", call))
    for declared in spec.declared:
        result.add(Need(declared.permission, f"{declared.code}: {declared.reason}"))
    return result


def granted(identity_id: str, root: Path | None = None) -> set[str]:
    """The actions (AWS) or permissions (Google Cloud) the identity's policy file grants."""
    spec = labs.identity(identity_id)
    path = (root or project.find_root()) / spec.policy
    if spec.cloud == "aws":
        return policies.granted_actions(policies.load_json(path))
    return set(policies.load_yaml(path).get("includedPermissions") or [])


def compare(
    identity_id: str,
    found: Evidence | None = None,
    granted_now: set[str] | None = None,
) -> Gap:
    """Missing and extra permissions of an identity's policy (``granted_now`` overrides it)."""
    spec = labs.identity(identity_id)
    needs = required(identity_id, found)
    have = granted(identity_id) if granted_now is None else granted_now
    return Gap(
        identity=identity_id,
        policy=spec.policy,
        missing={p: n for p, n in needs.needs.items() if p not in have},
        extra=frozenset(have - set(needs.needs)),
        unmapped=tuple(needs.unmapped),
    )


def resource_gaps(
    identity_id: str,
    found: Evidence | None = None,
    document: Mapping | None = None,
) -> list[str]:
    """AWS: the successful recorded calls the policy does not allow on the resource they touched."""
    # Placeholders stand for the identity's scenario values; a call the service refused (a
    # bucket that does not exist, on purpose) needs no grant on that resource.
    spec = labs.identity(identity_id)
    if spec.cloud != "aws":
        raise ValueError(f"Lab {identity_id} is not an AWS identity")
    document = document or policies.load_json(project.find_root() / spec.policy)
    values = spec.scenario_values
    region, account = RECORDED_REGION, RECORDED_ACCOUNT
    gaps = []
    for need in required(identity_id, found).needs.values():
        for item in need:
            call = item.call
            if call is None or call.status >= 400:
                continue
            for arn, context in iam.resources_for(
                call, item.permission, region=region, account=account
            ):
                if not iam.allows(document, item.permission, arn, values=values, context=context):
                    where = f"{arn} {context}" if context else arn
                    gaps.append(
                        f"{spec.policy} does not allow {item.permission} on {where}: {item.why}"
                    )
    return sorted(set(gaps))


def declaration_problems(identity_id: str, found: Evidence | None = None) -> list[str]:
    """Declarations that no longer hold: the code lost the call, or a scenario now records it."""
    spec = labs.identity(identity_id)
    observed = {
        need.permission
        for needs in required(identity_id, found).needs.values()
        for need in needs
        if need.call is not None
    }
    problems = []
    for declared in spec.declared:
        source = _source(declared.code)
        if declared.needle not in source:
            problems.append(
                f"{declared.code} no longer calls {declared.needle}: drop {declared.permission}?"
            )
        if declared.permission in observed:
            problems.append(f"{declared.permission} is recorded now: its declaration is redundant")
    return problems


def _source(code: str) -> str:
    module, _, attribute = code.partition(".")
    target = importlib.import_module(f"{REFERENCE_PACKAGE}.{module}")
    for part in attribute.split("."):
        target = getattr(target, part)
    return inspect.getsource(target)
