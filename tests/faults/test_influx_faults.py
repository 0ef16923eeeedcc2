"""InfluxDB down, slow, or answering 503 during sweeps of the real engine: afterwards every point is in the
real InfluxDB exactly once (counted with InfluxQL), the spool is empty, and the sink's own counters agree
with what the server holds (nothing lost, nothing counted twice)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from collector.models import Platform, SweepResult
from collector.service import Service
from tests.faults.support import (
    T0,
    Clock,
    FaultProxy,
    World,
    frozen_sandbox,
    settings_for,
    sink_points,
)
from tests.support.influxdb import InfluxDB1Server
from tests.support.sandbox import SandboxFactory

DB = "govpulse"
HOUR = 3600
MEASUREMENTS = {
    "channel_subscribers": "subscribers",
    "channel_meta": "title",
    "region_audience": "channels",
    "collector_cycle": "channels_ok",
}


def influx_section(url: str, **more: Any) -> dict[str, Any]:
    return {"influxdb": {"enabled": True, "api": "v1", "url": url, "database": DB, "max_retries": 1, **more}}


async def sweep_at(service: Service, clock: Clock, hour: int) -> SweepResult:
    clock.now = T0 + hour * HOUR
    return await service.sweep(Platform.MAX, spread=False)


async def drain(service: Service, rounds: int = 20) -> None:
    """What the maintenance job does every 15 s, until the spool is empty (bounded)."""
    for _ in range(rounds):
        await service._maintain_sinks()
        if spooled(service) == 0:
            return
        await asyncio.sleep(0.2)


def spooled(service: Service) -> int:
    sink = next(s for s in service.sinks if s.name == "influxdb")
    points: int = sink._spool.points  # type: ignore[attr-defined]
    return points


def assert_exactly_once(influx: InfluxDB1Server, service: Service, sweeps: list[SweepResult]) -> None:
    expected = {
        (s.channel, int(s.observed_at)): s.subscribers for sweep in sweeps for s in sweep.samples if s.ok
    }
    rows = influx.rows("SELECT subscribers FROM channel_subscribers GROUP BY channel", DB)
    stored = {(r["channel"], r["time"]): r["subscribers"] for r in rows}
    assert len(rows) == len(stored) == len(expected)
    assert stored == expected
    held = sum(
        influx.rows(f'SELECT count("{field}") FROM {name}', DB)[0]["count"]
        for name, field in MEASUREMENTS.items()
    )
    assert spooled(service) == 0
    assert sink_points(service.metrics, "influxdb", "dropped") == 0
    # Every point the sink counted as written is in the server once; none went missing uncounted.
    assert sink_points(service.metrics, "influxdb", "written") == held


def scenario(
    settings: Any, steps: Callable[[Service, Clock, list[SweepResult]], Awaitable[None]]
) -> tuple[Service, list[SweepResult]]:
    async def go() -> tuple[Service, list[SweepResult]]:
        service = Service(settings, clock=Clock())
        await service.open()
        sweeps: list[SweepResult] = []
        try:
            await steps(service, service.clock, sweeps)  # type: ignore[arg-type]
        finally:
            await service.aclose()
        return service, sweeps

    return asyncio.run(go())


def test_influxdb_down_for_several_sweeps(
    sandbox_factory: SandboxFactory, influxdb1: InfluxDB1Server, tmp_path: Path
) -> None:
    sandbox = frozen_sandbox(sandbox_factory)
    influxdb1.create_database(DB)
    settings = settings_for(sandbox, tmp_path, sinks=influx_section(influxdb1.url, max_retries=0))
    world = World(sandbox)

    async def steps(service: Service, clock: Clock, sweeps: list[SweepResult]) -> None:
        sweeps.append(await sweep_at(service, clock, 0))
        influxdb1.stop()
        for hour in (1, 2, 3):
            sweeps.append(await sweep_at(service, clock, hour))
        assert spooled(service) > 3 * 200  # three sweeps' counts wait on disk
        influxdb1.start()
        sweeps.append(await sweep_at(service, clock, 4))  # drains the spool in order, then writes
        await drain(service)

    service, sweeps = scenario(settings, steps)
    for sweep in sweeps:
        world.check(sweep.samples, sandbox.now(), transient=set())
    assert_exactly_once(influxdb1, service, sweeps)


def test_influxdb_slow_then_timing_out(
    sandbox_factory: SandboxFactory, influxdb1: InfluxDB1Server, tmp_path: Path
) -> None:
    sandbox = frozen_sandbox(sandbox_factory)
    influxdb1.create_database(DB)
    proxy = FaultProxy(influxdb1.url).start()
    try:
        settings = settings_for(
            sandbox, tmp_path, sinks=influx_section(proxy.url, timeout_seconds=1.5, max_retries=0)
        )

        async def steps(service: Service, clock: Clock, sweeps: list[SweepResult]) -> None:
            proxy.mode, proxy.delay_seconds = "delay", 0.5  # slow, within the timeout: written late
            sweeps.append(await sweep_at(service, clock, 0))
            assert spooled(service) == 0
            proxy.delay_seconds = 2.5  # slower than the timeout: the server writes, the client gives up
            sweeps.append(await sweep_at(service, clock, 1))
            assert spooled(service) > 0
            proxy.mode = "pass"
            await drain(service)
            sweeps.append(await sweep_at(service, clock, 2))

        service, sweeps = scenario(settings, steps)
    finally:
        proxy.stop()
    assert proxy.forwarded > 0
    assert_exactly_once(influxdb1, service, sweeps)


def test_influxdb_answering_503_for_a_while(
    sandbox_factory: SandboxFactory, influxdb1: InfluxDB1Server, tmp_path: Path
) -> None:
    sandbox = frozen_sandbox(sandbox_factory)
    influxdb1.create_database(DB)
    proxy = FaultProxy(influxdb1.url).start()
    try:
        settings = settings_for(sandbox, tmp_path, sinks=influx_section(proxy.url))

        async def steps(service: Service, clock: Clock, sweeps: list[SweepResult]) -> None:
            sweeps.append(await sweep_at(service, clock, 0))
            proxy.mode = "unavailable"
            for hour in (1, 2):
                sweeps.append(await sweep_at(service, clock, hour))
            await drain(service, rounds=2)  # maintenance keeps probing while it answers 503
            assert spooled(service) > 0
            proxy.mode = "pass"
            sweeps.append(await sweep_at(service, clock, 3))
            await drain(service)

        service, sweeps = scenario(settings, steps)
    finally:
        proxy.stop()
    assert proxy.refused > 0
    assert_exactly_once(influxdb1, service, sweeps)
