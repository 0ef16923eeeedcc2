"""The pipeline: hands every completed sweep to the Prometheus snapshot and to every configured sink.

A failing sink never blocks the others or the collection: each sink is written concurrently, and an
exception from one is logged and counted, never propagated (sinks that can buffer, like InfluxDB, spool
internally and do not raise).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from collector.book import ChannelBook
from collector.models import Sample, SweepResult

log = logging.getLogger(__name__)


class Sink(Protocol):
    name: str

    async def write_sweep(self, sweep: SweepResult) -> None: ...

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

    async def deliver(self, sweep: SweepResult) -> None:
        # Titles first: a channel classified by this sweep is written with its new region and category.
        self.book.learn_titles(sweep.samples)
        if self.snapshot is not None:
            self.snapshot.observe(sweep.samples)
            self.snapshot.cycle_completed(sweep)
        await asyncio.gather(*(self._write(sink, sweep) for sink in self.sinks))

    async def _write(self, sink: Sink, sweep: SweepResult) -> None:
        try:
            await sink.write_sweep(sweep)
        except Exception as exc:  # one sink's failure must not reach the others or the scheduler
            log.error("sink %s failed to take the %s sweep: %s", sink.name, sweep.platform, exc)
            if self.snapshot is not None:
                self.snapshot.sink_points(sink.name, "dropped", sweep.ok_count)

    async def aclose(self) -> None:
        for sink in self.sinks:
            try:
                await sink.aclose()
            except Exception as exc:
                log.error("sink %s did not close cleanly: %s", sink.name, exc)
