"""Independent expectations: what each dashboard query must return, computed from the world in Python.

A result is normalised to {key: {time: value}}: key = the grouping labels (or tags) plus a column name
("value" when there is one); time is None where the query's row time carries no meaning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from collector.regions import load_regions
from tests.dashboards import world as w
from tests.dashboards.world import DAY, END, HOUR, Channel

Result = dict[tuple[str, ...], dict[int | None, float]]
V = "value"


@dataclass(frozen=True)
class Selection:
    """Variable values: None means "All"."""

    platforms: frozenset[str] | None = None
    districts: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    channel: str = "2003"  # the channel dashboard's channel

    def regions(self) -> set[str]:
        return {
            r.code for r in load_regions() if self.districts is None or r.federal_district in self.districts
        }

    def regional(self, c: Channel) -> bool:
        return (self.platforms is None or c.platform in self.platforms) and c.region in self.regions()

    def picks(self, c: Channel) -> bool:
        return self.regional(c) and (self.categories is None or c.category in self.categories)


class Expect:
    """Expectations for one selection. With `offsets` (rule group → evaluation phase in seconds) values
    of recorded series follow Prometheus: a rule evaluated at the group's last evaluation before t, over
    5-minute scrapes, with delta()'s extrapolation; without, the exact values (InfluxDB)."""

    def __init__(
        self, sel: Selection, start: int, interval: int, offsets: dict[str, float] | None = None
    ) -> None:
        self.sel, self.start, self.interval, self.offsets = sel, start, interval, offsets
        self.chosen = [c for c in w.CHANNELS if sel.picks(c)]
        self.one = [c for c in w.CHANNELS if c.channel == sel.channel]

    # -- helpers ---------------------------------------------------------------------------------
    def steps(self, step: int | None = None) -> range:
        return range(self.start, END + 1, step or self.interval)

    def buckets(self, step: int) -> range:
        return range(self.start // step * step, END + 1, step)

    @staticmethod
    def v(c: Channel, t: int) -> float:
        value = w.value_at(c, t)
        assert value is not None
        return float(value)

    def evaluated(self, t: float, group: str) -> float:
        """When the rule group last ran at or before t (Prometheus spreads groups by a fixed phase)."""
        if self.offsets is None:
            return t
        phase = self.offsets[group]
        return (t - phase) // w.SCRAPE * w.SCRAPE + phase

    def scraped(self, c: Channel, t: float) -> float:
        """The raw series at time t: the latest 5-minute scrape."""
        return self.v(c, int(t // w.SCRAPE * w.SCRAPE))

    def raw_delta(self, c: Channel, t: float, window: int) -> float:
        """PromQL delta() over [t - window, t] of the scraped series, extrapolated as Prometheus does."""
        if self.offsets is None:
            return self.v(c, int(t)) - self.v(c, int(t) - window)
        first = -(-(t - window) // w.SCRAPE) * w.SCRAPE
        last = t // w.SCRAPE * w.SCRAPE
        sampled = last - first
        average = sampled / (sampled // w.SCRAPE)
        to_start, to_end = first - (t - window), t - last
        span = sampled + (to_start if to_start < average * 1.1 else average / 2)
        span += to_end if to_end < average * 1.1 else average / 2
        return (self.scraped(c, last) - self.scraped(c, first)) * span / sampled

    def delta(self, c: Channel, t: int, window: int) -> float:
        """channel:...:delta<window> as a dashboard sees it at t."""
        return self.raw_delta(c, self.evaluated(t, "windows"), window)

    def ratio(self, c: Channel, t: int, window: int) -> float:
        e = self.evaluated(t, "windows")
        d = self.raw_delta(c, e, window)
        return d / max(self.scraped(c, e) - d, 1.0)

    def aggregated(self, c: Channel, t: int) -> float:
        """A channel's share of a region/platform aggregate recorded at t."""
        return self.scraped(c, self.evaluated(t, "aggregates"))

    @staticmethod
    def grouped(
        items: Iterable[tuple[tuple[str, ...], float]], agg: Callable[[list[float]], float] = sum
    ) -> Result:
        groups: defaultdict[tuple[str, ...], list[float]] = defaultdict(list)
        for key, value in items:
            groups[key].append(value)
        return {(*key, V): {None: agg(values)} for key, values in groups.items()}

    def over_time(
        self,
        channels: list[Channel],
        by: Callable[[Channel], tuple[str, ...]],
        value: Callable[[Channel, int], float | None],
        times: Iterable[int],
    ) -> Result:
        result: defaultdict[tuple[str, ...], dict[int | None, float]] = defaultdict(dict)
        for t in times:
            for c in channels:
                v = value(c, t)
                if v is not None:
                    key = (*by(c), V)
                    result[key][t] = result[key].get(t, 0.0) + v
        return dict(result)

    def in_bucket(self, step: int, since: int | None = None) -> Callable[[Channel, int], float | None]:
        """InfluxDB last() per bucket: the last sweep inside [t, t + step) and the query range, if any."""
        lower = self.start if since is None else since

        def value(c: Channel, t: int) -> float | None:
            inside = [s for s in w.sweeps(c) if max(t, lower) <= s < t + step and s <= END]
            return float(c.value(inside[-1])) if inside else None

        return value

    def growth_by_region(self) -> Result:
        deltas = self.grouped(((c.region,), self.delta(c, END, 7 * DAY)) for c in self.chosen)
        totals = self.grouped(((c.region,), self.v(c, END)) for c in self.chosen)
        return {k: {None: d[None] / max(totals[k][None] - d[None], 1.0)} for k, d in deltas.items()}

    def flagged(self, test: Callable[[Channel], float | None]) -> Result:
        result: Result = {}
        for c in self.chosen:
            value = test(c)
            if value is not None:
                result[(c.platform, c.channel, V)] = {None: value}
        return result

    def regional(self) -> list[Channel]:
        return [c for c in w.CHANNELS if self.sel.regional(c)]

    def coverage(self, category: str, all_regions: bool) -> Result:
        counts = {r: 0.0 for r in self.sel.regions()} if all_regions else {}
        for c in self.regional():
            if c.category == category:
                counts[c.region] = counts.get(c.region, 0.0) + 1
        return {(r, V): {None: n} for r, n in counts.items()}

    def per_1000(self) -> Result:
        return self.grouped(
            ((c.region,), self.aggregated(c, END) * 1000 / w.population(c.region)) for c in self.regional()
        )

    def bucket_difference(
        self,
        step: int,
        channels: list[Channel],
        by: Callable[[Channel], tuple[str, ...]],
        since: int | None = None,
    ) -> Result:
        """difference() between consecutive buckets; InfluxDB reads one bucket before the range for the
        first difference, which finds data only where the query has no narrower inner range (`since`)."""
        first = self.start // step * step - (step if since is not None else 0)
        sums = self.over_time(channels, by, self.in_bucket(step, since), range(first, END + 1, step))
        return {
            k: {t: s[t] - s[t - step] for t in s if t is not None and t - step in s} for k, s in sums.items()
        }

    def last_in(self, c: Channel, window_start: int) -> tuple[int, int] | None:
        times = [t for t in w.sweeps(c) if window_start <= t <= END]
        return (times[0], times[-1]) if times else None


def _by_platform(c: Channel) -> tuple[str, ...]:
    return (c.platform,)


def _by_channel(c: Channel) -> tuple[str, ...]:
    return (c.platform, c.channel)


def _by_region(c: Channel) -> tuple[str, ...]:
    return (c.region,)


def shared(e: Expect) -> dict[str, Result]:
    """Queries whose meaning, and so whose answer, is the same in both flavours."""
    return {
        "channels_by_platform": e.grouped(((c.platform,), 1.0) for c in e.chosen),
        "subscribers_by_platform": e.grouped(((c.platform,), e.v(c, END)) for c in e.chosen),
        "max_channels": {(V,): {None: float(sum(c.platform == "max" for c in w.CHANNELS))}},
        "regions_fastest": e.growth_by_region(),
        "regions_slowest": e.growth_by_region(),
        "region_subscribers": e.grouped(((c.region,), e.aggregated(c, END)) for c in e.regional()),
        "region_per_1000": e.per_1000(),
        "region_change": e.grouped(
            ((c.region,), e.aggregated(c, END) - e.aggregated(c, e.start)) for c in e.regional()
        ),
        "channel_growth7d": {(*_by_channel(c), V): {None: e.ratio(c, END, 7 * DAY)} for c in e.one},
        "channel_growth30d": {(*_by_channel(c), V): {None: e.ratio(c, END, 30 * DAY)} for c in e.one},
        "declining": e.flagged(
            lambda c: e.ratio(c, END, 7 * DAY) if e.ratio(c, END, 7 * DAY) < -0.02 else None
        ),
        "dropped": e.flagged(lambda c: e.ratio(c, END, DAY) if e.ratio(c, END, DAY) < -0.2 else None),
        "spiking": e.flagged(lambda c: e.ratio(c, END, DAY) if e.ratio(c, END, DAY) >= 0.1 else None),
        "stalled": e.flagged(lambda c: e.delta(c, END, 7 * DAY) if e.delta(c, END, 7 * DAY) <= 0 else None),
    }


def prometheus(e: Expect, rate_window: int) -> dict[str, Result]:
    peers = [c for c in w.CHANNELS for o in e.one if (c.region, c.category) == (o.region, o.category)]
    platforms = [p for p in ("max", "vk") if e.sel.platforms is None or p in e.sel.platforms]
    return {
        **shared(e),
        "subscribers_total": e.over_time(e.chosen, _by_platform, e.v, e.steps()),
        "growth_day": e.over_time(e.chosen, _by_platform, lambda c, t: e.delta(c, t, DAY), e.steps()),
        "growth_week": e.over_time(e.chosen, _by_platform, lambda c, t: e.delta(c, t, 7 * DAY), e.steps()),
        "region_channels": e.grouped(((c.region,), 1.0) for c in e.regional()),
        "region_subscribers_over_time": e.over_time(e.regional(), _by_region, e.aggregated, e.steps()),
        "coverage_governor": e.coverage("governor", all_regions=True),
        "coverage_government": e.coverage("regional_government", all_regions=True),
        "channel_subscribers": e.over_time(e.one, _by_channel, e.v, e.steps()),
        "channel_delta1d": e.over_time(e.one, _by_channel, lambda c, t: e.delta(c, t, DAY), e.steps()),
        "channel_age": {(*_by_channel(c), V): {None: float(END - (w.last_seen(c, END) or 0))} for c in e.one},
        "channel_errors": {(*_by_channel(c), V): {None: 1.0} for c in e.one if c.error_from is not None},
        "channel_peers": {(*_by_channel(c), V): {None: e.v(c, END)} for c in peers},
        "stale": e.flagged(
            lambda c: (
                float(END - (w.last_seen(c, END) or 0))
                if END - (w.last_seen(c, END) or 0) > 3 * HOUR
                else None
            )
        ),
        "inaccessible": {(*_by_channel(c), V): {None: 1.0} for c in e.chosen if c.error_from is not None},
        "cycle_duration": {(p, V): {t: w.cycle_duration(p, t) for t in e.steps()} for p in platforms},
        "cycle_age": {(p, V): {None: float(END - w.cycle_last_success(END))} for p in platforms},
        "cycle_outcomes": {
            (p, o, V): {t: w.cycle_outcome(p, o) for t in e.steps()}
            for p in platforms
            for o in ("ok", "failed")
        },
        "errors_by_reason": {("vk", "lost_access", V): {None: 1.0}} if "vk" in platforms else {},
        "api_requests": _rates(e, "govpulse_api_requests_total", platforms),
        "api_throttled": _rates(e, "govpulse_api_throttled_total", platforms),
        "ratelimit_wait": _rates(e, "govpulse_ratelimit_wait_seconds_total", platforms),
        "sink_points": _rates(e, "govpulse_sink_points_total", None),
        "spool_points": {("influxdb", V): {t: w.spool_points(t) for t in e.steps()}},
        "spool_age": {("influxdb", V): {t: w.spool_age(t) for t in e.steps()}},
        "registry_channels": {
            (p, V): {None: float(sum(c.platform == p for c in w.CHANNELS))} for p in platforms
        },
        "shards_expected": {(V,): {None: float(w.SHARDS)}},
        "shards_reporting": {(V,): {None: float(w.SHARDS)}},
    }


def _rates(e: Expect, metric: str, platforms: list[str] | None) -> Result:
    result: Result = {}
    for (name, labels), step in w.COUNTER_STEPS.items():
        values = dict(labels)
        if name != metric or (platforms is not None and values["platform"] not in platforms):
            continue
        result[(*values.values(), V)] = {t: step / w.SCRAPE for t in e.steps()}
    return result


def influxdb(e: Expect) -> dict[str, Result]:
    window = {c.key: e.last_in(c, e.start) for c in w.CHANNELS}
    peers = [c for c in w.CHANNELS for o in e.one if (c.region, c.category) == (o.region, o.category)]
    hourly = range(e.start, END + 1, HOUR)
    platforms = [p for p in ("max", "vk") if e.sel.platforms is None or p in e.sel.platforms]

    def last_row(c: Channel) -> dict[int | None, float]:
        seen = window[c.key]
        assert seen is not None
        return {seen[1]: float(c.value(seen[1]))}

    return {
        **shared(e),
        "subscribers_total": e.over_time(
            e.chosen, _by_platform, e.in_bucket(e.interval), e.buckets(e.interval)
        ),
        "growth_day": e.bucket_difference(DAY, e.chosen, _by_platform),
        "growth_week": e.bucket_difference(7 * DAY, e.chosen, _by_platform),
        "region_channels": e.grouped(((c.region,), 1.0) for c in e.regional()),
        "region_subscribers_over_time": e.over_time(
            e.regional(), _by_region, lambda c, t: e.v(c, t), e.buckets(e.interval)
        ),
        "coverage_governor": e.coverage("governor", all_regions=False),
        "coverage_government": e.coverage("regional_government", all_regions=False),
        "channel_subscribers": {
            (*_by_channel(c), V): {t: float(c.value(t)) for t in w.sweeps(c) if t >= e.start} for c in e.one
        },
        "channel_delta1d": e.bucket_difference(DAY, e.one, _by_channel, since=w.START),
        "channel_last_seen": {(*_by_channel(c), V): last_row(c) for c in e.one},
        "channel_peers": {(*_by_channel(c), V): {None: e.v(c, END)} for c in peers},
        "last_seen": {(*_by_channel(c), V): last_row(c) for c in e.chosen},
        "cycle_duration": {(p, "0", V): {t: w.cycle_duration(p, t) for t in hourly} for p in platforms},
        "cycle_outcomes": {
            (p, "0", col): {t: w.cycle_outcome(p, o) for t in hourly}
            for p in platforms
            for col, o in (("ok", "ok"), ("failed", "failed"))
        },
        "shards_seen": {(p, "0", V): {END: w.cycle_duration(p, END)} for p in ("max", "vk")},
    }
