"""A run of whole folders shares the Google Cloud labs' step modules with a second process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mlops_labs import split_run

needs_two_cores = pytest.mark.skipif(split_run._cores() < 2, reason="shared only on 2+ cores")

STEPS = """
import os
from pathlib import Path

def _note(name):
    with Path(os.environ["PIDS_FILE"]).open("a") as pids:
        pids.write(f"{name} {os.getpid()}\\n")

def test_one():
    _note("{module}.one")

def test_two():
    _note("{module}.two")
    assert not os.environ.get("FAIL_{module}"), "{module} was told to fail"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder of two step modules, one of each half, and a test outside step_defs."""
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    steps = tmp_path / "step_defs"
    steps.mkdir()
    for module in ("test_lab_6_1", "test_lab_6_4"):
        (steps / f"{module}.py").write_text(STEPS.replace("{module}", module))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_kit.py").write_text(
        STEPS.replace("{module}", "test_kit").replace("def test_two", "def _unused")
    )
    return tmp_path


def run(project: Path, *args: str, **env: str) -> tuple[subprocess.CompletedProcess, dict]:
    """``pytest ARGS`` in the project, as a user runs it; what ran in which process."""
    pids = project / "pids.txt"
    # This run may be a shared one itself: its thread-pool settings are not a user's.
    dropped = ("PYTEST_CURRENT_TEST", *split_run.THREAD_POOLS)
    settings = {k: v for k, v in os.environ.items() if k not in dropped}
    settings.update(env, PIDS_FILE=str(pids))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args],
        cwd=project,
        env=settings,
        capture_output=True,
        text=True,
        timeout=120,
    )
    ran = dict(line.split() for line in pids.read_text().splitlines()) if pids.exists() else {}
    pids.unlink(missing_ok=True)
    return done, ran


@needs_two_cores
def test_the_google_labs_run_in_a_second_process_and_are_reported_as_this_runs(project):
    done, ran = run(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout and "[100%]" in done.stdout, done.stdout
    assert ran["test_lab_6_4.one"] == ran["test_lab_6_4.two"]
    assert ran["test_lab_6_4.one"] != ran["test_lab_6_1.one"], "not shared"
    assert ran["test_lab_6_1.one"] == ran["test_kit.one"], "the kit's tests left this process"
    assert "second process" not in done.stdout, "-q printed the header line"
    done, _ = run(project, "-v")  # -q -v: pytest's default output
    assert "collected 3 items\n+ the scenarios of test_lab_6_4.py" in done.stdout, done.stdout


@needs_two_cores
def test_a_failure_over_there_fails_this_run_with_its_message_and_report(project):
    done, ran = run(project, "--junitxml=report.xml", FAIL_test_lab_6_4="1")
    assert done.returncode == 1
    assert "test_lab_6_4 was told to fail" in done.stdout
    assert "1 failed, 4 passed" in done.stdout, done.stdout
    assert ran["test_lab_6_4.one"] != ran["test_lab_6_1.one"]
    cases = ET.parse(project / "report.xml").getroot().iter("testcase")
    assert sorted(c.get("name") for c in cases) == ["test_one"] * 3 + ["test_two"] * 2
    assert len(list(ET.parse(project / "report.xml").getroot().iter("failure"))) == 1


@needs_two_cores
def test_a_second_process_that_dies_fails_the_run_saying_so(project):
    steps = project / "step_defs" / "test_lab_6_4.py"
    crash = 'import os, sys\nif any(a.startswith("--split-report-fd") for a in sys.argv):\n'
    crash += "    os._exit(7)\n"
    steps.write_text(crash + steps.read_text())
    done, ran = run(project)
    assert done.returncode == 1
    assert "the second process, running test_lab_6_4.py" in done.stdout
    assert "exited with 7" in done.stdout, done.stdout
    assert "test_lab_6_1.one" in ran and "test_lab_6_4.one" not in ran


@needs_two_cores
def test_a_module_over_there_that_cannot_be_collected_fails_this_run_with_its_error(project):
    steps = project / "step_defs" / "test_lab_6_4.py"
    steps.write_text(steps.read_text() + "\nraise ImportError('no module named vertex_setup')\n")
    done, ran = run(project)
    assert done.returncode == 1, done.stdout
    assert "ERROR step_defs/test_lab_6_4.py" in done.stdout, done.stdout
    assert "no module named vertex_setup" in done.stdout
    assert "test_lab_6_1.one" in ran, "this half did not run"


def _with_cache(project: Path) -> None:
    (project / "pytest.ini").write_text("[pytest]\n")


@needs_two_cores
def test_this_half_starts_without_waiting_for_the_second_to_count_when_it_counted_before(
    project,
):
    _with_cache(project)
    # The second process's modules take a while to import, as the Google Cloud SDKs do.
    steps = project / "step_defs" / "test_lab_6_4.py"
    slow = "import time\ntime.sleep(3)\n"
    steps.write_text(steps.read_text().replace("def test_one", slow + "def test_one", 1))
    first, _ = run(project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "5 passed" in first.stdout and first.stdout.count("[100%]") == 1, first.stdout
    marks = project / "marks.txt"
    (project / "step_defs" / "test_lab_6_1.py").write_text(
        (project / "step_defs" / "test_lab_6_1.py").read_text()
        + f"\ndef test_zero():\n    open({str(marks)!r}, 'a').write('started\\n')\n"
    )
    steps.write_text(
        steps.read_text().replace(
            "time.sleep(3)\n", f"time.sleep(3)\nopen({str(marks)!r}, 'a').write('imported\\n')\n"
        )
    )
    again, _ = run(project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "6 passed" in again.stdout and again.stdout.count("[100%]") == 1, again.stdout
    assert marks.read_text().split() == ["started", "imported"], (
        "this half waited for the second process to import its modules"
    )


@needs_two_cores
def test_a_count_remembered_from_before_is_corrected_by_what_the_second_process_says(project):
    _with_cache(project)
    run(project)
    run(project, "-k", "one")
    cache = project / ".pytest_cache" / "v" / "mlops_labs" / "split_run_second_counts"
    remembered = json.loads(cache.read_text())
    assert [e["collected"] for e in remembered] == [1, 2], "each kind of run keeps its count"
    cache.write_text(json.dumps([remembered[0], {**remembered[1], "collected": 40}]))
    done, _ = run(project)
    assert "5 passed" in done.stdout, done.stdout
    assert done.stdout.rstrip().splitlines()[0].endswith("[100%]"), done.stdout
    assert [e["collected"] for e in json.loads(cache.read_text())] == [2, 1]
    cache.write_text(json.dumps({"run": "an older kit's", "collected": "two"}))
    done, _ = run(project)
    assert done.returncode == 0 and "5 passed" in done.stdout, done.stdout + done.stderr


def _report_thread_pools(project: Path) -> None:
    """Each half's one test writes the thread-pool settings its process runs with."""
    for module in ("test_lab_6_1", "test_lab_6_4"):
        (project / "step_defs" / f"{module}.py").write_text(
            "import os\n"
            "from pathlib import Path\n"
            "def test_pools():\n"
            f"    pools = [os.environ.get(n, '-') for n in {split_run.THREAD_POOLS!r}]\n"
            "    with Path(os.environ['PIDS_FILE']).open('a') as out:\n"
            f"        out.write('{module} ' + ','.join(pools) + '\\n')\n"
        )


