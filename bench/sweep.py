"""Sweep benchmark: the sources against the sandbox (in its own process) enforcing R requests/s per token.

    python -m bench.sweep [--channels 3000] [--rate 100] [--vk-pages 173000] [--registered 200000]

Figures: Max sweep time against N/R with the limit configured right and configured twice too high
(throttled share from the sandbox's own counters), VK requests for the whole VK set with `execute`,
collector CPU time per Max channel, and peak RSS of this (collector) process with the registered
channels loaded and swept (measured in a fresh child process that does nothing else). The registry
comes from the sandbox over HTTP and is loaded with `collector.registry`, as the collector would.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import multiprocessing
import resource
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

from collector.config import MaxSettings, VkSettings
from collector.models import Category, Channel, Platform, Sample
from collector.registry import load_files
from collector.sandbox import SandboxConfig, World, WorldSpec
from collector.sandbox.runner import serve_forever
from collector.sources import build_source

TOKENS = {
    Platform.MAX: ["bench-max-token-1"], Platform.VK: ["bench-vk-token-1"], Platform.TELEGRAM: ["1:bench"],
}


def _serve(spec: WorldSpec, rates: dict[Platform, float], conn: Connection) -> None:
    config = SandboxConfig(spec=spec, rates=rates, speed=0.0, tokens=TOKENS)
    serve_forever(config, "127.0.0.1", 0, conn.send, world=World.build(spec))


class Sandbox:
    """The sandbox in a child process, so the collector's CPU time and memory are its own."""

    def __init__(self, spec: WorldSpec, rates: dict[Platform, float]) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(spec, rates, child), daemon=True)
        self.process.start()
        if not parent.poll(300):
            raise RuntimeError("the sandbox did not start")
        self.url: str = parent.recv()

    def stats(self, platform: Platform) -> dict[str, Any]:
        stats: dict[str, Any] = httpx.get(f"{self.url}/sandbox/stats", timeout=30).json()[platform.value]
        return stats

    def download_registry(self, platform: Platform, path: Path) -> None:
        url = f"{self.url}/sandbox/registry.csv"
        with httpx.stream("GET", url, params={"platform": platform.value}, timeout=300) as answer, \
                path.open("wb") as out:
            for chunk in answer.raise_for_status().iter_bytes():
                out.write(chunk)

    def registry(self, platform: Platform) -> list[Channel]:
        """The sandbox's registry CSV, loaded through the collector's own registry loader."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "channels.csv"
            self.download_registry(platform, path)
            return load_registry(path)

    def reset_stats(self) -> None:
        httpx.post(f"{self.url}/sandbox/stats/reset", timeout=30).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(timeout=10)


def _sweep(platform: Platform, settings: Any, rows: list[Channel]) -> tuple[list[Sample], float, float]:
    """Run one sweep; return samples, wall seconds and this process's CPU seconds."""

    async def go() -> list[Sample]:
        source = build_source(platform, settings)
        try:
            return await source.fetch(rows)
        finally:
            await source.aclose()

    cpu0, t0 = _cpu(), time.perf_counter()
    samples = asyncio.run(go())
    return samples, time.perf_counter() - t0, _cpu() - cpu0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def max_sweeps(sandbox: Sandbox, rows: list[Channel], rate: float) -> list[dict[str, Any]]:
    results = []
    for label, configured in (("configured = real limit", rate), ("configured = 2 x real limit", 2 * rate)):
        settings = MaxSettings.model_validate({
            "enabled": True, "tokens": TOKENS[Platform.MAX], "base_url": sandbox.url,
            "rate_per_second": configured, "concurrency": 32, "max_retries": 8,
        })
        sandbox.reset_stats()
        samples, wall, cpu = _sweep(Platform.MAX, settings, rows)
        stats = sandbox.stats(Platform.MAX)
        results.append({
            "case": label, "channels": len(rows), "rate": rate, "configured_rate": configured,
            "seconds": round(wall, 2), "ideal_seconds": len(rows) / rate,
            "ratio": round(wall / (len(rows) / rate), 3), "requests": stats["requests"],
            "throttled": stats["throttled"],
            "throttled_share": round(stats["throttled"] / stats["requests"], 4),
            "ok": sum(1 for s in samples if s.ok), "cpu_ms_per_channel": round(1000 * cpu / len(rows), 3),
        })
    return results


def vk_sweep(sandbox: Sandbox, rows: list[Channel]) -> dict[str, Any]:
    settings = VkSettings.model_validate({
        "enabled": True, "tokens": TOKENS[Platform.VK], "base_url": f"{sandbox.url}/method",
        "rate_per_second": 3.0, "timeout_seconds": 120.0,
    })
    sandbox.reset_stats()
    samples, wall, cpu = _sweep(Platform.VK, settings, rows)
    outcomes = Counter(s.status for s in samples)
    stats = sandbox.stats(Platform.VK)
    return {"pages": len(rows), "requests": stats["requests"], "answers": stats["statuses"],
            "bound": math.ceil(len(rows) / 12_500), "seconds": round(wall, 2), "outcomes": dict(outcomes),
            "cpu_ms_per_channel": round(1000 * cpu / len(rows), 4)}


