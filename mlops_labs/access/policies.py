"""The files in ``policies/``: load them, check their syntax, read what they grant, fill them in.

- AWS: IAM policy documents (JSON): identity policies, and a role's trust policy.
- Google Cloud: custom role definitions in the YAML ``gcloud iam roles create --file`` reads
  (title, description, stage, includedPermissions), and the predefined roles to grant instead,
  each with where to grant it and the permissions of the lab it covers.

Placeholders are written ``${Name}`` (a letter first, no colon) and must be filled in before a
document is applied; ``${aws:userid}`` and the like are IAM's own policy variables and stay.

Rules for policies beyond IAM's own grammar: every statement has a unique alphanumeric Sid;
actions are named one by one (no wildcards); ``Resource: "*"`` only for actions that support
no resource-level permissions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

POLICY_VERSION = "2012-10-17"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")
_SID = re.compile(r"^[A-Za-z0-9]+$")
_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
_PERMISSION = re.compile(r"^[a-z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*){2}$")
_ROLE = re.compile(r"^roles/[a-z][a-zA-Z0-9]*\.[a-zA-Z][a-zA-Z0-9.]*$")
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}
_TRUST_KEYS = {"Sid", "Effect", "Action", "Principal", "Condition"}
_CONDITION_OPERATORS = {"StringEquals", "StringLike", "StringNotEquals", "ArnLike", "ArnEquals"}
_STAGES = {"ALPHA", "BETA", "GA", "DEPRECATED", "DISABLED", "EAP"}
_ROLE_KEYS = {"title", "description", "stage", "includedPermissions"}
_SCOPES = {"project", "bucket", "dataset"}

# Actions that support no resource-level permissions: their statements must say Resource "*"
# (Service Authorization Reference: no resource type in the action's row).
NO_RESOURCE_TYPE = frozenset(
    {
        "cloudwatch:PutMetricData",
        "redshift-data:DescribeStatement",
        "redshift-data:GetStatementResult",
        "redshift-data:CancelStatement",
        "redshift-data:ListStatements",
    }
)


def load_json(path: Path) -> dict[str, Any]:
    """An IAM policy document."""
    return json.loads(path.read_text())


def load_yaml(path: Path) -> dict[str, Any]:
    """A custom role definition or a grants file."""
    return yaml.safe_load(path.read_text()) or {}


def as_list(value: Any) -> list[Any]:
    """IAM's "one value or a list of values" as a list."""
    return list(value) if isinstance(value, list) else [value]


def policy_problems(document: Any, *, trust: bool = False) -> list[str]:
    """Every way an IAM policy breaks IAM's grammar or the repo's stricter rules (see above)."""
    if not isinstance(document, dict):
        return ["a policy document is a JSON object"]
    problems = [
        f"unknown top-level key {key!r}" for key in document if key not in {"Version", "Statement"}
    ]
    if document.get("Version") != POLICY_VERSION:
        problems.append(f"Version must be {POLICY_VERSION!r}")
    statements = document.get("Statement")
    if not isinstance(statements, list) or not statements:
        return [*problems, "Statement must be a non-empty list"]
    sids = set()
    for number, statement in enumerate(statements):
        where = f"Statement[{number}]"
        if not isinstance(statement, dict):
            problems.append(f"{where} is not an object")
            continue
        sid = statement.get("Sid")
        if not isinstance(sid, str) or not _SID.match(sid):
            problems.append(f"{where} needs a Sid of letters and digits")
        elif sid in sids:
            problems.append(f"{where}: Sid {sid!r} repeats")
        sids.add(sid)
        where = f"{where} ({sid})"
        allowed = _TRUST_KEYS if trust else _STATEMENT_KEYS
        problems += [f"{where}: unknown key {key!r}" for key in statement if key not in allowed]
        if statement.get("Effect") not in ("Allow", "Deny"):
            problems.append(f"{where}: Effect must be Allow or Deny")
        actions = as_list(statement.get("Action"))
        if not statement.get("Action") or not all(
            isinstance(a, str) and _ACTION.match(a) for a in actions
        ):
            problems.append(f"{where}: Action must name service:Action, one by one, no wildcard")
        problems += _condition_problems(where, statement.get("Condition"))
        if trust:
            if "Principal" not in statement:
                problems.append(f"{where}: a trust policy statement needs a Principal")
            continue
        resources = as_list(statement.get("Resource"))
        if not statement.get("Resource") or not all(
            isinstance(r, str) and (r == "*" or r.startswith("arn:")) for r in resources
        ):
            problems.append(f"{where}: Resource must be ARNs or '*'")
        elif "*" in resources:
            scoped = [a for a in actions if a not in NO_RESOURCE_TYPE]
            if scoped or len(resources) > 1:
                problems.append(
                    f"{where}: Resource '*' only for actions without resource-level "
                    f"permissions; scope {scoped or resources} to ARNs"
                )
    return problems


