"""Daily roll-ups: fold raw samples into per-(channel, day) rows, merged into `daily` by UPSERT.

The fold is associative, so a sweep's samples are aggregated in memory and merged with what the table
already holds in one statement per row; recomputing a day from its raw samples uses the same fold.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from exporters.store_records import SECONDS_PER_DAY
from exporters.store_schema import OK_CODE

# (channel_id, observed_at, status code, subscribers)
RawRow = tuple[int, int, int, int | None]

# Column order of `daily`: channel_id, day, first, last, min, max, first_at, last_at, ok_count,
# failed_count, last_status, last_status_at.
DailyTuple = tuple[
    int, int, int | None, int | None, int | None, int | None, int | None, int | None, int, int, int, int
]

UPSERT_DAILY = """
INSERT INTO daily VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (channel_id, day) DO UPDATE SET
    first = CASE WHEN excluded.first_at IS NOT NULL AND (first_at IS NULL OR excluded.first_at < first_at)
                 THEN excluded.first ELSE first END,
    first_at = CASE WHEN excluded.first_at IS NOT NULL AND (first_at IS NULL OR excluded.first_at < first_at)
                    THEN excluded.first_at ELSE first_at END,
    last = CASE WHEN excluded.last_at IS NOT NULL AND (last_at IS NULL OR excluded.last_at > last_at)
                THEN excluded.last ELSE last END,
    last_at = CASE WHEN excluded.last_at IS NOT NULL AND (last_at IS NULL OR excluded.last_at > last_at)
                   THEN excluded.last_at ELSE last_at END,
    min = min(coalesce(min, excluded.min), coalesce(excluded.min, min)),
    max = max(coalesce(max, excluded.max), coalesce(excluded.max, max)),
    ok_count = ok_count + excluded.ok_count,
    failed_count = failed_count + excluded.failed_count,
    last_status = CASE WHEN excluded.last_status_at > last_status_at
                       THEN excluded.last_status ELSE last_status END,
    last_status_at = max(last_status_at, excluded.last_status_at)
"""


class _Day:
    """Running statistics of one channel's day."""

    __slots__ = ("failed", "first", "first_at", "hi", "last", "last_at", "lo", "ok", "status", "status_at")

    def __init__(self, at: int, status: int) -> None:
        self.first: int | None = None
        self.last: int | None = None
        self.lo: int | None = None
        self.hi: int | None = None
        self.first_at: int | None = None
        self.last_at: int | None = None
        self.ok = 0
        self.failed = 0
        self.status = status
        self.status_at = at

    def add(self, at: int, status: int, subscribers: int | None) -> None:
        if at >= self.status_at:
            self.status, self.status_at = status, at
        if status != OK_CODE or subscribers is None:
            self.failed += 1
            return
        self.ok += 1
        if self.first_at is None or at < self.first_at:
            self.first, self.first_at = subscribers, at
        if self.last_at is None or at > self.last_at:
            self.last, self.last_at = subscribers, at
        self.lo = subscribers if self.lo is None else min(self.lo, subscribers)
        self.hi = subscribers if self.hi is None else max(self.hi, subscribers)

    def row(self, channel_id: int, day: int) -> DailyTuple:
        return (
            channel_id,
            day,
            self.first,
            self.last,
            self.lo,
            self.hi,
            self.first_at,
            self.last_at,
            self.ok,
            self.failed,
            self.status,
            self.status_at,
        )


def fold(rows: Iterable[RawRow]) -> list[DailyTuple]:
    """Aggregate raw samples into one daily tuple per (channel_id, day); any input order."""
    single: dict[tuple[int, int], RawRow] = {}  # the common case: one sample per channel and day
    multiple: dict[tuple[int, int], _Day] = {}
    for sample in rows:
        channel_id, at, status, subscribers = sample
        key = (channel_id, at // SECONDS_PER_DAY)
        day = multiple.get(key)
        if day is None:
            first = single.pop(key, None)
            if first is None:
                single[key] = sample
                continue
            day = multiple[key] = _Day(first[1], first[2])
            day.add(first[1], first[2], first[3])
        day.add(at, status, subscribers)
    folded = [_one(cid, number, at, status, subs) for (cid, number), (_, at, status, subs) in single.items()]
    folded += [day.row(cid, number) for (cid, number), day in multiple.items()]
    return folded


def _one(channel_id: int, day: int, at: int, status: int, subscribers: int | None) -> DailyTuple:
    if status != OK_CODE or subscribers is None:
        return (channel_id, day, None, None, None, None, None, None, 0, 1, status, at)
    return (channel_id, day, subscribers, subscribers, subscribers, subscribers, at, at, 1, 0, status, at)


def recompute(conn: sqlite3.Connection, days: Iterable[tuple[int, int]]) -> None:
    """Rebuild the given (channel_id, day) rows from the raw samples (after a sample was corrected)."""
    for channel_id, day in days:
        raw = conn.execute(
            "SELECT channel_id, observed_at, status, subscribers FROM samples"
            " WHERE channel_id = ? AND observed_at >= ? AND observed_at < ?",
            (channel_id, day * SECONDS_PER_DAY, (day + 1) * SECONDS_PER_DAY),
        ).fetchall()
        conn.execute("DELETE FROM daily WHERE channel_id = ? AND day = ?", (channel_id, day))
        conn.executemany(UPSERT_DAILY, fold(raw))
