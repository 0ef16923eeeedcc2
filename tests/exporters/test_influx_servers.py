"""InfluxSink against real servers on loopback: InfluxDB 1.6 (v1 API) and VictoriaMetrics (v2 API).

Every point is read back and compared with an oracle computed here from the sweeps, independently of
the sink's code: values, tags and timestamps.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from collector.config import InfluxSettings
from collector.models import OK, Category, Channel, Platform, Reason, Sample, SweepResult
from collector.regions import load_regions
from exporters.influx import InfluxSink
from exporters.influx_writer import RetryPolicy
from exporters.spool import Spool
from tests.support.servers import InfluxDB1Server, VictoriaMetricsServer

pytestmark = pytest.mark.servers

DB = "govpulse"
T0 = 1_764_000_000
FAST = RetryPolicy(max_retries=1, base_seconds=0.01, max_seconds=0.05)
TITLES = [
    'Правительство "Москвы"',
    "back\\slash\\",
    "a,b=c d",
    "tab\there",
    "line\nbreak",
    "cr\rhere",
    "🇷🇺🎉 эмодзи",
    "",
    "it's",
    '\\"',
    "Я" * 300,
]
IDS = [
    "-100",
    "id with space",
    "comma,id",
    "eq=id",
    "кириллица",
    "emoji🎉",
    '"quoted"',
    "@gov_ru",
    "7",
    "8",
    "9",
]
REGIONS = ["RU-MOW", "RU-AST", "RU-DPR"]  # RU-DPR has no population: no per_1000
REGION_REF = load_regions()


def make_channels() -> dict[str, Channel]:
    channels = [
        Channel(
            Platform.MAX,
            cid,
            REGIONS[i % 3],
            list(Category)[i % 5],
            org=f'Орг, "{i}" = \\',
            title=title,
            link=f"https://max.ru/ch {i}=x",
        )
        for i, (cid, title) in enumerate(zip(IDS, TITLES, strict=True))
    ]
    return {c.key: c for c in channels}


CHANNELS = make_channels()


def make_sweeps(start: int = T0, count: int = 3) -> list[SweepResult]:
    sweeps = []
    for n in range(count):
        at = start + n * 3600
        samples = []
        for i, channel in enumerate(CHANNELS.values()):
            failed = n == 1 and i == 2
            title = 'Переименован, "снова"\n' if n == 2 and i == 0 else None
            samples.append(
                Sample(
                    Platform.MAX,
                    channel.channel,
                    float(at + i),
                    Reason.TIMEOUT.value if failed else OK,
                    None if failed else 1000 * i + n,
                    title=title,
                )
            )
        sweeps.append(SweepResult(Platform.MAX, 0, at - 12.25, at + 20.0, tuple(samples)))
    return sweeps


@dataclass
class Oracle:
    """The rows InfluxDB must hold after the sweeps, as (measurement, tags, fields, time) tuples."""

    rows: set[tuple[str, frozenset[tuple[str, str]], frozenset[tuple[str, Any]], int]] = field(
        default_factory=set
    )

    def add(self, measurement: str, tags: dict[str, str], fields: dict[str, Any], ts: int) -> None:
        self.rows.add((measurement, frozenset(tags.items()), frozenset(fields.items()), ts))

    def of(self, measurement: str) -> set[tuple[frozenset[tuple[str, str]], frozenset[tuple[str, Any]], int]]:
        return {(t, f, ts) for m, t, f, ts in self.rows if m == measurement}


def expected(sweeps: list[SweepResult]) -> Oracle:
    oracle = Oracle()
    latest: dict[str, tuple[str, int]] = {}
    meta: dict[str, tuple[str, str, str]] = {}
    for sweep in sweeps:
        end = int(sweep.finished_at)
        for s in sweep.samples:
            channel = CHANNELS[f"max:{s.channel}"]
            if s.subscribers is None:
                continue
            ts = int(s.observed_at)
            oracle.add(
                "channel_subscribers",
                {
                    "platform": "max",
                    "channel": s.channel,
                    "region": channel.region,
                    "category": channel.category.value,
                },
                {"subscribers": s.subscribers},
                ts,
            )
            latest[s.channel] = (channel.region, s.subscribers)
            title = (s.title or channel.title).replace("\n", " ").replace("\r", " ")
            if meta.get(s.channel) != (title, channel.org, channel.link):
                meta[s.channel] = (title, channel.org, channel.link)
                oracle.add(
                    "channel_meta",
                    {"platform": "max", "channel": s.channel},
                    {"title": title, "org": channel.org, "link": channel.link},
                    ts,
                )
        for region in REGIONS:
            counts = [n for r, n in latest.values() if r == region]
            fields: dict[str, Any] = {"subscribers": sum(counts), "channels": len(counts)}
            population = REGION_REF[region].population
            if population:
                fields |= {"population": population, "per_1000": sum(counts) * 1000 / population}
            oracle.add("region_audience", {"platform": "max", "region": region}, fields, end)
        oracle.add(
            "collector_cycle",
            {"platform": "max", "shard": "0"},
            {"duration_seconds": 32.25, "channels_ok": sweep.ok_count, "channels_failed": sweep.failed_count},
            end,
        )
    return oracle


TAG_KEYS = {
    "channel_subscribers": ("platform", "channel", "region", "category"),
    "channel_meta": ("platform", "channel"),
    "region_audience": ("platform", "region"),
    "collector_cycle": ("platform", "shard"),
}


def influx_rows(
    server: InfluxDB1Server, measurement: str
) -> set[tuple[frozenset[tuple[str, str]], frozenset[tuple[str, Any]], int]]:
    result = set()
    for row in server.rows(f'SELECT * FROM "{measurement}"', DB):
        tags = {k: row.pop(k) for k in TAG_KEYS[measurement]}
        ts = row.pop("time")
        result.add((frozenset(tags.items()), frozenset((k, v) for k, v in row.items() if v is not None), ts))
    return result


def sink_for(url: str, tmp_path: Path, api: str = "v1", **extra: Any) -> InfluxSink:
    settings = InfluxSettings.model_validate(
        {
            "api": api,
            "url": url,
            "database": DB,
            "org": "govpulse",
            "bucket": DB,
            "token": "vm-ignores-tokens",
            **extra,
        }
    )
    spool = Spool(tmp_path / "spool" / "influxdb", max_bytes=1 << 24)
    return InfluxSink(settings, spool, channels=CHANNELS.get, regions=REGION_REF, retry=FAST)


def assert_all_points(server: InfluxDB1Server, oracle: Oracle) -> None:
    for measurement in TAG_KEYS:
        assert influx_rows(server, measurement) == oracle.of(measurement), measurement


def test_schema_round_trip_through_influxdb1_v1(influxdb1: InfluxDB1Server, tmp_path: Path) -> None:
    influxdb1.create_database(DB)
    sweeps = make_sweeps()
    sink = sink_for(influxdb1.url, tmp_path, batch_size=7)  # several requests per sweep

    async def scenario() -> None:
        for sweep in sweeps:
            await sink.write_sweep(sweep)
        await sink.aclose()

    asyncio.run(scenario())
    oracle = expected(sweeps)
    assert len(oracle.of("channel_meta")) == len(CHANNELS) + 1  # the rename wrote meta once more
    assert_all_points(influxdb1, oracle)


def vm_samples(server: VictoriaMetricsServer) -> set[tuple[str, frozenset[tuple[str, str]], float, int]]:
    result = set()
    for series in server.export('{__name__=~"channel_.+|region_audience_.+|collector_cycle_.+"}'):
        labels = dict(series["metric"])
        name = labels.pop("__name__")
        for value, ts_ms in zip(series["values"], series["timestamps"], strict=True):
            result.add((name, frozenset(labels.items()), float(value), ts_ms // 1000))
    return result


def vm_expected(oracle: Oracle) -> set[tuple[str, frozenset[tuple[str, str]], float, int]]:
    """VictoriaMetrics names a series `<measurement>_<field>`. It does not keep string fields: 1.79 stores
    each as a series of zeros (`channel_meta_title` = 0), so titles are only comparable on InfluxDB."""
    result = set()
    for measurement, tags, fields, ts in oracle.rows:
        for key, value in fields:
            result.add((f"{measurement}_{key}", tags, 0.0 if isinstance(value, str) else float(value), ts))
    return result


def test_schema_round_trip_through_victoriametrics_v2(
    victoriametrics: VictoriaMetricsServer, tmp_path: Path
) -> None:
    sweeps = make_sweeps()
    sink = sink_for(victoriametrics.url, tmp_path, api="v2")

    async def scenario() -> None:
        for sweep in sweeps:
            await sink.write_sweep(sweep)
        await sink.aclose()

    asyncio.run(scenario())
    victoriametrics.flush()
    got = vm_samples(victoriametrics)
    want = vm_expected(expected(sweeps))
    # VictoriaMetrics keeps floats to ~12 significant digits: compare per_1000 with a tolerance.
    exact = {s for s in want if s[0] != "region_audience_per_1000"}
    assert {s for s in got if s[0] != "region_audience_per_1000"} == exact
    got_ratio = {(s[1], s[3]): s[2] for s in got if s[0] == "region_audience_per_1000"}
    want_ratio = {(s[1], s[3]): s[2] for s in want if s[0] == "region_audience_per_1000"}
    assert got_ratio.keys() == want_ratio.keys()
    assert all(math.isclose(got_ratio[k], v, rel_tol=1e-9) for k, v in want_ratio.items())


def test_partial_write_reports_the_bad_point_and_writes_the_rest(
    influxdb1: InfluxDB1Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    influxdb1.create_database(DB)
    good = [
        f"channel_subscribers,category=governor,channel={i},platform=vk,region=RU-MOW subscribers={i}i {T0}"
        for i in range(10)
    ]
    bad = f"channel_subscribers,channel=x,platform=vk subscribers=12x {T0}"
    sink = sink_for(influxdb1.url, tmp_path)

    async def scenario() -> None:
        await sink.deliver([*good[:5], bad, *good[5:]])
        await sink.aclose()

    asyncio.run(scenario())
    assert sorted(r["channel"] for r in influxdb1.rows("SELECT * FROM channel_subscribers", DB)) == [
        str(i) for i in range(10)
    ]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and repr(bad) in errors[0]


def test_outage_spools_then_every_point_lands_exactly_once(
    influxdb1: InfluxDB1Server, tmp_path: Path
) -> None:
    influxdb1.create_database(DB)
    sweeps = make_sweeps(count=6)
    sink = sink_for(influxdb1.url, tmp_path, batch_size=10)
    spool = sink._spool

    async def scenario() -> None:
        await sink.write_sweep(sweeps[0])
        influxdb1.stop()
        for sweep in sweeps[1:4]:
            await sink.write_sweep(sweep)
            await sink.replay()  # the pipeline's periodic replay while the server is still down
        assert spool.points > 0
        influxdb1.start()
        await sink.write_sweep(sweeps[4])  # goes behind the spool, then the spool drains in order
        assert spool.points == 0
        await sink.write_sweep(sweeps[5])
        await sink.aclose()

    asyncio.run(scenario())
    oracle = expected(sweeps)
    assert_all_points(influxdb1, oracle)
    count = influxdb1.rows("SELECT count(subscribers) FROM channel_subscribers", DB)[0]["count"]
    assert count == len(oracle.of("channel_subscribers"))


def iter_lines(path: Path) -> Iterator[str]:
    yield from path.read_text().splitlines()
