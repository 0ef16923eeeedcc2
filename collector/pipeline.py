"""The pipeline: hands observations to the Prometheus snapshot and to every configured sink.

A spread sweep takes most of its interval, so observations flow as they arrive: each chunk of samples
goes to the snapshot (so /metrics is current) and is streamed to every sink (`write_samples`); when the
sweep ends, the snapshot records the cycle and each sink writes its per-sweep aggregates
(`finish_sweep`). A failing sink never blocks the others or the collection: sinks are written
concurrently, and an exception from one is logged and counted, never propagated (sinks that can buffer,
like InfluxDB, spool internally and do not raise).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from collector.book import ChannelBook
from collector.models import Sample, SweepResult

log = logging.getLogger(__name__)


class Sink(Protocol):
    name: str

    async def write_samples(self, samples: Sequence[Sample]) -> None: ...

    async def finish_sweep(self, sweep: SweepResult) -> None: ...

    async def aclose(self) -> None: ...


class Snapshot(Protocol):
    """What the pipeline needs of the Prometheus exposition state."""

    def observe(self, samples: Sequence[Sample]) -> None: ...

    def cycle_completed(self, sweep: SweepResult) -> None: ...

    def sink_points(self, sink: str, outcome: str, count: int) -> None: ...


class Pipeline:
    def __init__(self, book: ChannelBook, sinks: Sequence[Sink], snapshot: Snapshot | None = None) -> None:
        self.book = book
        self.sinks = list(sinks)
        self.snapshot = snapshot

    async def observe(self, samples: Sequence[Sample]) -> None:
        """Part of a sweep has been observed."""
        # Titles first: a channel classified now is written with its new region and category.
        self.book.learn_titles(samples)
        if self.snapshot is not None:
            self.snapshot.observe(samples)
        ok = sum(1 for s in samples if s.ok)
        await self._each(lambda sink: sink.write_samples(samples), "samples", ok)

    async def finish(self, sweep: SweepResult) -> None:
        """The sweep is over (complete, or cut short by a stop): record the cycle everywhere."""
        if self.snapshot is not None:
            self.snapshot.cycle_completed(sweep)
        await self._each(lambda sink: sink.finish_sweep(sweep), f"{sweep.platform} sweep", 0)

    async def deliver(self, sweep: SweepResult) -> None:
        """A whole sweep at once (tests, imports): the same as streaming it in one chunk."""
        await self.observe(sweep.samples)
        await self.finish(sweep)

    async def _each(self, write: Callable[[Sink], Awaitable[None]], what: str, points: int) -> None:
        async def one(sink: Sink) -> None:
            try:
                await write(sink)
            except Exception as exc:  # one sink's failure must not reach the others or the scheduler
                log.error("sink %s failed to take the %s: %s", sink.name, what, exc)
                if self.snapshot is not None and points:
                    self.snapshot.sink_points(sink.name, "dropped", points)

        await asyncio.gather(*(one(sink) for sink in self.sinks))

    async def aclose(self) -> None:
        for sink in self.sinks:
            try:
                await sink.aclose()
            except Exception as exc:
                log.error("sink %s did not close cleanly: %s", sink.name, exc)
