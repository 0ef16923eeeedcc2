"""The HTTP endpoint over real loopback HTTP: routes, negotiation, gzip, health, listen addresses."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from collector.models import OK, Category, Channel, Platform, Sample
from collector.regions import load_regions
from exporters import http as http_module
from exporters.http import build_app, parse_listen_address, start_server
from exporters.prometheus import MetricsState

Scenario = Callable[[httpx.AsyncClient], Awaitable[None]]


def make_state(channels: int = 3) -> MetricsState:
    state = MetricsState(regions=load_regions(), version="9.9.9", platforms=[Platform.VK])
    registry = [
        Channel(Platform.VK, str(i), "RU-AST", Category.SCHOOL, title=f"Школа {i}") for i in range(channels)
    ]
    state.set_registry(registry)
    state.observe(
        [Sample(Platform.VK, c.channel, 1_764_000_000.0, OK, 10 + i) for i, c in enumerate(registry)]
    )
    return state


def serve(app: web.Application, scenario: Scenario) -> None:
    async def main() -> None:
        runner, url = await start_server(app, "127.0.0.1:0")
        try:
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                await scenario(client)
        finally:
            await runner.cleanup()

    asyncio.run(main())


def subscribers(text: str, openmetrics: bool = False) -> dict[str, float]:
    parse = parse_openmetrics if openmetrics else parse_text
    return {
        s.labels["channel"]: s.value
        for family in parse(text)
        for s in family.samples
        if s.name == "govpulse_channel_subscribers"
    }


def test_metrics_default_is_text_format() -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert subscribers(response.text) == {"0": 10, "1": 11, "2": 12}

    serve(build_app(make_state()), scenario)


def test_metrics_negotiates_openmetrics_as_prometheus_asks() -> None:
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get("/metrics", headers={"Accept": accept})
        assert response.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
        assert response.text.endswith("# EOF\n")
        assert subscribers(response.text, openmetrics=True) == {"0": 10, "1": 11, "2": 12}

    serve(build_app(make_state()), scenario)


@pytest.mark.parametrize("channels", [3, http_module.RENDER_IN_THREAD_CHANNELS + 1])
def test_metrics_gzip_when_accepted(channels: int) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        request = client.build_request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
        response = await client.send(request, stream=True)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        assert response.headers["content-encoding"] == "gzip"
        assert len(subscribers(gzip.decompress(raw).decode())) == channels
        plain = await client.get("/metrics", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert len(subscribers(plain.text)) == channels

    serve(build_app(make_state(channels)), scenario)


def test_landing_page_links() -> None:
    async def report(request: web.Request) -> web.Response:
        return web.Response(text="отчёт")

    async def scenario_plain(client: httpx.AsyncClient) -> None:
        page = await client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert 'href="metrics"' in page.text and 'href="healthz"' in page.text
        assert "report" not in page.text and "9.9.9" in page.text
        assert (await client.get("/report")).status_code == 404

    async def scenario_report(client: httpx.AsyncClient) -> None:
        assert 'href="report"' in (await client.get("/")).text
        assert (await client.get("/report")).text == "отчёт"

    serve(build_app(make_state()), scenario_plain)
    serve(build_app(make_state(), extra_routes=[web.get("/report", report)]), scenario_report)


def test_healthz() -> None:
    answers: list[Any] = [(True, {"max": "ok"}), (False, {"max": "no sweep for 900 s"}), RuntimeError("boom")]

    def health() -> tuple[bool, dict[str, Any]]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    async def scenario(client: httpx.AsyncClient) -> None:
        first = await client.get("/healthz")
        assert (first.status_code, first.json()) == (200, {"status": "ok", "checks": {"max": "ok"}})
        second = await client.get("/healthz")
        assert second.status_code == 503 and second.json()["status"] == "unhealthy"
        third = await client.get("/healthz")
        assert third.status_code == 503 and third.json()["checks"] == {"error": "RuntimeError"}

    serve(build_app(make_state(), health=health), scenario)

    async def default(client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}

    serve(build_app(make_state()), default)


def test_start_server_reports_the_bound_port_and_refuses_a_busy_one() -> None:
    async def main() -> None:
        runner, url = await start_server(build_app(make_state()), "127.0.0.1:0")
        try:
            port = int(url.rsplit(":", 1)[1])
            assert url == f"http://127.0.0.1:{port}" and port > 0
            with pytest.raises(OSError, match="cannot listen on"):
                await start_server(build_app(make_state()), f"127.0.0.1:{port}")
        finally:
            await runner.cleanup()

    asyncio.run(main())


def test_wildcard_address_is_reachable_on_loopback() -> None:
    async def main() -> None:
        runner, url = await start_server(build_app(make_state()), ":0")
        try:
            assert url.startswith("http://127.0.0.1:")
            async with httpx.AsyncClient() as client:
                assert (await client.get(url + "/healthz")).status_code == 200
        finally:
            await runner.cleanup()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:9100", ("127.0.0.1", 9100)),
        (":0", ("", 0)),
        ("[::1]:80", ("::1", 80)),
        ("host:1", ("host", 1)),
    ],
)
def test_parse_listen_address(address: str, expected: tuple[str, int]) -> None:
    assert parse_listen_address(address) == expected


@pytest.mark.parametrize("address", ["9100", "host:", "host:http", "host:70000"])
def test_parse_listen_address_refuses(address: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_listen_address(address)


def test_ipv6_loopback_url() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")

    async def main() -> None:
        try:
            runner, url = await start_server(build_app(make_state()), "[::1]:0")
        except OSError:
            pytest.skip("IPv6 loopback is not configured")
        try:
            assert url.startswith("http://[::1]:")
            async with httpx.AsyncClient() as client:
                assert (await client.get(url + "/metrics")).status_code == 200
        finally:
            await runner.cleanup()

    asyncio.run(main())
