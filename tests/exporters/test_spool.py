"""The durable spool: order, bounds under each policy, crash leftovers, corruption, permissions."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from collector.config import SpoolFullPolicy, SpoolSettings
from exporters.spool import Spool, SpoolCorrupt


def batch(tag: str, n: int = 3) -> list[str]:
    # A point may hold a raw newline inside a string field; the spool must keep it whole.
    return [f'm,t={tag} v={i}i,s="a\nb" {i}' for i in range(n)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_batches_come_back_in_order_and_survive_reopen(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "influxdb", max_bytes=1 << 20)
    for tag in "abc":
        assert spool.append(batch(tag)).stored == 3
    assert spool.points == 9
    reopened = Spool(tmp_path / "influxdb", max_bytes=1 << 20)
    assert [reopened.read(s) for s in reopened.segments()] == [batch("a"), batch("b"), batch("c")]
    reopened.remove(reopened.segments()[0])
    assert reopened.append(batch("d")).stored == 3
    assert [reopened.read(s)[0] for s in reopened.segments()] == [batch(t)[0] for t in "bcd"]


def test_permissions(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s", max_bytes=1 << 20)
    spool.append(batch("a"))
    assert stat.S_IMODE((tmp_path / "s").stat().st_mode) == 0o700
    assert stat.S_IMODE(spool.segments()[0].path.stat().st_mode) == 0o600


def test_depth_and_oldest_age(tmp_path: Path) -> None:
    clock = Clock()
    spool = Spool(tmp_path, max_bytes=1 << 20, clock=clock)
    assert spool.oldest_age_seconds() == 0.0
    spool.append(batch("a"))
    clock.now += 30
    spool.append(batch("b", 2))
    clock.now += 12
    assert spool.points == 5
    assert spool.oldest_age_seconds() == 42.0
    spool.remove(spool.segments()[0])
    assert spool.oldest_age_seconds() == 12.0


def segment_size(tmp_path: Path) -> int:
    probe = Spool(tmp_path / "probe", max_bytes=1 << 20)
    probe.append(batch("a"))
    return probe.size_bytes


def test_drop_oldest_deletes_old_segments_and_counts(tmp_path: Path) -> None:
    size = segment_size(tmp_path)
    spool = Spool(tmp_path / "s", max_bytes=size * 2 + size // 2, full_policy=SpoolFullPolicy.DROP_OLDEST)
    assert spool.append(batch("a")).dropped == 0
    assert spool.append(batch("b")).dropped == 0
    result = spool.append(batch("c"))
    assert (result.stored, result.dropped) == (3, 3)
    assert [spool.read(s)[0] for s in spool.segments()] == [batch("b")[0], batch("c")[0]]
    assert spool.size_bytes <= spool.max_bytes


def test_refuse_new_keeps_old_and_counts(tmp_path: Path) -> None:
    size = segment_size(tmp_path)
    spool = Spool(tmp_path / "s", max_bytes=size * 2 + size // 2, full_policy=SpoolFullPolicy.REFUSE_NEW)
    spool.append(batch("a"))
    spool.append(batch("b"))
    result = spool.append(batch("c"))
    assert (result.stored, result.dropped) == (0, 3)
    assert [spool.read(s)[0] for s in spool.segments()] == [batch("a")[0], batch("b")[0]]


@pytest.mark.parametrize("policy", list(SpoolFullPolicy))
def test_a_batch_larger_than_the_bound_is_dropped(tmp_path: Path, policy: SpoolFullPolicy) -> None:
    spool = Spool(tmp_path, max_bytes=2048, full_policy=policy)
    spool.append(batch("a"))
    result = spool.append(batch("big", 200))
    assert (result.stored, result.dropped) == (0, 200)
    assert spool.points == 3  # the old batch stays under both policies


def test_crash_leftovers_are_cleaned_and_corrupt_segments_set_aside(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.append(batch("a"))
    spool.append(batch("b"))
    (tmp_path / "00000000000000000003.tmp").write_bytes(b'{"format": 1, "poi')  # a write cut short
    second = spool.segments()[1].path
    second.write_bytes(second.read_bytes()[:-5])  # damaged on disk
    reopened = Spool(tmp_path, max_bytes=1 << 20)
    assert [reopened.read(s) for s in reopened.segments()] == [batch("a")]
    assert not list(tmp_path.glob("*.tmp"))
    assert second.with_suffix(".corrupt").exists()
    assert reopened.append(batch("c")).stored == 3
    assert reopened.segments()[-1].sequence == 2  # numbering continues after the last good segment


def test_read_of_a_vanished_segment_raises(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.append(batch("a"))
    segment = spool.segments()[0]
    segment.path.unlink()
    with pytest.raises(SpoolCorrupt):
        spool.read(segment)


def test_for_sink_uses_one_directory_per_sink(tmp_path: Path) -> None:
    settings = SpoolSettings(directory=tmp_path, max_bytes=4096, full_policy=SpoolFullPolicy.REFUSE_NEW)
    spool = Spool.for_sink(settings, "influxdb")
    assert spool.directory == tmp_path / "influxdb"
    assert (spool.max_bytes, spool.full_policy) == (4096, SpoolFullPolicy.REFUSE_NEW)
