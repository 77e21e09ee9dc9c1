"""AWS requests held to botocore's service model, as AWS's front ends hold them.

Required members, JSON types, lengths, ranges, enums and patterns, answered in AWS's words
("1 validation error detected: Value null at 'modelPackageGroupName' failed to satisfy
constraint: Member must not be null"). The offline Data API and the SageMaker and CloudWatch
requests in front of moto share it; moto checks none of this itself.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from botocore.model import Shape

_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "long": int,
    "double": (int, float),
    "float": (int, float),
    "boolean": bool,
    "list": list,
    "map": dict,
    # JSON carries timestamps as epoch seconds or ISO text, CBOR as tagged datetimes; blobs
    # as base64 text in JSON, bytes in CBOR.
    "timestamp": (int, float, str, datetime),
    "blob": (str, bytes),
}


class ShapeError(Exception):
    """A request that breaks its input shape: ``type_name`` is the error AWS answers with."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message


def check(
    shape: Shape,
    request: Any,
    *,
    validation: str = "ValidationException",
    unchecked_patterns: frozenset[str] = frozenset(),
) -> None:
    """Hold a request to its input shape; ShapeError naming every broken constraint.

    A value of the wrong JSON type is a SerializationException, as AWS cannot even read it;
    broken constraints are one ``validation`` error listing them all. Patterns of the shapes
    named in ``unchecked_patterns`` are left to the caller.
    """
    problems: list[str] = []
    _check(shape, request, "", problems, unchecked_patterns)
    if problems:
        count = len(problems)
        plural = "s" if count > 1 else ""
        raise ShapeError(
            validation, f"{count} validation error{plural} detected: " + "; ".join(problems)
        )


def _check(
    shape: Shape, value: Any, path: str, problems: list[str], unchecked: frozenset[str]
) -> None:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise ShapeError(
                "SerializationException", f"expected a JSON object at '{path or 'request'}'"
            )
        if shape.metadata.get("document"):
            return  # a free-form JSON document
        for name in shape.required_members:
            if value.get(name) is None:
                problems.append(
                    f"Value null at '{_path(path, name)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _check(member, value[name], _path(path, name), problems, unchecked)
        return
    expected = _TYPES.get(kind)
    wrong_bool = isinstance(value, bool) and kind in ("integer", "long", "double", "float")
    if expected is None or not isinstance(value, expected) or wrong_bool:
        raise ShapeError(
            "SerializationException", f"'{path}' must be a JSON {kind}, got {type(value).__name__}"
        )
    meta = shape.metadata
    broken = []
    if kind in ("string", "list", "map", "blob"):
        if "min" in meta and len(value) < meta["min"]:
            broken.append(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            broken.append(f"Member must have length less than or equal to {meta['max']}")
    if kind in ("integer", "long", "double", "float"):
        if "min" in meta and value < meta["min"]:
            broken.append(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            broken.append(f"Member must have value less than or equal to {meta['max']}")
    if kind == "string" and meta.get("enum") and value not in meta["enum"]:
        broken.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
    pattern = meta.get("pattern") if kind == "string" and shape.name not in unchecked else None
    compiled = _compiled(pattern) if pattern else None
    if compiled is not None and not compiled.fullmatch(value):
        broken.append(f"Member must satisfy regular expression pattern: {pattern}")
    shown = "[...]" if kind in ("list", "map") else value
    problems.extend(
        f"Value '{shown}' at '{path}' failed to satisfy constraint: {rule}" for rule in broken
    )
    if kind == "list":
        for number, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{number}.member", problems, unchecked)
    elif kind == "map":
        for key, item in value.items():
            _check(shape.key, key, f"{path}.{key}.key", problems, unchecked)
            _check(shape.value, item, f"{path}.{key}.value", problems, unchecked)


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    # AWS writes its patterns for Java; the few Python cannot read (\p{L} and such) go unchecked.
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _path(parent: str, name: str) -> str:
    camel = name[:1].lower() + name[1:]
    return f"{parent}.{camel}" if parent else camel
