"""The in-memory table behind `/metrics`, updated by the collection pipeline, read by every scrape.

Updates are cheap (a dict lookup and a few attribute stores under one lock; about 3 µs a sample).
`collect()` gathers the finished lines under the lock (about 50 ms for 200,000 channels), so a scrape
sees every batch given to `observe()` whole or not at all; the encoding happens outside the lock. Feed a
sweep in batches (per API page, say) rather than all at once, so no scrape waits long for the lock.
Channel values are those of the last sweep (HELP says so): govpulse polls on its own schedule because of
API rate limits, the documented exception to "collect on scrape" in the Prometheus guide to writing
exporters.

Decisions worth knowing:
- An empty optional label (`title`, `org`, `link`, `federal_district`) is left out, not written as "":
  Prometheus treats both the same, and leaving it out keeps the lines short.
- Self-metric series exist at zero from the start: per configured platform `api_requests_total{code="200"}`,
  `api_throttled_total`, `ratelimit_wait_seconds_total`, the duration histogram, `cycle_channels` and
  `cycle_last_success_timestamp_seconds` (0 means "never"); per sink given at construction the three
  `sink_points_total` outcomes. `cycle_duration_seconds` appears after the first sweep.
- `cycle_completed()` records the sweep itself only; the samples go through `observe()`, which the
  pipeline may call in batches while a sweep runs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from collector.models import Channel, Platform, Sample, SweepResult
from collector.regions import Regions
from exporters import metric_families as mf
from exporters.channel_table import ChannelTable
from exporters.metric_families import FamilySpec
from exporters.self_metrics import SelfMetrics
from exporters.textformat import encode, label_pairs


@dataclass(frozen=True, slots=True)
class Family:
    """One metric family ready for encoding: its spec and finished sample lines."""

    spec: FamilySpec
    lines: Sequence[bytes]


def _static_line(spec: FamilySpec, pairs: Sequence[tuple[str, str]], value: int) -> bytes:
    labels = label_pairs(pairs)
    return encode(f"{spec.sample_name}{{{labels}}} {value}\n" if labels else f"{spec.sample_name} {value}\n")


class MetricsState:
    def __init__(
        self,
        *,
        regions: Regions,
        shard: int = 0,
        shards: int = 1,
        version: str,
        platforms: Sequence[Platform],
        sinks: Sequence[str] = (),
    ) -> None:
        if not 0 <= shard < shards:
            raise ValueError(f"shard {shard} is outside 0..{shards - 1}")
        self._lock = threading.Lock()
        self._version = version
        self._platforms = tuple(Platform(p).value for p in platforms)
        self._channels = ChannelTable()
        self._self = SelfMetrics(self._platforms, sinks)
        self._static = self._static_families(regions, shard, shards, version)

    @staticmethod
    def _static_families(regions: Regions, shard: int, shards: int, version: str) -> dict[str, list[bytes]]:
        ordered = sorted(regions, key=lambda r: r.code)
        return {
            mf.REGION_POPULATION.name: [
                _static_line(mf.REGION_POPULATION, [("region", r.code)], r.population)
                for r in ordered
                if r.population is not None
            ],
            mf.REGION_INFO.name: [
                _static_line(
                    mf.REGION_INFO,
                    [("region", r.code), ("name", r.name_ru), ("federal_district", r.federal_district)],
                    1,
                )
                for r in ordered
            ],
            mf.SHARD_ORDINAL.name: [_static_line(mf.SHARD_ORDINAL, [], shard)],
            mf.SHARD_TOTAL.name: [_static_line(mf.SHARD_TOTAL, [], shards)],
            mf.BUILD_INFO.name: [_static_line(mf.BUILD_INFO, [("version", version)], 1)],
        }

    # --- updates from the collection pipeline -------------------------------------------------------

    def set_registry(self, channels: Sequence[Channel]) -> None:
        """Replace the set of channels; a channel that leaves the registry leaves /metrics."""
        with self._lock:
            self._channels.replace(channels)

    def observe(self, samples: Sequence[Sample]) -> None:
        """Apply observations. A good one sets the count and last-success time and clears the error; a
        failed one sets the error reason and keeps the last good count. Samples of channels outside the
        registry are ignored. Invalid samples (ok without a count, unknown reason) are skipped and reported
        together in one ValueError after the valid ones are applied."""
        problems: list[str] = []
        with self._lock:
            for sample in samples:
                try:
                    self._channels.observe(sample)
                except ValueError as error:
                    problems.append(str(error))
        if problems:
            raise ValueError(f"{len(problems)} invalid sample(s): " + "; ".join(problems[:5]))

    def cycle_completed(self, sweep: SweepResult) -> None:
        """Record a finished sweep: duration, channels ok/failed and, if it observed any channel (or had
        none to observe), the last-success time. Its samples go through `observe()`."""
        with self._lock:
            self._self.cycle_completed(sweep)

    def api_request(self, platform: Platform, code: str, duration_seconds: float) -> None:
        with self._lock:
            self._self.api_request(Platform(platform).value, code, duration_seconds)

    def throttled(self, platform: Platform) -> None:
        with self._lock:
            self._self.inc(mf.API_THROTTLED, (Platform(platform).value,), 1)

    def ratelimit_wait(self, platform: Platform, seconds: float) -> None:
        with self._lock:
            self._self.inc(mf.RATELIMIT_WAIT, (Platform(platform).value,), seconds)

    def sink_points(self, sink: str, outcome: str, count: int) -> None:
        if outcome not in mf.SINK_OUTCOMES:
            raise ValueError(f"sink outcome must be one of {mf.SINK_OUTCOMES}, not {outcome!r}")
        with self._lock:
            self._self.inc(mf.SINK_POINTS, (sink, outcome), count)

    def spool(self, sink: str, points: int, oldest_age_seconds: float) -> None:
        with self._lock:
            self._self.set(mf.SPOOL_POINTS, (sink,), points)
            self._self.set(mf.SPOOL_OLDEST_AGE, (sink,), oldest_age_seconds)

    # --- reading -------------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._version

    @property
    def channel_count(self) -> int:
        return len(self._channels)

    def throttled_count(self, platform: Platform) -> int:
        """Throttled API answers counted for `platform` since start (for summaries)."""
        with self._lock:
            return int(self._self.value(mf.API_THROTTLED, (Platform(platform).value,)))

    def platform_summary(self) -> dict[Platform, tuple[int, int, int, int]]:
        """Per platform: channels, channels with a count, subscribers, channels whose last attempt failed."""
        with self._lock:
            return self._channels.platform_summary()

    def collect(self) -> list[Family]:
        """Every family of DESIGN 4.3 in contract order, with its lines (a consistent snapshot)."""
        with self._lock:
            subscribers, last_success, info, errors = self._channels.lines()
            lines: dict[str, Sequence[bytes]] = {
                mf.CHANNEL_SUBSCRIBERS.name: subscribers,
                mf.CHANNEL_LAST_SUCCESS.name: last_success,
                mf.CHANNEL_INFO.name: info,
                mf.CHANNEL_ERROR.name: errors,
                mf.REGISTRY_CHANNELS.name: self._self.registry_lines(self._channels.platform_counts()),
                **self._self.lines(),
            }
        lines.update(self._static)
        return [Family(spec, lines.get(spec.name, ())) for spec in mf.ALL_FAMILIES]
