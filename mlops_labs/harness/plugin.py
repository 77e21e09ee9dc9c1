"""The kit's pytest plugin: cloud mode, cassettes, task markers, and the sandbox and lab fixtures.

Registered by the entry point (``mlops_labs.pytest_plugin``) only in the kit's own runs, so a
foreign project's pytest run in the same environment never sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from .. import gc_pacing
from ..cloud import environment, modes
from ..cloud.aws_sandbox import AwsSandbox
from ..cloud.gcp_sandbox import GoogleCloudSandbox
from ..cloud.sandbox_sharing import shared
from ..coursework import catalogue
from ..coursework.lab_code import LabCode
from ..errors import KitError
from .settings import RunSettings
from .settings import resolve as resolve_settings

if TYPE_CHECKING:
    import sqlalchemy

    from ..warehouse.engine import Warehouse

# The morning after the sample activity window: every GETDATE() in a scenario answers this.
WAREHOUSE_CLOCK = datetime(2026, 1, 29, 6, 0)
# What offline and replay runs name the Redshift side with (the embedded warehouse takes any).
EXAMPLE_IAM_ROLE = "arn:aws:iam::123456789012:role/RedshiftMLPipeline"
EXAMPLE_DATA_API_TARGET = {
    "database": "dev",
    "cluster_identifier": "churn-cluster",
    "db_user": "ml_pipeline",
}


def start(early_config: pytest.Config) -> None:
    """The kit's run begins: pause the garbage collector while it loads (see gc_pacing)."""
    gc_pacing.pause()


def pytest_collection_finish() -> None:
    gc_pacing.settle()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure() -> None:
    gc_pacing.restore()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    try:
        settings = config.stash[SETTINGS] = resolve_settings(config)
    except KitError as exc:
        raise pytest.UsageError(str(exc)) from None
    if settings.cloud is modes.CloudMode.LIVE:
        from ..live.pytest_live import LivePlugin

        config.pluginmanager.register(LivePlugin(config), "mlops-labs-live")
    if settings.record and settings.cloud is modes.CloudMode.REPLAY:
        raise pytest.UsageError(
            "--record-cassettes records what answers the requests: use it with --cloud offline "
            "or live, not replay"
        )
    for lab in catalogue.LABS:
        config.addinivalue_line("markers", f"{lab.tag}: Lab {lab.id} - {lab.title}")
        for task in lab.tasks:
            config.addinivalue_line("markers", f"{task.tag}: Lab {task.id} - {task.title}")
    config.addinivalue_line("markers", "bad_input: a scenario about refusing bad input")
    config.addinivalue_line(
        "markers", "parity: a scenario setting an AWS task beside its Google Cloud twin"
    )


SETTINGS = pytest.StashKey[RunSettings]()


