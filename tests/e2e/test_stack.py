"""The local real stack end to end: `deploy/local/stack up`, every component answers, data reaches
InfluxDB 1.x (collector → v1 write API) and VictoriaMetrics (Prometheus → remote write), `stack down`."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.e2e.localstack import RunningStack, get_json, local_stack, promql, run_stack, wait_for
from tests.support.process import http_client

pytestmark = [pytest.mark.servers, pytest.mark.slow]

COMPONENTS = ("sandbox", "influxdb", "victoriametrics", "alertmanager", "relay", "govpulse", "prometheus")
CHANNELS = 200  # Max channels; the stack adds VK (50) and Telegram (20) pages


def influx_count(stack: RunningStack) -> int:
    query = "SELECT count(subscribers) FROM channel_subscribers"
    body = get_json(f"{stack.urls['influxdb']}/query", db="govpulse", q=query)
    series = body["results"][0].get("series", [])
    return int(series[0]["values"][0][1]) if series else 0


def victoriametrics_channels(stack: RunningStack) -> int:
    vm = stack.urls["victoriametrics"]
    with http_client(vm) as client:
        client.get("/internal/force_flush").raise_for_status()
    result = promql(vm, "count(govpulse_channel_subscribers)")
    return int(result[0]["value"][1]) if result else 0


def port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


def check_components(stack: RunningStack) -> None:
    with http_client(stack.urls["sandbox"]) as sandbox:
        assert sandbox.get("/sandbox/world").json()["max"]["channels"] >= CHANNELS
    with http_client(stack.urls["govpulse"]) as govpulse:
        metrics = govpulse.get("/metrics").text
    # DESIGN 4.3 names it govpulse_shard_total; the exporter, rules and dashboards use govpulse_shards.
    assert "govpulse_shards 1" in metrics and "govpulse_shard_ordinal 0" in metrics
    with http_client(stack.urls["relay"]) as relay:
        assert relay.get("/healthz").status_code == 200
        assert relay.post("/alertmanager", json={}).status_code == 401  # no bearer token, no entry
    status = get_json(f"{stack.urls['alertmanager']}/api/v2/status")
    assert f"{stack.urls['relay']}/alertmanager?region=default" in status["config"]["original"]
    assert "notify-bearer-token" in status["config"]["original"]
    groups = get_json(f"{stack.urls['prometheus']}/api/v1/rules")["data"]["groups"]
    names = {rule["name"] for group in groups for rule in group["rules"]}
    assert {"GovpulseChannelStalled", "region:govpulse_channel_subscribers:sum"} <= names


def alertmanagers(stack: RunningStack) -> list[str]:
    am = get_json(f"{stack.urls['prometheus']}/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
    return [a["url"] for a in am]


def test_stack_up_wires_every_component_and_down_stops_them(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    directory = tmp_path / "stack"
    args = ["--channels", str(CHANNELS), "--speed", "600", "--interval", "5"]
    args += ["--scrape-interval", "1s", "--evaluation-interval", "1s"]
    with local_stack(directory, args, request) as stack:
        assert set(stack.urls) == set(COMPONENTS)
        assert all(url.startswith("http://127.0.0.1:") for url in stack.urls.values())
        # `up` has exited: the processes run on in their own sessions and answer.
        status = run_stack("status", "--dir", str(directory))
        assert status.returncode == 0, status.stdout
        assert status.stdout.count(" ready ") == len(COMPONENTS)
        check_components(stack)
        prometheus = stack.urls["prometheus"]
        wait_for("Prometheus scraping govpulse", lambda: promql(prometheus, 'up{job="govpulse"} == 1'), 30)
        # Prometheus 2.42 hands discovered targets over about 5 s after it starts.
        am = wait_for("Prometheus finding Alertmanager", lambda: alertmanagers(stack), 30)
        assert am == [f"{stack.urls['alertmanager']}/api/v2/alerts"]
        wait_for(
            "every channel in Prometheus",
            lambda: promql(prometheus, f"count(govpulse_channel_subscribers) >= {CHANNELS}"),
            40,
        )
        # The collector writes to InfluxDB 1.x; Prometheus remote-writes to VictoriaMetrics.
        wait_for("every Max channel in InfluxDB 1.x", lambda: influx_count(stack) >= CHANNELS, 40)
        wait_for(
            "every Max channel in VictoriaMetrics", lambda: victoriametrics_channels(stack) >= CHANNELS, 40
        )
    for name, pid in stack.pids.items():
        assert not os.path.exists(f"/proc/{pid}") or _zombie(pid), f"{name} (pid {pid}) still runs"
        assert not port_open(stack.urls[name]), f"{name} still listens on {stack.urls[name]}"
    assert run_stack("status", "--dir", str(directory)).returncode == 1


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True