def load_registry(path: Path) -> list[Channel]:
    registry = load_files([path])
    if registry.fatal:
        raise RuntimeError(f"the sandbox registry did not load: {registry.problems[:3]}")
    return registry.channels


def _peak_mb() -> float:
    """Peak RSS of this process image. VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a
    spawned child would report the RSS of the parent it was forked from."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def _plain_rows(path: Path) -> list[Channel]:
    """The same rows read with the csv module alone (to tell the loader's footprint from the sweep's)."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return [Channel(Platform.VK, r["channel"], r["region"], Category(r["category"])) for r in reader]


def _memory_child(url: str, registry: Path, loader: bool, registered: int, conn: Connection) -> None:
    """A fresh collector process: the registry rows (through the registry loader or plain csv), padded
    to `registered` with ids the sandbox does not know, then one VK sweep."""
    sandbox = Sandbox.__new__(Sandbox)
    sandbox.url = url
    rows = load_registry(registry) if loader else _plain_rows(registry)
    loaded_mb = _peak_mb()
    extra = max(0, registered - len(rows))
    rows += [Channel(Platform.VK, str(1_900_000_000 + i), "RU-MOW", Category.OTHER) for i in range(extra)]
    swept = vk_sweep(sandbox, rows)
    conn.send({"registered": len(rows), **swept, "peak_rss_after_load_mb": loaded_mb,
               "peak_rss_mb": _peak_mb()})


def memory(sandbox: Sandbox, registered: int, loader: bool) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "channels.csv"
        sandbox.download_registry(Platform.VK, path)
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_memory_child, args=(sandbox.url, path, loader, registered, child))
        process.start()
        result: dict[str, Any] = parent.recv() if parent.poll(900) else {"error": "no answer in 900 s"}
        process.join(timeout=30)
    return result


def run(channels: int = 3000, rate: float = 100.0, vk_pages: int = 173_000,
        registered: int = 200_000) -> dict[str, Any]:
    spec = WorldSpec(seed=5, max_channels=channels, max_future_channels=0, vk_channels=vk_pages,
                     telegram_channels=10)
    sandbox = Sandbox(spec, {Platform.MAX: rate, Platform.VK: 3.0, Platform.TELEGRAM: 30.0})
    try:
        result: dict[str, Any] = {"max": max_sweeps(sandbox, sandbox.registry(Platform.MAX), rate)}
        result["vk"] = vk_sweep(sandbox, sandbox.registry(Platform.VK))
        result["memory"] = memory(sandbox, registered, loader=True)
        result["memory_sources_only"] = memory(sandbox, registered, loader=False)
    finally:
        sandbox.stop()
    return result


def print_table(result: dict[str, Any]) -> None:
    print(f"{'Max sweep':<30} {'N':>6} {'R':>6} {'conf':>6} {'s':>8} {'N/R':>6} {'ratio':>6} "
          f"{'req':>6} {'429':>5} {'429 %':>6} {'ok':>6} {'cpu ms/ch':>9}")
    for r in result["max"]:
        print(f"{r['case']:<30} {r['channels']:>6} {r['rate']:>6.0f} {r['configured_rate']:>6.0f} "
              f"{r['seconds']:>8.2f} {r['ideal_seconds']:>6.1f} {r['ratio']:>6.3f} {r['requests']:>6} "
              f"{r['throttled']:>5} {100 * r['throttled_share']:>6.2f} {r['ok']:>6} "
              f"{r['cpu_ms_per_channel']:>9.3f}")
    vk = result["vk"]
    print(f"\nVK sweep with execute: {vk['pages']} pages in {vk['requests']} requests "
          f"(bound {vk['bound']}), {vk['seconds']} s, outcomes {vk['outcomes']}, answers {vk['answers']}")
    mem, bare = result["memory"], result["memory_sources_only"]
    print(f"Peak RSS, {mem['registered']} registered channels loaded from the registry CSV and swept "
          f"({mem['requests']} VK requests, answers {mem['answers']}): {mem['peak_rss_mb']} MB "
          f"(of which the registry load: {mem['peak_rss_after_load_mb']} MB)")
    print(f"Peak RSS, {bare['registered']} channels read with plain csv and swept "
          f"({bare['requests']} VK requests, outcomes {bare['outcomes']}): {bare['peak_rss_mb']} MB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--channels", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--vk-pages", type=int, default=173_000)
    parser.add_argument("--registered", type=int, default=200_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    result = run(args.channels, args.rate, args.vk_pages, args.registered)
    print_table(result)
    if args.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
