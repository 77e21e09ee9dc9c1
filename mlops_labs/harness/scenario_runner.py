"""Run the scenarios in this process and tell, per task, what passed and where it failed."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .. import gc_pacing
from ..cloud.modes import CloudMode
from ..coursework.catalogue import Task
from .settings import RunSettings


@dataclass
class ScenarioResult:
    """One scenario's outcome, with its first failing step and the error's first line."""

    name: str
    tags: set[str]
    nodeid: str = ""
    # Its place in collection order, the same in every process that collects the same modules.
    position: int = 0
    seconds: float = 0.0
    outcome: str = "passed"
    failed_step: str | None = None
    message: str | None = None


@dataclass
class TaskResult:
    """A task's status: ``passed``, ``failed`` or ``no scenario``, and its scenarios."""

    task: Task
    scenarios: list[ScenarioResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        """Passed only when every scenario of the task passed."""
        if not self.scenarios:
            return "no scenario"
        if all(s.outcome == "passed" for s in self.scenarios):
            return "passed"
        return "failed"

    @property
    def first_failure(self) -> ScenarioResult | None:
        """The first scenario of the task that did not pass."""
        return next((s for s in self.scenarios if s.outcome != "passed"), None)


class _Collector:
    """A pytest plugin that keeps each scenario's outcome instead of printing it."""

    def __init__(self) -> None:
        self.scenarios: dict[str, ScenarioResult] = {}
        self.errors: list[str] = []
        self.interrupted = False

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # Also called for pytest.exit(), which is no Ctrl-C.
        self.interrupted = excinfo.errisinstance(KeyboardInterrupt)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(_first_line(report.longrepr))

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        tags = {marker.name for marker in item.iter_markers()}
        self.scenarios[item.nodeid] = ScenarioResult(
            name=item.name, tags=tags, nodeid=item.nodeid, position=len(self.scenarios)
        )

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        # Not run here: neither passed nor failed (another task's, or another process's share).
        for item in items:
            self.scenarios.pop(item.nodeid, None)

    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, scenario: object) -> None:
        result = self.scenarios.get(request.node.nodeid)
        if result is not None:
            result.name = scenario.name  # type: ignore[attr-defined]

    def pytest_bdd_step_error(
        self, request: pytest.FixtureRequest, step: object, exception: Exception
    ) -> None:
        self._step_failed(request, step, _unrecorded(exception) or _exception_line(exception))

    def pytest_bdd_step_func_lookup_error(
        self, request: pytest.FixtureRequest, step: object, exception: Exception
    ) -> None:
        self._step_failed(request, step, "no step definition matches this step")

    def _step_failed(self, request: pytest.FixtureRequest, step: object, message: str) -> None:
        result = self.scenarios.get(request.node.nodeid)
        if result is not None and result.failed_step is None:
            result.failed_step = f"{step.keyword} {step.name}"  # type: ignore[attr-defined]
            result.message = message

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = self.scenarios.get(report.nodeid)
        if result is None:
            return
        result.seconds += report.duration
        if result.outcome != "passed":
            return
        if report.failed:
            result.outcome = "failed"
            if result.message is None:
                result.message = _first_line(report.longrepr)
            if result.failed_step is None and report.when == "setup":
                result.failed_step = "(setting up the scenario)"
        elif report.skipped and report.when != "teardown":
            result.outcome = "skipped"


def _unrecorded(exception: BaseException) -> str | None:
    """For a request no cassette holds: what it was, the nearest recorded one, the diff."""
    from ..cassettes.unrecorded import explain

    return explain(exception)


def _exception_line(exception: BaseException) -> str:
    lines = [line for line in str(exception).splitlines() if line.strip()]
    name = type(exception).__name__
    return f"{name}: {lines[0]}" if lines else name


def _first_line(longrepr: object) -> str:
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr)
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "failed"


