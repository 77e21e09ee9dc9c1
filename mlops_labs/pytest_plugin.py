"""The pytest entry point: the kit's options in every run, the kit itself only in its own.

Installed through the ``pytest11`` entry point, it loads in any pytest run of the environment,
a learner's own unrelated project included. There it adds its options and nothing else: the
kit's plugin (``harness.plugin``: fixtures, cassettes, the garbage collector's pacing, the
sandboxes) is registered only when the run's rootdir is the kit's checkout, or when a run asks
for it with ``-p mlops_labs.harness.plugin``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .cloud import modes
from .coursework import lab_code
from .coursework.project import is_project

KIT_PLUGIN = "mlops_labs.harness.plugin"
# The checkout the kit is installed from (pip install -e): its features/ and step_defs/.
KIT_ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlops-labs")
    group.addoption(
        "--cloud",
        default=None,
        help=f"where the SDKs talk: offline (default), replay or live (env {modes.ENV_VAR})",
    )
    group.addoption(
        "--record-cassettes",
        "--record",
        action="store_true",
        default=False,
        help="record each scenario's cloud traffic into cassettes/ (offline or live mode)",
    )
    group.addoption(
        "--cassettes-dir",
        default=None,
        help="where scenario cassettes are read and recorded (default: cassettes/ in the rootdir)",
    )
    from .live.pytest_live import add_options

    add_options(group)
    group.addoption(
        "--labs-dir",
        default=None,
        help=f"run the scenarios against the lab code in this folder (env {lab_code.ENV_VAR})",
    )


def is_kit_run(config: pytest.Config) -> bool:
    """Whether this pytest run is the kit's own: its rootdir is the kit's checkout."""
    return is_project(KIT_ROOT) and config.rootpath.resolve() == KIT_ROOT


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    manager = early_config.pluginmanager
    asked = manager.get_plugin(KIT_PLUGIN) is not None
    if not (asked or is_kit_run(early_config)):
        return
    from .harness import plugin

    if not asked:
        manager.register(plugin, KIT_PLUGIN)
    plugin.start(early_config)
