"""The platforms misbehaving during a sweep of all three (sandbox fault knobs): 429 storms, 5xx, connection
resets, truncated and malformed bodies, an outage window. Every sweep completes (one outcome per channel),
every count is the world's, every failure is one the fault explains, the store holds only right counts,
and the next sweep, with the faults gone, is clean."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from collector.models import Platform, SweepResult
from collector.sandbox import SandboxServer
from collector.service import Service
from tests.faults.support import T0, Clock, World, counters, frozen_sandbox, settings_for
from tests.support.sandbox import SandboxFactory

ALL = (Platform.MAX, Platform.VK, Platform.TELEGRAM)

CASES: dict[str, tuple[dict[str, Any], set[str]]] = {
    "429 storm": ({"flood_rate": 0.6}, {"rate_limited"}),
    "5xx": ({"error_rate": 0.5}, {"http_5xx"}),
    "resets": ({"reset_rate": 0.4}, {"network"}),
    "truncated bodies": ({"truncate_rate": 0.4}, {"network", "bad_response", "timeout"}),
    "malformed bodies and wrong types": ({"malformed_rate": 0.3, "wrong_type_rate": 0.3}, {"bad_response"}),
}


def sweep_twice(
    settings: Any, sandbox: SandboxServer, clean_up: Any
) -> tuple[Service, list[list[SweepResult]]]:
    """A sweep of every platform under the faults, then (faults cleared) one an hour later."""

    async def go() -> tuple[Service, list[list[SweepResult]]]:
        clock = Clock(T0)
        service = Service(settings, clock=clock)
        await service.open()
        try:
            faulty = await service.collect_once()
            clean_up()
            clock.now += 3600
            clean = await service.collect_once()
        finally:
            await service.aclose()
        return service, [faulty, clean]

    return asyncio.run(go())


def check(
    service: Service, sandbox: SandboxServer, rounds: list[list[SweepResult]], transient: set[str]
) -> None:
    world = World(sandbox)
    faulty, clean = rounds
    for sweep in faulty + clean:
        assert len(sweep.samples) == len(service.book.channels(sweep.platform))  # the sweep completed
        assert len({s.channel for s in sweep.samples}) == len(sweep.samples)
    for sweep in faulty:
        world.check(sweep.samples, sandbox.now(), transient)
    for sweep in clean:
        assert world.check(sweep.samples, sandbox.now(), transient=set()) > 0.8 * len(sweep.samples)
    # The store holds the right count for every ok sample and nothing for failures.
    conn = sqlite3.connect(service.settings.store.path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = dict(
            ((p, ch, at), n)
            for p, ch, at, n in conn.execute(
                "SELECT c.platform, c.channel, s.observed_at, s.subscribers"
                " FROM samples s JOIN channels c ON c.id = s.channel_id WHERE s.status = 0"
            )
        )
    finally:
        conn.close()
    ok = {
        (s.platform.value, s.channel, int(s.observed_at)): s.subscribers
        for sweep in faulty + clean
        for s in sweep.samples
        if s.ok
    }
    assert stored == ok


def faulted_requests(service: Service) -> float:
    return sum(
        value
        for (name, labels), value in counters(service.metrics).items()
        if name == "govpulse_api_requests_total" and dict(labels)["code"] != "200"
    )


@pytest.mark.parametrize("case", list(CASES))
def test_platform_faults(case: str, sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    knobs, transient = CASES[case]
    sandbox = frozen_sandbox(sandbox_factory)
    sandbox.set_faults("all", **knobs)
    settings = settings_for(sandbox, tmp_path, ALL)
    service, rounds = sweep_twice(settings, sandbox, sandbox.clear_faults)
    assert faulted_requests(service) > 0  # the faults did happen
    check(service, sandbox, rounds, transient)


def test_outage_window(sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    """Every platform down (503) for the first part of the sweep by the wall clock, then back."""
    sandbox = frozen_sandbox(sandbox_factory)
    now = time.time()
    sandbox.set_faults("all", outage_clock="real", outage_start=now - 1, outage_end=now + 0.6)
    settings = settings_for(sandbox, tmp_path, ALL)
    service, rounds = sweep_twice(settings, sandbox, sandbox.clear_faults)
    assert faulted_requests(service) > 0
    check(service, sandbox, rounds, {"http_5xx", "network"})
