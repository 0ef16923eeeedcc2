"""What the fault tests share: settings against a sandbox, a frozen-world oracle, a misbehaving HTTP proxy,
reading the service's own counters, and an adjustable clock."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiohttp import ClientSession, ClientTimeout, web
from prometheus_client.parser import text_string_to_metric_families

from collector.config import Settings
from collector.models import OK, Platform, Sample
from collector.registry import write_csv
from collector.sandbox import SandboxServer, State, WorldSpec
from collector.sandbox.dynamics import state as channel_state
from exporters.metrics_state import MetricsState
from exporters.prometheus import render

SPEC = WorldSpec(max_channels=240, max_future_channels=0, vk_channels=200, telegram_channels=80)
RATES = {Platform.MAX: 5000.0, Platform.VK: 200.0, Platform.TELEGRAM: 5000.0}
FROZEN_AT = "2026-01-20T00:00:00Z"
T0 = 1_768_867_200  # FROZEN_AT as Unix seconds


class Clock:
    """An adjustable clock for `Service(clock=...)`: tests move it forward and backward."""

    def __init__(self, now: float = T0) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now


def settings_for(
    sandbox: SandboxServer,
    tmp_path: Path,
    platforms: tuple[Platform, ...] = (Platform.MAX,),
    **sections: dict[str, Any],
) -> Settings:
    """Settings that collect `platforms` from the sandbox into a store under tmp_path (no spreading)."""
    registry = tmp_path / "channels.csv"
    with registry.open("w", encoding="utf-8") as out:
        write_csv(sandbox.world.registry(sandbox.now(), platforms), out)

    def platform(p: Platform) -> dict[str, Any]:
        url = f"{sandbox.url}/method" if p is Platform.VK else sandbox.url
        return {
            "enabled": True, "tokens": sandbox.tokens[p.value], "base_url": url,
            "rate_per_second": RATES[p], "max_retries": 2, "retry_base_seconds": 0.02,
            "retry_max_seconds": 0.2, "timeout_seconds": 5, "spread": False, "concurrency": 16,
        }  # fmt: skip

    data: dict[str, Any] = {
        "registry": {"files": [registry]},
        "platforms": {p.value: platform(p) for p in platforms},
        "store": {"path": tmp_path / "store.sqlite3"},
        "spool": {"directory": tmp_path / "spool"},
        "sinks": {"prometheus": {"listen_address": "127.0.0.1:0"}},
    }
    for section, values in sections.items():
        data[section] = {**data.get(section, {}), **values}
    return Settings.model_validate(data)


def frozen_sandbox(factory: Any, spec: WorldSpec = SPEC, **config: Any) -> SandboxServer:
    sandbox: SandboxServer = factory(spec, rates=RATES, speed=0.0, **config)
    sandbox.set_clock(FROZEN_AT, speed=0.0)
    return sandbox


class World:
    """The oracle: what the frozen sandbox world says about a channel at a moment."""

    # States in which a channel has no count to give, and the reasons a source may report for them.
    EXPECTED_FAILURE: ClassVar[dict[State, set[str]]] = {
        State.DELETED: {"not_found", "deactivated"},
        State.INACCESSIBLE: {"lost_access", "not_found"},
    }

    def __init__(self, sandbox: SandboxServer) -> None:
        self.world = sandbox.world
        self.by_key = {f"{c.platform.value}:{c.key}": c for p in Platform for c in self.world.channels[p]}

    def count(self, sample: Sample, at: float) -> int:
        return self.world.count(self.by_key[f"{sample.platform.value}:{sample.channel}"], at)

    def failure_expected(self, sample: Sample, at: float) -> bool:
        ch = self.by_key[f"{sample.platform.value}:{sample.channel}"]
        return sample.status in self.EXPECTED_FAILURE.get(channel_state(ch, at), set())

    def check(self, samples: tuple[Sample, ...] | list[Sample], at: float, transient: set[str]) -> int:
        """Every ok sample has the world's count; every failure is expected or one of `transient`.
        Returns the number of ok samples."""
        ok = 0
        for s in samples:
            if s.status == OK:
                assert s.subscribers == self.count(s, at), s
                ok += 1
            else:
                assert s.subscribers is None, s
                assert self.failure_expected(s, at) or s.status in transient, s
        return ok


def counters(metrics: MetricsState) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, keyed by name and sorted labels."""
    text = render(metrics, openmetrics=False).decode()
    return parse_exposition(text)


def parse_exposition(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def sink_points(metrics: MetricsState, sink: str, outcome: str) -> float:
    key = ("govpulse_sink_points_total", (("outcome", outcome), ("sink", sink)))
    return counters(metrics).get(key, 0.0)


class FaultProxy:
    """An HTTP reverse proxy on loopback in front of one upstream, on its own thread and loop.

    Modes: `pass` forwards; `delay` forwards and holds the answer `delay_seconds` before sending it;
    `unavailable` answers 503 without forwarding. `forwarded` counts requests that reached the upstream."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode = "pass"
        self.delay_seconds = 0.0
        self.forwarded = 0
        self.refused = 0
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    def start(self) -> FaultProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    async def _start(self) -> None:
        self._session = ClientSession(timeout=ClientTimeout(total=60), auto_decompress=False)
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def _handle(self, request: web.Request) -> web.Response:
        if self.mode == "unavailable":
            self.refused += 1
            return web.Response(status=503, text='{"error":"proxy: service unavailable"}')
        assert self._session is not None
        body = await request.read()
        # aiohttp has already decoded a gzip request body: forward it plain.
        dropped = ("host", "content-length", "content-encoding", "transfer-encoding")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in dropped}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as answer:
            payload = await answer.read()
            self.forwarded += 1
            kept = {
                k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "content-encoding")
            }
            status = answer.status
        if self.mode == "delay":
            await asyncio.sleep(self.delay_seconds)
        return web.Response(status=status, body=payload, headers=kept)

    def stop(self) -> None:
        async def close() -> None:
            if self._session is not None:
                await self._session.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


@contextmanager
def tmpfs(directory: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at `directory` (needs root; skipped where mounting is not permitted)."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(directory)],
        check=False, capture_output=True,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {done.stderr.decode().strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill(directory: Path, leave_bytes: int) -> Path:
    """A ballast file that leaves about `leave_bytes` free on the filesystem of `directory`."""
    stat = os.statvfs(directory)
    free = stat.f_bavail * stat.f_frsize
    ballast = directory / "ballast"
    with ballast.open("wb") as out:
        out.write(b"\0" * max(0, free - leave_bytes))
    return ballast
