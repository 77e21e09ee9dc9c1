"""The pytest entry point leaves every pytest run but the kit's own alone."""

from __future__ import annotations

import pytest

from mlops_labs.pytest_plugin import KIT_PLUGIN

FOREIGN_TEST = """
import gc
import sys

import pytest

HEAVY = ("boto3", "botocore", "moto", "google", "duckdb", "sqlglot", "sklearn", "pandas", "vcr")
KIT = tuple("mlops_labs." + name for name in (
    "harness", "cloud.aws", "cloud.gcp", "bigquery", "warehouse", "vertex_ai", "cassettes",
    "gc_pacing",
))


# Namespace packages that site's .pth files make at every interpreter's start.
AT_START = {"google", "google.cloud"}


def test_untouched(request):
    assert gc.isenabled() and gc.get_freeze_count() == 0, "the garbage collector was paced"
    loaded = sorted(
        m for m in set(sys.modules) - AT_START if m.split(".")[0] in HEAVY or m.startswith(KIT)
    )
    assert loaded == [], "imported in a foreign run: " + ", ".join(loaded[:5])
    assert request.config.pluginmanager.get_plugin("KIT_PLUGIN") is None
    for fixture in ("aws", "gcp", "lab_code", "cloud_mode", "warehouse"):
        with pytest.raises(pytest.FixtureLookupError):
            request.getfixturevalue(fixture)
""".replace("KIT_PLUGIN", KIT_PLUGIN)


def test_a_foreign_project_s_run_gets_the_options_and_nothing_else(pytester):
    pytester.makepyfile(test_foreign=FOREIGN_TEST)

    # A fresh interpreter, as the foreign project's own pytest would be.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--cloud=offline")

    result.assert_outcomes(passed=1)


def test_the_options_are_listed_in_a_foreign_run(pytester):
    result = pytester.runpytest_subprocess("--help")

    result.stdout.fnmatch_lines(["*--cloud=CLOUD*"])


def test_the_kit_s_own_run_has_its_plugin(request):
    assert request.config.pluginmanager.get_plugin(KIT_PLUGIN) is not None
    assert request.getfixturevalue("cloud_mode").value == "offline"


def test_a_run_may_ask_for_the_kit_by_name(pytester):
    pytester.makepyfile(
        test_asked="def test_mode(cloud_mode):\n    assert cloud_mode.value == 'replay'\n"
    )

    result = pytester.runpytest_subprocess("-p", KIT_PLUGIN, "--cloud=replay")

    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("option", ["--cloud=mars"])
def test_a_foreign_run_does_not_judge_the_kit_s_options(pytester, option):
    pytester.makepyfile("def test_nothing():\n    pass\n")

    result = pytester.runpytest_subprocess(option)

    result.assert_outcomes(passed=1)
