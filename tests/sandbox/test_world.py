"""The simulated world: calibration, determinism, behaviours, registry and truth exports."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest

from collector.models import Category, Platform
from collector.registry import load_files
from collector.sandbox import Behaviour, SimChannel, State, World, WorldSpec, export_registry, export_truth
from collector.sandbox.dynamics import DAY, WEEK, round_significant, state
from tests.support.sandbox import SMALL_SPEC, SandboxFactory, cached_world

START = WorldSpec().start


@pytest.fixture(scope="module")
def default_world() -> World:
    return cached_world(WorldSpec())


def test_calibrated_regional_governments_on_1_december_2025(default_world: World) -> None:
    govs = [c for c in default_world.channels[Platform.MAX] if c.category is Category.REGIONAL_GOVERNMENT]
    counts = {c.region: default_world.count(c, START) for c in govs if c.created <= START}
    assert len(counts) == 89
    assert {r: counts[r] for r in ("RU-MOW", "RU-AST", "RU-KRS", "RU-KO", "RU-CHU")} == {
        "RU-MOW": 50_000,
        "RU-AST": 13_000,
        "RU-KRS": 8_000,
        "RU-KO": 7_800,
        "RU-CHU": 1_200,
    }
    top5 = sorted(counts, key=counts.__getitem__, reverse=True)[:5]
    assert top5 == ["RU-MOW", "RU-AST", "RU-KRS", "RU-KO", "RU-CHU"]
    assert max(n for r, n in counts.items() if r not in top5) < 1_200


def test_default_max_world_totals(default_world: World) -> None:
    existing = default_world.existing(Platform.MAX, START)
    categories = Counter(c.category for c in existing)
    total = sum(default_world.count(c, START) for c in existing)
    assert len(existing) == 20_000
    assert 1_900_000 <= total <= 2_100_000
    assert categories[Category.GOVERNOR] == 87
    assert categories[Category.REGIONAL_GOVERNMENT] == 89
    assert categories[Category.REGIONAL_EXECUTIVE] + categories[Category.MUNICIPALITY] > 4_000
    for category in (
        Category.SCHOOL,
        Category.UNIVERSITY,
        Category.CULTURE,
        Category.HEALTHCARE,
        Category.SOCIAL,
        Category.YOUTH,
        Category.FEDERAL_AGENCY,
        Category.REGIONAL_PARLIAMENT,
    ):
        assert categories[category] > 0, category
    assert len({c.region for c in existing}) == 89


def test_max_world_trends_toward_40k_by_mid_2026(default_world: World) -> None:
    mid_2026 = START + 212 * DAY
    assert len(default_world.existing(Platform.MAX, START + 90 * DAY)) > 25_000
    assert len(default_world.existing(Platform.MAX, mid_2026)) >= 39_500


def test_subscriber_spread_is_heavy_tailed(default_world: World) -> None:
    counts = sorted(default_world.count(c, START) for c in default_world.existing(Platform.MAX, START))
    median, p99 = counts[len(counts) // 2], counts[int(len(counts) * 0.99)]
    assert p99 > 10 * median


def test_identities_and_titles(default_world: World) -> None:
    max_channels = default_world.channels[Platform.MAX]
    assert all(c.numeric_id < 0 and str(c.numeric_id) == c.key for c in max_channels)
    assert len({c.numeric_id for c in max_channels}) == len(max_channels)
    assert all(c.link.startswith(("https://max.ru/join/", "https://max.ru/")) for c in max_channels)
    titles = {c.title for c in max_channels}
    assert "Правительство Астраханской области" in titles
    assert "Правительство Республики Коми" in titles
    assert any(t.startswith("Администрация г. ") for t in titles)
    assert any(t.startswith("МБОУ СОШ №") for t in titles)
    assert any(t.startswith("Министерство здравоохранения ") for t in titles)
    vk_orgs = {c.org for c in default_world.channels[Platform.VK]}
    assert vk_orgs & {c.org for c in max_channels}, "the same bodies own channels on several platforms"


def test_same_seed_same_world_and_series_other_seed_differs() -> None:
    spec = WorldSpec(
        seed=7, max_channels=800, max_future_channels=100, vk_channels=300, telegram_channels=100
    )
    a, b = World.build(spec), World.build(spec)
    other = World.build(
        WorldSpec(seed=8, max_channels=800, max_future_channels=100, vk_channels=300, telegram_channels=100)
    )
    moments = [spec.start + h * 3600 * 37 for h in range(60)]
    for platform in Platform:
        series_a = [[a.count(c, t) for t in moments] for c in a.channels[platform]]
        series_b = [[b.count(c, t) for t in moments] for c in b.channels[platform]]
        assert series_a == series_b
        assert [c.title for c in a.channels[platform]] == [c.title for c in b.channels[platform]]
    assert [c.title for c in a.channels[Platform.MAX]] != [c.title for c in other.channels[Platform.MAX]]


def test_every_behaviour_occurs_within_a_quarter() -> None:
    world = cached_world(SMALL_SPEC)
    quarter_end = SMALL_SPEC.start + SMALL_SPEC.quarter_days * DAY
    for platform in (Platform.MAX, Platform.VK):
        seen = {
            c.behaviour
            for c in world.channels[platform]
            if c.created <= SMALL_SPEC.start and SMALL_SPEC.start <= c.change_at < quarter_end
        }
        assert seen == set(Behaviour), platform


def _first(world: World, behaviour: Behaviour, min_base: float = 200) -> SimChannel:
    return next(
        c
        for c in world.channels[Platform.MAX]
        if c.behaviour is behaviour and c.created < START and c.base >= min_base
    )


def test_behaviour_curves() -> None:
    world = cached_world(SMALL_SPEC)
    count = world.count
    grow = _first(world, Behaviour.GROWING)
    week = [count(grow, START + d * DAY) for d in range(8)]
    assert all(b > a for a, b in itertools.pairwise(week)), week

    stalled = _first(world, Behaviour.STALLED)
    flat = [count(stalled, stalled.change_at + h * 3600) for h in range(0, 24 * 21, 5)]
    assert len(set(flat)) == 1

    declining = _first(world, Behaviour.DECLINING)
    t0 = declining.change_at
    assert count(declining, t0 + 2 * WEEK) < count(declining, t0 + WEEK) < count(declining, t0)

    purge = _first(world, Behaviour.PURGE)
    t0 = purge.change_at
    before, after = count(purge, t0 - 1), count(purge, t0)
    assert after <= before * (1 - purge.magnitude) + 2
    assert count(purge, t0 + WEEK) > after

    spike = _first(world, Behaviour.SPIKE)
    t0 = spike.change_at
    assert count(spike, t0 + spike.window) > 1.9 * count(spike, t0)
    assert state(spike, t0 + spike.window / 2) is State.SPIKING

    drive = _first(world, Behaviour.DRIVE)
    t0, w = drive.change_at, drive.window
    assert count(drive, t0 + w) > 1.4 * count(drive, t0)
    assert len({count(drive, t0 + w + d * DAY) for d in range(10)}) == 1
    assert state(drive, t0 + w + DAY) is State.DRIVE_FLATLINE


def test_rounding_knob() -> None:
    assert round_significant(12_345, 2) == 12_000
    assert round_significant(987, 2) == 990
    assert round_significant(5, 2) == 5
    spec = WorldSpec(
        max_channels=400, max_future_channels=0, vk_channels=0, telegram_channels=0, round_large_counts=True
    )
    world = World.build(spec)
    moscow = next(
        c
        for c in world.channels[Platform.MAX]
        if c.region == "RU-MOW" and c.category is Category.REGIONAL_GOVERNMENT
    )
    assert world.count(moscow, START) == 50_000
    assert world.count(moscow, START + 3 * DAY) % 1_000 == 0


def test_registry_export_loads_cleanly(tmp_path: Path) -> None:
    world = cached_world(SMALL_SPEC)
    path = tmp_path / "registry.csv"
    rows = export_registry(world, path, START + 30 * DAY)
    registry = load_files([path])
    assert registry.problems == []
    assert len(registry.channels) == rows
    expected = sum(1 for p in Platform for c in world.channels[p] if c.created <= START + 30 * DAY)
    assert rows == expected
    assert {c.platform for c in registry.channels} == set(Platform)


def test_truth_exports(tmp_path: Path) -> None:
    world = cached_world(SMALL_SPEC)
    at = START + 45 * DAY
    json_path, csv_path = tmp_path / "truth.json", tmp_path / "truth.csv"
    n = export_truth(world, json_path, at)
    assert export_truth(world, csv_path, at) == n
    data = json.loads(json_path.read_text(encoding="utf-8"))
    states = Counter(e["state"] for e in data["channels"])
    assert {"growing", "stalled", "declining", "deleted", "inaccessible", "not_yet_created"} <= set(states)
    purged = next(e for e in data["channels"] if e["behaviour"] == "purge")
    assert purged["events"][0]["type"] == "purge" and 0.2 <= purged["events"][0]["magnitude"] <= 0.8
    assert len(csv_path.read_text(encoding="utf-8").splitlines()) == n + 1


def test_server_exports_at_simulated_now(sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    sandbox = sandbox_factory()
    sandbox.set_clock(now=START + 20 * DAY, speed=0)
    rows = sandbox.export_registry(tmp_path / "r.csv")
    assert rows == len(sandbox.world.registry(START + 20 * DAY))
    assert sandbox.export_truth(tmp_path / "t.csv") == sum(len(c) for c in sandbox.world.channels.values())


def test_large_vk_world_scales() -> None:
    world = World.build(
        WorldSpec(max_channels=300, max_future_channels=0, vk_channels=30_000, telegram_channels=0)
    )
    vk = world.channels[Platform.VK]
    assert len(vk) == 30_000
    assert len(world.vk_by_id) == 30_000 and len(world.vk_by_name) == 30_000