@needs_two_cores
def test_each_process_keeps_its_native_thread_pools_to_its_share_of_the_cores(project):
    _report_thread_pools(project)
    share = str(split_run._cores() // 2)
    done, ran = run(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ran["test_lab_6_1"] == ran["test_lab_6_4"] == ",".join([share] * 3)
    done, ran = run(project, OPENBLAS_NUM_THREADS="3")
    assert ran["test_lab_6_4"] == ",".join(["3", share, share]), "the user's setting was replaced"
    done, ran = run(project, "--no-split")
    assert ran["test_lab_6_1"] == ran["test_lab_6_4"] == "-,-,-", "one process keeps every core"


@pytest.mark.parametrize(
    "args",
    [
        ["step_defs/test_lab_6_1.py", "step_defs/test_lab_6_4.py"],
        ["--no-split"],
        ["-x"],
        ["-s"],
        ["--record-cassettes", "--cassettes-dir=recorded"],
        ["--basetemp=scratch"],
        ["-p", "mlops_labs.access.tracing", "--trace-callers=callers.json"],
        ["--cucumberjson=cucumber.json"],
    ],
    ids=[
        "files",
        "no-split",
        "exitfirst",
        "no-capture",
        "recording",
        "basetemp",
        "tracing",
        "cucumber",
    ],
)
def test_runs_that_are_not_shared_run_everything_here(project, args):
    done, ran = run(project, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(set(ran.values())) == 1, f"shared: {ran}"
    assert {"test_lab_6_1.one", "test_lab_6_4.one"} <= set(ran)
