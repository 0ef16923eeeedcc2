"""Read queries of the embedded store, shaped for the reports (rating as of a date, growth, stalls, coverage).

Every query walks an index: per-channel questions seek the (channel_id, observed_at) key of `samples` and
the `daily_by_channel` index; questions across all channels over a range of days scan `daily`'s
(day, channel_id) key. Channels are grouped
by their current region/platform/category.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence

from exporters.store_records import (
    SECONDS_PER_DAY,
    ChannelChange,
    DailyRow,
    DailyTotal,
    Event,
    Outcome,
    day_date,
)
from exporters.store_schema import STATUS_NAMES

GROUP_COLUMNS = frozenset({"region", "platform", "category"})

_LATEST_RAW = """
WITH last AS (
    SELECT c.id, c.platform, c.channel,
           (SELECT s.observed_at FROM samples s
             WHERE s.channel_id = c.id AND s.observed_at <= :t AND s.status = 0
             ORDER BY s.observed_at DESC LIMIT 1) AS at
      FROM channels c
     WHERE (:p IS NULL OR c.platform = :p) AND (c.removed_at IS NULL OR c.removed_at > :t)
)
SELECT last.id, last.platform, last.channel, s.subscribers, last.at
  FROM last LEFT JOIN samples s ON s.channel_id = last.id AND s.observed_at = last.at
"""


def latest(conn: sqlite3.Connection, as_of: int, platform: str | None) -> dict[str, tuple[int, float]]:
    """Per channel key the last ok count at or before `as_of`; days beyond raw retention use `daily`."""
    result: dict[str, tuple[int, float]] = {}
    for cid, plat, channel, subscribers, at in conn.execute(_LATEST_RAW, {"t": as_of, "p": platform}):
        if at is not None:
            result[f"{plat}:{channel}"] = (int(subscribers), float(at))
            continue
        found = _latest_from_daily(conn, cid, as_of)
        if found is not None:
            result[f"{plat}:{channel}"] = found
    return result


def _latest_from_daily(conn: sqlite3.Connection, cid: int, as_of: int) -> tuple[int, float] | None:
    rows = conn.execute(
        "SELECT first, first_at, last, last_at FROM daily WHERE channel_id = ? AND day <= ? AND ok_count > 0"
        " ORDER BY day DESC LIMIT 2",
        (cid, as_of // SECONDS_PER_DAY),
    )
    for first, first_at, last, last_at in rows:
        if last_at <= as_of:
            return int(last), float(last_at)
        if first_at <= as_of:  # as_of falls inside a pruned day: its first ok count is the best we know
            return int(first), float(first_at)
    return None


def series(conn: sqlite3.Connection, cid: int, start: int, end: int) -> list[tuple[float, str, int | None]]:
    rows = conn.execute(
        "SELECT observed_at, status, subscribers FROM samples"
        " WHERE channel_id = ? AND observed_at BETWEEN ? AND ? ORDER BY observed_at",
        (cid, start, end),
    )
    return [(float(at), STATUS_NAMES.get(code, str(code)), subs) for at, code, subs in rows]


def daily_series(conn: sqlite3.Connection, cid: int, start_day: int, end_day: int) -> list[DailyRow]:
    rows = conn.execute(
        "SELECT day, first, last, min, max, first_at, last_at, ok_count, failed_count, last_status,"
        " last_status_at FROM daily WHERE channel_id = ? AND day BETWEEN ? AND ? ORDER BY day",
        (cid, start_day, end_day),
    )
    return [
        DailyRow(
            day_date(r[0]),
            r[1],
            r[2],
            r[3],
            r[4],
            _time(r[5]),
            _time(r[6]),
            r[7],
            r[8],
            STATUS_NAMES.get(r[9], str(r[9])),
            float(r[10]),
        )
        for r in rows
    ]


def _time(value: int | None) -> float | None:
    return None if value is None else float(value)


# Without carrying forward: a plain aggregate over the day range (no window, no sort by channel).
_TOTALS_PLAIN = """
SELECT {groups}, d.day, sum(d.last), count(*)
  FROM daily d JOIN channels c ON c.id = d.channel_id
 WHERE d.day BETWEEN :start AND :end AND d.last IS NOT NULL AND (:p IS NULL OR c.platform = :p)
 GROUP BY {groups}, d.day
"""

# Totals scan the day range of `daily` (day-major) and carry each channel's count forward with a window.
_TOTALS = """
WITH spans AS (
    SELECT {groups}, d.day, d.last,
           min(lead(d.day, 1, :stop) OVER (PARTITION BY d.channel_id ORDER BY d.day),
               d.day + :carry + 1, :stop) AS until
      FROM daily d JOIN channels c ON c.id = d.channel_id
     WHERE d.day BETWEEN :seed AND :end AND d.last IS NOT NULL AND (:p IS NULL OR c.platform = :p)
)
SELECT {groups}, max(day, :start) AS at_day, sum(last), count(*) FROM spans
 WHERE until > :start GROUP BY {groups}, at_day
