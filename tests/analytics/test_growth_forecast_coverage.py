"""Growth, forecast and coverage on small stores with known answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import pytest

from collector.analytics.coverage import INACCESSIBLE, MISSING, OK_STATE, UNCLASSIFIED, build_coverage
from collector.analytics.forecast import build_forecast
from collector.analytics.growth import build_growth
from collector.analytics.snapshot import day_number
from collector.analytics.sources import StoreSource
from collector.models import OK, UNKNOWN_REGION, Category, Channel, Platform, Sample
from collector.regions import load_regions
from exporters.store import Store

DAY = 86_400.0
START = date(2025, 12, 1)
T0 = day_number(START) * DAY + 12 * 3600  # noon UTC of the first day


def _ch(
    platform: Platform, key: str, region: str, category: Category, org: str = "", expected: bool = False
) -> Channel:
    return Channel(platform, key, region, category, org=org, title=f"Канал {key}", expected=expected)


def _store(
    tmp_path: Path, channels: list[Channel], counts: Mapping[str, Sequence[int | str | None]]
) -> StoreSource:
    store = Store.open(tmp_path / "s.sqlite3")
    store.sync_registry(channels, at=T0 - DAY)
    samples = []
    for key, per_day in counts.items():
        platform, _, channel = key.partition(":")
        for day, value in enumerate(per_day):
            if value is None:
                continue
            status, n = (OK, value) if isinstance(value, int) else (value, None)
            samples.append(Sample(Platform(platform), channel, T0 + day * DAY, status, n))
    store.write_samples(samples)
    return StoreSource(store)


def test_growth_rankings_buckets_and_peers(tmp_path: Path) -> None:
    mun = Category.MUNICIPALITY
    channels = [
        _ch(Platform.VK, "1", "RU-AST", mun),
        _ch(Platform.VK, "2", "RU-AST", mun),
        _ch(Platform.VK, "3", "RU-KRS", mun),
        _ch(Platform.VK, "4", "RU-KRS", Category.SCHOOL),
    ]
    days = 15
    counts: dict[str, list[int | str | None]] = {
        "vk:1": [100 + 5 * d for d in range(days)],  # +70 %
        "vk:2": [1000 + 10 * d for d in range(days)],  # +14 %
        "vk:3": [10 + 3 * d for d in range(days)],  # tiny: no percent ranking
        "vk:4": [*([None] * 5), *(200 + d for d in range(days - 5))],  # new during the period
    }
    source = _store(tmp_path, channels, counts)
    growth = build_growth(source, START, date(2025, 12, 15))
    assert [c.info.key for c in growth.fastest()] == ["vk:1", "vk:2"]
    assert [c.info.key for c in growth.slowest()] == ["vk:2", "vk:1"]
    new = next(c for c in growth.channels if c.info.key == "vk:4")
    assert new.start is None and new.percent is None and new.gain == 209
    ast = next(r for r in growth.regions if r.region == "RU-AST")
    assert (ast.start, ast.end, ast.gain) == (1100, 100 + 70 + 1000 + 140, 210)
    # Daily gains add up to the whole period's change of the total.
    total_change = sum(c.gain for c in growth.channels)
    assert sum(g.gain for g in growth.daily) == total_change
    assert sum(g.gain for g in growth.monthly) == total_change - (
        growth.monthly[0].subscribers - growth.monthly[0].gain - sum(c.start or 0 for c in growth.channels)
    )
    assert [w.label for w in growth.weekly] == ["2025-W49", "2025-W50", "2025-W51"]
    # Peer group: the municipalities' median growth (only channels with a base of 50+): (70 + 14) / 2.
    assert growth.peer_medians[("vk", "municipality")] == pytest.approx(42.0)
    one = next(c for c in growth.channels if c.info.key == "vk:1")
    assert one.vs_peers == pytest.approx(70.0 - 42.0)
    source.close()


def test_forecast_line_band_target_date_and_channel_count(tmp_path: Path) -> None:
    regions = load_regions()
    chukotka = regions["RU-CHU"]
    assert chukotka.population
    gov = Category.REGIONAL_GOVERNMENT
    channels = [
        _ch(Platform.MAX, "-1", "RU-CHU", gov),
        _ch(Platform.MAX, "-2", "RU-CHU", Category.SCHOOL),
        _ch(Platform.MAX, "-3", "RU-MOW", Category.SCHOOL),
    ]
    days = 28
    counts: dict[str, list[int | str | None]] = {
        "max:-1": [100 + 10 * d for d in range(days)],
        "max:-2": [50] * days,  # flat
        "max:-3": [*([None] * 10), *([5] * (days - 10))],  # joins on day 10: the channel count grows
    }
    source = _store(tmp_path, channels, counts)
    as_of = date(2025, 12, 28)
    forecast = build_forecast(source, regions, as_of, per_1000_target=20.0)
    chu = next(p for p in forecast.regions if p.name == "RU-CHU")
    assert chu.fit.slope == pytest.approx(10.0) and chu.current == 100 + 270 + 50
    assert chu.value(30) == pytest.approx(420 + 300) and chu.band(30) == pytest.approx((720.0, 720.0))
    target = 20.0 * chukotka.population / 1000
    assert target > 420  # not reached yet
    assert chu.target == pytest.approx(target)
    expected_days = -(-(target - 420) // 10)
    assert chu.target_date(as_of) == date.fromordinal(as_of.toordinal() + int(expected_days))
    # A region already above its target reads "reached" (the date itself), one without growth never.
    reached = build_forecast(source, regions, as_of, per_1000_target=1.0)
    assert next(p for p in reached.regions if p.name == "RU-CHU").target_date(as_of) == as_of
    mow = next(p for p in forecast.regions if p.name == "RU-MOW")
    assert mow.fit.slope == 0 and mow.target_date(as_of) is None
    flat = next(p for p in forecast.channels if p.name == "max:-2")
    assert flat.fit.slope == 0 and flat.band(90) == (50.0, 50.0)
    assert forecast.channel_count is not None and forecast.channel_count.current == 3
    assert forecast.channel_count.fit.slope >= 0
    source.close()


def test_coverage_states_cells_and_org_shares(tmp_path: Path) -> None:
    gov = Category.REGIONAL_GOVERNMENT
    org = "Правительство Астраханской области"
    channels = [
        _ch(Platform.MAX, "-1", "RU-AST", gov, org, expected=True),  # ok
        _ch(Platform.VK, "11", "RU-AST", gov, org, expected=True),  # ok
        _ch(Platform.TELEGRAM, "@ast_gov", "RU-AST", gov, org, expected=True),  # bot lost access
        _ch(Platform.MAX, "-2", "RU-AST", Category.GOVERNOR, "Губернатор", expected=True),  # deleted
        _ch(Platform.MAX, "-3", "RU-AST", Category.REGIONAL_PARLIAMENT, "Дума", expected=True),  # never seen
        _ch(Platform.MAX, "-4", UNKNOWN_REGION, Category.UNCLASSIFIED),  # discovered, not classified
    ]
    counts: dict[str, list[int | str | None]] = {
        "max:-1": [300, 400],
        "vk:11": [600, 600],
        "telegram:@ast_gov": [100, "lost_access"],
        "max:-2": [50, "not_found"],
        "max:-3": [None, "timeout"],
        "max:-4": [7, 7],
    }
    source = _store(tmp_path, channels, counts)
    coverage = build_coverage(source, date(2025, 12, 2))
    states = {s.info.key: s.state for s in coverage.channels}
    assert states == {
        "max:-1": OK_STATE,
        "vk:11": OK_STATE,
        "telegram:@ast_gov": INACCESSIBLE,
        "max:-2": MISSING,
        "max:-3": MISSING,
        "max:-4": UNCLASSIFIED,
    }
    cell = next(c for c in coverage.cells if c.category == gov.value)
    assert (cell.expected, cell.ok, cell.inaccessible) == (3, 2, 1)
    assert cell.share == pytest.approx(2 / 3)
    body = next(o for o in coverage.orgs if o.org == org)
    # Telegram's last count (100) still counts for the audience: lost access is not deletion.
    assert body.subscribers == {"max": 400, "vk": 600, "telegram": 100}
    assert body.share("max") == pytest.approx(400 / 1100)
    assert body.missing_platforms == []
    governor = next(o for o in coverage.orgs if o.org == "Губернатор")
    assert governor.missing_platforms == ["vk", "telegram"]
    source.close()
