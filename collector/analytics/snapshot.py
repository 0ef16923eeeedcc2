"""Counts of every channel on a given day, and the day arithmetic the reports share.

A channel's count on day D is its last ok count of the latest day <= D that had one, looked back at most
`carry_days` (a day of API failures is not a dip); channels removed from the registry by D, and channels
whose last outcome by D says they were deleted (`not_found`, `deactivated`), do not count, as in the
recording rules' sums.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from collector.analytics.history import DELETED_REASONS, ChannelInfo
from collector.analytics.queries import DayValue

SECONDS_PER_DAY = 86_400
EPOCH = date(1970, 1, 1)
CARRY_DAYS = 30


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_date(number: int) -> date:
    return EPOCH + timedelta(days=number)


def end_of_day(day: date) -> float:
    return float((day_number(day) + 1) * SECONDS_PER_DAY - 1)


def utc_date(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def count_on(values: list[DayValue], day: int, carry_days: int = CARRY_DAYS) -> int | None:
    """The channel's count on `day` from its daily rows (sorted by day), or None."""
    i = bisect_right([v.day for v in values], day)
    if not i:
        return None
    if values[i - 1].status in DELETED_REASONS:
        return None
    for value in reversed(values[max(0, i - carry_days - 1) : i]):
        if value.day < day - carry_days:
            break
        if value.last is not None:
            return value.last
    return None


def counts_on(
    daily: Mapping[str, list[DayValue]],
    channels: Mapping[str, ChannelInfo],
    day: int,
    carry_days: int = CARRY_DAYS,
) -> dict[str, int]:
    """Per channel key its count on `day` (channels without one are left out)."""
    cutoff = (day + 1) * SECONDS_PER_DAY
    result: dict[str, int] = {}
    for key, values in daily.items():
        info = channels.get(key)
        if info is not None and info.removed_at is not None and info.removed_at < cutoff:
            continue
        count = count_on(values, day, carry_days)
        if count is not None:
            result[key] = count
    return result


def info_for(key: str, channels: Mapping[str, ChannelInfo]) -> ChannelInfo:
    """The channel's description; a channel only seen in samples gets an 'unknown' one."""
    found = channels.get(key)
    if found is not None:
        return found
    platform, _, channel = key.partition(":")
    return ChannelInfo(platform, channel, "unknown", "unclassified")


def series_on(
    values: list[DayValue], first: int, last: int, carry_days: int = CARRY_DAYS
) -> list[int | None]:
    """The channel's count on every day of [first, last] (the same rule as `count_on`), in one pass."""
    out: list[int | None] = []
    i, known, known_day, deleted = 0, None, -(10**9), False
    for day in range(first, last + 1):
        while i < len(values) and values[i].day <= day:
            v = values[i]
            deleted = v.status in DELETED_REASONS
            if v.last is not None:
                known, known_day = v.last, v.day
            i += 1
        fresh = known is not None and day - known_day <= carry_days
        out.append(known if fresh and not deleted else None)
    return out


def totals_on(
    daily: Mapping[str, list[DayValue]],
    keys: Iterable[str],
    first: int,
    last: int,
    carry_days: int = CARRY_DAYS,
) -> list[tuple[int, int]]:
    """(subscribers, channels) summed over `keys` for every day of [first, last]."""
    sums = [0] * (last - first + 1)
    counts = [0] * (last - first + 1)
    for key in keys:
        for i, value in enumerate(series_on(daily.get(key, []), first, last, carry_days)):
            if value is not None:
                sums[i] += value
                counts[i] += 1
    return list(zip(sums, counts, strict=True))
