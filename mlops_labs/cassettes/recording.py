"""One cassette per scenario: where it lives, how vcrpy records and replays it, atomic re-recording.

Recording writes to a temporary file beside the cassette and moves it into place only when the
scenario passed, so a failed re-recording leaves the old cassette as it was. Requests a sandbox
makes while answering another (BigQuery reading Cloud Storage) and the sandboxes' own control
calls (moto's reset) are not the lab's traffic: they are neither recorded nor expected.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..cloud import aws_clients
from ..cloud.loopback_server import INTERNAL_HEADER, serving_request
from ..errors import KitError
from . import matching, reads_after_writes, scrub, serializer
from .bodies import request_body
from .provenance import write_provenance

CASSETTES = "cassettes"
SERIALIZER = "mlops-yaml"


class MissingCassette(KitError):
    """Replay asked for a scenario that has no cassette."""


def cassette_path(folder: Path, feature_file: str, test_name: str) -> Path:
    """``<folder>/<feature>/<test name>.yaml``, the test name made file-safe."""
    feature = Path(feature_file).stem
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_")
    return folder / feature / f"{safe}.yaml"


# Probes for a cloud VM's metadata server: they fail the same way with or without a cassette.
_METADATA_HOSTS = ("169.254.169.254", "metadata.google.internal", "metadata")


# vcrpy filters a fresh deep copy of one request several times (to find, then to play its
# response): scrub each distinct request once. Bodies are immutable bytes, so copies share them.
_scrubbed: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
_SCRUBBED_KEPT = 8
# Requests read from a cassette were scrubbed when they were written.
_LOADED = matching.LOADED


def _lab_request(
    request: Any,
    replacements: Mapping[str, str] | None = None,
    uploads: reads_after_writes.Uploads | None = None,
) -> Any:
    if getattr(request, _LOADED, False):
        return request
    internal = any(name.lower() == INTERNAL_HEADER.lower() for name in request.headers)
    probe = request.host in _METADATA_HOSTS
    if internal or probe or serving_request() or "/moto-api/" in request.path:
        return None
    if uploads is not None:
        uploads.note_sent(request)
    headers = tuple((name, repr(value)) for name, value in request.headers.items())
    mapping = tuple(sorted((replacements or {}).items()))
    key = (request.method, request.uri, request_body(request), headers, mapping)
    if key not in _scrubbed:
        _scrubbed[key] = scrub.scrub_request(request, replacements)
        while len(_scrubbed) > _SCRUBBED_KEPT:
            _scrubbed.popitem(last=False)
    return _scrubbed[key]


def _loaded(
    request: Any, response: Any, _cassette: Any, uploads: reads_after_writes.Uploads | None = None
) -> tuple[Any, Any]:
    setattr(request, _LOADED, True)
    if uploads is not None:
        response = uploads.note_recorded(request, response)
    return request, response


def make_vcr(record_mode: str, replacements: Mapping[str, str] | None = None) -> Any:
    """A vcrpy VCR with the kit's serializer, matchers and scrubbers.

    ``replacements`` maps real names and ids (a live run's) to the placeholders written instead.
    """
    import vcr

    # Replay answers reads of what a scenario uploaded with the bytes it uploaded this time.
    uploads = reads_after_writes.Uploads() if record_mode == "none" else None
    recorder = vcr.VCR(
        serializer=SERIALIZER,
        record_mode=record_mode,
        match_on=matching.MATCH_ON,
        before_record_request=functools.partial(
            _lab_request, replacements=replacements, uploads=uploads
        ),
        # Only responses answered now are scrubbed; recorded ones were scrubbed when written.
        before_record_response=None
        if record_mode == "none"
        else functools.partial(scrub.scrub_response, replacements=replacements),
        after_load_interaction=functools.partial(_loaded, uploads=uploads),
        decode_compressed_response=False,
    )
    recorder.register_serializer(SERIALIZER, serializer)
    matching.register(recorder)
    return recorder


def require(path: Path, scenario: str) -> None:
    """MissingCassette, saying how to record it, unless the scenario has a cassette."""
    if not path.is_file():
        raise MissingCassette(
            f"no cassette for the scenario {scenario!r} ({path.name}): record it with "
            "`pytest --record-cassettes` in offline mode"
        )


@contextlib.contextmanager
def replaying(path: Path, scenario: str) -> Iterator[Any]:
    """Answer the scenario's requests from its cassette; an unrecorded request fails."""
    require(path, scenario)
    with _own_clients(), make_vcr("none").use_cassette(str(path)) as cassette:
        yield cassette


@contextlib.contextmanager
def recording(
    path: Path,
    passed: Callable[[], bool],
    answered_by: str,
    replacements: Mapping[str, str] | None = None,
) -> Iterator[Any]:
    """Record into a temporary file; it replaces the cassette only if ``passed()`` after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".yaml", dir=path.parent)
    os.close(handle)
    os.unlink(temporary)  # vcrpy writes the file itself, only when something was recorded
    try:
        with _own_clients(), make_vcr("all", replacements).use_cassette(temporary) as cassette:
            yield cassette
        if passed():
            if not Path(temporary).exists():
                Path(temporary).write_text(serializer.serialize({"interactions": []}))
            os.replace(temporary, path)
            write_provenance(path, answered_by)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


@contextlib.contextmanager
def _own_clients() -> Iterator[None]:
    """The kit's kept boto3 clients open their connections afresh inside a cassette."""
    aws_clients.hang_up()
    try:
        yield
    finally:
        aws_clients.hang_up()
