"""Forecasts: subscribers of channels and regions at +30/+90 days, the day a region reaches the audience
target (`detection.per_1000_target` subscribers per 1,000 residents), and the number of official
channels against the 40,000 expected.

Method: a Theil–Sen line (the median of the slopes between every pair of days, robust to a purge or a
spike in the fitted span) over the last `fit_days` daily values; the projection carries today's count
forward at the line's slope, and the band around it is the line's 90 % prediction
interval of a line whose residual spread is the robust sigma 1.4826 × MAD of the residuals:
±1.645·σ·sqrt(1 + 1/n + (x − x̄)² / Σ(xᵢ − x̄)²). A perfectly flat series has σ = 0 and a zero-width
band (nothing divides by σ). Fewer than `min_points` days give no forecast.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from collector.analytics.history import ChannelInfo
from collector.analytics.queries import DayValue
from collector.analytics.snapshot import day_number, info_for, series_on, totals_on
from collector.analytics.sources import Source
from collector.regions import Regions

Z90 = 1.645
HORIZONS = (30, 90)
CHANNEL_TARGET = 40_000


@dataclass(frozen=True, slots=True)
class Fit:
    slope: float  # per day
    intercept: float  # value at x = 0 (the last fitted day)
    sigma: float
    n: int
    x_mean: float
    sxx: float

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x

    def band(self, x: float) -> tuple[float, float]:
        spread = (
            self.sigma * math.sqrt(1 + 1 / self.n + (x - self.x_mean) ** 2 / self.sxx) if self.sxx else 0.0
        )
        centre = self.at(x)
        return centre - Z90 * spread, centre + Z90 * spread

    def reaches(self, target: float) -> float | None:
        """Days from x = 0 until the line reaches `target` (0 if already there; None if it never does)."""
        if self.at(0) >= target:
            return 0.0
        if self.slope <= 0:
            return None
        return (target - self.at(0)) / self.slope


def theil_sen(points: Sequence[tuple[float, float]]) -> Fit | None:
    """Fit (x, y) points; None with fewer than two distinct x."""
    xs = [x for x, _ in points]
    if len(set(xs)) < 2:
        return None
    slopes = [
        (y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1 :] if x2 != x1
    ]
    slope = statistics.median(slopes)
    intercept = statistics.median(y - slope * x for x, y in points)
    residuals = [y - (intercept + slope * x) for x, y in points]
    mad = statistics.median(abs(r - statistics.median(residuals)) for r in residuals)
    x_mean = statistics.fmean(xs)
    return Fit(slope, intercept, 1.4826 * mad, len(points), x_mean, sum((x - x_mean) ** 2 for x in xs))


def fit_series(values: Sequence[int | None], min_points: int = 7) -> Fit | None:
    """Fit daily values ending today (x = 0 is the last day, earlier days negative)."""
    last = len(values) - 1
    points = [(float(i - last), float(v)) for i, v in enumerate(values) if v is not None]
    return theil_sen(points) if len(points) >= min_points else None


@dataclass(frozen=True, slots=True)
class Projection:
    name: str  # channel key or region code
    label: str  # title or region name
    platform: str
    current: int
    fit: Fit
    target: float | None = None  # subscribers for per_1000_target (regions with population)

    def value(self, days: int) -> float:
        """Today's count carried forward at the fitted pace (anchored at the count people see today,
        not at the line's robust intercept, which ignores a jump on the last days)."""
        return max(0.0, self.current + self.fit.slope * days)

    def band(self, days: int) -> tuple[float, float]:
        low, high = self.fit.band(days)
        centre, shift = self.fit.at(days), self.value(days)
        return max(0.0, low - centre + shift), max(0.0, high - centre + shift)

    def target_date(self, as_of: date) -> date | None:
        """When the count reaches `target` at the fitted pace: as_of if it already has; None if it never
        does (no growth) or not within ten years."""
        if self.target is None:
            return None
        if self.current >= self.target:
            return as_of
        if self.fit.slope <= 0:
            return None
        days = (self.target - self.current) / self.fit.slope
        return None if days > 3650 else as_of + timedelta(days=math.ceil(days))


@dataclass(slots=True)
class Forecast:
    as_of: date
    fit_days: int
    channels: list[Projection] = field(default_factory=list)
    regions: list[Projection] = field(default_factory=list)
    channel_count: Projection | None = None
    channel_target: int = CHANNEL_TARGET
    per_1000_target: float = 0.0


def build_forecast(
    source: Source,
    regions: Regions,
    as_of: date,
    *,
    platform: str = "max",
    fit_days: int = 28,
    per_1000_target: float = 5.0,
    region: str | None = None,
) -> Forecast:
    last = day_number(as_of)
    first = last - fit_days + 1
    daily = source.daily(first - 30, last, platform)
    channels = source.channels()
    forecast = Forecast(as_of, fit_days, per_1000_target=per_1000_target)
    by_region: dict[str, list[str]] = {}
    for key, values in daily.items():
        info = info_for(key, channels)
        if info.platform != platform or (region is not None and info.region != region):
            continue
        by_region.setdefault(info.region, []).append(key)
        projection = _channel(info, series_on(values, first, last))
        if projection is not None:
            forecast.channels.append(projection)
    forecast.regions = _regions(daily, by_region, regions, first, last, platform, per_1000_target)
    counts = [
        n or None for _, n in totals_on(daily, [k for keys in by_region.values() for k in keys], first, last)
    ]
    count_fit = fit_series(counts)
    if count_fit is not None and counts[-1] is not None:
        forecast.channel_count = Projection(
            "channels", "Официальные каналы", platform, counts[-1], count_fit, float(CHANNEL_TARGET)
        )
    return forecast


def _channel(info: ChannelInfo, values: list[int | None]) -> Projection | None:
    fit = fit_series(values)
    if fit is None or values[-1] is None:
        return None
    return Projection(info.key, info.title or info.key, info.platform, values[-1], fit)


def _regions(
    daily: Mapping[str, list[DayValue]],
    by_region: dict[str, list[str]],
    regions: Regions,
    first: int,
    last: int,
    platform: str,
    per_1000_target: float,
) -> list[Projection]:
    out: list[Projection] = []
    for code, keys in sorted(by_region.items()):
        totals = [s if n else None for s, n in totals_on(daily, keys, first, last)]
        fit = fit_series(totals)
        if fit is None or totals[-1] is None:
            continue
        reference = regions.get(code)
        population = reference.population if reference else None
        target = per_1000_target * population / 1000 if population and per_1000_target > 0 else None
        out.append(
            Projection(code, reference.name_ru if reference else code, platform, totals[-1], fit, target)
        )
    return out
