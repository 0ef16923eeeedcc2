"""The loopback server fixtures against the real Debian binaries."""

from __future__ import annotations

import socket
import textwrap
import time
from pathlib import Path

import pytest

from tests.support.servers import (
    INSTALL_HINT,
    AlertmanagerFactory,
    InfluxDB1Server,
    ManagedServer,
    PrometheusFactory,
    PushgatewayServer,
    ServerFleet,
    ServerStartError,
    VictoriaMetricsServer,
    require_binary,
    run_amtool,
    run_promtool,
    scalar_values,
)

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.servers

REPO_ROOT = Path(__file__).resolve().parents[1]
T0 = 1_700_000_000  # a fixed past second: results must not depend on the clock
POINTS = "\n".join(f"subscribers,channel=c{i},platform=vk value={100 + i}i {T0 + i}" for i in range(3))


def _subscriber_rows(server: InfluxDB1Server) -> list[tuple[int, str, int]]:
    rows = server.rows("SELECT value FROM subscribers GROUP BY channel", db="govpulse")
    return sorted((row["time"], row["channel"], row["value"]) for row in rows)


EXPECTED_ROWS = [(T0, "c0", 100), (T0 + 1, "c1", 101), (T0 + 2, "c2", 102)]


# --- InfluxDB 1.x ----------------------------------------------------------------------------------


def test_influxdb_write_read_and_restart_keeps_port_and_data(influxdb1: InfluxDB1Server) -> None:
    influxdb1.create_database("govpulse")
    influxdb1.write(POINTS, db="govpulse")
    assert _subscriber_rows(influxdb1) == EXPECTED_ROWS

    port, data = influxdb1.port, influxdb1.workdir / "data"
    influxdb1.stop()
    assert not influxdb1.running
    influxdb1.start()
    assert (influxdb1.port, influxdb1.url) == (port, f"http://127.0.0.1:{port}")
    assert (influxdb1.workdir / "data") == data
    assert _subscriber_rows(influxdb1) == EXPECTED_ROWS


def test_influxdb_data_survives_sigkill(influxdb1: InfluxDB1Server) -> None:
    influxdb1.create_database("govpulse")
    influxdb1.write(POINTS, db="govpulse")
    influxdb1.kill()
    influxdb1.start()
    assert _subscriber_rows(influxdb1) == EXPECTED_ROWS


def test_influxdb_query_errors_raise(influxdb1: InfluxDB1Server) -> None:
    with pytest.raises(RuntimeError, match="database not found"):
        influxdb1.query("SELECT * FROM nothing", db="missing")


def test_two_influxdb_instances_use_distinct_ports(server_fleet: ServerFleet, tmp_path: Path) -> None:
    first = InfluxDB1Server(tmp_path / "a")
    second = InfluxDB1Server(tmp_path / "b")
    for server in (first, second):
        server_fleet.launch(server)
    ports = {first.port, first.rpc_port, second.port, second.rpc_port}
    assert len(ports) == 4 and 8088 not in ports
    first.create_database("only_in_first")
    names = {row["name"] for row in second.rows("SHOW DATABASES", db="")}
    assert "only_in_first" not in names


# --- VictoriaMetrics -------------------------------------------------------------------------------


def test_victoriametrics_accepts_influx_v1_and_v2_writes(victoriametrics: VictoriaMetricsServer) -> None:
    now = int(time.time())  # VictoriaMetrics drops samples outside its retention, so write recent ones
    victoriametrics.write_lines(f"subscribers,channel=v1 value=11 {now}", api="v1")
    victoriametrics.write_lines(f"subscribers,channel=v2 value=22 {now}", api="v2")
    victoriametrics.flush()

    exported = victoriametrics.export('{__name__="subscribers_value"}')
    by_channel = {series["metric"]["channel"]: series for series in exported}
    assert by_channel["v1"]["values"] == [11] and by_channel["v2"]["values"] == [22]
    assert by_channel["v1"]["timestamps"] == [now * 1000]

    result = victoriametrics.wait_for('sum(subscribers_value{channel=~"v1|v2"})', timeout=15)
    assert scalar_values(result) == [33.0]


# --- Prometheus, Pushgateway, Alertmanager ---------------------------------------------------------


def test_prometheus_scrapes_pushgateway_and_itself(
    prometheus_factory: PrometheusFactory, pushgateway: PushgatewayServer
) -> None:
    pushgateway.push("collector", f"# TYPE govpulse_last_run gauge\ngovpulse_last_run {T0}\n")
    prometheus = prometheus_factory(
        textwrap.dedent(f"""\
        global:
          scrape_interval: 1s
        scrape_configs:
          - job_name: pushgateway
            honor_labels: true
            static_configs:
              - targets: ["{pushgateway.listen}"]
          - job_name: self
            static_configs:
              - targets: ["{{listen}}"]
        """)
    )
    # Prometheus 2.42 hands static targets to the scraper only ~5 s after start (throttled discovery).
    up = prometheus.wait_for("up == 1", lambda result: len(result) == 2, timeout=30)
    instances = {item["metric"]["job"]: item["metric"]["instance"] for item in up}
    assert instances == {"pushgateway": pushgateway.listen, "self": prometheus.listen}
    result = prometheus.wait_for('govpulse_last_run{job="collector"}', timeout=10)
    assert scalar_values(result) == [float(T0)]


RULES_V1 = """\
groups:
  - name: fixture
    interval: 1s
    rules:
      - record: govpulse:fixture:value
        expr: vector({value})
"""


