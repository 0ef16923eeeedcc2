"""The InfluxDB side against a real InfluxDB 1.x on loopback: the InfluxQL reader gives the analytics the
same histories and daily values as the store, `import influx` copies the history into the store, and an
event lands in the `events` measurement."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.analytics.detection import Detector, Kind
from collector.analytics.influx_source import InfluxSource, InfluxTarget
from collector.analytics.sources import StoreSource
from collector.config import DetectionSettings
from collector.models import Category, Channel, Platform
from exporters.lineprotocol import channel_meta_line, channel_subscribers_line, channel_subscribers_prefix
from exporters.store import Store
from tests.analytics.synthetic import DAY, HOUR, HOURS, samples, scenario
from tests.reports.support import run
from tests.support.influxdb import InfluxDB1Server

pytestmark = pytest.mark.servers

OFFSET = 1_764_547_200.0  # 2025-12-01T00:00Z: the synthetic hours start here
TRENDS = (Kind.STALLED, Kind.DECLINING, Kind.DROP, Kind.SPIKE, Kind.FLATLINE)


def _fill(influx: InfluxDB1Server) -> list[Channel]:
    influx.create_database("govpulse")
    channels = scenario(walks=20)
    lines = []
    for ch in channels:
        info = ch.info
        prefix = channel_subscribers_prefix(info.platform, info.channel, info.region, info.category)
        lines += [
            channel_subscribers_line(prefix, n, int(at + OFFSET))
            for at, status, n in ch.attempts()
            if n is not None
        ]
        lines.append(
            channel_meta_line(
                info.platform, info.channel, title=info.title, org="", link="", timestamp=int(OFFSET)
            )
        )
    for start in range(0, len(lines), 20_000):
        influx.write("\n".join(lines[start : start + 20_000]), db="govpulse")
    return [
        Channel(
            Platform(c.info.platform),
            c.info.channel,
            c.info.region,
            Category(c.info.category),
            title=c.info.title,
        )
        for c in channels
    ]


def test_influx_source_matches_the_store(influxdb1: InfluxDB1Server, tmp_path: Path) -> None:
    registry = _fill(influxdb1)
    ok_only = [s for s in samples(scenario(walks=20), OFFSET) if s.subscribers is not None]
    with Store.open(tmp_path / "s.sqlite3") as store:
        store.sync_registry(registry, at=OFFSET)
        store.write_samples(ok_only)
        from_store = StoreSource(store)
        from_influx = InfluxSource(InfluxTarget(influxdb1.url, "govpulse"))
        end = OFFSET + HOURS * HOUR
        store_hist, influx_hist = from_store.histories(OFFSET, end), from_influx.histories(OFFSET, end)
        assert store_hist.keys() == influx_hist.keys()
        for key, history in store_hist.items():
            assert influx_hist[key].gauge_times == history.gauge_times, key
            assert influx_hist[key].gauge_values == history.gauge_values, key
            assert influx_hist[key].info.title == history.info.title
        detector = Detector(DetectionSettings())
        flagged = 0
        for at in (OFFSET + 18 * DAY, OFFSET + 19 * DAY, OFFSET + 20 * DAY):
            a, b = detector.evaluate(store_hist, at), detector.evaluate(influx_hist, at)
            for kind in TRENDS:
                assert a.keys(kind) == b.keys(kind), (kind, at)
                flagged += len(a.keys(kind))
        assert flagged > 20
        first, last = int(OFFSET // DAY), int(end // DAY)
        store_daily, influx_daily = from_store.daily(first, last), from_influx.daily(first, last)
        assert {k: [(v.day, v.last) for v in vs] for k, vs in store_daily.items()} == {
            k: [(v.day, v.last) for v in vs] for k, vs in influx_daily.items()
        }
        from_store.close()
        from_influx.close()


def test_import_influx_and_event_to_influx(influxdb1: InfluxDB1Server, tmp_path: Path) -> None:
    _fill(influxdb1)
    config = tmp_path / "govpulse.yaml"
    config.write_text(
        f"store:\n  path: {tmp_path / 'store.sqlite3'}\nsinks:\n  influxdb:\n    enabled: true\n"
        f"    api: v1\n    url: {influxdb1.url}\n    database: govpulse\n",
        encoding="utf-8",
    )
    code, out, err = run("import", "influx", "-c", str(config), "--url", influxdb1.url, "--db", "govpulse")
    assert code == 0, err
    expected = sum(1 for s in samples(scenario(walks=20)) if s.subscribers is not None)
    assert f"записано наблюдений: {expected}" in out
    with Store.open(tmp_path / "store.sqlite3", readonly=True) as store:
        stored = next(c for c in store.channels() if c.key == "vk:4").channel
        assert (stored.region, stored.category.value) == ("RU-AST", "municipality")
    code, _, err = run(
        "event",
        "add",
        "-c",
        str(config),
        "--at",
        "2025-12-03",
        "--platform",
        "vk",
        "--region",
        "RU-AST",
        "--text",
        "Чистка ботов, 3 декабря",
    )
    assert code == 0, err
    rows = influxdb1.rows('SELECT "text", "platform", "region" FROM "events"', db="govpulse")
    assert rows == [
        {"time": 1764720000, "text": "Чистка ботов, 3 декабря", "platform": "vk", "region": "RU-AST"}
    ]
