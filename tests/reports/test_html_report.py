"""The HTML report in a real headless Chromium: served by `report_route` from an aiohttp server on
loopback, it renders, its charts carry data (SVG bars and line paths counted in the DOM), it loads
nothing from elsewhere and logs no console errors; a PNG screenshot is left in the test's tmp dir."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from aiohttp import web

from collector.config import load_config
from collector.reports.html import render_html_report, report_route
from exporters.store import Store
from tests.reports.chromium import Chromium, inspect
from tests.support.process import free_port

AS_OF = date(2026, 1, 25)

CHECKS = {
    "bars": "document.querySelectorAll('svg.bars rect.bar').length",
    "bar_widths": "[...document.querySelectorAll('svg.bars rect.bar')].map(r => r.getBBox().width)",
    "paths": "[...document.querySelectorAll('svg.lines path.series')].map(p => p.getTotalLength())",
    "title": "document.title",
    "tables": "document.querySelectorAll('table tbody tr').length",
    "external": '[...document.querySelectorAll(\'script,iframe,object,img:not([src^="data:"]),'
    'link:not([href^="data:"])\')].length',
    "width": "document.body.scrollWidth",
}


@pytest.fixture
def served(report_config: Path) -> Iterator[str]:
    """The report route on a loopback aiohttp server in its own thread; yields the base URL."""
    settings = load_config(report_config)
    app = web.Application()
    app.router.add_get("/report", report_route(settings.store.path, settings))
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def test_html_report_renders_in_chromium(served: str, tmp_path: Path) -> None:
    browser = Chromium(tmp_path / "profile")
    try:
        screenshot = tmp_path / "report.png"
        values, errors = asyncio.run(
            inspect(browser.page_websocket(), f"{served}/report?as_of={AS_OF}", CHECKS, screenshot)
        )
    finally:
        browser.close()
    assert errors == []
    assert "отчёт на 25.01.2026" in values["title"]
    assert values["bars"] == 15 and all(w > 0 for w in values["bar_widths"])
    assert len(values["paths"]) == 3 and all(length > 100 for length in values["paths"])
    assert values["tables"] > 50 and values["external"] == 0
    assert screenshot.stat().st_size > 20_000 and screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_route_rejects_bad_parameters(served: str) -> None:
    import httpx

    assert httpx.get(f"{served}/report?as_of=yesterday").status_code == 400
    assert httpx.get(f"{served}/report?platform=ok").status_code == 400


def test_html_is_self_contained_and_escaped(report_config: Path) -> None:
    settings = load_config(report_config)
    with Store.open(settings.store.path, readonly=True) as store:
        html = render_html_report(store, settings, AS_OF, period_days=60)
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    body = html.split("<body>", 1)[1]
    assert "http://" not in body and "https://" not in body, body[body.find("http") - 200 :][:400]
    # Events of the period: the Moscow one (no platform scope) shows, the VK one not in a Max report.
    assert "Старт кампании в Москве" in html and "VK удалил ботов" not in html
