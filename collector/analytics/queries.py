"""Bulk read queries over the embedded store that the store's own API does not offer.

The store answers per-channel questions; the analytics asks the same question of every channel at once
(a detection pass reads two weeks of samples of 40,000 channels). These queries run on their own
read-only connection (`connect_reader`, WAL lets it read beside the collector's writer) and walk the
store's indexes: samples per channel by its (channel_id, observed_at) key, daily rows by (day, channel_id).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from exporters.store import Store
from exporters.store_files import connect_reader
from exporters.store_schema import STATUS_NAMES

# Every channel's samples in [start, end], plus the last ok sample before start (it seeds the gauge).
_SAMPLES = """
SELECT c.platform, c.channel, s.observed_at, s.status, s.subscribers
  FROM channels c JOIN samples s ON s.channel_id = c.id
 WHERE s.observed_at BETWEEN :start AND :end AND (:p IS NULL OR c.platform = :p)
UNION ALL
SELECT c.platform, c.channel, s.observed_at, s.status, s.subscribers
  FROM channels c JOIN samples s ON s.channel_id = c.id
 WHERE (:p IS NULL OR c.platform = :p)
   AND s.observed_at = (SELECT max(observed_at) FROM samples
                         WHERE channel_id = c.id AND observed_at < :start AND status = 0)
 ORDER BY 1, 2, 3
"""

_DAILY = """
SELECT c.platform, c.channel, d.day, d.last, d.last_status
  FROM daily d JOIN channels c ON c.id = d.channel_id
 WHERE d.day BETWEEN :start AND :end AND (:p IS NULL OR c.platform = :p)
 ORDER BY c.platform, c.channel, d.day
"""

_CYCLE = "SELECT c.platform, max(d.last_at) FROM daily d JOIN channels c ON c.id = d.channel_id GROUP BY 1"


@dataclass(frozen=True, slots=True)
class DayValue:
    day: int  # days since 1970-01-01 (UTC)
    last: int | None  # the day's last ok count (None: no ok sample that day)
    status: str  # the day's last outcome


class StoreQueries:
    """Read-only bulk queries on the database file of an open `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._conn: sqlite3.Connection = connect_reader(store.path)

    def close(self) -> None:
        self._conn.close()

    def samples(
        self, start: float, end: float, platform: str | None = None
    ) -> Iterator[tuple[str, float, str, int | None]]:
        """(key, observed_at, status, subscribers) sorted by key then time."""
        params = {"start": int(start), "end": int(end), "p": platform}
        for plat, channel, at, code, subscribers in self._conn.execute(_SAMPLES, params):
            yield f"{plat}:{channel}", float(at), STATUS_NAMES.get(code, str(code)), subscribers

    def daily(self, start_day: int, end_day: int, platform: str | None = None) -> dict[str, list[DayValue]]:
        result: dict[str, list[DayValue]] = {}
        params = {"start": start_day, "end": end_day, "p": platform}
        for plat, channel, day, last, code in self._conn.execute(_DAILY, params):
            result.setdefault(f"{plat}:{channel}", []).append(
                DayValue(day, last, STATUS_NAMES.get(code, str(code)))
            )
        return result

    def first_days(self) -> dict[str, int]:
        """The first day each channel had an ok count (its age, for forecasts and coverage)."""
        rows = self._conn.execute(
            "SELECT c.platform, c.channel, min(d.day) FROM daily d JOIN channels c ON c.id = d.channel_id"
            " WHERE d.last IS NOT NULL GROUP BY c.id"
        )
        return {f"{p}:{ch}": int(day) for p, ch, day in rows}

    def platform_last_ok(self) -> dict[str, float]:
        return {p: float(at) for p, at in self._conn.execute(_CYCLE) if at is not None}
