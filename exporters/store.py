"""The embedded store (SQLite, WAL): the default sink, and the history behind reports.

One writer connection per process, guarded by a lock (the pipeline calls in through `asyncio.to_thread`,
so calls arrive on varying threads); reports beside a running collector open their own read-only store.
Every write is one transaction: a sweep is either fully stored or not at all, and a failed write (disk
full, I/O error) rolls back, raises `StoreError` and leaves the store usable for the next call.

Raw samples are kept `raw_retention_days` (whole UTC days, pruned by `prune`); daily roll-ups are kept
for good and maintained on every write, so reports beyond the raw window still work. Replaying samples
is idempotent: an identical sample is skipped, a corrected one replaces the raw row and its day is
recomputed. A replayed sample older than the pruned horizon is skipped (its day is already rolled up).
See `store_schema` for the schema and the durability setting.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import TracebackType

from collector.config import StoreSettings
from collector.models import Channel, Platform, Reason, Sample, SweepResult
from exporters import store_channels as channels_table
from exporters import store_read as read
from exporters.store_channels import LINK_REPORTED, TITLE_REPORTED, Row
from exporters.store_daily import UPSERT_DAILY, RawRow, fold, recompute
from exporters.store_files import Checkpointer, connect_reader, connect_writer
from exporters.store_records import (
    SECONDS_PER_DAY,
    ChannelChange,
    DailyRow,
    DailyTotal,
    Event,
    Outcome,
    StoredChannel,
    StoreError,
    day_number,
    describe,
    utc_day,
)
from exporters.store_schema import OK_CODE, STATUS_CODES

__all__ = ["Store", "StoreError"]

# (code, subscribers, title, link) per (platform, channel, observed_at)
Prepared = dict[tuple[str, str, int], tuple[int, int | None, str | None, str | None]]

_BAD_RESPONSE = STATUS_CODES[Reason.BAD_RESPONSE.value]


class Store:
    def __init__(self, conn: sqlite3.Connection, path: Path, raw_retention_days: int, readonly: bool) -> None:
        self.path = path
        self.raw_retention_days = raw_retention_days
        self.readonly = readonly
        self._conn = conn
        self._lock = threading.RLock()
        self._rows: dict[tuple[str, str], Row] = {}
        self._last_at: dict[int, int] = {}  # newest observed_at stored per channel id
        self._seen_day: dict[int, int] = {}  # UTC day of channels.last_seen, so sweeps touch it once a day
        self._horizon = 0  # raw samples before this time have been pruned
        self._stale = False
        self._checkpointer: Checkpointer | None = None
        if not readonly:
            self._load_caches()
            self._checkpointer = Checkpointer(path)

    @classmethod
    def open(cls, path: Path | str, *, raw_retention_days: int = 400, readonly: bool = False) -> Store:
        """Open (creating and migrating if needed) the store at `path`; `readonly` for reports beside a
        running collector."""
        path = Path(path)
        conn = connect_reader(path) if readonly else connect_writer(path)
        return cls(conn, path, raw_retention_days, readonly)

    @classmethod
    def from_settings(cls, settings: StoreSettings, *, readonly: bool = False) -> Store:
        return cls.open(settings.path, raw_retention_days=settings.raw_retention_days, readonly=readonly)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._checkpointer is not None:
                self._checkpointer.close()
                # Statistics and an empty WAL are optimisations; closing must not fail on a full disk.
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()

    # -- plumbing ---------------------------------------------------------------------------------

    def _load_caches(self) -> None:
        conn = self._conn
        self._rows = channels_table.load_rows(conn)
        self._last_at = {
            cid: at
            for cid, at in conn.execute(
                "SELECT c.id, (SELECT last_status_at FROM daily WHERE channel_id = c.id"
                " ORDER BY day DESC LIMIT 1) FROM channels c"
            )
            if at is not None
        }
        self._seen_day = {cid: utc_day(at) for cid, at in conn.execute("SELECT id, last_seen FROM channels")}
        row = conn.execute("SELECT value FROM meta WHERE key = 'pruned_before'").fetchone()
        self._horizon = int(row[0]) if row else 0

    @contextmanager
    def _transaction(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self.readonly:
                raise StoreError(f"cannot {action} {self.path}: the store was opened read-only", self.path)
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                if self._stale:
                    self._load_caches()
                    self._stale = False
                yield self._conn
                self._conn.execute("COMMIT")
                if self._checkpointer is not None:
                    self._checkpointer.poke()
            except sqlite3.Error as exc:
                self._recover()
                raise describe(exc, self.path, action) from exc
            except BaseException:
                self._recover()
                raise

    def _recover(self) -> None:
        """Roll back and reload the in-memory caches, which the failed transaction may have touched."""
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            self._load_caches()
        except sqlite3.Error:
            self._stale = True  # reloaded at the start of the next transaction

    def _row(self, conn: sqlite3.Connection, platform: str, channel: str, at: int) -> Row:
        row = self._rows.get((platform, channel))
        if row is None:
            row = channels_table.insert(conn, channels_table.placeholder(platform, channel), "registry", at)
            self._rows[row.key] = row
        return row

    def _channel_id(self, key: str) -> int | None:
        platform, _, channel = key.partition(":")
        with self._lock:
            found = self._conn.execute(
                "SELECT id FROM channels WHERE platform = ? AND channel = ?", (platform, channel)
            ).fetchone()
        return None if found is None else int(found[0])

    # -- registry and discovery -------------------------------------------------------------------

    def sync_registry(
        self, channels: Sequence[Channel], *, at: float | None = None, remove_missing: bool = True
    ) -> dict[str, int]:
        """Insert new registry channels, apply changed metadata (recorded in `channel_changes`), restore
        removed ones and, with `remove_missing`, mark registry channels no longer listed as removed.
        Returns counts: added, changed, restored, removed."""
        now = int(time.time() if at is None else at)
        counts: Counter[str] = Counter(added=0, changed=0, restored=0, removed=0)
        with self._transaction("update the registry in") as conn:
            listed: set[tuple[str, str]] = set()
            for channel in channels:
                key = (channel.platform.value, channel.channel)
                listed.add(key)
                row = self._rows.get(key)
                if row is None:
                    self._rows[key] = channels_table.insert(conn, channel, "registry", now)
                    counts["added"] += 1
                    continue
                values = channels_table.registry_values(row, channel)
                counts["changed"] += bool(channels_table.set_fields(conn, row, values, now, "registry"))
                counts["restored"] += channels_table.activate(conn, row, now, "registry")
            channels_table.touch(conn, (self._rows[key].id for key in listed), now)
            if remove_missing:
                for key, row in self._rows.items():
                    if row.origin == "registry" and key not in listed:
                        counts["removed"] += channels_table.remove(conn, row, now, "registry")
        return dict(counts)

    def add_discovered(self, channel: Channel, at: float) -> bool:
        """A channel the Max bot was added to. True if it is new to the store or was removed before."""
        now = int(at)
        with self._transaction("add a channel to") as conn:
            row = self._rows.get((channel.platform.value, channel.channel))
            if row is None:
                self._rows[(channel.platform.value, channel.channel)] = channels_table.insert(
                    conn, channel, "discovered", now
                )
                return True
            if channel.title and not row.reported & TITLE_REPORTED:
                channels_table.set_fields(conn, row, {"title": channel.title}, now, "discovery")
            channels_table.touch(conn, [row.id], now)
            return channels_table.activate(conn, row, now, "discovery")

    def classify_discovered(self, channels: Sequence[Channel], at: float | None = None) -> int:
        """Record the region and category learnt (from titles) for discovered channels; return how many
        fields changed. Registry channels are left alone: the registry owns their classification."""
        now = int(time.time() if at is None else at)
        changed = 0
        with self._transaction("classify channels in") as conn:
            for channel in channels:
                row = self._rows.get((channel.platform.value, channel.channel))
                if row is None or row.origin != "discovered":
                    continue
                values = {"region": channel.region, "category": channel.category.value}
                changed += channels_table.set_fields(conn, row, values, now, "discovery")
        return changed

    def mark_removed(self, platform: Platform | str, channel: str, at: float) -> bool:
        """The channel left (bot removed, deleted): kept with its history, no longer active."""
        with self._transaction("remove a channel in") as conn:
            row = self._rows.get((Platform(platform).value, channel))
            return row is not None and channels_table.remove(conn, row, int(at), "discovery")

    def discovered_channels(self) -> list[Channel]:
        """Active channels that came from discovery, so they survive a restart of the collector."""
        with self._lock:
            stored = channels_table.select_channels(self._conn, "origin = 'discovered' AND state = 'active'")
        return [s.channel for s in stored]

    def channels(self, *, include_removed: bool = True) -> list[StoredChannel]:
        where = "1" if include_removed else "state = 'active'"
        with self._lock:
            return channels_table.select_channels(self._conn, where)

    def save_resolved_ids(self, mapping: Mapping[str, int | str], *, at: float | None = None) -> None:
        """Remember VK screen name → numeric id, so names are resolved once."""
        now = int(time.time() if at is None else at)
        rows = [(name, int(value), now) for name, value in mapping.items()]
        with self._transaction("save resolved ids in") as conn:
            conn.executemany("INSERT OR REPLACE INTO resolved_ids VALUES (?, ?, ?)", rows)

    def resolved_ids(self) -> dict[str, int]:
        with self._lock:
            return dict(self._conn.execute("SELECT screen_name, id FROM resolved_ids"))

    # -- samples ----------------------------------------------------------------------------------

    def write_sweep(self, sweep: SweepResult) -> int:
        """Store a sweep in one transaction: raw samples, daily roll-ups, title/link reported by the
        platform. Returns how many samples were stored (new or corrected; identical replays are not)."""
        return self.write_samples(sweep.samples)

    def write_samples(self, samples: Sequence[Sample]) -> int:
        prepared = _prepare(samples)
        with self._transaction("write samples to") as conn:
            stored, newest = self._write(conn, prepared)
        for cid, at in newest.items():
            if at > self._last_at.get(cid, -1):
                self._last_at[cid] = at
        return stored

    def _write(self, conn: sqlite3.Connection, prepared: Prepared) -> tuple[int, dict[int, int]]:
        fresh: list[RawRow] = []
        check: list[RawRow] = []
        reported: list[tuple[Row, int, str | None, str | None]] = []
        newest: dict[int, int] = {}
        for (platform, channel, at), (code, subscribers, title, link) in prepared.items():
            row = self._row(conn, platform, channel, at)
            previous = self._last_at.get(row.id, -1)
            (fresh if at > previous else check).append((row.id, at, code, subscribers))
            if at > previous and (title or link):
                reported.append((row, at, title, link))
            newest[row.id] = max(at, newest.get(row.id, at))
        corrected = self._sort_replays(conn, check, fresh)
        fresh.sort()
        conn.executemany("INSERT INTO samples VALUES (?, ?, ?, ?)", fresh)
        conn.executemany(UPSERT_DAILY, fold(fresh))
        if corrected:
            conn.executemany(
                "UPDATE samples SET status = ?, subscribers = ? WHERE channel_id = ? AND observed_at = ?",
                [(code, subs, cid, at) for cid, at, code, subs in corrected],
            )
            recompute(conn, sorted({(cid, at // SECONDS_PER_DAY) for cid, at, _, _ in corrected}))
        self._apply_reported(conn, reported)
        self._touch(conn, newest)
        return len(fresh) + len(corrected), newest

    def _touch(self, conn: sqlite3.Connection, newest: dict[int, int]) -> None:
        """Move last_seen forward, at most once per channel and UTC day (an UPDATE per sample is costly)."""
        due = [(at, cid) for cid, at in newest.items() if utc_day(at) > self._seen_day.get(cid, -1)]
        conn.executemany("UPDATE channels SET last_seen = ?1 WHERE id = ?2 AND last_seen < ?1", due)
        for at, cid in due:
            self._seen_day[cid] = utc_day(at)

    def _sort_replays(
        self, conn: sqlite3.Connection, check: list[RawRow], fresh: list[RawRow]
    ) -> list[RawRow]:
        """Samples not newer than what a channel has: new (appended to `fresh`), identical (dropped),
        or corrections (returned). Absent ones older than the pruned horizon are dropped."""
        corrected: list[RawRow] = []
        for sample in check:
            cid, at, code, subscribers = sample
            existing = conn.execute(
                "SELECT status, subscribers FROM samples WHERE channel_id = ? AND observed_at = ?", (cid, at)
            ).fetchone()
            if existing is None:
                if at >= self._horizon:
                    fresh.append(sample)
            elif tuple(existing) != (code, subscribers):
                corrected.append(sample)
        return corrected

    def _apply_reported(
        self, conn: sqlite3.Connection, reported: list[tuple[Row, int, str | None, str | None]]
    ) -> None:
        reported.sort(key=lambda item: item[1])  # the newest report wins
        for row, at, title, link in reported:
            values: dict[str, str] = {}
            bits = 0
            if title:
                values["title"], bits = title, bits | TITLE_REPORTED
            if link:
                values["link"], bits = link, bits | LINK_REPORTED
            channels_table.set_fields(conn, row, values, at, "platform")
            if row.reported | bits != row.reported:
                row.reported |= bits
                conn.execute("UPDATE channels SET reported = ? WHERE id = ?", (row.reported, row.id))

    def prune(self, now: float | None = None, *, chunk_channels: int = 2000) -> int:
        """Delete raw samples older than the retention (whole UTC days), one short transaction per chunk of
        channels so sweeps can be written in between. Daily roll-ups stay. Returns rows deleted."""
        cutoff = (utc_day(time.time() if now is None else now) - self.raw_retention_days) * SECONDS_PER_DAY
        with self._transaction("prune") as conn:
            self._horizon = max(self._horizon, cutoff)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('pruned_before', ?)", (str(self._horizon),))
            ids = [cid for (cid,) in conn.execute("SELECT id FROM channels ORDER BY id")]
        deleted = 0
        for start in range(0, len(ids), chunk_channels):
            with self._transaction("prune") as conn:
                before = conn.total_changes
                conn.executemany(
                    "DELETE FROM samples WHERE channel_id = ? AND observed_at < ?",
                    ((cid, cutoff) for cid in ids[start : start + chunk_channels]),
                )
                deleted += conn.total_changes - before
        return deleted

    # -- events -----------------------------------------------------------------------------------

    def add_event(
        self,
        at: float,
        kind: str,
        text: str,
        *,
        platform: str | None = None,
        region: str | None = None,
        channel: str | None = None,
    ) -> int:
        """Something the reports should mention (an outage, a purge, a registry import); scope optional."""
        with self._transaction("add an event to") as conn:
            cursor = conn.execute(
                "INSERT INTO events (at, kind, platform, region, channel, text) VALUES (?, ?, ?, ?, ?, ?)",
                (int(at), kind, platform, region, channel, text),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def events(
        self,
        start: float,
        end: float,
        *,
        kind: str | None = None,
        platform: str | None = None,
        region: str | None = None,
    ) -> list[Event]:
        """Events in [start, end]; a platform/region filter keeps the events without that scope too."""
        with self._lock:
            return read.events(self._conn, int(start), int(end), kind, platform, region)

    # -- reads for reports ------------------------------------------------------------------------

    def latest(
        self, as_of: float | None = None, platform: Platform | str | None = None
    ) -> dict[str, tuple[int, float]]:
        """Per channel key the last ok count and its time at or before `as_of` (default now); channels
        removed by then are left out."""
        t = int(time.time() if as_of is None else as_of)
        with self._lock:
            return read.latest(self._conn, t, _platform(platform))

    def series(self, key: str, start: float, end: float) -> list[tuple[float, str, int | None]]:
        """Raw samples of one channel in [start, end]: (observed_at, status, subscribers)."""
        cid = self._channel_id(key)
        if cid is None:
            return []
        with self._lock:
            return read.series(self._conn, cid, int(start), int(end))

    def daily_series(self, key: str, start_day: date, end_day: date) -> list[DailyRow]:
        cid = self._channel_id(key)
        if cid is None:
            return []
        with self._lock:
            return read.daily_series(self._conn, cid, day_number(start_day), day_number(end_day))

    def daily_totals(
        self,
        start_day: date,
        end_day: date,
        *,
        by: Sequence[str] = ("region",),
        platform: Platform | str | None = None,
        carry_days: int = 7,
    ) -> list[DailyTotal]:
        """Subscribers per day and group (by region, platform and/or category), for charts and growth."""
        with self._lock:
            return read.daily_totals(
                self._conn, day_number(start_day), day_number(end_day), by, _platform(platform), carry_days
            )

    def last_outcomes(
        self, platform: Platform | str | None = None, *, include_removed: bool = False
    ) -> dict[str, Outcome]:
        """Last status per channel, when it was last ok and how many failures followed (for stale and
        lost-access detection)."""
        with self._lock:
            return read.last_outcomes(self._conn, _platform(platform), include_removed)

    def changes(
        self, key: str | None = None, since: float = 0, until: float | None = None
    ) -> list[ChannelChange]:
        """Metadata history (title, org, link, region, category, expected, origin, state)."""
        cid = None if key is None else self._channel_id(key)
        if key is not None and cid is None:
            return []
        end = int(time.time() if until is None else until)
        with self._lock:
            return read.changes(self._conn, cid, int(since), end)


def _platform(platform: Platform | str | None) -> str | None:
    return None if platform is None else Platform(platform).value


def _prepare(samples: Sequence[Sample]) -> Prepared:
    """Validate and normalise before taking the lock: second precision, one sample per channel and second."""
    prepared: Prepared = {}
    codes = STATUS_CODES
    for sample in samples:
        code = codes.get(sample.status)
        if code is None:
            raise ValueError(
                f"unknown status {sample.status!r} in a sample of {sample.platform}:{sample.channel}"
            )
        subscribers = sample.subscribers if code == OK_CODE else None
        if code == OK_CODE and subscribers is None:
            code = _BAD_RESPONSE  # an ok without a count is not an observation
        # Platform is a StrEnum: it hashes and compares as its value, so it keys the channel cache directly.
        prepared[(sample.platform, sample.channel, int(sample.observed_at))] = (
            code,
            subscribers,
            sample.title,
            sample.link,
        )
    return prepared
