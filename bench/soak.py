"""Soak: the real engine collecting from the sandbox for 60 simulated days, checking that it does not leak.

The sandbox runs in its own process (so this process's memory is the collector's alone) with its clock
stopped; before each sweep it is stepped forward by `24 / sweeps_per_day` simulated hours, so 60 days pass
in minutes while the world grows, stalls, purges and deletes channels as it would. This process runs the
real `Service` (embedded store with a 30-day raw retention, so pruning happens; /metrics served and scraped
over HTTP after every sweep; the sink maintenance and prune jobs run after every sweep as the scheduler
would). Per sweep it records: seconds, channels ok / failed, RSS, open file descriptors
(/proc/self/fd), asyncio tasks, SQLite's heap, and the Python objects' allocated blocks
(`sys.getallocatedblocks`: flat when no Python object leaks, whatever the C allocator and SQLite's page
cache do to RSS).

The verdict: every sweep complete (one outcome per channel); after the warm-up sweeps, RSS less SQLite's
own heap (`sqlite3_memory_used`, read through ctypes) grows by at most max(5 %, 16 MiB), Python's allocated
blocks by at most max(1 %, 2,000), open files and asyncio tasks not at all; SQLite's heap stays within the
page caches the store configures; sockets stay within the connection limit (pooled keep-alive connections
come and go). SQLite's page cache follows the store's file as it grows (daily roll-ups are kept for good)
up to its 128 MiB bound: that growth is reported apart, not mistaken for a leak.

    python -m bench.soak [--channels 40000] [--days 60] [--sweeps-per-day 0.5] [--warmup 15]
"""

from __future__ import annotations

import _sqlite3
import argparse
import asyncio
import ctypes
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from collector.config import Settings
from collector.models import Platform
from collector.service import Service

TOKEN = "soak-max-token-1"
RSS_SLACK_MIB = 16.0
RSS_SLACK_SHARE = 0.05
# The store's two connections (writer: cache_size 128 MiB; checkpointer: SQLite's default 2 MiB), plus
# SQLite's own bookkeeping.
SQLITE_BOUND_MIB = 128 + 2 + 16
BLOCKS_SLACK, BLOCKS_SLACK_SHARE = 2000, 0.01  # a leak of one object per channel and sweep exceeds this
CONCURRENCY = 32
# Configured requests/s: above what one core sustains, so the limiter never paces the soak, yet a realistic
# figure (the limiter keeps the last `rate` send times per token: 1e6 would hold a million floats).
RATE = 5000.0
FIXED_SOCKETS = 8  # /metrics listener, the scrape and control clients, the store's nothing: headroom


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _sqlite_memory_used() -> Callable[[], int]:
    """SQLite's own heap (page caches of every connection included), from the library `sqlite3` uses."""
    function = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    function.restype = ctypes.c_int64
    return lambda: int(function())


sqlite_memory_used = _sqlite_memory_used()


def open_files() -> tuple[int, int]:
    """(files and pipes, sockets) open in this process: pooled keep-alive sockets come and go within the
    client's connection limit, so they are judged apart from everything else."""
    files = sockets = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the descriptor os.listdir itself used, closed by now
        if target.startswith("socket:"):
            sockets += 1
        else:
            files += 1
    return files, sockets


def start_sandbox(channels: int, registry: Path) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable, "-m", "collector.sandbox.cli", "serve", "--port", "0", "--speed", "0",
        "--max-channels", str(channels), "--max-future-channels", "0", "--vk-channels", "0",
        "--telegram-channels", "0", "--rate-max", "1e9", "--token", f"max={TOKEN}",
        "--export-registry", str(registry),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        raise RuntimeError("the sandbox did not start")
    return process, url


def settings(url: str, workdir: Path, registry: Path) -> Settings:
    return Settings.model_validate(
        {
            "registry": {"files": [registry]},
            "platforms": {
                "max": {
                    "enabled": True,
                    "tokens": [TOKEN],
                    "base_url": url,
                    "rate_per_second": RATE,
                    "concurrency": CONCURRENCY,
                    "spread": False,
                    "max_retries": 2,
                    "retry_base_seconds": 0.05,
                }
            },
            "store": {"path": workdir / "store.sqlite3", "raw_retention_days": 30},
            "spool": {"directory": workdir / "spool"},
            "sinks": {"prometheus": {"listen_address": "127.0.0.1:0"}},
        }
    )


class SimClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def soak(url: str, workdir: Path, registry: Path, sweeps: int, step: float) -> list[dict[str, Any]]:
    control = httpx.AsyncClient(base_url=url, timeout=30)
    start = (await control.get("/sandbox/clock")).json()["now"]
    clock = SimClock(start)
    service = Service(settings(url, workdir, registry), clock=clock)
    await service.open()
    records: list[dict[str, Any]] = []
    try:
        metrics_url = await service.serve_http() + "/metrics"
        for number in range(sweeps):
            clock.now = start + number * step
            (await control.post("/sandbox/clock", json={"now": clock.now, "speed": 0})).raise_for_status()
            began = time.perf_counter()
            result = await service.sweep(Platform.MAX, spread=False)
            seconds = time.perf_counter() - began
            scraped = len((await control.get(metrics_url)).content)
            await service._maintain_sinks()
            await service._prune()
            gc.collect()
            files, sockets = open_files()
            records.append({
                "sweep": number, "day": round(number * step / 86400, 2), "seconds": round(seconds, 2),
                "channels": len(service.book.channels(Platform.MAX)), "samples": len(result.samples),
                "ok": result.ok_count, "failed": result.failed_count, "rss_mib": round(rss_mib(), 1),
                "sqlite_mib": round(sqlite_memory_used() / 2**20, 1),
                "open_files": files, "sockets": sockets, "tasks": len(asyncio.all_tasks()),
                "metrics_bytes": scraped, "py_blocks": sys.getallocatedblocks(),
            })  # fmt: skip
            print(json.dumps(records[-1]), file=sys.stderr, flush=True)
    finally:
        await service.aclose()
        await control.aclose()
    return records


