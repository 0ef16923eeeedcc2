"""Detection quality over a simulated quarter, scored against the sandbox's ground truth.

A world of about 4,000 channels (Max, VK, Telegram) is swept every 8 hours from 16 days before the
world start to 91 days after it; the samples come from the world's closed-form dynamics (no HTTP, see
world_truth) and go through a real embedded store. Detection runs at 40 moments spread over the quarter
(right after every fourth sweep). Precision and recall per class
must be >= 0.95; `pytest -s` prints the figures.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from collector.analytics.detection import Detection, Detector, Kind
from collector.analytics.history import History
from collector.analytics.sources import StoreSource
from collector.config import DetectionSettings
from collector.models import Platform
from collector.sandbox import World, WorldSpec
from exporters.store import Store
from tests.analytics.world_truth import DAY, Score, Truth, attempts, describe
from tests.support.sandbox import cached_world

SPEC = WorldSpec(max_channels=2_000, max_future_channels=1_000, vk_channels=1_200, telegram_channels=600)
SWEEP = 8 * 3600.0
QUARTER_DAYS = 91
CLASSES = (Kind.STALLED, Kind.DECLINING, Kind.DROP, Kind.SPIKE)


def _sweeps(world: World) -> list[float]:
    first = world.spec.start - 16 * DAY
    return [first + i * SWEEP for i in range(int((QUARTER_DAYS + 16) * DAY / SWEEP) + 1)]


def _moments(world: World) -> list[float]:
    # Right after every fourth sweep (32 h), so the moments move round the clock.
    return [world.spec.start + 16 * DAY + i * 4 * SWEEP for i in range(40)]


@pytest.fixture(scope="module")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, dict[str, History], dict[str, float]]:
    world = cached_world(SPEC)
    times = _sweeps(world)
    timings: dict[str, float] = {}
    path: Path = tmp_path_factory.mktemp("quarter") / "govpulse.sqlite3"
    began = time.perf_counter()
    batch = [s for p in Platform for ch in world.channels[p] for s in attempts(world, ch, times)]
    timings["generate"] = time.perf_counter() - began
    began = time.perf_counter()
    with Store.open(path) as store:
        store.sync_registry(world.registry(times[-1]), at=times[0])
        store.write_samples(batch)
        timings["write"] = time.perf_counter() - began
        began = time.perf_counter()
        source = StoreSource(store)
        histories = source.histories(times[0], times[-1])
        source.close()
        timings["read"] = time.perf_counter() - began
    return world, histories, timings


def _score(world: World, detections: list[Detection]) -> dict[Kind, Score]:
    truth = Truth(world, DetectionSettings())
    label_of = {
        Kind.STALLED: truth.stalled,
        Kind.DECLINING: truth.declining,
        Kind.DROP: truth.drop,
        Kind.SPIKE: truth.spike,
    }
    scores = {kind: Score() for kind in CLASSES}
    channels = [ch for p in Platform for ch in world.channels[p]]
    for detection in detections:
        flagged = {kind: detection.keys(kind) for kind in CLASSES}
        for ch in channels:
            if ch.created > detection.at:
                continue
            key = f"{ch.platform.value}:{ch.key}"
            for kind in CLASSES:
                label = label_of[kind](ch, detection.at)
                scores[kind].add(label, key in flagged[kind], describe(ch, detection.at, world.spec.start))
    return scores


def test_precision_and_recall_per_class(quarter: tuple[World, dict[str, History], dict[str, float]]) -> None:
    world, histories, timings = quarter
    detector = Detector(DetectionSettings(), sweep_interval_seconds=SWEEP)
    began = time.perf_counter()
    detections = [detector.evaluate(histories, at) for at in _moments(world)]
    timings["detect per moment"] = (time.perf_counter() - began) / len(detections)
    scores = _score(world, detections)
    samples = sum(len(h.times) for h in histories.values())
    print(
        f"\nDetection quality: {len(histories)} channels, {samples} samples (sweep every {SWEEP / 3600:g} h),"
        f" {len(detections)} moments over {QUARTER_DAYS} days"
    )
    print(f"{'class':<10} {'TP':>5} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}  flagged, not scored")
    for kind, s in scores.items():
        unscored = ", ".join(f"{why} {n}" for why, n in sorted(s.ignored_flags.items()) if n) or "-"
        print(
            f"{kind.value:<10} {s.tp:>5} {s.fp:>4} {s.fn:>4} {s.precision:>9.3f} {s.recall:>7.3f}  {unscored}"
        )
    print("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    for kind, s in scores.items():
        assert s.tp >= 20, f"{kind}: too few positives to score ({s.tp})"
        assert s.precision >= 0.95, f"{kind} precision {s.precision:.3f}; false positives: {s.fp_examples}"
        assert s.recall >= 0.95, f"{kind} recall {s.recall:.3f}; missed: {s.fn_examples}"


def test_gone_channels_are_reported_as_lost_not_as_trends(
    quarter: tuple[World, dict[str, History], dict[str, float]],
) -> None:
    world, histories, _ = quarter
    at = world.spec.start + 60 * DAY
    detection = Detector(DetectionSettings(), sweep_interval_seconds=SWEEP).evaluate(histories, at)
    lost = detection.keys(Kind.LOST_ACCESS)
    trends = set().union(*(detection.keys(k) for k in CLASSES))
    from collector.sandbox.model import Behaviour

    gone = {
        f"{ch.platform.value}:{ch.key}"
        for p in Platform
        for ch in world.channels[p]
        if ch.behaviour in (Behaviour.DELETED, Behaviour.INACCESSIBLE) and ch.change_at <= at
    }
    assert gone and gone == lost
    assert not gone & trends
