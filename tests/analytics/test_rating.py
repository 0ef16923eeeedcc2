"""The regional rating: the coordinator's published figures from the calibrated world, ranks, per 1,000
residents (unavailable without population), composite rank, change since the previous date, districts."""

from __future__ import annotations

from datetime import date

import pytest

from collector.analytics.rating import RatingRow, build_rating, competition_ranks
from collector.analytics.sources import StoreSource
from collector.models import Platform
from collector.regions import load_regions
from collector.sandbox.clock import DEFAULT_START
from tests.analytics.stores import world_store
from tests.support.sandbox import SMALL_SPEC, cached_world

DAY = 86_400.0


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> StoreSource:
    world = cached_world(SMALL_SPEC)
    # Daily sweeps at midnight for three weeks from the world start (2025-12-01).
    times = [DEFAULT_START + i * DAY for i in range(22)]
    store = world_store(tmp_path_factory.mktemp("rating") / "s.sqlite3", world, times, [Platform.MAX])
    return StoreSource(store)


def test_calibrated_world_reads_the_coordinators_top_five(source: StoreSource) -> None:
    rating = build_rating(source, load_regions(), date(2025, 12, 1), platform="max")
    top = [(r.region, r.gov_subscribers) for r in sorted(rating.rows, key=lambda r: r.rank_gov or 999)[:5]]
    assert top == [
        ("RU-MOW", 50_000),
        ("RU-AST", 13_000),
        ("RU-KRS", 8_000),
        ("RU-KO", 7_800),
        ("RU-CHU", 1_200),
    ]
    assert [r.rank_gov for r in rating.rows if r.region in {"RU-MOW", "RU-CHU"}] in ([1, 5], [5, 1])
    assert len(rating.rows) == 89


def test_per_1000_is_unavailable_not_zero_without_population(source: StoreSource) -> None:
    rating = build_rating(source, load_regions(), date(2025, 12, 1))
    unknown = [r for r in rating.rows if r.population is None]
    assert unknown, "the reference has regions without a Rosstat figure"
    for row in unknown:
        assert row.gov_per_1000 is None and row.all_per_1000 is None
        assert row.rank_gov_per_1000 is None and row.composite_rank is None
    moscow = next(r for r in rating.rows if r.region == "RU-MOW")
    assert moscow.population and moscow.gov_per_1000 == pytest.approx(50_000 * 1000 / moscow.population)
    # Unranked regions come after every ranked one.
    flags = [r.composite_rank is None for r in rating.rows]
    assert flags == sorted(flags)


def test_composite_rank_is_the_mean_of_the_two_indicator_ranks(source: StoreSource) -> None:
    rating = build_rating(source, load_regions(), date(2025, 12, 1))
    ranked = [r for r in rating.rows if r.composite_rank is not None]
    for row in ranked:
        assert row.rank_gov is not None and row.rank_gov_per_1000 is not None
        assert row.composite_score == (row.rank_gov + row.rank_gov_per_1000) / 2
    scores = [r.composite_score or 0.0 for r in ranked]
    assert scores == sorted(scores)
    assert [r.composite_rank for r in ranked] == list(range(1, len(ranked) + 1))


def test_change_since_the_previous_date(source: StoreSource) -> None:
    rating = build_rating(source, load_regions(), date(2025, 12, 15), period_days=14)
    moscow = next(r for r in rating.rows if r.region == "RU-MOW")
    assert rating.previous == date(2025, 12, 1)
    assert moscow.prev_gov_subscribers == 50_000
    assert moscow.gov_subscribers is not None and moscow.gov_change == moscow.gov_subscribers - 50_000
    assert moscow.gov_change > 0  # the calibrated governments grow


def test_district_ranks_within_the_district(source: StoreSource) -> None:
    rating = build_rating(source, load_regions(), date(2025, 12, 1), district="Южный")
    assert {r.district for r in rating.rows} == {"Южный"}
    astrakhan = next(r for r in rating.rows if r.region == "RU-AST")
    assert astrakhan.rank_gov == 1  # 13,000: the largest in the Southern district


def test_rating_before_any_data_is_empty_but_complete(source: StoreSource) -> None:
    rating = build_rating(source, load_regions(), date(2025, 6, 1))
    assert len(rating.rows) == 89
    assert all(r.gov_subscribers is None and r.composite_rank is None for r in rating.rows)


def test_competition_ranks_share_ties() -> None:
    rows = [
        RatingRow(code, code, "", 1, value, 0, 0)
        for code, value in [("A", 10), ("B", 20), ("C", 20), ("D", None), ("E", 5)]
    ]
    assert competition_ranks(rows, lambda r: r.gov_subscribers) == {"B": 1, "C": 1, "A": 3, "E": 4}
