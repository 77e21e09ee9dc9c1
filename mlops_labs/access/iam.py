"""Does an AWS policy allow an action on a resource? Enough of IAM's evaluation to check ours.

``allows`` matches Action, Resource and the Condition operators the repo's policies use
(StringEquals, StringLike, StringNotEquals, ArnLike, ArnEquals), with ``*`` / ``?`` globs,
IAM policy variables (``${aws:userid}``) read from the request context and the repo's
``${Name}`` placeholders standing for any of the values given for them. A Deny wins.
``resources_for`` names the ARNs and context keys a recorded call is authorized against.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .operations import Call
from .policies import as_list

_TOKEN = re.compile(r"\$\{([^}]+)\}|\*|\?")
_OBJECT_ACTIONS = {
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
}
# The caller's own IAM user id, as the request context gives it: statements it ran are its own.
CALLER_ID = "AIDACALLER"


def _regex(
    pattern: str, values: Mapping[str, Sequence[str]], context: Mapping[str, str], *, glob: bool
) -> re.Pattern[str] | None:
    out, position = [], 0
    for found in _TOKEN.finditer(pattern):
        out.append(re.escape(pattern[position : found.start()]))
        position = found.end()
        name = found[1]
        if name is None:
            out.append((".*" if found[0] == "*" else ".") if glob else re.escape(found[0]))
        elif ":" in name:
            if name not in context:
                return None
            out.append(re.escape(context[name]))
        else:
            choices = values.get(name)
            if not choices:
                raise KeyError(f"no value given for the placeholder ${{{name}}}")
            out.append("(?:" + "|".join(re.escape(choice) for choice in choices) + ")")
    out.append(re.escape(pattern[position:]))
    return re.compile("".join(out), re.S)


def _matches(
    pattern: str,
    text: str,
    values: Mapping[str, Sequence[str]],
    context: Mapping[str, str],
    *,
    glob: bool = True,
) -> bool:
    compiled = _regex(pattern, values, context, glob=glob)
    return compiled is not None and compiled.fullmatch(text) is not None


def _condition_holds(
    condition: Mapping[str, Any] | None,
    values: Mapping[str, Sequence[str]],
    context: Mapping[str, str],
) -> bool:
    for operator, tests in (condition or {}).items():
        for key, expected in tests.items():
            actual = context.get(key)
            if actual is None:
                return False
            wanted = as_list(expected)
            glob = operator in ("StringLike", "ArnLike")
            hits = [_matches(w, actual, values, context, glob=glob) for w in wanted]
            if operator == "StringNotEquals":
                if any(hits):
                    return False
            elif operator in ("StringEquals", "StringLike", "ArnLike", "ArnEquals"):
                if not any(hits):
                    return False
            else:
                raise ValueError(f"condition operator {operator} is not evaluated here")
    return True


def _statement_matches(
    statement: Mapping[str, Any],
    action: str,
    resource: str,
    values: Mapping[str, Sequence[str]],
    context: Mapping[str, str],
) -> bool:
    if not any(
        _matches(a.lower(), action.lower(), values, context)
        for a in as_list(statement.get("Action"))
    ):
        return False
    if not any(_matches(r, resource, values, context) for r in as_list(statement.get("Resource"))):
        return False
    return _condition_holds(statement.get("Condition"), values, context)


def allows(
    document: Mapping[str, Any],
    action: str,
    resource: str,
    *,
    values: Mapping[str, Sequence[str]],
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether the policy allows ``action`` on ``resource`` in ``context`` (a Deny wins)."""
    context = {"aws:userid": CALLER_ID, **(context or {})}
    statements = document.get("Statement", [])
    hit = [s for s in statements if _statement_matches(s, action, resource, values, context)]
    return any(s["Effect"] == "Allow" for s in hit) and not any(s["Effect"] == "Deny" for s in hit)


def resources_for(
    call: Call, action: str, *, region: str, account: str
) -> list[tuple[str, dict[str, str]]]:
    """The ARNs (each needed) and request context ``action`` is checked against for ``call``."""
    params = call.params
    service = action.split(":")[0]
    if service == "s3":
        bucket = params["bucket"]
        if action in _OBJECT_ACTIONS:
            key = params.get("key", "")
            if call.operation.name == "CopyObject" and action == "s3:GetObject":
                return [(f"arn:aws:s3:::{params['copy_source']}", {})]
            return [(f"arn:aws:s3:::{bucket}/{key}", {})]
        context = {"s3:prefix": params["prefix"]} if "prefix" in params else {}
        return [(f"arn:aws:s3:::{bucket}", context)]
    if service == "sagemaker":
        group = params.get("ModelPackageGroupName", "").lower()
        base = f"arn:aws:sagemaker:{region}:{account}"
        if action == "sagemaker:CreateModelPackage":
            return [(params.get("ModelPackageArn") or f"{base}:model-package/{group}/*", {})]
        return [(f"{base}:model-package-group/{group}", {})]
    if service == "cloudwatch":
        return [("*", {"cloudwatch:namespace": params.get("Namespace", "")})]
    if action == "redshift-data:ExecuteStatement":
        return [(f"arn:aws:redshift:{region}:{account}:cluster:{params['ClusterIdentifier']}", {})]
    if service == "redshift-data":
        return [("*", {"redshift-data:statement-owner-iam-userid": CALLER_ID})]
    if action == "redshift:GetClusterCredentials":
        base = f"arn:aws:redshift:{region}:{account}"
        cluster = params["ClusterIdentifier"]
        return [
            (f"{base}:dbuser:{cluster}/{params['DbUser']}", {}),
            (f"{base}:dbname:{cluster}/{params.get('Database', '*')}", {}),
        ]
    raise ValueError(f"no resource is known for {action} ({call.where})")