def test_prometheus_rule_files_and_reload(prometheus_factory: PrometheusFactory) -> None:
    config = "global:\n  evaluation_interval: 1s\nrule_files:\n  - {rules_dir}/*.yml\n"
    prometheus = prometheus_factory(config, rule_files={"fixture.yml": RULES_V1.format(value=1)})
    prometheus.wait_for("govpulse:fixture:value == 1", timeout=15)

    prometheus.reload(rule_files={"fixture.yml": RULES_V1.format(value=2)})
    prometheus.wait_for("govpulse:fixture:value == 2", timeout=15)
    assert [group["name"] for group in prometheus.rule_groups()] == ["fixture"]


ALERTMANAGER_CONFIG = """\
route:
  receiver: "null"
receivers:
  - name: "null"
"""


def test_alertmanager_accepts_and_lists_alerts(alertmanager_factory: AlertmanagerFactory) -> None:
    alertmanager = alertmanager_factory(ALERTMANAGER_CONFIG)
    alertmanager.post_alerts(
        [
            {
                "labels": {"alertname": "GovpulseFixture", "severity": "warning"},
                "annotations": {"summary": "Проверка"},
            },
        ]
    )
    alerts = alertmanager.alerts()
    assert [alert["labels"]["alertname"] for alert in alerts] == ["GovpulseFixture"]
    assert alerts[0]["annotations"]["summary"] == "Проверка"
    assert alerts[0]["status"]["state"] == "active"


def test_pushgateway_push_and_read(pushgateway: PushgatewayServer) -> None:
    pushgateway.push("collector", "govpulse_fixture_value 42\n", grouping={"instance": "a b"})
    lines = pushgateway.metrics_text().splitlines()
    assert 'govpulse_fixture_value{instance="a b",job="collector"} 42' in lines


# --- tools -----------------------------------------------------------------------------------------


def test_promtool_checks_metrics() -> None:
    good = "# HELP govpulse_x_total X.\n# TYPE govpulse_x_total counter\ngovpulse_x_total 1\n"
    bad = "# HELP govpulse_x X.\n# TYPE govpulse_x counter\ngovpulse_x 1\n"
    assert run_promtool("check", "metrics", stdin=good).returncode == 0
    linted = run_promtool("check", "metrics", stdin=bad)
    assert linted.returncode != 0 and "_total" in linted.stdout + linted.stderr


def test_amtool_checks_config(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(ALERTMANAGER_CONFIG, encoding="utf-8")
    assert run_amtool("check-config", str(path)).returncode == 0
    path.write_text("route: {receiver: nowhere}\n", encoding="utf-8")
    assert run_amtool("check-config", str(path)).returncode != 0


# --- the process manager itself --------------------------------------------------------------------


def test_missing_binary_fails_instead_of_skipping() -> None:
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y prometheus") as caught:
        require_binary("/nonexistent/govpulse-server")
    assert INSTALL_HINT in str(caught.value)


def test_start_failure_carries_log_tail(tmp_path: Path) -> None:
    server = ManagedServer(
        "broken",
        "/usr/bin/prometheus-pushgateway",
        tmp_path,
        ready_path="/-/ready",
        args=("--web.listen-address={listen}", "--no-such-flag"),
    )
    with pytest.raises(ServerStartError, match=r"(?s)exited with code .*no-such-flag"):
        server.start()
    assert not server.running


def test_start_moves_to_a_new_port_if_the_first_is_taken(tmp_path: Path) -> None:
    server = PushgatewayServer(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", server.port))
        squatter.listen()
        taken = server.port
        try:
            server.start()
            assert server.port != taken and server.running
            assert "address already in use" in server.log_path.read_text()
        finally:
            server.stop()


def test_stop_is_idempotent_and_restart_reuses_port(pushgateway: PushgatewayServer) -> None:
    port = pushgateway.port
    pushgateway.stop()
    pushgateway.stop()
    pushgateway.start()
    assert pushgateway.port == port and "start #2" in pushgateway.log_path.read_text()


# --- log tail on failure ---------------------------------------------------------------------------


INNER_TESTS = """
import pytest
from tests.support.servers import item_failed

@pytest.fixture
def verdict(request):
    yield
    out = request.config.rootpath / f"verdict-{request.node.name}"
    out.write_text(str(item_failed(request.node)))

def test_fails_with_server(influxdb1, verdict):
    influxdb1.create_database("marker_7f3a")
    assert False, "deliberate"

def test_passes_with_server(influxdb1, verdict):
    influxdb1.create_database("marker_passing")

def test_fails_without_server(verdict):
    assert False, "no server here"
"""


def test_failing_test_shows_server_log_tail(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "tests.support.servers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    output = result.stdout.str()

    assert output.count("influxdb1 log (") == 1  # only the failing test that used a server
    section = output.split("influxdb1 log (", 1)[1].split("short test summary", 1)[0]
    assert "marker_7f3a" in section and "marker_passing" not in section
    assert "loopback servers: seconds to ready" in output

    verdicts = {path.name: path.read_text() for path in pytester.path.glob("verdict-*")}
    assert verdicts == {
        "verdict-test_fails_with_server": "True",
        "verdict-test_passes_with_server": "False",
        "verdict-test_fails_without_server": "True",
    }
    # Teardown stopped both servers gracefully, the failing test's one included.
    logs = sorted(pytester.path.rglob("influxdb1.log"))
    assert len(logs) == 2
    assert all("Server shutdown completed" in log.read_text() for log in logs)
