"""What the embedded store hands back: its error, its row records and the UTC day arithmetic it uses."""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from collector.models import Channel

SECONDS_PER_DAY = 86_400
_EPOCH = date(1970, 1, 1)


class StoreError(Exception):
    """The store could not do what was asked; the message names the file and the cause."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


def describe(exc: sqlite3.Error | OSError, path: Path, action: str) -> StoreError:
    """Turn a SQLite or OS error into a StoreError a person can act on."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return StoreError(f"cannot {action} {path}: the disk is full", path)
        return StoreError(f"cannot {action} {path}: {exc.strerror or exc}", path)
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == sqlite3.SQLITE_FULL:
        cause = "the disk is full (or the database reached its size limit); nothing was written"
    elif primary == sqlite3.SQLITE_IOERR:
        cause = f"I/O error ({exc}); nothing was written"
    elif primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        cause = "the database is locked by another writer"
    elif primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        cause = f"the file is not a valid govpulse database ({exc})"
    elif primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        cause = f"no permission or read-only ({exc})"
    else:
        cause = str(exc)
    return StoreError(f"cannot {action} {path}: {cause}", path)


def utc_day(ts: float) -> int:
    """Day number (days since 1970-01-01 UTC) of a Unix time."""
    return int(ts) // SECONDS_PER_DAY


def day_number(day: date) -> int:
    return (day - _EPOCH).days


def day_date(number: int) -> date:
    return date.fromordinal(_EPOCH.toordinal() + number)


def day_start(day: date) -> float:
    return float(day_number(day) * SECONDS_PER_DAY)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


@dataclass(frozen=True, slots=True)
class StoredChannel:
    """A channel as the store knows it: the registry row plus its life in the store."""

    channel: Channel
    origin: str  # 'registry' | 'discovered'
    state: str  # 'active' | 'removed'
    first_seen: float
    last_seen: float
    removed_at: float | None

    @property
    def key(self) -> str:
        return self.channel.key


@dataclass(frozen=True, slots=True)
class DailyRow:
    """One channel's day: ok-sample statistics (None when the day had no ok sample) and outcome counts."""

    day: date
    first: int | None
    last: int | None
    min: int | None
    max: int | None
    first_at: float | None
    last_at: float | None
    ok_count: int
    failed_count: int
    last_status: str
    last_status_at: float


@dataclass(frozen=True, slots=True)
class DailyTotal:
    """Subscribers summed over the channels of one group on one day (each channel's last known count)."""

    day: date
    group: tuple[str, ...]
    subscribers: int
    channels: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """The last observation of a channel and how long it has been failing."""

    status: str
    at: float
    last_ok_at: float | None
    failures_since_ok: int  # failed raw samples after last_ok_at (all retained raw samples when never ok)


@dataclass(frozen=True, slots=True)
class ChannelChange:
    key: str
    at: float
    field: str
    old: str
    new: str
    source: str  # 'registry' | 'platform' | 'discovery'


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    at: float
    kind: str
    text: str
    platform: str | None = None
    region: str | None = None
    channel: str | None = None
