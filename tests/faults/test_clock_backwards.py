"""The service clock jumping backwards (an NTP step, a VM restored from a snapshot): sweeps keep running,
samples stamped earlier than what the store holds are accepted (new ones stored, identical replays
skipped, changed ones corrected), and the daily roll-ups stay exactly what the raw samples say."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from collector.models import Platform, SweepResult
from collector.service import Service
from exporters.prometheus import render
from tests.exporters.test_store_property import naive_daily, stored_daily, stored_raw
from tests.faults.support import T0, Clock, World, frozen_sandbox, settings_for
from tests.support.sandbox import SandboxFactory

HOUR, DAY = 3600, 86400
# (service clock offset from T0, sandbox world moment offset from T0): forward, back within the hour's
# past, a replay of an already stored moment with the same world (identical), the same moment with the
# world moved on (a correction), a day back (yesterday's roll-up), then forward again.
STEPS = [
    (0, 0),
    (HOUR, HOUR),
    (2 * HOUR, 2 * HOUR),
    (HOUR // 2, 2 * HOUR),
    (HOUR, HOUR),
    (HOUR, 30 * DAY),
    (-DAY + 600, 2 * HOUR),
    (3 * HOUR, 3 * HOUR),
]


def test_clock_jumps_backwards(sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    sandbox = frozen_sandbox(sandbox_factory)
    settings = settings_for(sandbox, tmp_path, (Platform.MAX, Platform.TELEGRAM))
    world = World(sandbox)
    clock = Clock(T0)

    async def go() -> dict[tuple[str, int], int | None]:
        service = Service(settings, clock=clock)
        await service.open()
        expected: dict[tuple[str, int], int | None] = {}
        try:
            for offset, moment in STEPS:
                clock.now = T0 + offset
                sandbox.set_clock(T0 + moment, speed=0.0)
                sweeps: list[SweepResult] = await service.collect_once()
                await service._prune()  # housekeeping with the clock where it is now
                for sweep in sweeps:
                    assert len(sweep.samples) == len(service.book.channels(sweep.platform))
                    world.check(sweep.samples, T0 + moment, transient=set())
                    for s in sweep.samples:
                        expected[(f"{s.platform.value}:{s.channel}", int(s.observed_at))] = s.subscribers
            assert b"govpulse_channel_subscribers{" in render(service.metrics, openmetrics=False)
        finally:
            await service.aclose()
        return expected

    expected = asyncio.run(go())

    conn = sqlite3.connect(settings.store.path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = dict(conn.execute("SELECT id, platform || ':' || channel FROM channels"))
        raw = stored_raw(conn)
        stored = {(keys[cid], at): subscribers for cid, at, _, subscribers in raw}
        assert stored == expected  # every moment once, with the value of its last sweep
        assert stored_daily(conn) == naive_daily(raw)
        days = {day for _, day in stored_daily(conn)}
        assert days == {(T0 - DAY) // DAY, T0 // DAY}
    finally:
        conn.close()
