"""`govpulse collect --once`: one sweep of every enabled platform, with a progress bar and a summary.

For cron: with `sinks.pushgateway.enabled` the metrics of the sweep are pushed to a Pushgateway, since
nothing stays up to be scraped.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from collector.cli import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, add_config_option, settings_from
from collector.commands.run_cmd import add_shard_options, apply_overrides
from collector.config import PushgatewaySettings
from collector.models import OK, Platform, SweepResult
from collector.service import RegistryUnusable, Service
from collector.sweep import ProgressCallback
from exporters.metrics_state import MetricsState
from exporters.prometheus import render


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "collect", help="run one sweep of every enabled platform and print a summary"
    )
    add_config_option(parser)
    add_shard_options(parser)
    parser.add_argument("--once", action="store_true", required=True, help="one sweep, then exit (for cron)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs only)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = apply_overrides(settings_from(args), args)
    except ValueError as exc:
        print(f"bad option: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not settings.platforms.enabled():
        print("no platform is enabled: set platforms.<name>.enabled and its tokens", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        sweeps, service = asyncio.run(_collect(settings, show_progress=not args.no_progress))
    except RegistryUnusable as exc:
        print(f"registry unusable: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    Console().print(summary_table(sweeps, service.metrics))
    observed = sum(len(s.samples) for s in sweeps)
    ok = sum(s.ok_count for s in sweeps)
    return EXIT_FAILURE if observed and not ok else EXIT_OK


async def _collect(settings: Any, *, show_progress: bool) -> tuple[list[SweepResult], Service]:
    service = Service(settings)
    await service.open()
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not show_progress,
            transient=False,
        ) as progress:
            sweeps = await service.collect_once(_progress_factory(progress, service))
        if settings.sinks.pushgateway.enabled:
            await push(settings.sinks.pushgateway, service.metrics, settings.sharding.shard)
    finally:
        await service.aclose()
    return sweeps, service


def _progress_factory(progress: Progress, service: Service) -> Callable[[Platform], ProgressCallback]:
    def make(platform: Platform) -> ProgressCallback:
        task = progress.add_task(platform.value, total=len(service.book.channels(platform)))
        return lambda n: progress.advance(task, n)

    return make


async def push(settings: PushgatewaySettings, metrics: MetricsState, shard: int) -> None:
    """PUT replaces this job+shard group on the Pushgateway with the metrics of this run."""
    url = f"{str(settings.url).rstrip('/')}/metrics/job/{settings.job}/shard/{shard}"
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.put(
            url,
            content=render(metrics, openmetrics=False),
            headers={"Content-Type": "text/plain; version=0.0.4"},
        )
        response.raise_for_status()


def summary_table(sweeps: Sequence[SweepResult], metrics: MetricsState) -> Table:
    table = Table(title="Итоги сбора")
    for column in (
        "Площадка",
        "Каналов",
        "Успешно",
        "Ошибки по причинам",
        "Длительность, с",
        "Ограничено (429)",
    ):
        table.add_column(column, justify="left" if column in ("Площадка", "Ошибки по причинам") else "right")
    for sweep in sweeps:
        reasons = Counter(s.status for s in sweep.samples if s.status != OK)
        failed = ", ".join(f"{reason}: {n}" for reason, n in reasons.most_common()) or "—"
        table.add_row(
            sweep.platform.value,
            str(len(sweep.samples)),
            str(sweep.ok_count),
            failed,
            f"{sweep.duration_seconds:.1f}",
            str(metrics.throttled_count(sweep.platform)),
        )
    return table