def _condition_problems(where: str, condition: Any) -> list[str]:
    if condition is None:
        return []
    if not isinstance(condition, dict) or not condition:
        return [f"{where}: Condition must be an object of operators"]
    problems = []
    for operator, tests in condition.items():
        if operator not in _CONDITION_OPERATORS:
            problems.append(f"{where}: condition operator {operator!r} is not used here")
        if not isinstance(tests, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
            for v in tests.values()
        ):
            problems.append(f"{where}: {operator} must map keys to a string or strings")
    return problems


def granted_actions(document: Mapping[str, Any]) -> set[str]:
    """The actions an identity policy allows."""
    return {
        action
        for statement in document.get("Statement", [])
        if statement.get("Effect") == "Allow"
        for action in as_list(statement.get("Action"))
    }


def role_problems(role: Any) -> list[str]:
    """Every way a custom role file breaks the format ``gcloud iam roles create --file`` reads."""
    if not isinstance(role, dict):
        return ["a role definition is a YAML mapping"]
    problems = [f"unknown key {key!r}" for key in role if key not in _ROLE_KEYS]
    problems += [f"{key} is missing" for key in sorted(_ROLE_KEYS - set(role))]
    if not isinstance(role.get("title"), str) or not 0 < len(role["title"]) <= 100:
        problems.append("title must be text of at most 100 characters")
    if not isinstance(role.get("description"), str) or len(role["description"]) > 256:
        problems.append("description must be text of at most 256 characters")
    if role.get("stage") not in _STAGES:
        problems.append(f"stage must be one of {sorted(_STAGES)}")
    permissions = role.get("includedPermissions")
    if not isinstance(permissions, list) or not permissions:
        return [*problems, "includedPermissions must be a non-empty list"]
    bad = [p for p in permissions if not isinstance(p, str) or not _PERMISSION.match(p)]
    if bad:
        problems.append(f"not permissions (service.resource.verb): {bad}")
    if len(set(permissions)) != len(permissions):
        problems.append("includedPermissions repeats a permission")
    if permissions != sorted(permissions):
        problems.append("includedPermissions is not sorted")
    return problems


@dataclass(frozen=True)
class RoleGrant:
    """A predefined Google Cloud role to grant, where, and the lab permissions it covers."""

    role: str
    scope: str
    resource: str
    covers: tuple[str, ...]
    note: str = ""


def grants(document: Mapping[str, Any]) -> list[RoleGrant]:
    """The predefined roles of a grants file."""
    return [
        RoleGrant(
            role=item["role"],
            scope=item["scope"],
            resource=item.get("resource", ""),
            covers=tuple(item.get("covers") or ()),
            note=" ".join(str(item.get("note", "")).split()),
        )
        for item in document.get("grants") or []
    ]


def grants_problems(document: Any) -> list[str]:
    """Every way a grants file breaks its format."""
    if not isinstance(document, dict) or not isinstance(document.get("grants"), list):
        return ["a grants file is a mapping with a grants list"]
    problems = [
        f"unknown key {key!r}"
        for key in document
        if key not in {"identity", "custom_role", "grants"}
    ]
    for number, item in enumerate(document["grants"]):
        where = f"grants[{number}]"
        if not isinstance(item, dict):
            problems.append(f"{where} is not a mapping")
            continue
        unknown = set(item) - {"role", "scope", "resource", "covers", "note"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        if not isinstance(item.get("role"), str) or not _ROLE.match(item["role"]):
            problems.append(f"{where}: role must be a predefined role, roles/service.name")
        if item.get("scope") not in _SCOPES:
            problems.append(f"{where}: scope must be one of {sorted(_SCOPES)}")
        covers = item.get("covers")
        if not isinstance(covers, list) or not all(
            isinstance(p, str) and _PERMISSION.match(p) for p in covers
        ):
            problems.append(f"{where}: covers must list permissions")
    return problems


def placeholders(text: str) -> list[str]:
    """The ``${Name}`` placeholders of a document, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def render(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every placeholder filled in; a placeholder without a value is an error."""
    missing = [name for name in placeholders(text) if name not in values]
    if missing:
        raise KeyError(f"no value for {', '.join('${' + n + '}' for n in missing)}")
    return PLACEHOLDER.sub(lambda found: values[found[1]], text)
