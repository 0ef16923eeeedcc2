"""Prometheus not scraping for an hour (simulated: four sweeps over 80 simulated minutes, no scrape in
between). /metrics keeps no history, so the scrape after the gap must show the latest values, and every
counter and histogram series of the scrape before it must still be there, never lower (no reset)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from collector.models import Platform, SweepResult
from collector.sandbox import SandboxServer
from collector.service import Service
from tests.faults.support import T0, Clock, World, frozen_sandbox, parse_exposition, settings_for
from tests.support.sandbox import SandboxFactory

ALL = (Platform.MAX, Platform.VK, Platform.TELEGRAM)
Exposition = dict[tuple[str, tuple[tuple[str, str], ...]], float]
MONOTONIC = ("_total", "_count", "_sum", "_bucket")


async def scrape(url: str) -> Exposition:
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(url)
    answer.raise_for_status()
    return parse_exposition(answer.text)


async def gap(
    service: Service, clock: Clock, sandbox: SandboxServer
) -> tuple[Exposition, Exposition, list[SweepResult]]:
    url = await service.serve_http() + "/metrics"
    await service.collect_once()
    before = await scrape(url)
    last: list[SweepResult] = []
    for step in range(1, 5):  # 20 simulated minutes apart: the world moves on, nobody scrapes
        clock.now = T0 + step * 1200
        sandbox.set_clock(T0 + step * 1200, speed=0.0)
        last = await service.collect_once()
    after = await scrape(url)
    return before, after, last


def test_no_scrape_for_an_hour(sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    sandbox = frozen_sandbox(sandbox_factory)
    settings = settings_for(sandbox, tmp_path, ALL)

    async def go() -> tuple[Exposition, Exposition, list[SweepResult]]:
        clock = Clock(T0)
        service = Service(settings, clock=clock)
        await service.open()
        try:
            return await gap(service, clock, sandbox)
        finally:
            await service.aclose()

    before, after, last = asyncio.run(go())

    for (name, labels), value in before.items():
        if name.endswith(MONOTONIC) and not name.startswith("govpulse_channel"):
            assert (name, labels) in after, (name, labels)
            assert after[(name, labels)] >= value, (name, labels, value, after[(name, labels)])
    requests = sum(v for (n, _), v in after.items() if n == "govpulse_api_requests_total")
    assert requests > sum(v for (n, _), v in before.items() if n == "govpulse_api_requests_total")

    world = World(sandbox)
    subscribers = {
        (dict(labels)["platform"], dict(labels)["channel"]): value
        for (name, labels), value in after.items()
        if name == "govpulse_channel_subscribers"
    }
    seen = {
        (dict(labels)["platform"], dict(labels)["channel"]): value
        for (name, labels), value in after.items()
        if name == "govpulse_channel_last_success_timestamp_seconds"
    }
    checked = 0
    for sweep in last:
        ts = max(sweep.started_at, sweep.finished_at)
        assert (
            after[("govpulse_cycle_last_success_timestamp_seconds", (("platform", sweep.platform.value),))]
            == ts
        )
        for s in sweep.samples:
            if s.ok:
                key = (s.platform.value, s.channel)
                assert subscribers[key] == world.count(s, sandbox.now()) == s.subscribers
                assert seen[key] == s.observed_at == T0 + 4 * 1200
                checked += 1
    assert checked > 400
