"""Growth over a period: channels and regions that grow fastest and slowest, gains per day, week and
month, and each channel against its peer group (the same platform and category across regions).

Percent growth is relative to the count at the period's start. Channels smaller than `min_base`
subscribers at the start are left out of the percent rankings (one subscriber is 20 % of five); they
stay in the absolute figures. A channel without a count at the start (created during the period) is
"new" and ranked by absolute gain only.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from collector.analytics.history import ChannelInfo
from collector.analytics.queries import DayValue
from collector.analytics.snapshot import counts_on, day_date, day_number, info_for, totals_on
from collector.analytics.sources import Source

MIN_BASE = 50


@dataclass(frozen=True, slots=True)
class ChannelGrowth:
    info: ChannelInfo
    start: int | None
    end: int
    peer_median_percent: float | None = None

    @property
    def gain(self) -> int:
        return self.end - (self.start or 0)

    @property
    def percent(self) -> float | None:
        return None if not self.start else self.gain * 100 / self.start

    @property
    def vs_peers(self) -> float | None:
        """Percentage points above (+) or below (−) the peer group's median growth."""
        if self.percent is None or self.peer_median_percent is None:
            return None
        return self.percent - self.peer_median_percent


@dataclass(frozen=True, slots=True)
class RegionGrowth:
    region: str
    platform: str
    start: int
    end: int
    channels: int

    @property
    def gain(self) -> int:
        return self.end - self.start

    @property
    def percent(self) -> float | None:
        return None if not self.start else self.gain * 100 / self.start


@dataclass(frozen=True, slots=True)
class Gain:
    label: str  # 2025-12-01, 2025-W49, 2025-12
    start: date
    end: date
    subscribers: int  # at the end of the bucket
    gain: int


@dataclass(slots=True)
class Growth:
    start: date
    end: date
    channels: list[ChannelGrowth] = field(default_factory=list)
    regions: list[RegionGrowth] = field(default_factory=list)
    daily: list[Gain] = field(default_factory=list)
    weekly: list[Gain] = field(default_factory=list)
    monthly: list[Gain] = field(default_factory=list)
    peer_medians: dict[tuple[str, str], float] = field(default_factory=dict)

    def fastest(self, n: int = 10, min_base: int = MIN_BASE) -> list[ChannelGrowth]:
        ranked = [c for c in self.channels if c.percent is not None and (c.start or 0) >= min_base]
        return sorted(ranked, key=lambda c: (-(c.percent or 0), -c.gain))[:n]

    def slowest(self, n: int = 10, min_base: int = MIN_BASE) -> list[ChannelGrowth]:
        ranked = [c for c in self.channels if c.percent is not None and (c.start or 0) >= min_base]
        return sorted(ranked, key=lambda c: (c.percent or 0, c.gain))[:n]


def _in_scope(info: ChannelInfo, platform: str | None, region: str | None, regions: set[str] | None) -> bool:
    return (
        (platform is None or info.platform == platform)
        and (region is None or info.region == region)
        and (regions is None or info.region in regions)
    )


def _peer_medians(channels: list[ChannelGrowth], min_base: int) -> dict[tuple[str, str], float]:
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for c in channels:
        if c.percent is not None and (c.start or 0) >= min_base:
            groups[(c.info.platform, c.info.category)].append(c.percent)
    return {group: statistics.median(values) for group, values in groups.items()}


def _buckets(totals: list[tuple[date, int]], key: str) -> list[Gain]:
    """Gains per bucket: the last total of a bucket minus the last total of the bucket before."""
    out: list[Gain] = []
    grouped: dict[str, list[tuple[date, int]]] = {}
    for day, value in totals:
        if key == "week":
            iso = day.isocalendar()
            label = f"{iso.year}-W{iso.week:02d}"
        else:
            label = day.isoformat() if key == "day" else day.strftime("%Y-%m")
        grouped.setdefault(label, []).append((day, value))
    previous: int | None = None
    for label, items in grouped.items():
        last = items[-1][1]
        base = previous if previous is not None else items[0][1]
        out.append(Gain(label, items[0][0], items[-1][0], last, last - base))
        previous = last
    return out[1:] if key == "day" else out


def _totals(
    daily: Mapping[str, list[DayValue]], keys: set[str], first: int, last: int
) -> list[tuple[date, int]]:
    totals = totals_on(daily, keys, first, last)
    return [(day_date(first + i), subscribers) for i, (subscribers, _) in enumerate(totals)]


def build_growth(
    source: Source,
    start: date,
    end: date,
    *,
    platform: str | None = None,
    region: str | None = None,
    regions: set[str] | None = None,
    min_base: int = MIN_BASE,
) -> Growth:
    first, last = day_number(start), day_number(end)
    daily = source.daily(first - 30, last, platform)
    channels = source.channels()
    before, after = counts_on(daily, channels, first), counts_on(daily, channels, last)
    rows = [ChannelGrowth(info_for(k, channels), before.get(k), n) for k, n in after.items()]
    rows = [r for r in rows if _in_scope(r.info, platform, region, regions)]
    medians = _peer_medians(rows, min_base)
    rows = [
        ChannelGrowth(r.info, r.start, r.end, medians.get((r.info.platform, r.info.category))) for r in rows
    ]
    growth = Growth(start, end, rows, peer_medians=medians)
    growth.regions = _regions(rows, before)
    totals = _totals(daily, {r.info.key for r in rows}, first, last)
    growth.daily, growth.weekly, growth.monthly = (_buckets(totals, k) for k in ("day", "week", "month"))
    return growth


def _regions(rows: list[ChannelGrowth], before: Mapping[str, int]) -> list[RegionGrowth]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        entry = sums[(r.info.region, r.info.platform)]
        entry[0] += r.start or 0
        entry[1] += r.end
        entry[2] += 1
    regions = [RegionGrowth(region, platform, s, e, n) for (region, platform), (s, e, n) in sums.items()]
    return sorted(regions, key=lambda g: (-(g.percent or 0), -g.gain, g.region))
