"""Disk full: the write fails with a clear StoreError, nothing partial is stored, the store stays usable and
the next write succeeds once space returns.

Two ways to fill up: a real 2 MiB tmpfs (needs root and mount permission; skipped otherwise) and SQLite's
`max_page_count`, which yields the same SQLITE_FULL without a filesystem.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from collector.models import OK, Category, Channel, Platform, Sample, SweepResult
from exporters.store import Store, StoreError

CHANNELS = [Channel(Platform.MAX, f"-{n}", "RU-MOW", Category.SCHOOL) for n in range(300)]
T0 = 1_764_547_200


def make_sweep(number: int) -> SweepResult:
    at = T0 + number * 3600
    samples = tuple(Sample(c.platform, c.channel, at, OK, number * 1000 + i) for i, c in enumerate(CHANNELS))
    return SweepResult(Platform.MAX, 0, at, at + 1, samples)


@contextmanager
def tmpfs(directory: Path, size: str) -> Iterator[Path]:
    directory.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)], check=False
    )
    if done.returncode != 0:
        pytest.skip("mount -t tmpfs is not permitted here")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill_until_full(store: Store) -> tuple[int, StoreError]:
    """Write sweeps until one fails; return how many were committed and the error."""
    for number in range(1, 2000):
        try:
            store.write_sweep(make_sweep(number))
        except StoreError as exc:
            return number - 1, exc
    raise AssertionError("the store never filled up")


def assert_sweeps_exactly(store: Store, committed: int) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = dict(conn.execute("SELECT observed_at, count(*) FROM samples GROUP BY observed_at"))
    assert counts == {T0 + n * 3600: len(CHANNELS) for n in range(1, committed + 1)}
    conn.close()


def check_full_then_recovered(store: Store, free_space: Callable[[], None]) -> None:
    store.sync_registry(CHANNELS, at=T0)
    committed, error = fill_until_full(store)
    assert committed > 0
    assert str(store.path) in str(error) and "disk is full" in str(error)
    assert error.path == store.path
    assert_sweeps_exactly(store, committed)  # the failed sweep left nothing behind
    assert store.latest()[CHANNELS[0].key] == (committed * 1000, float(T0 + committed * 3600))
    free_space()
    assert store.write_sweep(make_sweep(committed + 1)) == len(CHANNELS)
    assert store.write_sweep(make_sweep(committed + 2)) == len(CHANNELS)
    assert_sweeps_exactly(store, committed + 2)


def test_full_tmpfs(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "2m") as mount:
        ballast = mount / "ballast"
        ballast.write_bytes(b"\0" * 768 * 1024)
        store = Store.open(mount / "store.sqlite3")
        try:
            check_full_then_recovered(store, ballast.unlink)
        finally:
            store.close()


def test_full_database_by_page_limit(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store.sqlite3")
    try:
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages + 150}")

        def raise_limit() -> None:
            store._conn.execute("PRAGMA max_page_count = 1000000")

        check_full_then_recovered(store, raise_limit)
    finally:
        store.close()
