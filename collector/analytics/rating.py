"""The regional rating, as the coordinator publishes it, for any date, platform and federal district.

Per region (all 89, even those without a channel) on one platform:
* subscribers of the regional government's channel(s) (category `regional_government`) and of all
  official channels of the region;
* both per 1,000 residents — unavailable (None, shown "нет данных"), never 0, for a region without a
  population figure;
* a rank on each of the four figures (1 = the largest; equal values share a rank, "1, 2, 2, 4");
* a composite rank over the coordinator's two indicators: the score is the mean of the rank by
  government-channel subscribers and the rank by government-channel subscribers per 1,000 residents
  (lower is better), ties broken by subscribers. A region lacking either indicator (no population, no
  government channel) gets no composite rank and is listed after the ranked ones;
* the change since the previous rating date (`as_of − period_days`): subscribers and composite rank.
With a district, ranks are computed within that district.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from collector.analytics.history import ChannelInfo
from collector.analytics.snapshot import counts_on, day_number, info_for
from collector.analytics.sources import Source
from collector.models import Category
from collector.regions import Region, Regions

GOVERNMENT = Category.REGIONAL_GOVERNMENT.value


@dataclass(slots=True)
class RatingRow:
    region: str
    name: str
    district: str
    population: int | None
    gov_subscribers: int | None  # None: no regional-government channel counted
    all_subscribers: int
    channels: int
    gov_per_1000: float | None = None
    all_per_1000: float | None = None
    rank_gov: int | None = None
    rank_gov_per_1000: int | None = None
    rank_all: int | None = None
    rank_all_per_1000: int | None = None
    composite_score: float | None = None
    composite_rank: int | None = None
    prev_gov_subscribers: int | None = None
    prev_composite_rank: int | None = None

    @property
    def gov_change(self) -> int | None:
        if self.gov_subscribers is None or self.prev_gov_subscribers is None:
            return None
        return self.gov_subscribers - self.prev_gov_subscribers

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous date (positive = moved up)."""
        if self.composite_rank is None or self.prev_composite_rank is None:
            return None
        return self.prev_composite_rank - self.composite_rank


@dataclass(slots=True)
class Rating:
    as_of: date
    previous: date
    platform: str
    district: str | None
    rows: list[RatingRow] = field(default_factory=list)


def per_1000(subscribers: int | None, population: int | None) -> float | None:
    if subscribers is None or not population:
        return None
    return subscribers * 1000 / population


def competition_ranks(rows: list[RatingRow], value: Callable[[RatingRow], float | None]) -> dict[str, int]:
    """Rank 1 for the largest value; equal values share a rank; rows without a value get none."""
    ranked = sorted((v, r.region) for r in rows if (v := value(r)) is not None)
    ranked.reverse()
    ranks: dict[str, int] = {}
    for position, (v, region) in enumerate(ranked, start=1):
        previous = ranked[position - 2] if position > 1 else None
        ranks[region] = ranks[previous[1]] if previous is not None and previous[0] == v else position
    return ranks


def _rows(
    counts: Mapping[str, int], channels: Mapping[str, ChannelInfo], platform: str, regions: list[Region]
) -> list[RatingRow]:
    gov: dict[str, int] = {}
    total: dict[str, int] = {}
    number: dict[str, int] = {}
    for key, count in counts.items():
        info = info_for(key, channels)
        if info.platform != platform:
            continue
        total[info.region] = total.get(info.region, 0) + count
        number[info.region] = number.get(info.region, 0) + 1
        if info.category == GOVERNMENT:
            gov[info.region] = gov.get(info.region, 0) + count
    return [
        RatingRow(
            r.code,
            r.name_ru,
            r.federal_district,
            r.population,
            gov.get(r.code),
            total.get(r.code, 0),
            number.get(r.code, 0),
        )
        for r in regions
    ]


def _rank(rows: list[RatingRow]) -> None:
    for row in rows:
        row.gov_per_1000 = per_1000(row.gov_subscribers, row.population)
        row.all_per_1000 = per_1000(row.all_subscribers, row.population)
    gov = competition_ranks(rows, lambda r: r.gov_subscribers)
    gov_pc = competition_ranks(rows, lambda r: r.gov_per_1000)
    total = competition_ranks(rows, lambda r: r.all_subscribers if r.channels else None)
    total_pc = competition_ranks(rows, lambda r: r.all_per_1000 if r.channels else None)
    for row in rows:
        row.rank_gov, row.rank_gov_per_1000 = gov.get(row.region), gov_pc.get(row.region)
        row.rank_all, row.rank_all_per_1000 = total.get(row.region), total_pc.get(row.region)
        if row.rank_gov is not None and row.rank_gov_per_1000 is not None:
            row.composite_score = (row.rank_gov + row.rank_gov_per_1000) / 2
    scored = sorted(
        (r for r in rows if r.composite_score is not None),
        key=lambda r: (r.composite_score, -(r.gov_subscribers or 0), r.region),
    )
    for position, row in enumerate(scored, start=1):
        row.composite_rank = position
    rows.sort(
        key=lambda r: (
            r.composite_rank is None,
            r.composite_rank or 0,
            -(r.gov_subscribers or 0),
            -r.all_subscribers,
            r.region,
        )
    )


def build_rating(
    source: Source,
    regions: Regions,
    as_of: date,
    *,
    platform: str = "max",
    district: str | None = None,
    period_days: int = 7,
    carry_days: int = 30,
) -> Rating:
    previous = as_of - timedelta(days=period_days)
    selected = [r for r in regions if district is None or r.federal_district == district]
    first = day_number(previous) - carry_days
    daily = source.daily(first, day_number(as_of), platform)
    channels = source.channels()
    now = _rows(counts_on(daily, channels, day_number(as_of), carry_days), channels, platform, selected)
    before = _rows(counts_on(daily, channels, day_number(previous), carry_days), channels, platform, selected)
    _rank(now)
    _rank(before)
    by_region = {r.region: r for r in before}
    for row in now:
        old = by_region[row.region]
        row.prev_gov_subscribers, row.prev_composite_rank = old.gov_subscribers, old.composite_rank
    return Rating(as_of, previous, platform, district, now)