@dataclass(frozen=True)
class Share:
    """The part of the selected scenarios one of two processes runs (see ``scenario_helper``).

    With ``helpers`` (node ids planned for the helper) the helper runs those and the watcher the
    rest; without, they alternate in collection order. Either way each scenario runs once.
    """

    helper: bool
    helpers: frozenset[str] | None = None

    def runs(self, position: int, nodeid: str) -> bool:
        """Whether this process runs the scenario at ``position`` with ``nodeid``."""
        if self.helpers is not None:
            return (nodeid in self.helpers) == self.helper
        return position % 2 == self.helper


class _Sharing:
    """A pytest plugin that keeps only this process's share of the selected scenarios."""

    def __init__(self, share: Share) -> None:
        self.share = share

    @pytest.hookimpl(trylast=True)  # after -m has deselected the other tasks' scenarios
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        mine = [self.share.runs(n, item.nodeid) for n, item in enumerate(items)]
        others = [item for item, kept in zip(items, mine, strict=True) if not kept]
        if others:
            config.hook.pytest_deselected(items=others)
            items[:] = [item for item, kept in zip(items, mine, strict=True) if kept]


def merge(*runs: list[TaskResult]) -> list[TaskResult]:
    """One result per task from runs of shares of the same scenarios, in collection order."""
    merged = [TaskResult(result.task) for result in runs[0]]
    for results in runs:
        for total, result in zip(merged, results, strict=True):
            total.scenarios += result.scenarios
    for total in merged:
        total.scenarios.sort(key=lambda scenario: scenario.position)
    return merged


class RunError(RuntimeError):
    """The scenarios could not be collected or run at all."""


def run(
    tasks: tuple[Task, ...],
    *,
    project: Path,
    cloud: CloudMode = CloudMode.OFFLINE,
    labs_dir: Path | None = None,
    share: Share | None = None,
) -> list[TaskResult]:
    """Run the scenarios tagged with ``tasks`` against ``labs_dir`` (or the reference code).

    ``share`` runs only this process's part of them, while a helper process runs the rest.
    """
    collector = _Collector()
    # Resolved here once and handed in: the kit's plugin reads it, no option string is parsed.
    plugins: list[object] = [collector, RunSettings(cloud=cloud, labs_dir=labs_dir)]
    if share is not None:
        plugins.append(_Sharing(share))
    args = [
        *_step_modules(project, tasks),
        f"--rootdir={project}",
        "-c",
        str(project / "pyproject.toml"),
        "-m",
        " or ".join(task.tag for task in tasks),
        "-q",
        # Python's own tracebacks: pytest's would parse whole source files to print what the
        # board never shows (a third of a one-task re-check).
        "--tb=native",
    ]
    # The board is the report: pytest's own output would only repeat it with tracebacks.
    with contextlib.redirect_stdout(io.StringIO()) as printed, gc_pacing.contained():
        exit_code = pytest.main(args, plugins=plugins)
    if collector.interrupted:
        # Ctrl-C, or SIGTERM (stop_signals): pytest caught it and tore the run down; the caller
        # stops too, as it would have had the interrupt reached it.
        raise KeyboardInterrupt
    if collector.errors or exit_code in (
        pytest.ExitCode.INTERNAL_ERROR,
        pytest.ExitCode.USAGE_ERROR,
        pytest.ExitCode.INTERRUPTED,
    ):
        detail = collector.errors[0] if collector.errors else _last_line(printed.getvalue())
        raise RunError(f"the scenarios could not run: {detail}")
    results = [TaskResult(task) for task in tasks]
    for result in results:
        result.scenarios = [s for s in collector.scenarios.values() if result.task.tag in s.tags]
    return results


def _step_modules(project: Path, tasks: tuple[Task, ...]) -> list[str]:
    """The step-definition modules of the tasks' labs: collecting only those saves seconds."""
    step_defs = project / "step_defs"
    modules = []
    for lab_id in dict.fromkeys(task.lab_id for task in tasks):
        module = step_defs / f"test_lab_{lab_id.replace('.', '_')}.py"
        if not module.is_file():
            return [str(step_defs)]
        modules.append(str(module))
    return modules


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "pytest stopped without a report"
