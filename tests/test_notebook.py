"""The Labs 6.4 / 6.5 notebook runs top to bottom offline, against the sandboxes."""

from __future__ import annotations

import io
import json
import runpy
from contextlib import redirect_stdout
from pathlib import Path

from mlops_labs.cloud import aiplatform_state, environment
from mlops_labs.cloud.gcp_sandbox import GoogleCloudSandbox
from mlops_labs.course import notebook_format

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "labs_6_4_and_6_5.py"


def test_the_notebook_runs_every_task_offline(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a workspace: the notebook uses the reference lab code
    printed = io.StringIO()
    with (
        GoogleCloudSandbox() as sandbox,
        environment.applied(sandbox.environment()),
        aiplatform_state.restored(),
        redirect_stdout(printed),
    ):
        cells = runpy.run_path(str(NOTEBOOK))
    out = printed.getvalue()
    assert "ready" in out and "project mlops-labs-sandbox" in out
    assert cells["metrics"]["accuracy"] > 0.85
    assert cells["export"] == f"{cells['BUCKET_URI']}/models/penguins/"
    assert cells["predictions"][0]["classes"] == ["Gentoo penguin (Pygoscelis papua)"]


def test_the_notebook_is_text_with_one_cell_per_step():
    text = NOTEBOOK.read_text()
    assert text.startswith("# ---\n# jupyter:") and "formats: py:percent" in text
    assert text.count("# %%") >= 10
    for task in ("6.4.1", "6.4.2", "6.5.1", "6.5.4"):
        assert f"Task {task}" in text or f"Tasks {task}" in text


def test_the_colab_notebook_is_the_text_notebook_regenerated():
    """notebooks/*.ipynb is generated from the .py: regenerate it when the .py changes."""
    ipynb = NOTEBOOK.with_suffix(".ipynb")
    assert ipynb.read_text() == notebook_format.render(NOTEBOOK.read_text()), (
        "run: python -m mlops_labs.course.notebook_format "
        f"{NOTEBOOK.relative_to(NOTEBOOK.parents[1])}"
    )
    cells = json.loads(ipynb.read_text())["cells"]
    assert cells[0]["cell_type"] == "markdown" and cells[0]["source"][0].startswith("# Labs 6.4")
    assert all(c["outputs"] == [] for c in cells if c["cell_type"] == "code")