@pytest.fixture(scope="session")
def cloud_mode(pytestconfig: pytest.Config) -> modes.CloudMode:
    """The cloud mode of this run."""
    return pytestconfig.stash[SETTINGS].cloud


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    if report.failed and call.excinfo is not None:
        from ..cassettes.unrecorded import explain

        explained = explain(call.excinfo.value)
        if explained is not None:
            report.longrepr = explained
    return report


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.fixture(autouse=True)
def _cassette(request: pytest.FixtureRequest, cloud_mode: modes.CloudMode) -> Iterator[None]:
    """Replay, or record, the scenario's cloud traffic: one cassette per scenario."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    template = scenario_wrapper_template_registry.get(getattr(request.node, "function", None))
    settings = request.config.stash[SETTINGS]
    recording = settings.record
    if template is None or not (recording or cloud_mode is modes.CloudMode.REPLAY):
        yield
        return
    from ..cassettes import recording as cassettes

    folder = settings.cassettes_dir
    path = cassettes.cassette_path(
        folder or request.config.rootpath / cassettes.CASSETTES,
        template.feature.filename,
        request.node.name,
    )
    if cloud_mode is modes.CloudMode.REPLAY:
        try:
            cassettes.require(path, template.name)
        except KitError as exc:
            pytest.fail(str(exc), pytrace=False)
        with cassettes.replaying(path, template.name):
            yield
        return

    def passed() -> bool:
        reports = request.node.stash.get(_REPORTS, {})
        return all(r.passed for r in reports.values()) and "call" in reports

    if cloud_mode is modes.CloudMode.LIVE:
        from ..live import names

        answered_by, replacements = "live account", names.current().placeholders()
    else:
        answered_by, replacements = f"{cloud_mode.value} sandboxes", {}
    with cassettes.recording(path, passed, answered_by, replacements):
        yield


def _replaying(cloud_mode: modes.CloudMode) -> bool:
    return cloud_mode is modes.CloudMode.REPLAY


def _target(
    cloud_mode: modes.CloudMode,
    replay: Callable[[], Any],
    offline: Callable[[], Any],
    live: Callable[[], Any],
) -> Callable[[], Any]:
    """What answers the SDKs in this mode: cassettes, a local sandbox or the real cloud."""
    return {modes.CloudMode.REPLAY: replay, modes.CloudMode.LIVE: live}.get(cloud_mode, offline)


def _live_settings(config: pytest.Config) -> Any:
    # Read once per run: several fixtures of every scenario ask for them.
    if _LIVE_SETTINGS not in config.stash:
        from ..live.pytest_live import load_settings

        config.stash[_LIVE_SETTINGS] = load_settings(config)
    return config.stash[_LIVE_SETTINGS]


_LIVE_SETTINGS = pytest.StashKey[Any]()


@pytest.fixture(scope="session")
def aws_sandbox(cloud_mode: modes.CloudMode) -> Iterator[AwsSandbox]:
    """The offline AWS sandbox for the whole run, with boto3 pointed at it."""
    import boto3

    from ..cloud.aws_clients import fresh_default_session
    from ..cloud.replay_targets import ReplayAws
    from ..live.targets import LiveAws

    with shared("aws", _target(cloud_mode, ReplayAws, AwsSandbox, LiveAws)) as sandbox:
        # A default session made before the settings above would keep other credentials.
        fresh_default_session()
        yield sandbox
        boto3.DEFAULT_SESSION = None


@pytest.fixture
def aws(aws_sandbox: AwsSandbox) -> AwsSandbox:
    """An empty AWS account for one test: every bucket, package and metric of earlier tests gone."""
    aws_sandbox.reset()
    return aws_sandbox


@pytest.fixture(scope="session")
def _lab_source(pytestconfig: pytest.Config) -> LabCode:
    return LabCode(pytestconfig.stash[SETTINGS].labs_dir)


@pytest.fixture
def lab_code(request: pytest.FixtureRequest, _lab_source: LabCode) -> LabCode:
    """The lab code under test: the reference solution, or a learner's workspace.

    In a workspace, the other tasks' untouched starter stubs are stood in for by the reference
    (``stand_ins``), so a task's scenarios pass once that task is done, whatever else is.
    """
    tasks = [t.id for t in catalogue.all_tasks() if request.node.get_closest_marker(t.tag)]
    return _lab_source.for_tasks(tasks)


@pytest.fixture
def warehouse(aws: AwsSandbox) -> Iterator[Warehouse]:
    """A fresh embedded Redshift warehouse, clock pinned, COPY and UNLOAD through the S3 sandbox."""
    from ..warehouse.engine import Warehouse

    database = Warehouse(clock=WAREHOUSE_CLOCK)
    yield database
    database.close()


@pytest.fixture
def redshift_engine(
    request: pytest.FixtureRequest, cloud_mode: modes.CloudMode
) -> Iterator[sqlalchemy.Engine]:
    """A SQLAlchemy engine on the scenario's warehouse, as lab code receives one.

    Live with a real cluster: an engine on it whose tables go to a schema of the run's own.
    """
    if cloud_mode is modes.CloudMode.LIVE and not _live_settings(request.config).embedded_redshift:
        from ..live.redshift import run_schema_engine

        with run_schema_engine(_live_settings(request.config)) as engine:
            yield engine
        return
    from ..warehouse.sqlalchemy_dialect import create_engine

    engine = create_engine(request.getfixturevalue("warehouse"))
    yield engine
    engine.dispose()


@pytest.fixture
def redshift_iam_role(request: pytest.FixtureRequest, cloud_mode: modes.CloudMode) -> str:
    """The role Redshift assumes for COPY and UNLOAD (any ARN does for the embedded warehouse)."""
    if cloud_mode is modes.CloudMode.LIVE:
        return _live_settings(request.config).redshift_iam_role
    return EXAMPLE_IAM_ROLE


@pytest.fixture
def redshift_data_api(
    request: pytest.FixtureRequest, cloud_mode: modes.CloudMode
) -> Iterator[dict[str, str]]:
    """Where the Redshift Data API statements go: ``read_with_data_api``'s target arguments.

    Offline, boto3's redshift-data is pointed at the scenario's warehouse; live on a real
    cluster, the target comes from the live settings.
    """
    if cloud_mode is modes.CloudMode.LIVE and not _live_settings(request.config).embedded_redshift:
        yield dict(_live_settings(request.config).redshift_data_api)
        return
    if _replaying(cloud_mode):
        # The cassette answers; ReplayAws already points redshift-data nowhere.
        yield dict(EXAMPLE_DATA_API_TARGET)
        return
    from ..warehouse.data_api.server import DataApiServer

    warehouse = request.getfixturevalue("warehouse")
    with DataApiServer(warehouse) as server, environment.applied(server.environment()):
        yield dict(EXAMPLE_DATA_API_TARGET)


@pytest.fixture(scope="session")
def gcp_sandbox(
    cloud_mode: modes.CloudMode, pytestconfig: pytest.Config
) -> Iterator[GoogleCloudSandbox]:
    """The offline Google Cloud for the whole run: credentials and Cloud Storage."""
    from ..cloud.replay_targets import ReplayGoogleCloud
    from ..live.targets import LiveGoogleCloud

    def live() -> LiveGoogleCloud:
        return LiveGoogleCloud(_live_settings(pytestconfig).project)

    with shared("gcp", _target(cloud_mode, ReplayGoogleCloud, GoogleCloudSandbox, live)) as sandbox:
        yield sandbox


@pytest.fixture
def gcp(gcp_sandbox: GoogleCloudSandbox) -> GoogleCloudSandbox:
    """An empty Google Cloud project for one test: no bucket or object of earlier tests."""
    gcp_sandbox.reset()
    return gcp_sandbox
