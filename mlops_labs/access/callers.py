"""Whose identity makes each recorded call: a lab's, the Redshift cluster's, or the harness's.

``policies/callers.json`` says which code made each request (see ``tracing``). From that code
the call is given to an identity:

- a call from the embedded warehouse's COPY / UNLOAD belongs to the Redshift cluster role,
  whoever ran the SQL: a real cluster reads and writes S3 as the role it assumes;
- a call from a lab module belongs to the lab of the outermost lab function on the stack
  (``model`` 6.1, ``ingest_model`` 6.2, ``vertex_setup`` 6.4, ``bqml`` 6.5), so Lab 6.1's
  trainer is Lab 6.1's wherever a scenario runs it;
- except when that lab works in the other cloud: Lab 6.1's trainer writing to ``gs://`` (Lab
  6.4's comparison) runs with the Google identity of the Google lab whose scenario runs it;
- a call with only shared helpers (``dat``) or no lab code at all is the harness's own set-up
  or check, and needs no lab permission.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from .operations import Call

CALLERS_FILE = "policies/callers.json"
HARNESS = "harness"  # the caller of a request no lab code made

LAB_OF_MODULE = {"model": "6.1", "ingest_model": "6.2", "vertex_setup": "6.4", "bqml": "6.5"}
CLOUD_OF_LAB = {"6.1": "aws", "6.2": "aws", "6.4": "gcp", "6.5": "gcp"}
CLUSTER_ROLE = "6.2-cluster"
_FEATURE = re.compile(r"^lab_(\d+)_(\d+)_")


class AttributionError(ValueError):
    """A call that cannot be given to any identity, or a callers file that does not fit."""


def load(root: Path) -> dict[str, list[tuple[str, str]]]:
    """The callers file: cassette -> ``(request line, caller chain)`` per interaction."""
    data = json.loads((root / CALLERS_FILE).read_text())
    return {
        name: [(request, chain) for request, chain in entries]
        for name, entries in data["cassettes"].items()
    }


def stale(
    cassettes: Mapping[str, list[Call]], callers: Mapping[str, list[tuple[str, str]]]
) -> list[str]:
    """How the callers file and the cassettes disagree: one line each, empty when they fit."""
    problems = []
    for name in sorted(set(cassettes) | set(callers)):
        if name not in callers:
            if cassettes[name]:  # a cassette of no requests has nothing to attribute
                problems.append(f"{name}: recorded, but the callers file does not list it")
            continue
        if name not in cassettes:
            problems.append(f"{name}: in the callers file, but no such cassette")
            continue
        calls, entries = cassettes[name], callers[name]
        if len(calls) != len(entries):
            problems.append(f"{name}: {len(calls)} requests recorded, {len(entries)} attributed")
            continue
        for call, (request, _) in zip(calls, entries, strict=True):
            if call.request != request:
                problems.append(f"{name} #{call.index}: {call.request} recorded, {request} listed")
                break
    return problems


def feature_lab(cassette: str) -> str:
    """The lab whose feature a cassette belongs to: ``lab_6_4_vertex_setup/...`` -> ``6.4``."""
    found = _FEATURE.match(cassette)
    if not found:
        raise AttributionError(f"{cassette}: not in a lab_<major>_<minor>_* feature folder")
    return f"{found[1]}.{found[2]}"


def identity_of(call: Call, chain: str) -> str | None:
    """The identity making a call (``6.1`` ... ``6.2-cluster`` ... ``6.5``); None: the harness."""
    if chain == HARNESS:
        return None
    steps = chain.split(" > ")
    if any(step.startswith("warehouse.") for step in steps):
        return CLUSTER_ROLE
    labs = [
        LAB_OF_MODULE[step.split(".")[0]] for step in steps if step.split(".")[0] in LAB_OF_MODULE
    ]
    if not labs:
        return None  # a shared helper called by a step: the harness's own use
    lab, cloud = labs[0], call.operation.cloud
    if cloud in ("aws", "gcp") and CLOUD_OF_LAB[lab] != cloud:
        host = feature_lab(call.cassette)
        if CLOUD_OF_LAB[host] != cloud:
            raise AttributionError(
                f"{call.where}: Lab {lab}'s code calls {cloud} in a Lab {host} scenario, and "
                f"neither lab has a {cloud} identity"
            )
        return host
    return lab


def attributed(
    cassettes: Mapping[str, list[Call]], callers: Mapping[str, list[tuple[str, str]]]
) -> list[tuple[Call, str, str | None]]:
    """Every call with its caller chain and identity (None: the harness)."""
    problems = stale(cassettes, callers)
    if problems:
        raise AttributionError(
            f"{CALLERS_FILE} does not fit the cassettes ({problems[0]}"
            + (f"; and {len(problems) - 1} more" if len(problems) > 1 else "")
            + "): run `python -m mlops_labs.access.tracing` after recording cassettes"
        )
    found = []
    for name, calls in sorted(cassettes.items()):
        for call, (_, chain) in zip(calls, callers.get(name, []), strict=True):
            found.append((call, chain, identity_of(call, chain)))
    return found
