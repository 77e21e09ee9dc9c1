"""Where the lab code under test comes from: the reference package or a learner's workspace."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import py_compile
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from ..errors import KitError
from .stand_ins import compose

ENV_VAR = "MLOPS_LABS_WORKSPACE"
REFERENCE_PACKAGE = "mlops_labs.labs"
REFERENCE_DIR = Path(__file__).resolve().parents[1] / "labs"  # mlops_labs/labs/
# A workspace is imported under its own name, so it never shadows the reference solution.
WORKSPACE_PACKAGE = "mlops_labs_workspace"


class LabCode:
    """The lab modules of one source: ``LabCode(None)`` is the reference solution."""

    def __init__(self, directory: Path | None = None, *, package: str = WORKSPACE_PACKAGE) -> None:
        self.directory = directory
        self.stood_in: tuple[str, ...] = ()
        if directory is None:
            self._package = REFERENCE_PACKAGE
        else:
            self._package = _import_workspace(directory, package)

    def for_tasks(self, task_ids: Iterable[str]) -> LabCode:
        """The code the scenarios of ``task_ids`` run: see ``stand_ins``; the reference as is."""
        if self.directory is None:
            return self
        composition = compose(self.directory, task_ids, REFERENCE_DIR)
        if not composition.stood_in:
            return self
        composed = _composed.get(composition.directory)
        if composed is None:
            package = f"{WORKSPACE_PACKAGE}_{composition.directory.name}"
            composed = _composed[composition.directory] = LabCode(
                composition.directory, package=package
            )
            composed.stood_in = composition.stood_in
        return composed

    def module(self, name: str) -> ModuleType:
        """The lab module ``name`` (``model``, ``dat`` ...) from this source."""
        try:
            return importlib.import_module(f"{self._package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{self._package}.{name}":
                raise
            where = self.directory or "the mlops_labs package"
            raise KitError(f"no lab module '{name}' in {where}") from None

    def __repr__(self) -> str:
        return f"LabCode({str(self.directory) if self.directory else 'reference'})"


def validate(directory: Path) -> Path:
    """``directory`` resolved, if it holds lab code; else a KitError that says what is wrong."""
    resolved = directory.resolve()
    if not resolved.is_dir():
        raise KitError(f"no lab code folder at {directory}: check the path")
    if not (resolved / "__init__.py").is_file():
        raise KitError(
            f"{directory} is not a lab code folder (it has no __init__.py): "
            "point at the folder that holds model.py and __init__.py"
        )
    return resolved


# Composed copies are named by their contents, so one imported already is still current.
_composed: dict[Path, LabCode] = {}


def _compiled(directory: Path) -> None:
    """Byte-code beside each lab file, keyed to the source's hash (PEP 552), made only on change.

    Each check imports the workspace afresh: with hash-checked byte-code, an unchanged file is
    not compiled again, and an edit is seen however soon it follows the last (an mtime could
    not tell two saves within a second apart).
    """
    for source in directory.glob("*.py"):
        cached = Path(importlib.util.cache_from_source(str(source)))
        data = source.read_bytes()
        # The header of a hash-checked .pyc: magic number, flags 0b11, the source's hash.
        expected = importlib.util.MAGIC_NUMBER + b"\x03\x00\x00\x00"
        expected += importlib.util.source_hash(data)
        with contextlib.suppress(OSError):
            if cached.read_bytes()[:16] == expected:
                continue
        with contextlib.suppress(OSError, py_compile.PyCompileError):
            py_compile.compile(
                str(source),
                cfile=str(cached),
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
            )


def _import_workspace(directory: Path, name: str = WORKSPACE_PACKAGE) -> str:
    init = validate(directory) / "__init__.py"
    _compiled(directory)
    # Forget an earlier import, so edits made since are what runs.
    for module in [n for n in sys.modules if n.split(".")[0] == name]:
        del sys.modules[module]
    importlib.invalidate_caches()
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(directory)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return name
