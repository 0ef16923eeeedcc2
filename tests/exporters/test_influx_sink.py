"""InfluxSink without a server: which points a sweep produces, and spooling when nobody answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from collector.config import InfluxSettings, SpoolFullPolicy
from collector.models import OK, Category, Channel, Platform, Reason, Sample, SweepResult
from collector.regions import load_regions
from exporters.influx import InfluxSink
from exporters.influx_writer import RetryPolicy
from exporters.spool import Spool
from tests.support.process import free_port

T0 = 1_764_000_000


@dataclass
class RecordingMetrics:
    points: dict[str, int] = field(default_factory=dict)
    spool_states: list[tuple[int, float]] = field(default_factory=list)

    def sink_points(self, sink: str, outcome: str, count: int) -> None:
        assert sink == "influxdb"
        self.points[outcome] = self.points.get(outcome, 0) + count

    def spool(self, sink: str, points: int, oldest_age_seconds: float) -> None:
        self.spool_states.append((points, oldest_age_seconds))


CHANNELS = {
    c.key: c
    for c in (
        Channel(
            Platform.VK, "1", "RU-MOW", Category.GOVERNOR, org="Правительство Москвы", title="Мэр", link="l1"
        ),
        Channel(Platform.VK, "2", "RU-MOW", Category.MUNICIPALITY, org="Район", title="Район"),
        Channel(Platform.VK, "3", "RU-DPR", Category.REGIONAL_GOVERNMENT, org="ДНР", title="ДНР"),
    )
}


def lookup(key: str) -> Channel | None:
    return CHANNELS.get(key)


def sample(channel: str, subscribers: int | None, at: int, title: str | None = None) -> Sample:
    status = OK if subscribers is not None else Reason.TIMEOUT.value
    return Sample(Platform.VK, channel, float(at), status, subscribers, title=title)


def sweep(at: int, samples: Sequence[Sample], shard: int = 0) -> SweepResult:
    return SweepResult(Platform.VK, shard, at - 5.5, float(at), tuple(samples))


def make_sink(
    tmp_path: Path,
    *,
    url: str | None = None,
    shards: int = 1,
    max_bytes: int = 1 << 20,
    policy: SpoolFullPolicy = SpoolFullPolicy.DROP_OLDEST,
    batch_size: int = 5000,
    metrics: RecordingMetrics | None = None,
) -> InfluxSink:
    settings = InfluxSettings(api="v1", url=url or f"http://127.0.0.1:{free_port()}", batch_size=batch_size)
    spool = Spool(tmp_path / "spool", max_bytes=max_bytes, full_policy=policy)
    return InfluxSink(
        settings,
        spool,
        channels=lookup,
        regions=load_regions(),
        shards=shards,
        metrics=metrics,
        retry=RetryPolicy(max_retries=0),
    )


def by_measurement(points: list[str]) -> Callable[[str], list[str]]:
    return lambda m: [p for p in points if p.startswith(m + ",")]


def test_points_of_a_sweep(tmp_path: Path) -> None:
    sink = make_sink(tmp_path)
    points = sink.points_for(
        sweep(
            T0,
            [
                sample("1", 100, T0 - 3),
                sample("2", None, T0 - 2),
                sample("3", 7, T0 - 1),
                sample("99", 5, T0),
            ],
        )
    )
    of = by_measurement(points)
    assert of("channel_subscribers") == [
        f"channel_subscribers,category=governor,channel=1,platform=vk,region=RU-MOW "
        f"subscribers=100i {T0 - 3}",
        f"channel_subscribers,category=regional_government,channel=3,platform=vk,region=RU-DPR "
        f"subscribers=7i {T0 - 1}",
        f"channel_subscribers,category=unclassified,channel=99,platform=vk,region=unknown "
        f"subscribers=5i {T0}",
    ]
    assert of("channel_meta") == [
        f'channel_meta,channel=1,platform=vk link="l1",org="Правительство Москвы",title="Мэр" {T0 - 3}',
        f'channel_meta,channel=3,platform=vk link="",org="ДНР",title="ДНР" {T0 - 1}',
        f'channel_meta,channel=99,platform=vk link="",org="",title="" {T0}',
    ]
    per_1000 = 100 * 1000 / load_regions()["RU-MOW"].population  # type: ignore[operator]
    assert of("region_audience") == [
        # RU-DPR has no Rosstat population: population and per_1000 are left out, never zero.
        f"region_audience,platform=vk,region=RU-DPR channels=1i,subscribers=7i {T0}",
        f"region_audience,platform=vk,region=RU-MOW channels=1i,per_1000={per_1000!r},population=13274285i,"
        f"subscribers=100i {T0}",
        f"region_audience,platform=vk,region=unknown channels=1i,subscribers=5i {T0}",
    ]
    assert of("collector_cycle") == [
        f"collector_cycle,platform=vk,shard=0 channels_failed=1i,channels_ok=3i,duration_seconds=5.5 {T0}"
    ]


def test_meta_only_when_changed_and_audience_from_latest_counts(tmp_path: Path) -> None:
    sink = make_sink(tmp_path, shards=3)
    sink.points_for(sweep(T0, [sample("1", 100, T0), sample("2", 50, T0)], shard=2))
    points = sink.points_for(sweep(T0 + 60, [sample("1", 110, T0 + 60), sample("2", None, T0 + 60)], shard=2))
    assert by_measurement(points)("channel_meta") == []
    renamed = sink.points_for(
        sweep(T0 + 120, [sample("1", 111, T0 + 120, title="Новый\nзаголовок")], shard=2)
    )
    assert by_measurement(renamed)("channel_meta") == [
        f'channel_meta,channel=1,platform=vk link="l1",org="Правительство Москвы",'
        f'title="Новый заголовок" {T0 + 120}'
    ]
    # Channel 2 failed in the second sweep: its last known count (50) still counts for the region.
    assert next(p for p in by_measurement(points)("region_audience") if "RU-MOW" in p).startswith(
        "region_audience,platform=vk,region=RU-MOW,shard=2 channels=2i,"
    )
    assert "subscribers=160i" in by_measurement(points)("region_audience")[0]


def test_server_down_spools_in_batches_and_never_raises(tmp_path: Path) -> None:
    metrics = RecordingMetrics()
    sink = make_sink(tmp_path, batch_size=2, metrics=metrics)
    points = make_sink(tmp_path / "other").points_for(sweep(T0, [sample("1", 100, T0), sample("3", 7, T0)]))
    asyncio.run(sink.write_sweep(sweep(T0, [sample("1", 100, T0), sample("3", 7, T0)])))
    assert metrics.points == {"spooled": len(points)}
    assert metrics.spool_states[-1][0] == len(points)
    spool = Spool(tmp_path / "spool", max_bytes=1 << 20)
    assert [len(spool.read(s)) for s in spool.segments()] == [2, 2, 2, 1]


@pytest.mark.parametrize("policy", list(SpoolFullPolicy))
def test_spool_full_under_each_policy(tmp_path: Path, policy: SpoolFullPolicy) -> None:
    metrics = RecordingMetrics()
    sink = make_sink(tmp_path, max_bytes=1500, policy=policy, metrics=metrics)

    async def scenario() -> None:
        for i in range(6):
            await sink.write_sweep(sweep(T0 + i, [sample("1", 100 + i, T0 + i), sample("2", 50, T0 + i)]))
        await sink.aclose()

    asyncio.run(scenario())
    spool = Spool(tmp_path / "spool", max_bytes=1500)
    kept = [spool.read(s) for s in spool.segments()]
    assert spool.size_bytes <= 1500 and kept
    stored = sum(len(k) for k in kept)
    assert metrics.points["dropped"] > 0
    if policy is SpoolFullPolicy.DROP_OLDEST:  # everything was spooled, then the oldest deleted
        assert metrics.points["spooled"] - metrics.points["dropped"] == stored
    else:  # refused batches never entered the spool
        assert metrics.points["spooled"] == stored
    assert metrics.spool_states[-1][0] == stored
    first_ts = [int(batch[0].rsplit(" ", 1)[1]) for batch in kept]
    if policy is SpoolFullPolicy.DROP_OLDEST:
        assert first_ts[-1] == T0 + 5  # the newest sweep is kept, the oldest went
        assert first_ts[0] > T0
    else:
        assert first_ts[0] == T0  # the oldest is kept, new sweeps were refused
        assert first_ts[-1] < T0 + 5
