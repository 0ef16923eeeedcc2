"""The disk fills up under the embedded store, and under the InfluxDB spool (a small tmpfs mounted by the
test; skipped where mounting is not permitted). Each time: a clear error in the log, the service keeps
sweeping, what could not be stored is counted as dropped (exactly the points that are missing), and once
space returns the next sweep is stored in full."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from collector.models import Platform, SweepResult
from collector.service import Service
from exporters.prometheus import render
from tests.faults.support import T0, Clock, fill, frozen_sandbox, settings_for, sink_points, tmpfs
from tests.support.influxdb import InfluxDB1Server
from tests.support.sandbox import SandboxFactory

PLATFORMS = (Platform.MAX, Platform.TELEGRAM)
MAX_SWEEPS_TO_FILL = 40


def ok_keys(sweeps: list[SweepResult]) -> dict[tuple[str, int], int | None]:
    return {(s.channel, int(s.observed_at)): s.subscribers for sweep in sweeps for s in sweep.samples if s.ok}


async def sweep(service: Service, clock: Clock, hour: int) -> list[SweepResult]:
    clock.now = T0 + hour * 3600
    return await service.collect_once()


def test_store_disk_full(
    sandbox_factory: SandboxFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = frozen_sandbox(sandbox_factory)
    with tmpfs(tmp_path / "disk", "3m") as disk:
        settings = settings_for(sandbox, tmp_path, PLATFORMS, store={"path": disk / "store.sqlite3"})

        async def go() -> tuple[list[SweepResult], list[SweepResult], float]:
            clock = Clock()
            service = Service(settings, clock=clock)
            await service.open()
            try:
                before = await sweep(service, clock, 0)
                ballast = fill(disk, 0)
                during: list[SweepResult] = []
                for hour in range(1, MAX_SWEEPS_TO_FILL):
                    during += await sweep(service, clock, hour)
                    if sink_points(service.metrics, "store", "dropped"):
                        break
                assert service.health()[0]  # alive and well
                assert b"govpulse_channel_subscribers{" in render(service.metrics, openmetrics=False)
                ballast.unlink()
                after = await sweep(service, clock, MAX_SWEEPS_TO_FILL)
                dropped = sink_points(service.metrics, "store", "dropped")
            finally:
                await service.aclose()
            return before + after, during, dropped

        with caplog.at_level(logging.ERROR):
            complete, during, dropped = asyncio.run(go())
        conn = sqlite3.connect(settings.store.path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = {
                (ch, at): n
                for ch, at, n in conn.execute(
                    "SELECT c.channel, s.observed_at, s.subscribers FROM samples s"
                    " JOIN channels c ON c.id = s.channel_id WHERE s.status = 0"
                )
            }
        finally:
            conn.close()
    assert dropped > 0, "the disk never filled up"
    assert any("embedded store" in r.message and "disk is full" in r.message for r in caplog.records)
    wanted, maybe = ok_keys(complete), ok_keys(during)
    assert wanted.items() <= stored.items()  # before and after the outage: all there
    assert stored.items() <= (wanted | maybe).items()  # nothing else, nothing wrong
    assert len(maybe) - (len(stored) - len(wanted)) == dropped  # missing = counted as dropped


def test_spool_disk_full(
    sandbox_factory: SandboxFactory,
    influxdb1: InfluxDB1Server,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox = frozen_sandbox(sandbox_factory)
    influxdb1.create_database("govpulse")
    influxdb1.stop()  # down from the start: everything goes to the spool
    with tmpfs(tmp_path / "disk", "2m") as disk:
        influx = {
            "enabled": True,
            "api": "v1",
            "url": influxdb1.url,
            "database": "govpulse",
            "max_retries": 0,
        }
        settings = settings_for(
            sandbox, tmp_path, PLATFORMS, spool={"directory": disk}, sinks={"influxdb": influx},
            store={"enabled": False},
        )  # fmt: skip

        async def go() -> tuple[list[SweepResult], list[SweepResult], float, float]:
            clock = Clock()
            service = Service(settings, clock=clock)
            await service.open()
            try:
                before = await sweep(service, clock, 0)
                ballast = fill(disk, 0)
                during = await sweep(service, clock, 1)
                assert service.health()[0]
                ballast.unlink()
                influxdb1.start()
                after = await sweep(service, clock, 2)
                for _ in range(20):
                    await service._maintain_sinks()
                sink = next(s for s in service.sinks if s.name == "influxdb")
                assert sink._spool.points == 0  # type: ignore[attr-defined]
            finally:
                await service.aclose()
            metrics = service.metrics
            return (
                before + after,
                during,
                sink_points(metrics, "influxdb", "dropped"),
                sink_points(metrics, "influxdb", "written"),
            )

        with caplog.at_level(logging.ERROR):
            complete, during, dropped, written = asyncio.run(go())
    rows = influxdb1.rows("SELECT subscribers FROM channel_subscribers GROUP BY channel", "govpulse")
    stored = {(r["channel"], r["time"]): r["subscribers"] for r in rows}
    wanted, lost = ok_keys(complete), ok_keys(during)
    assert dropped > 0 and written > 0
    assert any("No space left on device" in r.message for r in caplog.records)
    assert wanted.items() <= stored.items()
    assert stored.items() <= (wanted | lost).items()
    assert len(lost) - (len(stored) - len(wanted)) == dropped
