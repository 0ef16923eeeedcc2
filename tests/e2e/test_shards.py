"""Scale-out: four `govpulse run --shard I --shards 4` processes, each with its own tokens, on one sandbox.

Every registered channel is collected exactly once per sweep (the sandbox counts the requests of each shard's
token), no shard collects another's channel (each shard's /metrics and embedded store hold exactly the
channels `collector.sharding.shard_of` gives it), and the sharding shows in /metrics.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from collector.models import Platform
from collector.registry import write_csv
from collector.sandbox import SandboxServer, WorldSpec
from collector.sharding import shard_of
from exporters.store import Store
from tests.support.process import free_port
from tests.support.sandbox import SandboxFactory

pytestmark = pytest.mark.slow

SHARDS = 4
SPEC = WorldSpec(max_channels=600, max_future_channels=10, vk_channels=200, telegram_channels=200)
PLATFORMS = (Platform.MAX, Platform.VK, Platform.TELEGRAM)
PER_CHANNEL_REQUESTS = (Platform.MAX, Platform.TELEGRAM)  # one request per channel; VK batches


def token(platform: Platform, shard: int) -> str:
    return f"10000000{shard}:shard-{shard}" if platform is Platform.TELEGRAM else f"{platform}-shard-{shard}"


def shard_config(sandbox: SandboxServer, directory: Path, shard: int, port: int) -> Path:
    def platform(base_url: str, rate: float) -> dict[str, object]:
        # One sweep right away, then the next an hour later: the test sees exactly one.
        return {"enabled": True, "base_url": base_url, "rate_per_second": rate, "interval_seconds": 3600,
                "spread": False, "max_retries": 0}  # fmt: skip

    config = {
        "registry": {"files": [str(directory / "channels.csv")]},
        "platforms": {
            "max": platform(sandbox.url, 400),
            "vk": platform(f"{sandbox.url}/method", 20),
            "telegram": platform(sandbox.url, 400),
        },
        "store": {"path": str(directory / f"shard-{shard}.sqlite3")},
        "spool": {"directory": str(directory / f"spool-{shard}")},
        "sinks": {"prometheus": {"listen_address": f"127.0.0.1:{port}"}},
    }
    path = directory / f"shard-{shard}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def start_shard(config: Path, shard: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPULSE_")}
    env |= {f"GOVPULSE_PLATFORMS__{p.name}__TOKENS": token(p, shard) for p in PLATFORMS}
    command = [sys.executable, "-m", "collector", "run", "-c", str(config)]
    command += ["--shard", str(shard), "--shards", str(SHARDS)]
    with (config.parent / f"shard-{shard}.log").open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def swept(url: str) -> bool:
    try:
        body = httpx.get(f"{url}/healthz", timeout=2, trust_env=False).json()
    except (httpx.HTTPError, ValueError):
        return False
    return int(body["checks"].get("sweeps_completed", 0)) >= len(PLATFORMS)


def exposed(url: str) -> tuple[set[str], dict[str, float]]:
    """Channels in the shard's /metrics (observed or failed) and its shard gauges."""
    text = httpx.get(f"{url}/metrics", timeout=10, trust_env=False).text
    channels: set[str] = set()
    gauges: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if family.name in ("govpulse_channel_last_success_timestamp_seconds", "govpulse_channel_error"):
                channels.add(f"{sample.labels['platform']}:{sample.labels['channel']}")
            elif family.name in ("govpulse_shard_ordinal", "govpulse_shards"):
                gauges[family.name] = sample.value
    return channels, gauges


@pytest.fixture
def shards(sandbox_factory: SandboxFactory, tmp_path: Path) -> Iterator[tuple[SandboxServer, list[str]]]:
    tokens = {p: [token(p, i) for i in range(SHARDS)] for p in PLATFORMS}
    sandbox = sandbox_factory(SPEC, tokens=tokens, speed=0.0, rates={p: 1000.0 for p in PLATFORMS})
    with (tmp_path / "channels.csv").open("w", encoding="utf-8") as out:
        write_csv(sandbox.world.registry(sandbox.now()), out)
    ports = [free_port() for _ in range(SHARDS)]
    processes = [start_shard(shard_config(sandbox, tmp_path, i, ports[i]), i) for i in range(SHARDS)]
    try:
        yield sandbox, [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_four_shards_collect_every_channel_exactly_once(
    shards: tuple[SandboxServer, list[str]], tmp_path: Path
) -> None:
    sandbox, urls = shards
    deadline = time.monotonic() + 60
    while not all(swept(url) for url in urls):
        assert time.monotonic() < deadline, "not every shard finished its first sweep within 60 s"
        time.sleep(0.25)
    registry = {f"{c.platform.value}:{c.channel}" for c in sandbox.world.registry(sandbox.now())}
    expected = [{key for key in registry if shard_of(key, SHARDS) == i} for i in range(SHARDS)]

    seen = []
    for i, url in enumerate(urls):
        channels, gauges = exposed(url)
        assert gauges == {"govpulse_shard_ordinal": i, "govpulse_shards": SHARDS}
        assert channels == expected[i], f"shard {i} exposes channels that are not its own, or misses some"
        seen.append(channels)
    assert set().union(*seen) == registry and sum(map(len, seen)) == len(registry)
    assert all(len(s) > len(registry) / (2 * SHARDS) for s in seen)  # the hash spreads the load

    # Exactly one request per channel per sweep, each made with the token of the channel's own shard.
    stats = sandbox.stats()
    for platform in PER_CHANNEL_REQUESTS:
        by_token = stats[platform.value]["by_token"]
        for i in range(SHARDS):
            mine = sum(1 for key in expected[i] if key.startswith(f"{platform.value}:"))
            assert by_token[token(platform, i)]["requests"] == mine, (platform, i)
    for i in range(SHARDS):
        with Store.open(tmp_path / f"shard-{i}.sqlite3", readonly=True) as store:
            stored = set(store.latest())
        assert stored and stored <= expected[i]
