"""govpulse's own metrics (sweeps, API calls, rate limiting, sinks, spool): a few dozen series.

Values are plain numbers in dicts keyed by label values; lines are formatted at scrape time, which costs
nothing at this size. Not thread-safe on its own: `MetricsState` holds the lock.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from collector.models import SweepResult
from exporters import metric_families as mf
from exporters.metric_families import FamilySpec
from exporters.textformat import encode, format_bound, format_value, label_pairs

LabelValues = tuple[str, ...]

_LE = (*(format_bound(b) for b in mf.API_DURATION_BUCKETS), "+Inf")


@dataclass(slots=True)
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(mf.API_DURATION_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(mf.API_DURATION_BUCKETS, value)] += 1
        self.total += value


def _line(name: str, labelnames: Sequence[str], values: LabelValues, value: float) -> bytes:
    labels = label_pairs(zip(labelnames, values, strict=True))
    return encode(
        f"{name}{{{labels}}} {format_value(value)}\n" if labels else f"{name} {format_value(value)}\n"
    )


class SelfMetrics:
    def __init__(self, platforms: Sequence[str], sinks: Sequence[str]) -> None:
        self._platforms = tuple(platforms)
        self._values: dict[str, dict[LabelValues, float]] = {
            spec.name: {} for spec in mf.ALL_FAMILIES if spec.kind is not mf.Kind.HISTOGRAM
        }
        self._histograms: dict[str, _Histogram] = {}
        for platform in self._platforms:  # series that exist at zero from the start
            self._values[mf.API_REQUESTS.name][(platform, "200")] = 0
            self._values[mf.API_THROTTLED.name][(platform,)] = 0
            self._values[mf.RATELIMIT_WAIT.name][(platform,)] = 0.0
            self._values[mf.CYCLE_LAST_SUCCESS.name][(platform,)] = 0
            for outcome in mf.CYCLE_OUTCOMES:
                self._values[mf.CYCLE_CHANNELS.name][(platform, outcome)] = 0
            self._histograms[platform] = _Histogram()
        for sink in sinks:
            for outcome in mf.SINK_OUTCOMES:
                self._values[mf.SINK_POINTS.name][(sink, outcome)] = 0

    def inc(self, spec: FamilySpec, labels: LabelValues, amount: float) -> None:
        if amount < 0:
            raise ValueError(f"{spec.sample_name} can only grow, not by {amount}")
        series = self._values[spec.name]
        series[labels] = series.get(labels, 0) + amount

    def set(self, spec: FamilySpec, labels: LabelValues, value: float) -> None:
        self._values[spec.name][labels] = value

    def value(self, spec: FamilySpec, labels: LabelValues) -> float:
        return self._values[spec.name].get(labels, 0)

    def api_request(self, platform: str, code: str, duration_seconds: float) -> None:
        self.inc(mf.API_REQUESTS, (platform, str(code)), 1)
        self._histograms.setdefault(platform, _Histogram()).observe(max(duration_seconds, 0.0))

    def cycle_completed(self, sweep: SweepResult) -> None:
        platform = sweep.platform.value
        ok, failed = sweep.ok_count, sweep.failed_count
        self.set(mf.CYCLE_DURATION, (platform,), sweep.duration_seconds)
        self.set(mf.CYCLE_CHANNELS, (platform, "ok"), ok)
        self.set(mf.CYCLE_CHANNELS, (platform, "failed"), failed)
        if ok or not failed:
            self.set(mf.CYCLE_LAST_SUCCESS, (platform,), sweep.finished_at)

    def registry_lines(self, counts: Mapping[str, int]) -> list[bytes]:
        platforms = list(self._platforms) + sorted(set(counts) - set(self._platforms))
        spec = mf.REGISTRY_CHANNELS
        return [_line(spec.sample_name, spec.labels, (p,), counts.get(p, 0)) for p in platforms]

    def lines(self) -> dict[str, list[bytes]]:
        result = {
            spec.name: [
                _line(spec.sample_name, spec.labels, labels, value) for labels, value in series.items()
            ]
            for spec in mf.ALL_FAMILIES
            if (series := self._values.get(spec.name))
        }
        result[mf.API_REQUEST_DURATION.name] = self._histogram_lines()
        return result

    def _histogram_lines(self) -> list[bytes]:
        name = mf.API_REQUEST_DURATION.name
        out: list[bytes] = []
        for platform, histogram in self._histograms.items():
            cumulative = 0
            for le, count in zip(_LE, histogram.counts, strict=True):
                cumulative += count
                out.append(_line(f"{name}_bucket", ("platform", "le"), (platform, le), cumulative))
            out.append(_line(f"{name}_count", ("platform",), (platform,), cumulative))
            out.append(_line(f"{name}_sum", ("platform",), (platform,), histogram.total))
        return out
