"""Throughput of the platform sandbox on one core.

The server runs in a subprocess pinned to CPU 0 (`os.sched_setaffinity`); this process, pinned to another
CPU when there is one, drives a bounded number of `GET /chats/{id}` requests (Max, the hot path of a
sweep) over loopback with aiohttp, then the same load from a minimal keep-alive client (the aiohttp client
tends to saturate its own core first: the server's CPU time per request is printed too), then a VK
`groups.getById` batch phase, and prints requests/s.

    python bench/sandbox_throughput.py --requests 30000 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import subprocess
import sys
import time

import aiohttp

BAR_RPS = 2_000
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def start_server(cpu: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "collector.sandbox.cli",
            "serve",
            "--port",
            "0",
            "--speed",
            "0",
            "--vk-channels",
            "5000",
            "--telegram-channels",
            "0",
            "--token",
            "max=bench-token",
            "--token",
            "vk=bench-token",
            "--rate-max",
            "1e9",
            "--rate-vk",
            "1e9",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        raise SystemExit("the sandbox did not start")
    return process, url


async def drive(urls: list[str], concurrency: int, headers: dict[str, str]) -> tuple[float, int]:
    """Fetch every URL with `concurrency` workers; return elapsed seconds and the number of non-200s."""
    pending = list(reversed(urls))
    failures = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal failures
            while pending:
                url = pending.pop()
                async with session.get(url) as response:
                    await response.read()
                    failures += response.status != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, failures


async def drive_raw(url: str, paths: list[str], concurrency: int, header: str) -> tuple[float, int]:
    """The same load from a minimal keep-alive HTTP/1.1 client, to find the server's own limit when the
    aiohttp client saturates its core first."""
    host, port = url.removeprefix("http://").split(":")
    pending = list(reversed(paths))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, int(port))
        while pending:
            path = pending.pop()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{header}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            failures += not head.startswith(b"HTTP/1.1 200")
            length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            await reader.readexactly(length)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, failures


async def fetch_registry(url: str, platform: str) -> list[str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}/sandbox/registry.csv", params={"platform": platform}) as response,
    ):
        text = await response.text()
    return [row["channel"] for row in csv.DictReader(io.StringIO(text))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=30_000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    core = cpus[0]
    if len(cpus) > 1:
        os.sched_setaffinity(0, set(cpus[1:]))
    process, url = start_server(core)
    try:
        chats = asyncio.run(fetch_registry(url, "max"))
        groups = asyncio.run(fetch_registry(url, "vk"))
        max_urls = [f"{url}/chats/{chats[i % len(chats)]}" for i in range(args.requests)]
        cpu_before = cpu_seconds(process.pid)
        elapsed, failures = asyncio.run(drive(max_urls, args.concurrency, {"Authorization": "bench-token"}))
        server_cpu = cpu_seconds(process.pid) - cpu_before
        max_rps = args.requests / elapsed
        paths = [f"/chats/{chats[i % len(chats)]}" for i in range(args.requests)]
        raw_elapsed, raw_failures = asyncio.run(
            drive_raw(url, paths, args.concurrency, "Authorization: bench-token")
        )
        raw_rps = args.requests / raw_elapsed
        batches = [",".join(groups[i : i + 500]) for i in range(0, len(groups), 500)]
        vk_n = max(1, args.requests // 20)
        vk_urls = [
            f"{url}/method/groups.getById?v=5.199&fields=members_count&access_token=bench-token"
            f"&group_ids={batches[i % len(batches)]}"
            for i in range(vk_n)
        ]
        vk_elapsed, vk_failures = asyncio.run(drive(vk_urls, args.concurrency // 4 or 1, {}))
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"server pinned to CPU {core}; client on CPUs {sorted(os.sched_getaffinity(0))}")
    print(
        f"Max GET /chats/{{id}}: {args.requests} requests in {elapsed:.2f} s = {max_rps:,.0f} requests/s "
        f"({failures} non-200)"
    )
    print(
        f"  server CPU {server_cpu:.2f} s ({server_cpu / elapsed:.0%} of its core): "
        f"{args.requests / max(server_cpu, 1e-9):,.0f} requests per server CPU-second"
    )
    print(
        f"  same load from a minimal raw HTTP/1.1 client: {raw_rps:,.0f} requests/s ({raw_failures} non-200)"
    )
    print(
        f"VK groups.getById x500 ids: {vk_n} requests in {vk_elapsed:.2f} s = {vk_n / vk_elapsed:,.0f} "
        f"requests/s = {vk_n * 500 / vk_elapsed:,.0f} communities/s ({vk_failures} non-200)"
    )
    best = max(max_rps, raw_rps)
    verdict = "meets" if best >= BAR_RPS else "BELOW"
    print(f"sandbox throughput on one core: {best:,.0f} requests/s; {verdict} the bar of {BAR_RPS:,}")
    return 0 if best >= BAR_RPS and failures == raw_failures == vk_failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
