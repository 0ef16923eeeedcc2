"""A real Prometheus scrapes our endpoint (plain, and over TLS with basic auth) and answers queries on it."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from collector.models import OK, Category, Channel, Platform, Reason, Sample
from collector.regions import load_regions
from exporters.http import build_app, start_server
from exporters.prometheus import MetricsState
from exporters.webconfig import WebConfig, load_web_config
from tests.support.promql import Result
from tests.support.servers import PrometheusFactory
from tests.support.tls import make_cert

pytestmark = pytest.mark.servers

CHANNELS = [
    Channel(Platform.MAX, "-1001", "RU-MOW", Category.GOVERNOR, org="Мэрия", title='Мэр "Москвы"'),
    Channel(Platform.VK, "42", "RU-AST", Category.REGIONAL_GOVERNMENT, title="Правительство\\АО"),
    Channel(Platform.MAX, "-2002", "unknown", Category.UNCLASSIFIED),
]


@contextmanager
def serving(state: MetricsState, config: WebConfig | None = None) -> Iterator[str]:
    """Our endpoint on a free loopback port, served by an event loop in a thread while Prometheus scrapes."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    app = build_app(state, web_config=config)
    runner, url = asyncio.run_coroutine_threadsafe(start_server(app, "127.0.0.1:0", config), loop).result(30)
    try:
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def make_state() -> MetricsState:
    state = MetricsState(regions=load_regions(), version="0.1.0", platforms=[Platform.MAX, Platform.VK])
    state.set_registry(CHANNELS)
    state.observe(
        [
            Sample(Platform.MAX, "-1001", 1_764_000_000.0, OK, 50_000),
            Sample(Platform.VK, "42", 1_764_000_000.0, OK, 13_000),
            Sample(Platform.MAX, "-2002", 1_764_000_000.0, Reason.LOST_ACCESS.value),
        ]
    )
    return state


def by_channel(result: Result, label: str = "channel") -> dict[str, tuple[dict[str, str], float]]:
    return {item["metric"][label]: (item["metric"], float(item["value"][1])) for item in result}


def config(plain: str, secure: str, ca_file: Path, password: str) -> str:
    return f"""
global: {{scrape_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: govpulse
    static_configs: [{{targets: ["{plain}"]}}]
  - job_name: govpulse_secure
    scheme: https
    tls_config: {{ca_file: "{ca_file}"}}
    basic_auth: {{username: prometheus, password: "{password}"}}
    static_configs: [{{targets: ["{secure}"]}}]
"""


def secure_config(directory: Path, password: str) -> tuple[WebConfig, Path]:
    cert, _ = make_cert(directory, "server")
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    web = directory / "web.yml"
    web.write_text(
        f"tls_server_config: {{cert_file: server.crt, key_file: server.key}}\n"
        f"basic_auth_users: {{prometheus: '{hashed}'}}\n"
    )
    return load_web_config(web), cert


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI is missing")
def test_prometheus_scrapes_and_joins(prometheus_factory: PrometheusFactory, tmp_path: Path) -> None:
    web_config, cert = secure_config(tmp_path, "scrape-pass")
    state = make_state()
    with serving(state) as plain, serving(state, web_config) as secure:
        prometheus = prometheus_factory(
            config(plain.split("//")[1], secure.split("//")[1], cert, "scrape-pass")
        )
        up = prometheus.wait_for("up == 1", lambda r: len(r) == 2, timeout=60)
        assert {item["metric"]["job"] for item in up} == {"govpulse", "govpulse_secure"}
        check_values(prometheus.query, 'govpulse_channel_subscribers{job="govpulse"}')
        joined = prometheus.query(
            'govpulse_channel_subscribers{job="govpulse_secure"} '
            '* on(platform, channel) group_left(title) govpulse_channel_info{job="govpulse_secure"}'
        )
        titles = {k: (m.get("title"), v) for k, (m, v) in by_channel(joined).items()}
        assert titles == {"-1001": ('Мэр "Москвы"', 50_000), "42": ("Правительство\\АО", 13_000)}
        errors = by_channel(prometheus.query("govpulse_channel_error"))
        assert {k: m["reason"] for k, (m, _) in errors.items()} == {"-2002": "lost_access"}
        check_updates_reach_prometheus(prometheus, state)


def check_values(query: Any, promql: str) -> None:
    found = by_channel(query(promql))
    assert {k: v for k, (_, v) in found.items()} == {"-1001": 50_000, "42": 13_000}
    assert found["-1001"][0]["region"] == "RU-MOW" and found["-1001"][0]["category"] == "governor"


def check_updates_reach_prometheus(prometheus: Any, state: MetricsState) -> None:
    state.observe([Sample(Platform.MAX, "-1001", 1_764_000_600.0, OK, 50_321)])
    state.set_registry(CHANNELS[:1])  # VK 42 leaves the registry, so its series go stale
    prometheus.wait_for(
        'govpulse_channel_subscribers{job="govpulse"}',
        lambda r: {k: v for k, (_, v) in by_channel(r).items()} == {"-1001": 50_321},
        timeout=30,
    )
    population = prometheus.query('govpulse_region_population{job="govpulse",region="RU-AST"}')
    assert float(population[0]["value"][1]) == load_regions()["RU-AST"].population
