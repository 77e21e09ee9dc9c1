"""The committed lock: every dependency pinned within its range, hash-checked, used to install."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _pins() -> dict[str, list[tuple[str, str]]]:
    """Each locked package's versions, with the environment marker each applies under."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for line in LOCK.read_text().splitlines():
        found = _PIN.match(line)
        if found:
            name, version, marker = found.groups()
            pins.setdefault(canonicalize_name(name), []).append((version, marker or ""))
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(text) for text in listed]


def test_every_declared_dependency_is_locked_within_its_range():
    pins = _pins()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements.lock: regenerate the lock"
        for version, _ in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements.lock pins {name}=={version} outside {requirement}: "
                "regenerate the lock"
            )


def test_every_locked_package_is_hash_checked():
    text = LOCK.read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for entry in entries:
        if _PIN.match(entry.splitlines()[0]):
            assert "--hash=sha256:" in entry, f"no hash for {entry.splitlines()[0]}"


def test_the_lock_is_universal_and_says_how_it_was_made():
    header = LOCK.read_text().splitlines()[:3]
    command = next(line for line in header if "uv pip compile" in line)
    for option in ("--universal", "--generate-hashes", "--python-version 3.11", "--extra dev"):
        assert option in command
    # Platform-specific packages are locked for the other platforms too (colorama: Windows).
    markers = [marker for versions in _pins().values() for _, marker in versions]
    assert any("win32" in marker for marker in markers)


def test_ci_installs_exactly_as_the_readme_says():
    readme = (ROOT / "README.md").read_text()
    install = next(line for line in readme.splitlines() if line.startswith("pip install"))
    command = install.split("#")[0].strip()
    assert "requirements.lock" in command
    assert command in (ROOT / ".ci" / "run").read_text()
