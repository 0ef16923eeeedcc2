"""`govpulse run` SIGKILLed at random moments, 22 times: while starting, while opening the store, in the
middle of sweeps. The sandbox world is frozen at a different moment for each run, so every stored count
can be traced to the run that observed it. After every kill: the store passes `PRAGMA integrity_check`,
every stored count is the world's at its run's moment, nothing stored earlier went missing, rows are unique
per (channel, second) and the daily roll-ups are exactly what the raw samples say."""

from __future__ import annotations

import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from collector.models import Platform
from collector.registry import write_csv
from collector.sandbox import SandboxServer
from tests.exporters.test_store_property import naive_daily, stored_daily, stored_raw
from tests.faults.support import RATES, T0, frozen_sandbox
from tests.support.sandbox import SandboxFactory

KILLS = 22
STARTUP_KILLS = 5  # of them, this many during start-up (before /metrics is served)
DAY = 86400
PLATFORMS = (Platform.MAX, Platform.TELEGRAM)


@dataclass(frozen=True)
class Run:
    started: float
    killed: float
    world_at: float

    def covers(self, observed_at: int) -> bool:
        return math.floor(self.started) <= observed_at <= self.killed


def write_config(sandbox: SandboxServer, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    registry = tmp_path / "channels.csv"
    with registry.open("w", encoding="utf-8") as out:
        write_csv(sandbox.world.registry(sandbox.now(), PLATFORMS), out)
    platform: dict[str, Any] = {
        "enabled": True, "base_url": sandbox.url, "interval_seconds": 1, "spread": False,
        "max_retries": 1, "retry_base_seconds": 0.05,
    }  # fmt: skip
    config = {
        "registry": {"files": [str(registry)]},
        "platforms": {
            "max": {**platform, "rate_per_second": RATES[Platform.MAX], "concurrency": 16},
            "telegram": {**platform, "rate_per_second": RATES[Platform.TELEGRAM]},
        },
        "store": {"path": str(tmp_path / "store.sqlite3")},
        "spool": {"directory": str(tmp_path / "spool")},
        "sinks": {"prometheus": {"listen_address": "127.0.0.1:0"}},
    }
    path = tmp_path / "govpulse.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {
        **os.environ,
        "GOVPULSE_PLATFORMS__MAX__TOKENS": sandbox.tokens["max"][0],
        "GOVPULSE_PLATFORMS__TELEGRAM__TOKENS": sandbox.tokens["telegram"][0],
    }
    return path, env


def run_and_kill(config: Path, env: dict[str, str], log: Path, delay: float, after_ready: bool) -> Run:
    """Start `govpulse run`, SIGKILL it `delay` s after the start (or after /metrics is served)."""
    log.write_text("", encoding="utf-8")
    with log.open("a", encoding="utf-8") as err:
        started = time.time()
        process = subprocess.Popen(
            [sys.executable, "-m", "collector", "run", "-c", str(config)],
            stdout=subprocess.DEVNULL, stderr=err, env=env,
        )  # fmt: skip
        try:
            origin = time.monotonic()
            if after_ready:
                deadline = origin + 30
                while "serving /metrics" not in log.read_text(encoding="utf-8"):
                    assert process.poll() is None, log.read_text(encoding="utf-8")
                    assert time.monotonic() < deadline, "the service did not start"
                    time.sleep(0.02)
                origin = time.monotonic()
            time.sleep(max(0.0, origin + delay - time.monotonic()))
            assert process.poll() is None, log.read_text(encoding="utf-8")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    killed = time.time()
    time.sleep(math.ceil(killed) - killed + 0.01)  # the next run's seconds never overlap this one's
    return Run(started, killed, 0.0)


def check_store(
    path: Path, sandbox: SandboxServer, runs: list[Run], previous: set[tuple[int, int]]
) -> set[tuple[int, int]]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {cid: (p, ch) for cid, p, ch in conn.execute("SELECT id, platform, channel FROM channels")}
        raw = stored_raw(conn)
        assert conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT channel_id, observed_at FROM samples)"
        ).fetchone()[0] == len(raw)
        channels = {(c.platform.value, c.key): c for p in PLATFORMS for c in sandbox.world.channels[p]}
        for cid, at, status, subscribers in raw:
            owners = [r for r in runs if r.covers(at)]
            assert len(owners) == 1, (at, runs)
            if status == 0:
                assert subscribers == sandbox.world.count(channels[keys[cid]], owners[0].world_at), (
                    keys[cid],
                    at,
                )
        assert stored_daily(conn) == naive_daily(raw)
        rows = {(cid, at) for cid, at, _, _ in raw}
    finally:
        conn.close()
    assert previous <= rows  # what a previous run stored survived this kill
    return rows


def test_sigkill_at_random_moments(sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    sandbox = frozen_sandbox(sandbox_factory)
    config, env = write_config(sandbox, tmp_path)
    store = tmp_path / "store.sqlite3"
    rng = random.Random(20260120)
    runs: list[Run] = []
    rows: set[tuple[int, int]] = set()
    for kill in range(KILLS):
        world_at = T0 + kill * DAY  # the world moves a day between runs, so counts differ
        sandbox.set_clock(world_at, speed=0.0)
        startup = kill % (KILLS // STARTUP_KILLS) == 0
        delay = rng.uniform(0.05, 0.9) if startup else rng.uniform(0.0, 1.6)
        run = run_and_kill(config, env, tmp_path / "stderr.log", delay, after_ready=not startup)
        runs.append(Run(run.started, run.killed, world_at))
        if store.exists():
            rows = check_store(store, sandbox, runs, rows)
    assert len(rows) > 1000  # the runs did store sweeps
    ok_runs = {next(r.world_at for r in runs if r.covers(at)) for _, at in rows}
    assert len(ok_runs) >= KILLS // 2  # most runs got to store something before their kill
