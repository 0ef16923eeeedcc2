"""The InfluxDB sink the pipeline calls: sweeps in, line protocol out, spooled while the server is away.

Per sweep it writes (DESIGN 4.4):

* `channel_subscribers` for every ok sample (failed samples write nothing);
* `channel_meta` when a channel's title, org or link differs from what this process last wrote (kept in
  memory, so after a restart each channel's meta is written once more: harmless, same values); line
  breaks in them become spaces (titles come from the platforms, see `_one_line`);
* `region_audience` for every region of the sweep's platform, summed over the latest known count of every
  channel of the platform seen by this process; `population` and `per_1000` only where the region's
  population is known;
* `collector_cycle` once.

Sharding: with `shards > 1`, each shard knows only its own channels, so `region_audience` carries a
`shard` tag and shards do not overwrite each other's sums; dashboards add the shards up
(`SELECT sum("subscribers") FROM (SELECT last("subscribers") AS "subscribers" FROM region_audience
GROUP BY region, platform, shard) GROUP BY region, platform`). With one shard the tag is left out.

Delivery: batches of `batch_size` points. If a batch cannot be written (server down, 5xx after retries,
auth), it and the rest go to the spool; while the spool holds anything, new batches are appended behind
it and the spool is drained in order, so InfluxDB always receives points in order. `write_sweep` never
raises because the server is down. Channels are looked up by their key `platform:channel`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from collector.config import InfluxSettings
from collector.models import UNKNOWN_REGION, Category, Channel, Platform, Sample, SweepResult
from collector.regions import Regions
from exporters import lineprotocol as lp
from exporters.influx_transport import Transport, make_transport
from exporters.influx_writer import InfluxWriter, RetryPolicy, WriteFailed, WriteReport
from exporters.spool import Spool, SpoolCorrupt

log = logging.getLogger(__name__)

SINK = "influxdb"
DRAIN_RETRY = RetryPolicy(max_retries=0)  # draining probes once; the pipeline calls replay() again later


class SinkMetrics(Protocol):
    def sink_points(self, sink: str, outcome: str, count: int) -> None: ...

    def spool(self, sink: str, points: int, oldest_age_seconds: float) -> None: ...


@dataclass(frozen=True, slots=True)
class _Known:
    region: str
    subscribers: int


_NEWLINES = str.maketrans({"\n": " ", "\r": " "})


def _one_line(text: str) -> str:
    """Line breaks in titles become spaces: InfluxDB keeps a raw newline inside a quoted string field, but
    VictoriaMetrics splits lines first, so a title from a platform could inject points there."""
    return text.translate(_NEWLINES)


class InfluxSink:
    name = SINK

    def __init__(
        self,
        settings: InfluxSettings,
        spool: Spool,
        *,
        channels: Callable[[str], Channel | None],
        regions: Regions,
        shards: int = 1,
        metrics: SinkMetrics | None = None,
        transport: Transport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._batch_size = settings.batch_size
        self._spool = spool
        self._channels = channels
        self._regions = regions
        self._shards = shards
        self._metrics = metrics
        policy = retry or RetryPolicy(max_retries=settings.max_retries)
        self._writer = InfluxWriter(transport or make_transport(settings), retry=policy)
        self._drain_writer = InfluxWriter(self._writer.transport, retry=DRAIN_RETRY)
        self._prefixes = lp.SeriesPrefixes()
        self._meta: dict[str, tuple[str, str, str]] = {}
        self._known: dict[Platform, dict[str, _Known]] = {}
        self._lock = asyncio.Lock()

    # -- the pipeline's API ------------------------------------------------------------------------------

    async def write_sweep(self, sweep: SweepResult) -> None:
        await self.deliver(self.points_for(sweep))

    async def write_samples(self, samples: Sequence[Sample]) -> None:
        """Stream the counts of part of a sweep as they arrive (a spread sweep takes most of an hour)."""
        await self.deliver(self._samples_points(samples))

    async def finish_sweep(self, sweep: SweepResult) -> None:
        """The per-sweep aggregates, once every channel of the sweep was streamed with `write_samples`."""
        await self.deliver(self._sweep_points(sweep))

    async def replay(self) -> None:
        async with self._lock:
            await self._drain()
            self._report_spool()

    async def aclose(self) -> None:
        await self._writer.transport.aclose()

    # -- points --------------------------------------------------------------------------------------------

    def points_for(self, sweep: SweepResult) -> list[str]:
        """All points of one sweep; updates the in-memory state (latest counts, last written meta)."""
        return self._samples_points(sweep.samples) + self._sweep_points(sweep)

    def _samples_points(self, samples: Sequence[Sample]) -> list[str]:
        points: list[str] = []
        for sample in samples:
            if sample.ok and sample.subscribers is not None:
                known = self._known.setdefault(sample.platform, {})
                points.extend(self._sample_points(sample, known))
        return points

    def _sweep_points(self, sweep: SweepResult) -> list[str]:
        known = self._known.setdefault(sweep.platform, {})
        points = self._audience_points(sweep, known)
        points.append(
            lp.collector_cycle_line(
                sweep.platform.value,
                str(sweep.shard),
                duration_seconds=sweep.duration_seconds,
                channels_ok=sweep.ok_count,
                channels_failed=sweep.failed_count,
                timestamp=int(sweep.finished_at),
            )
        )
        return points

    def _sample_points(self, sample: Sample, known: dict[str, _Known]) -> list[str]:
        assert sample.subscribers is not None
        platform = sample.platform.value
        channel = self._channels(f"{platform}:{sample.channel}")
        region = channel.region if channel else UNKNOWN_REGION
        category = channel.category.value if channel else Category.UNCLASSIFIED.value
        timestamp = int(sample.observed_at)
        known[sample.channel] = _Known(region, sample.subscribers)
        prefix = self._prefixes.get(platform, sample.channel, region, category)
        points = [lp.channel_subscribers_line(prefix, sample.subscribers, timestamp)]
        meta = (
            _one_line(sample.title if sample.title is not None else (channel.title if channel else "")),
            _one_line(channel.org if channel else ""),
            _one_line(sample.link if sample.link is not None else (channel.link if channel else "")),
        )
        key = f"{platform}:{sample.channel}"
        if self._meta.get(key) != meta:
            self._meta[key] = meta
            title, org, link = meta
            points.append(lp.channel_meta_line(platform, sample.channel, title=title, org=org, link=link,
                                               timestamp=timestamp))
        return points

    def _audience_points(self, sweep: SweepResult, known: dict[str, _Known]) -> list[str]:
        totals: dict[str, list[int]] = {}
        for entry in known.values():
            total = totals.setdefault(entry.region, [0, 0])
            total[0] += entry.subscribers
            total[1] += 1
        shard = str(sweep.shard) if self._shards > 1 else None
        points = []
        for region_code, (subscribers, channels) in sorted(totals.items()):
            region = self._regions.get(region_code) if region_code != UNKNOWN_REGION else None
            population = region.population if region else None
            per_1000 = subscribers * 1000 / population if population else None
            points.append(
                lp.region_audience_line(
                    region_code,
                    sweep.platform.value,
                    subscribers=subscribers,
                    channels=channels,
                    population=population or None,
                    per_1000=per_1000,
                    timestamp=int(sweep.finished_at),
                    shard=shard,
                )
            )
        return points

    # -- delivery ------------------------------------------------------------------------------------------

    async def deliver(self, points: Sequence[str]) -> None:
        """Write `points` in order, spooling what cannot be written now. Never raises for a server outage."""
        batches = [list(points[i : i + self._batch_size]) for i in range(0, len(points), self._batch_size)]
        async with self._lock:
            if len(self._spool):
                await self._spool_batches(batches)
                await self._drain()
            else:
                await self._write_or_spool(batches)
            self._report_spool()

    async def _write_or_spool(self, batches: list[list[str]]) -> None:
        for i, batch in enumerate(batches):
            try:
                report = await self._writer.write_batch(batch)
            except WriteFailed as exc:
                log.warning("InfluxDB unavailable, spooling %d batch(es): %s", len(batches) - i, exc)
                await self._spool_batches(batches[i:])
                return
            self._count(report)

    async def _spool_batches(self, batches: list[list[str]]) -> None:
        for batch in batches:
            result = await asyncio.to_thread(self._spool.append, batch)
            self._metric("spooled", result.stored)
            if result.dropped:
                policy = self._spool.full_policy.value
                log.error("spool full (%s): %d point(s) dropped", policy, result.dropped)
                self._metric("dropped", result.dropped)

    async def _drain(self) -> None:
        """Write spooled segments oldest first; stop at the first one the server does not take."""
        for segment in self._spool.segments():
            try:
                points = await asyncio.to_thread(self._spool.read, segment)
            except SpoolCorrupt as exc:
                log.error("skipping an unreadable spool segment: %s", exc)
                await asyncio.to_thread(self._spool.quarantine, segment)
                self._metric("dropped", segment.points)
                continue
            try:
                report = await self._drain_writer.write_batch(points)
            except WriteFailed as exc:
                log.info("InfluxDB still unavailable; %d point(s) stay spooled: %s", self._spool.points, exc)
                return
            self._count(report)
            await asyncio.to_thread(self._spool.remove, segment)

    def _count(self, report: WriteReport) -> None:
        self._metric("written", report.written)
        self._metric("dropped", report.dropped)

    def _metric(self, outcome: str, count: int) -> None:
        if self._metrics is not None and count:
            self._metrics.sink_points(SINK, outcome, count)

    def _report_spool(self) -> None:
        if self._metrics is not None:
            self._metrics.spool(SINK, self._spool.points, self._spool.oldest_age_seconds())
