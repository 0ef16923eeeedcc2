"""Running the analytics for a report: one function per report kind, shared by the command line and the
HTML report, with the options every report takes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

from collector.analytics.coverage import build_coverage
from collector.analytics.detection import Detection, Detector
from collector.analytics.forecast import build_forecast
from collector.analytics.growth import build_growth
from collector.analytics.rating import build_rating
from collector.analytics.snapshot import end_of_day
from collector.analytics.sources import Source, StoreSource
from collector.config import Settings
from collector.regions import Regions, load_regions
from collector.reports import builders
from collector.reports.model import Report
from collector.rulegen import sweep_interval
from exporters.store import Store
from exporters.store_records import Event

DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Options:
    as_of: date
    period_days: int = 7
    platform: str | None = None
    region: str | None = None
    district: str | None = None

    @property
    def start(self) -> date:
        return self.as_of - timedelta(days=self.period_days)


def regions_of(settings: Settings) -> Regions:
    return load_regions().with_population_overrides(settings.regions.population_overrides)


def _district_regions(regions: Regions, district: str | None) -> set[str] | None:
    return None if district is None else {r.code for r in regions if r.federal_district == district}


def rating(source: Source, settings: Settings, o: Options) -> Report:
    result = build_rating(
        source,
        regions_of(settings),
        o.as_of,
        platform=o.platform or "max",
        district=o.district,
        period_days=o.period_days,
    )
    return builders.rating_report(result)


def growth(source: Source, settings: Settings, o: Options) -> Report:
    regions = regions_of(settings)
    result = build_growth(
        source,
        o.start,
        o.as_of,
        platform=o.platform,
        region=o.region,
        regions=_district_regions(regions, o.district),
    )
    return builders.growth_report(result, regions)


def detect(source: Source, settings: Settings, o: Options, at: float | None = None) -> Detection:
    # The end of the report's day, but never later than now: at 10:00 the channels observed at 09:00 are
    # fresh, not 14 hours stale.
    moment = min(end_of_day(o.as_of), time.time()) if at is None else at
    d = settings.detection
    span = (
        max(
            d.stalled_window_days,
            d.declining_window_days,
            2 * d.flatline_after_push_days,
            d.spike_baseline_days + d.spike_window_days,
            d.min_age_days + 1,
        )
        + 1
    )
    histories = source.histories(moment - span * DAY, moment, o.platform)
    regions = _district_regions(regions_of(settings), o.district)
    if o.region is not None or regions is not None:
        histories = {
            k: h
            for k, h in histories.items()
            if (o.region is None or h.info.region == o.region)
            and (regions is None or h.info.region in regions)
        }
    return Detector(d, sweep_interval(settings)).evaluate(histories, moment)


def stalled(source: Source, settings: Settings, o: Options) -> Report:
    return builders.stalled_report(detect(source, settings, o), regions_of(settings))


def coverage(source: Source, settings: Settings, o: Options) -> Report:
    if not isinstance(source, StoreSource):
        raise ValueError("отчёт об охвате строится только по встроенному хранилищу (нужен реестр каналов)")
    result = build_coverage(source, o.as_of, region=o.region, platform=o.platform)
    return builders.coverage_report(result, regions_of(settings))


def forecast(source: Source, settings: Settings, o: Options) -> Report:
    result = build_forecast(
        source,
        regions_of(settings),
        o.as_of,
        platform=o.platform or "max",
        per_1000_target=settings.detection.per_1000_target,
        region=o.region,
    )
    return builders.forecast_report(result)


KINDS = {"rating": rating, "growth": growth, "stalled": stalled, "coverage": coverage, "forecast": forecast}


def events_for(store: Store | None, o: Options) -> list[Event]:
    if store is None:
        return []
    return store.events(
        end_of_day(o.start) - DAY + 1, end_of_day(o.as_of), platform=o.platform, region=o.region
    )
