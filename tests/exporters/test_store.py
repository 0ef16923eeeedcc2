"""The embedded store: files and pragmas, registry sync and metadata history, writes, replays and reads."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from collector.config import StoreSettings
from collector.models import OK, Category, Channel, Platform, Reason, Sample, SweepResult
from exporters.store import Store, StoreError
from exporters.store_records import SECONDS_PER_DAY, day_date, utc_day
from exporters.store_schema import PAGE_SIZE, SCHEMA_VERSION, STATUS_CODES

T0 = 1_764_547_200  # 2025-12-01 00:00:00 UTC
DAY = SECONDS_PER_DAY


def channel(n: int, region: str = "RU-MOW", platform: Platform = Platform.MAX, **kw: object) -> Channel:
    return Channel(platform, f"-{n}" if platform is Platform.MAX else str(n), region, Category.SCHOOL, **kw)  # type: ignore[arg-type]


def sample(ch: Channel, at: float, subscribers: int | None, status: str = OK, **kw: str) -> Sample:
    return Sample(ch.platform, ch.channel, at, status, subscribers if status == OK else None, **kw)


def sweep(*samples: Sample) -> SweepResult:
    return SweepResult(Platform.MAX, 0, samples[0].observed_at, samples[-1].observed_at, samples)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "store.sqlite3", raw_retention_days=30)
    yield opened
    opened.close()


# -- files, pragmas, schema --------------------------------------------------------------------------


def test_creates_private_directory_and_files(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "var" / "deep" / "store.sqlite3"
        with Store.open(path) as opened:
            opened.sync_registry([channel(1)], at=T0)
            suffixes = ["", "-wal", "-shm"]
            modes = {s: stat.S_IMODE(os.stat(f"{path}{s}").st_mode) for s in suffixes}
        assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
        assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_pragmas_and_schema_version(store: Store) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.close()


def test_background_checkpoint_moves_the_wal_into_the_database(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = Store.open(path)
    try:
        assert store._conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
        before = path.stat().st_size  # the schema is still in the WAL: nothing has been checkpointed
        store.sync_registry([channel(n) for n in range(500)], at=T0)
        store.write_sweep(sweep(*(sample(channel(n), T0, n) for n in range(500))))
        for _ in range(500):  # bounded wait for the checkpoint thread to copy the frames
            if path.stat().st_size > before + 20 * PAGE_SIZE:
                break
            time.sleep(0.01)
        assert path.stat().st_size > before + 20 * PAGE_SIZE
    finally:
        store.close()
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with Store.open(path) as reopened:
        assert len(reopened.latest(T0)) == 500


def test_every_status_has_a_stable_code() -> None:
    assert set(STATUS_CODES) == {OK, *(r.value for r in Reason)}
    assert len(set(STATUS_CODES.values())) == len(STATUS_CODES)


def test_reopen_keeps_data_and_does_not_remigrate(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with Store.open(path) as first:
        first.sync_registry([channel(1)], at=T0)
        first.write_sweep(sweep(sample(channel(1), T0, 10)))
    with Store.open(path) as second:
        assert second.latest(T0) == {"max:-1": (10, float(T0))}
        versions = second._conn.execute("SELECT count(*) FROM schema_version").fetchone()[0]
        assert versions == SCHEMA_VERSION


def test_refuses_a_database_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 0)", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store.open(path)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 500)
    with pytest.raises(StoreError, match=r"junk\.sqlite3.*not a valid"):
        Store.open(path)


def test_reader_sees_writes_and_cannot_write(store: Store) -> None:
    store.sync_registry([channel(1)], at=T0)
    store.write_sweep(sweep(sample(channel(1), T0, 5)))
    with Store.open(store.path, readonly=True) as reader:
        assert reader.latest(T0) == {"max:-1": (5, float(T0))}
        store.write_sweep(sweep(sample(channel(1), T0 + 3600, 6)))
        assert reader.latest(T0 + 3600)["max:-1"] == (6, float(T0 + 3600))
        with pytest.raises(StoreError, match="read-only"):
            reader.write_sweep(sweep(sample(channel(1), T0 + 7200, 7)))


def test_from_settings(tmp_path: Path) -> None:
    settings = StoreSettings(path=tmp_path / "x.sqlite3", raw_retention_days=9)
    with Store.from_settings(settings) as opened:
        assert opened.raw_retention_days == 9
        assert opened.path == tmp_path / "x.sqlite3"


# -- registry, discovery, metadata history -------------------------------------------------------------


def test_sync_registry_adds_changes_removes_and_restores(store: Store) -> None:
    a, b = channel(1, org="Минпрос", title="Школа 1"), channel(2)
    assert store.sync_registry([a, b], at=T0) == {"added": 2, "changed": 0, "restored": 0, "removed": 0}
    moved = channel(1, region="RU-AST", org="Минпрос", title="Школа №1")
    assert store.sync_registry([moved], at=T0 + 10) == {"added": 0, "changed": 1, "restored": 0, "removed": 1}
    assert store.sync_registry([moved, b], at=T0 + 20)["restored"] == 1
    history = [(c.key, c.field, c.old, c.new) for c in store.changes(since=T0, until=T0 + 30)]
    assert history == [
        ("max:-1", "region", "RU-MOW", "RU-AST"),
        ("max:-1", "title", "Школа 1", "Школа №1"),
        ("max:-2", "state", "active", "removed"),
        ("max:-2", "state", "removed", "active"),
    ]
    stored = {s.key: s for s in store.channels()}
    assert stored["max:-1"].channel.region == "RU-AST" and stored["max:-2"].removed_at is None


def test_platform_title_wins_over_a_stale_registry_title(store: Store) -> None:
    a = channel(1, title="Старое имя")
    store.sync_registry([a], at=T0)
    store.write_sweep(sweep(sample(a, T0 + 60, 1, title="Новое имя", link="https://max.ru/x")))
    store.sync_registry([a], at=T0 + 120)  # a restart with the registry's old title
    (stored,) = store.channels()
    assert (stored.channel.title, stored.channel.link) == ("Новое имя", "https://max.ru/x")
    fields = [(c.field, c.source) for c in store.changes("max:-1")]
    assert fields == [("title", "platform"), ("link", "platform")]


def test_discovered_channels_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    found = Channel(Platform.MAX, "-77", "unknown", Category.UNCLASSIFIED, title="Школа 77")
    with Store.open(path) as first:
        first.sync_registry([channel(1)], at=T0)
        assert first.add_discovered(found, T0) is True
        assert first.add_discovered(found, T0 + 1) is False
        first.sync_registry([channel(1)], at=T0 + 2)  # discovered channels are not the registry's to remove
    with Store.open(path) as second:
        assert second.discovered_channels() == [found]
        assert second.mark_removed(Platform.MAX, "-77", T0 + 3) is True
        assert second.mark_removed("max", "-77", T0 + 4) is False
        assert second.discovered_channels() == []
        assert second.add_discovered(found, T0 + 5) is True  # the bot was added back


def test_registry_adopts_a_discovered_channel(store: Store) -> None:
    store.add_discovered(Channel(Platform.MAX, "-5", "unknown", Category.UNCLASSIFIED), T0)
    store.sync_registry([channel(5, region="RU-KRS")], at=T0 + 1)
    assert store.discovered_channels() == []
    (stored,) = store.channels()
    assert (stored.origin, stored.channel.region, stored.channel.category) == ("registry", "RU-KRS", "school")


def test_resolved_ids_round_trip(store: Store) -> None:
    store.save_resolved_ids({"mos_ru": 123, "astrobl": "456"})
    store.save_resolved_ids({"mos_ru": 124})
    assert store.resolved_ids() == {"mos_ru": 124, "astrobl": 456}


# -- writes ------------------------------------------------------------------------------------------------


def test_write_sweep_is_idempotent_and_corrections_recompute_the_day(store: Store) -> None:
    a = channel(1)
    store.sync_registry([a], at=T0)
    first = sweep(
        sample(a, T0 + 10, 100), sample(a, T0 + 20, 90), sample(a, T0 + 30, 0, Reason.TIMEOUT.value)
    )
    assert store.write_sweep(first) == 3
    assert store.write_sweep(first) == 0  # a replay from the spool changes nothing
    assert store.write_sweep(sweep(sample(a, T0 + 20, 95))) == 1  # corrected
    (row,) = store.daily_series(a.key, day_date(utc_day(T0)), day_date(utc_day(T0)))
    assert (row.first, row.last, row.min, row.max, row.ok_count, row.failed_count) == (100, 95, 95, 100, 2, 1)
    assert (row.last_status, row.last_status_at) == ("timeout", T0 + 30)
    assert store.series(a.key, T0, T0 + 60) == [
        (T0 + 10, "ok", 100),
        (T0 + 20, "ok", 95),
        (T0 + 30, "timeout", None),
    ]


def test_out_of_order_samples_merge_into_the_day(store: Store) -> None:
    a = channel(1)
    store.write_sweep(sweep(sample(a, T0 + 500, 50)))
    store.write_sweep(sweep(sample(a, T0 + 100, 10)))  # late: older than what the channel has
    (row,) = store.daily_series(a.key, day_date(utc_day(T0)), day_date(utc_day(T0)))
    assert (row.first, row.first_at, row.last, row.last_at, row.ok_count) == (10, T0 + 100, 50, T0 + 500, 2)


def test_samples_of_unknown_channels_are_kept_until_the_registry_says(store: Store) -> None:
    stray = channel(9)
    assert store.write_sweep(sweep(sample(stray, T0, 3))) == 1
    (stored,) = store.channels()
    assert (stored.key, stored.channel.category, stored.state) == ("max:-9", Category.UNCLASSIFIED, "active")
    store.sync_registry([channel(1)], at=T0 + 1)
    assert {s.key: s.state for s in store.channels()} == {"max:-9": "removed", "max:-1": "active"}


def test_bad_samples(store: Store) -> None:
    a = channel(1)
    with pytest.raises(ValueError, match="unknown status 'exploded'"):
        store.write_sweep(sweep(Sample(a.platform, a.channel, T0, "exploded")))
    store.write_sweep(sweep(Sample(a.platform, a.channel, T0, OK, None)))  # ok without a count
    assert store.series(a.key, T0, T0) == [(float(T0), "bad_response", None)]
    assert store.latest(T0) == {}


# -- reads ---------------------------------------------------------------------------------------------------


def test_latest_as_of_platform_and_removed(store: Store) -> None:
    m, v = channel(1), channel(2, platform=Platform.VK)
    store.sync_registry([m, v], at=T0)
    store.write_sweep(sweep(sample(m, T0, 10), sample(v, T0, 20)))
    store.write_sweep(sweep(sample(m, T0 + 3600, 11), sample(v, T0 + 3600, 0, Reason.HTTP_5XX.value)))
    assert store.latest(T0 + 3600) == {"max:-1": (11, T0 + 3600.0), "vk:2": (20, float(T0))}
    assert store.latest(T0 + 1800) == {"max:-1": (10, float(T0)), "vk:2": (20, float(T0))}
    assert store.latest(T0 + 3600, platform="vk") == {"vk:2": (20, float(T0))}
    assert store.latest(T0 - 1) == {}
    store.mark_removed(Platform.VK, "2", T0 + 7200)
    assert "vk:2" not in store.latest(T0 + 7200)
    assert "vk:2" in store.latest(T0 + 7199)


def test_prune_keeps_daily_and_latest_falls_back_to_it(store: Store) -> None:
    a, b = channel(1), channel(2)
    for day in range(40):
        store.write_sweep(sweep(sample(a, T0 + day * DAY + 60, 100 + day), sample(b, T0 + day * DAY + 90, 7)))
    now = T0 + 39 * DAY + 120
    assert store.prune(now, chunk_channels=1) == 2 * 9  # days 0..8 are older than 30 days before day 39
    assert store.series(a.key, T0, now)[0][0] == T0 + 9 * DAY + 60
    assert len(store.daily_series(a.key, day_date(utc_day(T0)), day_date(utc_day(now)))) == 40
    assert store.latest(T0 + 3 * DAY + 100)["max:-1"] == (103, T0 + 3 * DAY + 60.0)
    assert store.latest(T0 + 3 * DAY + 30)["max:-1"] == (102, T0 + 2 * DAY + 60.0)
    # A replay of a pruned sample must not be counted again in its day.
    assert store.write_sweep(sweep(sample(a, T0 + 60, 100))) == 0
    (row,) = store.daily_series(a.key, day_date(utc_day(T0)), day_date(utc_day(T0)))
    assert row.ok_count == 1


def test_daily_totals_group_and_carry_forward(store: Store) -> None:
    a, b = channel(1, "RU-MOW"), channel(2, "RU-AST")
    c = channel(3, "RU-AST", platform=Platform.VK)
    store.sync_registry([a, b, c], at=T0)
    for day in range(4):
        at = T0 + day * DAY
        ok_b = sample(b, at, 50 + day) if day != 2 else sample(b, at, None, Reason.TIMEOUT.value)
        store.write_sweep(sweep(sample(a, at, 10 * (day + 1)), ok_b, sample(c, at, 1000)))
    first, last = day_date(utc_day(T0)), day_date(utc_day(T0 + 3 * DAY))
    totals = {
        (t.day.isoformat(), t.group): (t.subscribers, t.channels) for t in store.daily_totals(first, last)
    }
    assert totals[("2025-12-03", ("RU-AST",))] == (1051, 2)  # b's failed day carries 51 forward
    assert totals[("2025-12-04", ("RU-AST",))] == (1053, 2)
    assert totals[("2025-12-04", ("RU-MOW",))] == (40, 1)
    by_two = store.daily_totals(last, last, by=("region", "platform"), platform="max")
    assert [(t.group, t.subscribers) for t in by_two] == [(("RU-AST", "max"), 53), (("RU-MOW", "max"), 40)]
    no_carry = store.daily_totals(first, last, by=("platform",), carry_days=0, platform=Platform.MAX)
    assert [(t.day.day, t.subscribers) for t in no_carry] == [(1, 60), (2, 71), (3, 30), (4, 93)]
    with pytest.raises(ValueError, match="group by"):
        store.daily_totals(first, last, by=("title",))


def test_carry_forward_stops_after_carry_days(store: Store) -> None:
    a = channel(1)
    store.write_sweep(sweep(sample(a, T0, 5)))
    totals = store.daily_totals(date(2025, 11, 30), date(2025, 12, 20), carry_days=3)
    assert [t.day.day for t in totals] == [1, 2, 3, 4]


def test_last_outcomes_count_failures_since_last_ok(store: Store) -> None:
    a, b, c = channel(1), channel(2), channel(3)
    store.sync_registry([a, b, c], at=T0)
    store.write_sweep(sweep(sample(a, T0, 1), sample(b, T0, 2), sample(c, T0, 0, Reason.NOT_FOUND.value)))
    for hour in (1, 2, 3):
        at = T0 + hour * 3600
        lost = sample(b, at, None, Reason.LOST_ACCESS.value)
        store.write_sweep(sweep(sample(a, at, 1), lost, sample(c, at, None, Reason.NOT_FOUND.value)))
    outcomes = store.last_outcomes()
    assert outcomes["max:-1"].failures_since_ok == 0 and outcomes["max:-1"].status == "ok"
    assert outcomes["max:-2"] == type(outcomes["max:-2"])("lost_access", T0 + 3 * 3600.0, float(T0), 3)
    assert (outcomes["max:-3"].last_ok_at, outcomes["max:-3"].failures_since_ok) == (None, 4)
    store.mark_removed(Platform.MAX, "-3", T0 + 4 * 3600)
    assert "max:-3" not in store.last_outcomes()
    assert "max:-3" in store.last_outcomes(include_removed=True)


def test_events_scope_filters(store: Store) -> None:
    store.add_event(T0, "outage", "VK API недоступен", platform="vk")
    store.add_event(T0 + 10, "import", "Загружен реестр")
    store.add_event(T0 + 20, "purge", "Чистка ботов", platform="max", region="RU-AST", channel="-1")
    assert [e.kind for e in store.events(T0, T0 + 20, platform="max")] == ["import", "purge"]
    assert [e.kind for e in store.events(T0, T0 + 20, kind="outage")] == ["outage"]
    assert [e.text for e in store.events(T0 + 5, T0 + 15)] == ["Загружен реестр"]


def test_unknown_key_reads_are_empty(store: Store) -> None:
    assert store.series("max:-404", 0, T0) == []
    assert store.daily_series("max:-404", date(2025, 1, 1), date(2025, 12, 31)) == []
    assert store.changes("max:-404") == []
