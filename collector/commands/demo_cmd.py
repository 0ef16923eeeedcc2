"""`govpulse demo`: the embedded default, with no configuration and no server to install.

It starts the platform sandbox in a subprocess on loopback (the calibrated world: about 20,000 Max channels,
VK and Telegram pages) on an accelerated clock, collects from it continuously into the embedded store,
serves /metrics, discovers new Max channels through the bot's updates, and prints what it is doing.
Timestamps are the sandbox's simulated time, so after a few minutes the store holds weeks of history.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from collector.cli import EXIT_FAILURE, EXIT_OK, settings_from
from collector.config import Settings
from collector.models import Platform
from collector.service import Service
from collector.sweep import Clock

SANDBOX_RATES = {Platform.MAX: 500.0, Platform.VK: 20.0, Platform.TELEGRAM: 200.0}
TOKENS = {
    Platform.MAX: ["demo-max-1", "demo-max-2"],
    Platform.VK: ["demo-vk-1"],
    Platform.TELEGRAM: ["100000001:demo-telegram-1"],
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="sandbox + collector + embedded store + /metrics, no configuration"
    )
    parser.add_argument("--dir", type=Path, default=Path("var/demo"), help="where the store and registry go")
    parser.add_argument(
        "--speed",
        type=float,
        default=3600.0,
        help="simulated seconds per real second (default: one simulated hour per second)",
    )
    parser.add_argument(
        "--interval", type=float, default=60.0, help="seconds between sweeps of each platform"
    )
    parser.add_argument("--listen", default="127.0.0.1:9877", help="where /metrics is served (port 0: any)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-channels", type=int, default=20_000)
    parser.add_argument("--vk-channels", type=int, default=5_000)
    parser.add_argument("--telegram-channels", type=int, default=2_000)
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    parser.set_defaults(handler=run)


def start_sandbox(args: argparse.Namespace, registry: Path) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "collector",
        "sandbox",
        "serve",
        "--port",
        "0",
        "--seed",
        str(args.seed),
        "--speed",
        str(args.speed),
        "--max-channels",
        str(args.max_channels),
        "--vk-channels",
        str(args.vk_channels),
        "--telegram-channels",
        str(args.telegram_channels),
        "--export-registry",
        str(registry),
    ]
    for platform, rate in SANDBOX_RATES.items():
        command += [f"--rate-{platform.value}", str(rate)]
    for platform, tokens in TOKENS.items():
        command += [arg for token in tokens for arg in ("--token", f"{platform.value}={token}")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise RuntimeError("the sandbox did not start")
    return process, url


def simulated_clock(url: str) -> Clock:
    """A local copy of the sandbox's clock: its `now` and `speed`, advanced by our monotonic clock."""
    info = httpx.get(f"{url}/sandbox/clock", timeout=10).json()
    base, speed, t0 = float(info["now"]), float(info["speed"]), time.monotonic()
    return lambda: base + (time.monotonic() - t0) * speed


def demo_settings(args: argparse.Namespace, url: str, registry: Path) -> Settings:
    def platform(p: Platform, **extra: Any) -> dict[str, Any]:
        return {
            "enabled": True,
            "tokens": TOKENS[p],
            "base_url": url,
            "rate_per_second": SANDBOX_RATES[p],
            "interval_seconds": args.interval,
            "concurrency": 8,
            "max_retries": 2,
            **extra,
        }

    return Settings.model_validate(
        {
            "registry": {"files": [registry]},
            "platforms": {
                "max": platform(Platform.MAX, discovery="polling"),
                "vk": platform(Platform.VK, base_url=f"{url}/method"),
                "telegram": platform(Platform.TELEGRAM),
            },
            "store": {"path": args.dir / "govpulse.sqlite3"},
            "spool": {"directory": args.dir / "spool"},
            "sinks": {"prometheus": {"listen_address": args.listen}},
        }
    )


def run(args: argparse.Namespace) -> int:
    settings_from(argparse.Namespace(config=None))  # logging and environment, as any command
    # The accelerated world adds channels every few seconds; one log line each would drown the summary.
    logging.getLogger("collector.discovery").setLevel(logging.WARNING)
    args.dir.mkdir(parents=True, exist_ok=True)
    console = Console()
    registry = args.dir / "channels.csv"
    console.print(
        f"[bold]govpulse demo[/]: starting the platform sandbox (seed {args.seed}, ×{args.speed:g} time)…"
    )
    process, url = start_sandbox(args, registry)
    try:
        settings = demo_settings(args, url, registry)
        asyncio.run(_demo(settings, simulated_clock(url), url, args, console))
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        console.print(f"[red]demo failed:[/] {exc}")
        return EXIT_FAILURE
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    return EXIT_OK


async def _demo(
    settings: Settings, clock: Clock, url: str, args: argparse.Namespace, console: Console
) -> None:
    service = Service(settings, clock=clock)
    await service.open()

    def ready(service: Service) -> None:
        console.print(f"  sandbox (Max, VK, Telegram APIs): {url}")
        console.print(
            f"  metrics:                          {service.url}/metrics   health: {service.url}/healthz"
        )
        console.print(f"  embedded store:                   {settings.store.path}")
        console.print(f"  registry ({len(service.book)} channels):      {settings.registry.files[0]}")
        console.print("  Ctrl-C stops; everything observed so far stays in the store.\n")

    reporter = asyncio.create_task(_report(service, console, clock))
    if args.duration is not None:
        asyncio.get_running_loop().call_later(args.duration, service.request_stop)
    try:
        await service.run(ready)
    finally:
        reporter.cancel()
        await service.aclose()
        console.print(
            f"demo stopped after {service.sweeps_completed} sweeps; data kept in {settings.store.path}"
        )


async def _report(service: Service, console: Console, clock: Clock, every_seconds: float = 10.0) -> None:
    from datetime import UTC, datetime

    while True:
        await asyncio.sleep(every_seconds)
        moment = datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%d %H:%M")
        table = Table(title=f"Симулированное время {moment} UTC")
        for column in ("Площадка", "Каналов", "С данными", "Подписчиков", "Ошибок"):
            table.add_column(column, justify="left" if column == "Площадка" else "right")
        for platform, row in service.metrics.platform_summary().items():
            table.add_row(platform.value, *(f"{value:,}".replace(",", " ") for value in row))
        console.print(table)
