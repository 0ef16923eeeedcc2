"""Sink assembly: the embedded store and InfluxDB (with its spool), each behind the pipeline's `Sink`.

The store is synchronous SQLite; `StoreSink` runs it in a worker thread so a slow disk never stalls the
event loop, and follows the channel book so registry and discovered channels are recorded with their
metadata history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

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
        self._book_dirty = False
        self._follower: asyncio.Task[None] | None = None

    async def sync_registry(self, channels: Sequence[Channel]) -> None:
        async with self._lock:
            await asyncio.to_thread(self.store.sync_registry, channels)

    def follow_soon(self, book: ChannelBook) -> None:
        """Schedule `follow`; a burst of book changes (discovery) coalesces into one or two syncs."""
        self._book_dirty = True
        if self._follower is None or self._follower.done():
            self._follower = asyncio.get_running_loop().create_task(self._follow_while_dirty(book))

    async def _follow_while_dirty(self, book: ChannelBook) -> None:
        while self._book_dirty:
            self._book_dirty = False
            try:
                await self.follow(book)
            except StoreError as exc:
                log.error("embedded store: %s", exc)

    async def follow(self, book: ChannelBook) -> None:
        """Record the book's current state: registry rows, and what was learnt about discovered channels."""
        async with self._lock:
            await asyncio.to_thread(self.store.sync_registry, book.registry_channels())
            await asyncio.to_thread(self.store.classify_discovered, book.discovered_channels())

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
        if self._follower is not None:
            await self._follower
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

        def book_changed(_: Sequence[Channel]) -> None:
            loop.call_soon_threadsafe(store_sink.follow_soon, book)

        book.on_change(book_changed)
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