def _own(record: dict[str, Any]) -> float:
    """RSS less SQLite's heap: what the collector itself holds."""
    value: float = record["rss_mib"] - record["sqlite_mib"]
    return value


def verdict(records: list[dict[str, Any]], warmup: int) -> dict[str, Any]:
    warm, end = records[min(warmup, len(records) - 1)], records[-1]
    after = records[warmup:]
    allowed = max(RSS_SLACK_MIB, RSS_SLACK_SHARE * warm["rss_mib"])
    checks = {
        "every_sweep_complete": all(r["samples"] == r["channels"] for r in records),
        "rss_less_sqlite_flat": max(_own(r) for r in after) - _own(warm) <= allowed,
        "sqlite_within_cache_bound": max(r["sqlite_mib"] for r in records) <= SQLITE_BOUND_MIB,
        "open_files_flat": max(r["open_files"] for r in after) <= warm["open_files"],
        "sockets_bounded": max(r["sockets"] for r in records) <= CONCURRENCY + FIXED_SOCKETS,
        "tasks_flat": max(r["tasks"] for r in after) <= warm["tasks"],
        "python_objects_flat": max(r["py_blocks"] for r in after) - warm["py_blocks"]
        <= max(BLOCKS_SLACK, BLOCKS_SLACK_SHARE * warm["py_blocks"]),
    }
    return {
        "rss_start_mib": records[0]["rss_mib"],
        "rss_after_warmup_mib": warm["rss_mib"],
        "rss_end_mib": end["rss_mib"],
        "rss_max_mib": max(r["rss_mib"] for r in records),
        "sqlite_mib": (records[0]["sqlite_mib"], warm["sqlite_mib"], end["sqlite_mib"]),
        "rss_less_sqlite_mib": (round(_own(records[0]), 1), round(_own(warm), 1), round(_own(end), 1)),
        "rss_allowed_growth_mib": round(allowed, 1),
        "open_files": (warm["open_files"], end["open_files"]),
        "sockets_max": max(r["sockets"] for r in records),
        "tasks": (warm["tasks"], end["tasks"]),
        "py_blocks": (records[0]["py_blocks"], warm["py_blocks"], end["py_blocks"]),
        "checks": checks,
        "passed": all(checks.values()),
    }


def run(
    channels: int = 40_000, days: float = 60, sweeps_per_day: float = 0.5, warmup: int = 15
) -> dict[str, Any]:
    sweeps = max(warmup + 2, round(days * sweeps_per_day))
    with tempfile.TemporaryDirectory(prefix="govpulse-soak-") as tmp:
        workdir = Path(tmp)
        registry = workdir / "channels.csv"
        sandbox, url = start_sandbox(channels, registry)
        try:
            started = time.perf_counter()
            records = asyncio.run(soak(url, workdir, registry, sweeps, 86400 / sweeps_per_day))
            elapsed = time.perf_counter() - started
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)
    return {
        "channels": channels, "days": days, "sweeps": sweeps, "warmup": warmup,
        "seconds": round(elapsed, 1), **verdict(records, warmup), "records": records,
    }  # fmt: skip


def table(result: dict[str, Any]) -> str:
    out = [
        f"{'sweep':>5} {'day':>6} {'s':>6} {'ok':>7} {'failed':>6} {'RSS MiB':>8} {'SQLite':>7} {'files':>5} "
        f"{'socks':>5} {'tasks':>5} {'py blocks':>10}"
    ]
    for r in result["records"]:
        out.append(
            f"{r['sweep']:>5} {r['day']:>6} {r['seconds']:>6} {r['ok']:>7} {r['failed']:>6} "
            f"{r['rss_mib']:>8} {r['sqlite_mib']:>7} {r['open_files']:>5} {r['sockets']:>5} {r['tasks']:>5} "
            f"{r['py_blocks']:>10,}"
        )
    out.append(
        f"{result['channels']:,} channels, {result['sweeps']} sweeps over {result['days']} simulated days in "
        f"{result['seconds']} s; RSS start {result['rss_start_mib']} MiB, after warm-up "
        f"{result['rss_after_warmup_mib']} MiB, end {result['rss_end_mib']} MiB, max {result['rss_max_mib']} "
        f"MiB (allowed growth {result['rss_allowed_growth_mib']} MiB); open files {result['open_files']}, "
        f"sockets at most {result['sockets_max']}; "
        f"tasks {result['tasks']}; Python blocks (start, warm, end) {result['py_blocks']}; SQLite heap MiB "
        f"{result['sqlite_mib']}; RSS less SQLite MiB {result['rss_less_sqlite_mib']}"
    )
    out.append(f"checks: {result['checks']} -> {'PASSED' if result['passed'] else 'FAILED'}")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--channels", type=int, default=40_000)
    parser.add_argument("--days", type=float, default=60)
    parser.add_argument("--sweeps-per-day", type=float, default=0.5)
    parser.add_argument("--warmup", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args()
    result = run(args.channels, args.days, args.sweeps_per_day, args.warmup)
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