UNION ALL
SELECT {groups}, until AS at_day, -sum(last), -count(*) FROM spans
 WHERE until > :start AND until <= :end GROUP BY {groups}, at_day
"""


def daily_totals(
    conn: sqlite3.Connection,
    start_day: int,
    end_day: int,
    by: Sequence[str],
    platform: str | None,
    carry_days: int,
) -> list[DailyTotal]:
    """Per group and day: the sum of each channel's last ok count of that day, a channel without one that
    day counting with its previous count for up to `carry_days` days (so a day of API failures is no dip).
    `carry_days=0` is a plain aggregate, several times faster over many channels."""
    unknown = set(by) - GROUP_COLUMNS
    if unknown or not by:
        raise ValueError(f"group by one or more of {sorted(GROUP_COLUMNS)}, not {sorted(unknown) or '[]'}")
    groups = ", ".join(by)
    params = {
        "start": start_day,
        "end": end_day,
        "stop": end_day + 1,
        "seed": start_day - carry_days,
        "carry": carry_days,
        "p": platform,
    }
    if carry_days == 0:
        rows = conn.execute(_TOTALS_PLAIN.format(groups=groups), params)
        totals = [DailyTotal(day_date(day), tuple(group), value, count) for *group, day, value, count in rows]
        return sorted(totals, key=lambda t: (t.day, t.group))
    deltas: dict[tuple[str, ...], dict[int, tuple[int, int]]] = defaultdict(dict)
    for row in conn.execute(_TOTALS.format(groups=groups), params):
        *group, day, value, count = row
        before = deltas[tuple(group)].get(day, (0, 0))
        deltas[tuple(group)][day] = (before[0] + value, before[1] + count)
    return _accumulate(deltas, start_day, end_day)


def _accumulate(
    deltas: dict[tuple[str, ...], dict[int, tuple[int, int]]], start_day: int, end_day: int
) -> list[DailyTotal]:
    totals: list[DailyTotal] = []
    for group in sorted(deltas):
        changes, subscribers, channels = deltas[group], 0, 0
        for day in range(start_day, end_day + 1):
            value, count = changes.get(day, (0, 0))
            subscribers, channels = subscribers + value, channels + count
            if channels:
                totals.append(DailyTotal(day_date(day), group, subscribers, channels))
    totals.sort(key=lambda t: (t.day, t.group))
    return totals


_OUTCOMES = """
WITH last AS (
    SELECT c.id, c.platform, c.channel,
           (SELECT max(day) FROM daily WHERE channel_id = c.id) AS day,
           (SELECT last_at FROM daily WHERE channel_id = c.id AND ok_count > 0
             ORDER BY day DESC LIMIT 1) AS ok_at
      FROM channels c
     WHERE (:p IS NULL OR c.platform = :p) AND (:all OR c.state = 'active')
)
SELECT last.platform, last.channel, d.last_status, d.last_status_at, last.ok_at,
       (SELECT count(*) FROM samples s
         WHERE s.channel_id = last.id AND s.observed_at > coalesce(last.ok_at, -1))
  FROM last JOIN daily d ON d.channel_id = last.id AND d.day = last.day
"""


def last_outcomes(
    conn: sqlite3.Connection, platform: str | None, include_removed: bool
) -> dict[str, Outcome]:
    rows = conn.execute(_OUTCOMES, {"p": platform, "all": include_removed})
    return {
        f"{plat}:{channel}": Outcome(STATUS_NAMES.get(code, str(code)), float(at), _time(ok_at), failures)
        for plat, channel, code, at, ok_at, failures in rows
    }


def changes(conn: sqlite3.Connection, cid: int | None, since: int, until: int) -> list[ChannelChange]:
    rows = conn.execute(
        "SELECT c.platform, c.channel, h.changed_at, h.field, h.old_value, h.new_value, h.source"
        " FROM channel_changes h JOIN channels c ON c.id = h.channel_id"
        " WHERE (:cid IS NULL OR h.channel_id = :cid) AND h.changed_at BETWEEN :since AND :until"
        " ORDER BY h.changed_at, h.rowid",
        {"cid": cid, "since": since, "until": until},
    )
    return [ChannelChange(f"{p}:{ch}", float(at), f, old, new, src) for p, ch, at, f, old, new, src in rows]


def events(
    conn: sqlite3.Connection, start: int, end: int, kind: str | None, platform: str | None, region: str | None
) -> list[Event]:
    rows = conn.execute(
        "SELECT id, at, kind, text, platform, region, channel FROM events"
        " WHERE at BETWEEN :start AND :end AND (:kind IS NULL OR kind = :kind)"
        " AND (:p IS NULL OR platform IS NULL OR platform = :p)"
        " AND (:r IS NULL OR region IS NULL OR region = :r) ORDER BY at, id",
        {"start": start, "end": end, "kind": kind, "p": platform, "r": region},
    )
    return [Event(i, float(at), k, text, p, r, ch) for i, at, k, text, p, r, ch in rows]
