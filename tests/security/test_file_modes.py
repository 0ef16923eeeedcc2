"""Files holding collected data or pending messages are private to the service's user, whatever the umask:
the embedded store (database, -wal, -shm) and the InfluxDB spool segments 0600, the outbox 0600, and every
directory they create 0700."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.config import SpoolFullPolicy
from collector.models import OK, Category, Channel, Platform, Sample
from exporters.relay.outbox import Outbox
from exporters.spool import Spool
from exporters.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The loosest common umask: anything not chmod-ed explicitly would come out group/world-readable."""
    previous = os.umask(0o002)
    yield
    os.umask(previous)


def test_store_files_and_directories(tmp_path: Path) -> None:
    path = tmp_path / "var" / "lib" / "govpulse" / "store.sqlite3"
    channel = Channel(Platform.MAX, "-70000000001", "RU-MOW", Category.SCHOOL)
    with Store.open(path) as store:
        store.sync_registry([channel], at=1_768_867_200)
        store.write_samples([Sample(Platform.MAX, channel.channel, 1_768_867_200, OK, 5)])
        files = sorted(tmp_path.glob("var/lib/govpulse/store.sqlite3*"))
        assert [f.name for f in files] == ["store.sqlite3", "store.sqlite3-shm", "store.sqlite3-wal"]
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    for directory in (tmp_path / "var", tmp_path / "var" / "lib", path.parent):
        assert mode(directory) == 0o700, directory


def test_spool_segments_and_directory(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool" / "influxdb", 1 << 20, SpoolFullPolicy.DROP_OLDEST)
    spool.append(["channel_subscribers,platform=max,channel=-1 subscribers=5i 1768867200"])
    (segment,) = spool.segments()
    assert mode(segment.path) == 0o600
    assert mode(spool.directory) == 0o700


def test_spool_parent_created_for_it_is_private(tmp_path: Path) -> None:
    Spool(tmp_path / "spool" / "influxdb", 1 << 20, SpoolFullPolicy.DROP_OLDEST)
    assert mode(tmp_path / "spool") == 0o700


def test_outbox_file_and_directory(tmp_path: Path) -> None:
    path = tmp_path / "relay" / "outbox.sqlite3"
    outbox = Outbox(path)
    try:
        with outbox.batch() as batch:
            batch.add("max", "-500001", "текст")
        for file in path.parent.glob("outbox.sqlite3*"):
            assert mode(file) == 0o600, file
        assert mode(path.parent) == 0o700
    finally:
        outbox.close()
