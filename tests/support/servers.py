"""Pytest plugin (loaded by tests/conftest.py): real monitoring servers on loopback as fixtures.

Every fixture starts fresh servers in the test's tmp_path and stops them at teardown, whatever the
outcome. When a test that used a server fails, the server's log tail is attached to the failure report
(shown under "<name> log" after the traceback).

    def test_write(influxdb1):
        influxdb1.create_database("govpulse")
        influxdb1.write("m,k=v f=1 1700000000", db="govpulse")
        assert influxdb1.rows("SELECT f FROM m", db="govpulse")[0]["f"] == 1
"""

from __future__ import annotations

import statistics
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

from tests.support.influxdb import InfluxDB1Server, InfluxQLError
from tests.support.process import (
    INSTALL_HINT,
    READINESS,
    ManagedServer,
    ServerStartError,
    free_port,
    require_binary,
)
from tests.support.prometheus import (
    AlertmanagerServer,
    PrometheusServer,
    PushgatewayServer,
    run_amtool,
    run_promtool,
)
from tests.support.promql import scalar_values
from tests.support.victoriametrics import VictoriaMetricsServer

__all__ = [
    "INSTALL_HINT",
    "AlertmanagerFactory",
    "AlertmanagerServer",
    "InfluxDB1Server",
    "InfluxQLError",
    "ManagedServer",
    "PrometheusFactory",
    "PrometheusServer",
    "PushgatewayServer",
    "ServerFleet",
    "ServerStartError",
    "VictoriaMetricsServer",
    "free_port",
    "item_failed",
    "require_binary",
    "run_amtool",
    "run_promtool",
    "scalar_values",
    "server_log_sections",
]

REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
SERVERS_USED = pytest.StashKey[list[ManagedServer]]()
S = TypeVar("S", bound=ManagedServer)


class PrometheusFactory(Protocol):
    def __call__(
        self, config_yaml: str, rule_files: Mapping[str, str] | None = None, extra_args: Sequence[str] = ()
    ) -> PrometheusServer: ...


class AlertmanagerFactory(Protocol):
    def __call__(self, config_yaml: str) -> AlertmanagerServer: ...


# --- failure reports -------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item; on failure attach the log tails of the servers it used.

    Attaching here, while the servers still run, puts the logs into the failing phase's own report:
    a section added during fixture teardown would land in the (passing) teardown report, which pytest
    does not show next to the failure.
    """
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    if report.failed:
        used: list[ManagedServer] = item.stash.get(SERVERS_USED, [])
        report.sections.extend(server_log_sections(used))
    return report


def server_log_sections(servers: Sequence[ManagedServer], lines: int = 100) -> list[tuple[str, str]]:
    return [(f"{server.name} log ({server.log_path})", server.log_tail(lines)) for server in servers]


def item_failed(item: pytest.Item) -> bool:
    """Whether any phase of `item` has failed so far (for fixtures that dump extra state on failure)."""
    return any(report.failed for report in item.stash.get(REPORTS, {}).values())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not READINESS:
        return
    terminalreporter.section("loopback servers: seconds to ready", sep="-")
    for name, seconds in sorted(READINESS.items()):
        terminalreporter.write_line(
            f"{name}: {len(seconds)} starts, median {statistics.median(seconds):.3f}, max {max(seconds):.3f}"
        )


# --- fixtures --------------------------------------------------------------------------------------


class ServerFleet:
    """Servers started for one test: tracked for failure logs, all stopped at teardown.

    The `server_fleet` fixture gives one to tests that build servers themselves (e.g. two InfluxDBs).
    """

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._item = request.node
        self._servers: list[ManagedServer] = []

    def launch(self, server: S) -> S:
        self._servers.append(server)
        server.start()
        self._item.stash.setdefault(SERVERS_USED, []).append(server)
        return server

    def workdir(self, base: Path, name: str) -> Path:
        return base / f"{name}-{sum(s.name == name for s in self._servers)}"

    def stop_all(self) -> None:
        errors: list[BaseException] = []
        for server in reversed(self._servers):
            try:
                server.stop()
            except Exception as exc:  # stop the rest before reporting
                errors.append(exc)
        if errors:
            raise errors[0]


@pytest.fixture
def server_fleet(request: pytest.FixtureRequest) -> Iterator[ServerFleet]:
    fleet = ServerFleet(request)
    try:
        yield fleet
    finally:
        fleet.stop_all()


@pytest.fixture
def influxdb1(server_fleet: ServerFleet, tmp_path: Path) -> InfluxDB1Server:
    return server_fleet.launch(InfluxDB1Server(server_fleet.workdir(tmp_path, "influxdb1")))


@pytest.fixture
def victoriametrics(server_fleet: ServerFleet, tmp_path: Path) -> VictoriaMetricsServer:
    return server_fleet.launch(VictoriaMetricsServer(server_fleet.workdir(tmp_path, "victoriametrics")))


@pytest.fixture
def pushgateway(server_fleet: ServerFleet, tmp_path: Path) -> PushgatewayServer:
    return server_fleet.launch(PushgatewayServer(server_fleet.workdir(tmp_path, "pushgateway")))


@pytest.fixture
def prometheus_factory(server_fleet: ServerFleet, tmp_path: Path) -> PrometheusFactory:
    def make(
        config_yaml: str, rule_files: Mapping[str, str] | None = None, extra_args: Sequence[str] = ()
    ) -> PrometheusServer:
        workdir = server_fleet.workdir(tmp_path, "prometheus")
        return server_fleet.launch(PrometheusServer(workdir, config_yaml, rule_files, extra_args))

    return make


@pytest.fixture
def alertmanager_factory(server_fleet: ServerFleet, tmp_path: Path) -> AlertmanagerFactory:
    def make(config_yaml: str) -> AlertmanagerServer:
        workdir = server_fleet.workdir(tmp_path, "alertmanager")
        return server_fleet.launch(AlertmanagerServer(workdir, config_yaml))

    return make
