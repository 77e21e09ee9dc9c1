"""A kit run's settings are resolved once, and the kit's commands hand them to pytest whole."""

from __future__ import annotations

from pathlib import Path

from mlops_labs.cloud.modes import CloudMode
from mlops_labs.harness.settings import RunSettings
from mlops_labs.pytest_plugin import KIT_PLUGIN

READS_SETTINGS = """
from mlops_labs.harness.plugin import SETTINGS

def test_settings(request, cloud_mode):
    settings = request.config.stash[SETTINGS]
    print("SEEN", cloud_mode.value, settings.labs_dir, settings.record)
"""


def test_settings_handed_in_win_over_the_command_line(pytester, tmp_path):
    pytester.makepyfile(test_seen=READS_SETTINGS)
    handed = RunSettings(cloud=CloudMode.REPLAY, labs_dir=tmp_path)

    result = pytester.runpytest_inprocess(
        "-p", KIT_PLUGIN, "-s", "--cloud=offline", "--labs-dir=elsewhere", plugins=[handed]
    )

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*SEEN replay {tmp_path} False*"])


def test_a_plain_run_resolves_its_options_once(pytester, monkeypatch):
    monkeypatch.setenv("MLOPS_LABS_WORKSPACE", "from-the-environment")
    pytester.makepyfile(test_seen=READS_SETTINGS)

    result = pytester.runpytest_inprocess("-p", KIT_PLUGIN, "-s", "--cloud=Offline")

    result.assert_outcomes(passed=1)
    expected = Path("from-the-environment").resolve()
    result.stdout.fnmatch_lines([f"*SEEN offline {expected} False*"])
