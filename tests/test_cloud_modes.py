"""The cloud mode switch: option over environment over default; the rest refused by name."""

from __future__ import annotations

import pytest

from mlops_labs.cloud import modes
from mlops_labs.errors import UnknownCloudMode
from mlops_labs.pytest_plugin import KIT_PLUGIN


def test_offline_is_the_default(monkeypatch):
    monkeypatch.delenv(modes.ENV_VAR, raising=False)
    assert modes.resolve() is modes.CloudMode.OFFLINE


def test_the_option_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv(modes.ENV_VAR, "bogus")
    assert modes.resolve(" Offline ") is modes.CloudMode.OFFLINE


def test_an_unknown_mode_is_refused_naming_the_valid_ones(monkeypatch):
    monkeypatch.setenv(modes.ENV_VAR, "cloudy")
    with pytest.raises(
        UnknownCloudMode,
        match=r"^unknown cloud mode 'cloudy': choose one of offline, replay, live$",
    ):
        modes.resolve()


def test_replay_is_a_mode():
    assert modes.resolve("replay") is modes.CloudMode.REPLAY


def test_live_is_a_mode():
    assert modes.resolve("live") is modes.CloudMode.LIVE


def test_pytest_refuses_a_bad_mode_in_one_line(pytester):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", KIT_PLUGIN, "--cloud=mars")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: unknown cloud mode 'mars'*offline, replay, live"])
    assert "Traceback" not in result.stderr.str()


def test_recording_while_replaying_is_refused_in_one_line(pytester):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", KIT_PLUGIN, "--cloud=replay", "--record-cassettes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --record-cassettes records what answers the requests*"])
