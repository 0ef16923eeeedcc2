"""Sink assembly: the embedded store and InfluxDB (with its spool), each behind the pipeline's `Sink`.

The store is synchronous SQLite; `StoreSink` runs it in a worker thread so a slow disk never stalls the
event loop, and follows the channel book so registry and discovered channels are recorded with their
metadata history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from collector.book import ChannelBook
from collector.config import Settings
from collector.models import Channel, Sample, SweepResult
from collector.pipeline import Sink
from collector.regions import Regions
from exporters.metrics_state import MetricsState
from exporters.store import Store, StoreError

log = logging.getLogger(__name__)


class StoreSink:
    name = "store"

    def __init__(self, store: Store, metrics: MetricsState | None = None) -> None:
        self.store = store
        self.metrics = metrics
        self._lock = asyncio.Lock()  # one writer at a time; SQLite serialises anyway

    async def sync_registry(self, channels: Sequence[Channel]) -> None:
        async with self._lock:
            await asyncio.to_thread(self.store.sync_registry, channels)

    async def write_samples(self, samples: Sequence[Sample]) -> None:
        ok = sum(1 for s in samples if s.ok)
        async with self._lock:
            try:
                await asyncio.to_thread(self.store.write_samples, samples)
            except StoreError as exc:
                log.error("embedded store: %s", exc)
                self._count("dropped", ok)
                return
        self._count("written", ok)

    async def finish_sweep(self, sweep: SweepResult) -> None:
        """Every sample was stored as it arrived; the store keeps no per-sweep record."""

    def _count(self, outcome: str, n: int) -> None:
        if self.metrics is not None and n:
            self.metrics.sink_points(self.name, outcome, n)

    async def aclose(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self.store.close)


async def build_sinks(
    settings: Settings, book: ChannelBook, regions: Regions, metrics: MetricsState
) -> tuple[list[Sink], Store | None]:
    """The configured sinks, and the store (if any) for housekeeping and discovery persistence."""
    sinks: list[Sink] = []
    store: Store | None = None
    if settings.store.enabled:
        store = opened = await asyncio.to_thread(Store.from_settings, settings.store)
        for channel in await asyncio.to_thread(opened.discovered_channels):
            book.add(channel)
        store_sink = StoreSink(opened, metrics)
        await store_sink.sync_registry(book.registry_channels())
        loop = asyncio.get_running_loop()
        # Discovered channels are recorded by discovery itself (origin 'discovered'); the registry sync
        # must list only registry rows, or it would adopt them as registry channels.
        book.on_change(lambda _: _schedule(loop, store_sink.sync_registry(book.registry_channels())))
        sinks.append(store_sink)
    if settings.sinks.influxdb.enabled:
        sinks.append(_influx_sink(settings, book, regions, metrics))
    return sinks, store


def _influx_sink(settings: Settings, book: ChannelBook, regions: Regions, metrics: MetricsState) -> Sink:
    from exporters.influx import InfluxSink
    from exporters.spool import Spool

    spool = Spool(settings.spool.directory / "influxdb", settings.spool.max_bytes, settings.spool.full_policy)
    sink: Sink = InfluxSink(
        settings.sinks.influxdb,
        spool,
        channels=book.get,
        regions=regions,
        shards=settings.sharding.shards,
        metrics=metrics,
    )
    return sink


def _schedule(loop: asyncio.AbstractEventLoop, coroutine: Any) -> None:
    """Run a book-change follow-up on the service loop, from whichever thread changed the book."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        loop.create_task(coroutine)
    else:
        asyncio.run_coroutine_threadsafe(coroutine, loop)
