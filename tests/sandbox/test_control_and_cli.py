"""The control API (clock, truth, registry, stats), the CLI in a subprocess, and a full sweep over HTTP."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
from pathlib import Path

import aiohttp
import httpx

from collector.models import Platform
from collector.registry import load_files
from collector.sandbox import SandboxServer
from collector.sandbox.clock import parse_time
from collector.sandbox.dynamics import DAY
from tests.support.sandbox import start_cli_sandbox


def test_clock_over_http(sandbox: SandboxServer) -> None:
    set_ = httpx.post(f"{sandbox.url}/sandbox/clock", json={"now": "2026-01-15T12:00:00Z", "speed": 0})
    assert set_.status_code == 200
    assert set_.json()["now_iso"] == "2026-01-15T12:00:00Z" and set_.json()["speed"] == 0
    assert httpx.get(f"{sandbox.url}/sandbox/clock").json()["now"] == parse_time("2026-01-15T12:00:00Z")
    httpx.post(f"{sandbox.url}/sandbox/clock", json={"speed": 86400})
    first = httpx.get(f"{sandbox.url}/sandbox/clock").json()["now"]
    second = first
    for _ in range(100):  # simulated time runs a day per real second: it moves within a few ms
        second = httpx.get(f"{sandbox.url}/sandbox/clock").json()["now"]
        if second > first:
            break
    assert second > first
    assert httpx.post(f"{sandbox.url}/sandbox/clock", json={"now": "yesterday"}).status_code == 400


def test_truth_and_registry_endpoints(sandbox: SandboxServer) -> None:
    at = sandbox.world.spec.start + 40 * DAY
    truth = httpx.get(f"{sandbox.url}/sandbox/truth", params={"at": str(at), "platform": "max"}).json()
    assert len(truth) == len(sandbox.world.channels[Platform.MAX])
    states = {e["state"] for e in truth}
    assert {"growing", "stalled", "declining", "deleted", "inaccessible", "not_yet_created"} <= states
    spike = next(e for e in truth if e["behaviour"] == "spike")
    assert spike["events"][0]["type"] == "spike" and spike["events"][0]["until"] > spike["events"][0]["at"]
    text = httpx.get(f"{sandbox.url}/sandbox/registry.csv", params={"at": "2025-12-01T00:00:00Z"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == sum(len(sandbox.world.existing(p, sandbox.world.spec.start)) for p in Platform)
    assert rows[0].keys() == {"platform", "channel", "region", "category", "org", "title", "expected", "link"}


def test_cli_serve_exports_and_refuses_remote(tmp_path: Path) -> None:
    registry, truth = tmp_path / "registry.csv", tmp_path / "truth.json"
    process, url = start_cli_sandbox(
        "--max-channels",
        "300",
        "--max-future-channels",
        "10",
        "--vk-channels",
        "50",
        "--telegram-channels",
        "20",
        "--token",
        "max=cli-token",
        "--rate-max",
        "7",
        "--export-registry",
        str(registry),
        "--export-truth",
        str(truth),
        "--fault",
        "vk.error_rate=1",
    )
    try:
        chat = load_files([registry]).channels[0]
        assert chat.platform is Platform.MAX
        ok = httpx.get(f"{url}/chats/{chat.channel}", headers={"Authorization": "cli-token"})
        vk = httpx.get(
            f"{url}/method/groups.getById",
            params={"group_ids": "1", "v": "5.199", "access_token": "sandbox-vk-token-1"},
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert ok.status_code == 200 and ok.json()["chat_id"] == int(chat.channel)
    assert vk.json()["error"]["error_code"] == 10
    assert load_files([registry]).problems == []
    assert truth.stat().st_size > 0
    refused = subprocess.run(
        [sys.executable, "-m", "collector.sandbox.cli", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "--allow-remote" in refused.stderr


async def _sweep(url: str, token: str, chat_ids: list[str]) -> list[int]:
    statuses: list[int] = []
    queue = list(chat_ids)
    async with aiohttp.ClientSession(headers={"Authorization": token}) as session:

        async def worker() -> None:
            while queue:
                chat_id = queue.pop()
                async with session.get(f"{url}/chats/{chat_id}") as response:
                    await response.read()
                    statuses.append(response.status)

        await asyncio.gather(*(worker() for _ in range(32)))
    return statuses


def test_full_sweep_of_default_max_world_has_no_sandbox_errors() -> None:
    process, url = start_cli_sandbox(
        "--vk-channels",
        "0",
        "--telegram-channels",
        "0",
        "--speed",
        "0",
        "--token",
        "max=sweep-token",
        "--rate-max",
        "1000000",
    )
    try:
        text = httpx.get(f"{url}/sandbox/registry.csv", params={"platform": "max"}, timeout=60).text
        chat_ids = [row["channel"] for row in csv.DictReader(io.StringIO(text))]
        statuses = asyncio.run(_sweep(url, "sweep-token", chat_ids))
        stats = httpx.get(f"{url}/sandbox/stats").json()["max"]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert len(chat_ids) == 20_000
    assert len(statuses) == 20_000 and set(statuses) == {200}
    assert stats["requests"] == 20_000 and stats["throttled"] == 0
