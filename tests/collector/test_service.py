"""The collection engine end to end against the sandbox over real HTTP: sweeps, sinks, discovery, shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from collector.config import MaxDiscovery, Settings
from collector.discovery import Discovery
from collector.models import OK, Platform, Reason
from collector.registry import write_csv
from collector.sandbox import SandboxServer, State, WorldSpec
from collector.sandbox.dynamics import state as channel_state
from collector.service import Service
from collector.sources import VkSource
from exporters.prometheus import render
from exporters.store import Store
from tests.support.sandbox import SandboxFactory

SPEC = WorldSpec(max_channels=400, max_future_channels=400, vk_channels=300, telegram_channels=150)
RATES = {Platform.MAX: 2000.0, Platform.VK: 50.0, Platform.TELEGRAM: 2000.0}
EXPECTED_FAILURE = {
    State.DELETED: {Reason.NOT_FOUND.value, Reason.DEACTIVATED.value},
    # VK leaves groups it denies access to out of a batch answer, which reads as "not found".
    State.INACCESSIBLE: {Reason.LOST_ACCESS.value, Reason.NOT_FOUND.value},
}


def settings_for(sandbox: SandboxServer, tmp_path: Path, **extra: Any) -> Settings:
    registry = tmp_path / "channels.csv"
    with registry.open("w", encoding="utf-8") as out:
        write_csv(sandbox.world.registry(sandbox.now()), out)

    def platform(p: Platform, **more: Any) -> dict[str, Any]:
        return {
            "enabled": True,
            "tokens": sandbox.tokens[p.value],
            "base_url": sandbox.url,
            "rate_per_second": RATES[p],
            "max_retries": 1,
            "retry_base_seconds": 0.05,
            **more,
        }

    data: dict[str, Any] = {
        "registry": {"files": [registry]},
        "platforms": {
            "max": platform(Platform.MAX),
            "vk": platform(Platform.VK, base_url=f"{sandbox.url}/method"),
            "telegram": platform(Platform.TELEGRAM),
        },
        "store": {"path": tmp_path / "store.sqlite3"},
        "spool": {"directory": tmp_path / "spool"},
        "sinks": {"prometheus": {"listen_address": "127.0.0.1:0"}},
    }
    for section, values in extra.items():
        data[section] = {**data.get(section, {}), **values}
    return Settings.model_validate(data)


@pytest.fixture
def frozen(sandbox_factory: SandboxFactory) -> SandboxServer:
    """A sandbox whose clock stands still, so every count can be compared with the world exactly."""
    sandbox = sandbox_factory(SPEC, rates=RATES, speed=0.0)
    sandbox.set_clock("2026-01-20T00:00:00Z", speed=0.0)
    return sandbox


async def collect(settings: Settings) -> tuple[Service, list[Any]]:
    service = Service(settings)
    await service.open()
    try:
        sweeps = await service.collect_once()
    finally:
        await service.aclose()
    return service, sweeps


def test_one_sweep_of_every_platform_matches_the_world(frozen: SandboxServer, tmp_path: Path) -> None:
    settings = settings_for(frozen, tmp_path)
    service, sweeps = asyncio.run(collect(settings))
    world, now = frozen.world, frozen.now()
    by_key = {f"{ch.platform.value}:{ch.key}": ch for p in Platform for ch in world.channels[p]}

    checked = failures = 0
    for sweep in sweeps:
        assert len(sweep.samples) == len(service.book.channels(sweep.platform))
        for sample in sweep.samples:
            ch = by_key[f"{sample.platform.value}:{sample.channel}"]
            state = channel_state(ch, now)
            if sample.status == OK:
                assert sample.subscribers == world.count(ch, now), sample
                checked += 1
            else:
                assert sample.subscribers is None
                assert sample.status in EXPECTED_FAILURE.get(state, set()), (sample, state)
                failures += 1
    assert checked > 700 and failures > 0

    # The embedded store holds exactly the successful observations.
    with Store.open(settings.store.path, readonly=True) as store:
        latest = store.latest()
    ok = {f"{s.platform.value}:{s.channel}": s.subscribers for sweep in sweeps for s in sweep.samples if s.ok}
    assert {key: value for key, (value, _) in latest.items()} == ok

    # The exposition shows the same counts and an error series for every failed channel.
    text = render(service.metrics, openmetrics=False).decode()
    sample = next(s for sweep in sweeps for s in sweep.samples if s.ok)
    assert f'channel="{sample.channel}"' in text and str(sample.subscribers) in text
    assert text.count("govpulse_channel_error{") == failures


def test_sharded_processes_split_the_registry_exactly(frozen: SandboxServer, tmp_path: Path) -> None:
    seen: list[set[str]] = []
    for shard in range(3):
        (tmp_path / str(shard)).mkdir()
        settings = settings_for(
            frozen, tmp_path / str(shard), sharding={"shard": shard, "shards": 3}, store={"enabled": False}
        )
        _, sweeps = asyncio.run(collect(settings))
        seen.append({f"{s.platform.value}:{s.channel}" for sweep in sweeps for s in sweep.samples})
    everything = {c.key for c in frozen.world.registry(frozen.now())}
    assert set().union(*seen) == everything
    assert sum(len(s) for s in seen) == len(everything)  # no channel collected twice
    assert all(len(s) > len(everything) / 6 for s in seen)


def test_discovery_by_polling_survives_a_restart(frozen: SandboxServer, tmp_path: Path) -> None:
    settings = settings_for(frozen, tmp_path)
    polling = settings.platforms.max.model_copy(update={"discovery": MaxDiscovery.POLLING})
    settings = settings.model_copy(
        update={"platforms": settings.platforms.model_copy(update={"max": polling})}
    )
    before, after = frozen.now(), frozen.now() + 30 * 86400
    known = {c.key for c in frozen.world.registry(before)}
    created = {c.key for c in frozen.world.registry(after, (Platform.MAX,))} - known

    async def discover() -> set[str]:
        service = Service(settings)
        await service.open()
        task = asyncio.create_task(service.run())
        # Channels created in the next simulated month announce themselves with bot_added. Max keeps
        # updates for 24 h, so the month passes in half-day steps, as it would for a poller that keeps up.
        for step in range(1, 61):
            frozen.set_clock(before + step * 43200, speed=0.0)
            await asyncio.sleep(0.1)
        deadline = time.monotonic() + 30
        found: set[str] = set()
        while time.monotonic() < deadline and found != created:
            found = {c.key for c in service.book.channels(Platform.MAX)} - known
            await asyncio.sleep(0.2)
        service.request_stop()
        await task
        await service.aclose()
        return found

    found = asyncio.run(discover())
    assert len(created) >= 10 and found == created
    with Store.open(settings.store.path, readonly=True) as store:
        stored = {c.key for c in store.discovered_channels()}
    assert found <= stored

    async def reopened() -> set[str]:
        service = Service(settings)
        await service.open()
        await service.aclose()
        return {c.key for c in service.book.channels(Platform.MAX)}

    assert found <= asyncio.run(reopened())


def test_webhook_discovery_checks_the_secret(frozen: SandboxServer, tmp_path: Path) -> None:
    settings = settings_for(frozen, tmp_path)
    webhook = settings.platforms.max.model_copy(
        update={
            "discovery": MaxDiscovery.WEBHOOK,
            "webhook_secret": SecretStr("hook-secret-123"),
            "webhook_public_url": None,
        }
    )
    settings = settings.model_copy(
        update={"platforms": settings.platforms.model_copy(update={"max": webhook})}
    )

    async def scenario() -> tuple[int, int, int, bool]:
        service = Service(settings)
        await service.open()
        urls: list[str] = []
        task = asyncio.create_task(service.run(lambda s: urls.append(s.url)))
        while not urls:
            await asyncio.sleep(0.05)
        update = {"update_type": "bot_added", "chat_id": -71234567890, "timestamp": 1768867200000}
        async with httpx.AsyncClient(base_url=urls[0]) as client:
            denied = await client.post("/max/webhook", json=update)
            wrong = await client.post("/max/webhook", json=update, headers={"X-Max-Bot-Api-Secret": "nope"})
            accepted = await client.post(
                "/max/webhook", json=update, headers={"X-Max-Bot-Api-Secret": "hook-secret-123"}
            )
        added = service.book.get("max:-71234567890") is not None
        service.request_stop()
        await task
        await service.aclose()
        return denied.status_code, wrong.status_code, accepted.status_code, added

    assert asyncio.run(scenario()) == (401, 401, 200, True)


def start_sandbox_process(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "collector", "sandbox", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://"), "the sandbox did not start"
    return process, url


def test_run_serves_metrics_and_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    sandbox, url = start_sandbox_process(
        "--max-channels", "300", "--vk-channels", "50", "--telegram-channels", "50",
        "--rate-max", "20", "--export-registry", str(tmp_path / "channels.csv"),
    )  # fmt: skip
    config = tmp_path / "govpulse.yaml"
    config.write_text(
        f"registry: {{files: [{tmp_path / 'channels.csv'}]}}\n"
        "platforms:\n"
        f"  max: {{enabled: true, base_url: '{url}', rate_per_second: 20, interval_seconds: 3600}}\n"
        f"store: {{path: {tmp_path / 'store.sqlite3'}}}\n"
        "sinks: {prometheus: {listen_address: '127.0.0.1:0'}}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "GOVPULSE_PLATFORMS__MAX__TOKENS": "sandbox-max-token-1"}
    service = subprocess.Popen(
        [sys.executable, "-m", "collector", "run", "-c", str(config)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert service.stderr is not None
        metrics_url = ""
        deadline = time.monotonic() + 30
        while not metrics_url and time.monotonic() < deadline:
            line = service.stderr.readline()
            if "serving /metrics at " in line:
                metrics_url = line.rsplit("serving /metrics at ", 1)[1].strip()
        assert metrics_url, "the service did not start serving /metrics"
        # 300 channels at 20 rps spread over the hour: a few seconds in, some are observed, most are not.
        body = ""
        while time.monotonic() < deadline and "govpulse_channel_subscribers{" not in body:
            time.sleep(0.3)
            body = httpx.get(metrics_url, timeout=5).text
        assert "govpulse_channel_subscribers{" in body
        assert httpx.get(metrics_url.replace("/metrics", "/healthz"), timeout=5).status_code == 200
        report = httpx.get(metrics_url.replace("/metrics", "/report"), timeout=30)
        assert report.status_code == 200 and "<svg" in report.text
        service.send_signal(signal.SIGTERM)
        stderr = service.communicate(timeout=60)[1]
        assert service.returncode == 0, stderr
        assert "sandbox-max-token-1" not in stderr
    finally:
        if service.poll() is None:
            service.kill()
        sandbox.terminate()
        sandbox.wait(timeout=10)
    with Store.open(tmp_path / "store.sqlite3", readonly=True) as store:
        assert len(store.latest()) > 0  # what was observed before SIGTERM was written


def test_demo_runs_with_no_configuration(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "collector",
            "demo",
            "--dir",
            str(tmp_path),
            "--duration",
            "12",
            "--interval",
            "4",
            "--listen",
            "127.0.0.1:0",
            "--max-channels",
            "300",
            "--vk-channels",
            "100",
            "--telegram-channels",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/metrics" in result.stdout
    with Store.open(tmp_path / "govpulse.sqlite3", readonly=True) as store:
        latest = store.latest()
    platforms = {key.split(":", 1)[0] for key in latest}
    assert platforms == {"max", "vk", "telegram"}


def test_vk_screen_names_are_resolved_once_and_remembered(frozen: SandboxServer, tmp_path: Path) -> None:
    settings = settings_for(frozen, tmp_path)
    registry = tmp_path / "named.csv"
    rows = frozen.world.registry(frozen.now(), (Platform.VK,))
    named = [c for c in rows if "/club" not in c.link][:20]
    by_name = {c.link.rsplit("/", 1)[1]: c.channel for c in named}
    with registry.open("w", encoding="utf-8") as out:
        write_csv([replace(c, channel=name) for name, c in zip(by_name, named, strict=True)], out)
    settings = settings.model_copy(
        update={"registry": settings.registry.model_copy(update={"files": [registry]})}
    )

    _, sweeps = asyncio.run(collect(settings))
    [sweep] = [s for s in sweeps if s.platform is Platform.VK]
    ok = {s.channel for s in sweep.samples if s.ok}
    assert {s.channel for s in sweep.samples} == set(by_name)  # samples keep the registry key
    assert len(ok) >= 15  # the rest were deleted or hidden in this world
    with Store.open(settings.store.path, readonly=True) as store:
        remembered = {name: str(i) for name, i in store.resolved_ids().items()}
    assert {name: by_name[name] for name in ok} == {name: remembered[name] for name in ok}

    async def reopened() -> dict[str, str]:
        again = Service(settings)
        await again.open()
        try:
            vk = again.sources[Platform.VK]
            assert isinstance(vk, VkSource)
            return dict(vk.resolved)
        finally:
            await again.aclose()

    assert asyncio.run(reopened()) == remembered


def test_a_discovered_channel_is_classified_from_its_title_and_remembered(
    frozen: SandboxServer, tmp_path: Path
) -> None:
    settings = settings_for(frozen, tmp_path)
    registry = frozen.world.registry(frozen.now(), (Platform.MAX,))
    newcomer = next(c for c in registry if c.category.value == "regional_government")
    # The registry file lacks the newcomer: it arrives through the bot's update instead.
    with (tmp_path / "channels.csv").open("w", encoding="utf-8") as out:
        write_csv([c for c in registry if c.key != newcomer.key][:50], out)

    async def scenario() -> None:
        service = Service(settings)
        await service.open()
        try:
            discovery = Discovery(service)
            await discovery.handle({"update_type": "bot_added", "chat_id": int(newcomer.channel)})
            assert service.book.get(newcomer.key) is not None
            await service.sweep(Platform.MAX, spread=False)
            learnt = service.book.get(newcomer.key)
            assert learnt is not None
            assert (learnt.region, learnt.category) == (newcomer.region, newcomer.category)
        finally:
            await service.aclose()

    asyncio.run(scenario())
    with Store.open(settings.store.path, readonly=True) as store:
        [stored] = [c for c in store.channels() if c.channel.key == newcomer.key]
    assert (stored.channel.region, stored.channel.category) == (newcomer.region, newcomer.category)
    assert stored.channel.title == newcomer.title
