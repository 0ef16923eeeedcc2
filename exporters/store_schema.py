"""Schema of the embedded store, its forward migrations and the connection settings.

Durability: the store runs in WAL mode with `synchronous=NORMAL`. In WAL mode a commit appends the
transaction to the -wal file before returning, so a committed transaction survives the process being
killed (the operating system still holds the written pages); only the fsync is deferred to the next
checkpoint, so an operating-system crash or power cut may lose the last few commits, never corrupt the
file. A lost hourly sweep is also in InfluxDB/Prometheus and is re-observed an hour later, so NORMAL's
much cheaper commits are the right trade here (FULL would fsync the WAL on every sweep).

Compactness: `samples` and `daily` are WITHOUT ROWID tables, a row costs about 15 bytes (samples) / 40
bytes (daily); statuses are small integer codes (`STATUS_CODES`).

Write cost: `samples` is keyed (channel_id, observed_at), so every sweep appends to one leaf page per
channel: 40,000 dirty pages per sweep. Pages of 1 KiB (not 4 KiB) make that 40 MiB of WAL instead of
160 MiB; and checkpoints run in a background thread (`store_files.Checkpointer`) so a commit does not
wait for the copy into the database file and its fsync.
"""

from __future__ import annotations

import sqlite3
import time

from collector.models import OK, Reason

# Stable: stored in the database. Append new reasons with new codes, never renumber.
STATUS_CODES: dict[str, int] = {
    OK: 0,
    Reason.AUTH.value: 1,
    Reason.RATE_LIMITED.value: 2,
    Reason.NOT_FOUND.value: 3,
    Reason.LOST_ACCESS.value: 4,
    Reason.DEACTIVATED.value: 5,
    Reason.TIMEOUT.value: 6,
    Reason.HTTP_5XX.value: 7,
    Reason.BAD_RESPONSE.value: 8,
    Reason.NETWORK.value: 9,
}
STATUS_NAMES: dict[int, str] = {code: name for name, code in STATUS_CODES.items()}
OK_CODE = STATUS_CODES[OK]

PAGE_SIZE = 1024  # takes effect when the file is created
PRAGMAS = (
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA cache_size=-131072",  # 128 MiB: a 40,000-channel sweep touches a page per channel
    "PRAGMA journal_size_limit=67108864",  # truncate the WAL back to 64 MiB after a checkpoint
    "PRAGMA temp_store=MEMORY",
    # The background checkpointer normally keeps the WAL short; this is the writer's own safety net.
    "PRAGMA wal_autocheckpoint=100000",
)

_V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE statuses (
    code INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    channel TEXT NOT NULL,
    region TEXT NOT NULL,
    category TEXT NOT NULL,
    org TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    expected INTEGER NOT NULL DEFAULT 0 CHECK (expected IN (0, 1)),
    origin TEXT NOT NULL CHECK (origin IN ('registry', 'discovered')),
    state TEXT NOT NULL CHECK (state IN ('active', 'removed')),
    reported INTEGER NOT NULL DEFAULT 0,  -- bit 1: title, bit 2: link came from the platform
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    removed_at INTEGER,
    UNIQUE (platform, channel)
) STRICT;
CREATE INDEX channels_by_region ON channels (region, platform, category);

CREATE TABLE channel_changes (
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    changed_at INTEGER NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('registry', 'platform', 'discovery'))
) STRICT;
CREATE INDEX channel_changes_by_channel ON channel_changes (channel_id, changed_at);
CREATE INDEX channel_changes_by_time ON channel_changes (changed_at);

CREATE TABLE samples (
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    observed_at INTEGER NOT NULL,
    status INTEGER NOT NULL REFERENCES statuses (code),
    subscribers INTEGER,
    PRIMARY KEY (channel_id, observed_at)
) STRICT, WITHOUT ROWID;

-- One row per channel and UTC day (day = observed_at // 86400). Day-major, so the sweeps of a day all
-- update rows that sit together (a channel-major key would dirty one page per channel on every sweep);
-- daily_by_channel serves per-channel reads and changes only once a day per channel.
-- first/last/min/max and their times cover the ok samples only (NULL when the day had none);
-- last_status is the status of the day's latest sample of any outcome, at last_status_at.
CREATE TABLE daily (
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    day INTEGER NOT NULL,
    first INTEGER,
    last INTEGER,
    min INTEGER,
    max INTEGER,
    first_at INTEGER,
    last_at INTEGER,
    ok_count INTEGER NOT NULL,
    failed_count INTEGER NOT NULL,
    last_status INTEGER NOT NULL REFERENCES statuses (code),
    last_status_at INTEGER NOT NULL,
    PRIMARY KEY (day, channel_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX daily_by_channel ON daily (channel_id, day);

CREATE TABLE resolved_ids (
    screen_name TEXT PRIMARY KEY,
    id INTEGER NOT NULL,
    resolved_at INTEGER NOT NULL
) STRICT;

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    platform TEXT,
    region TEXT,
    channel TEXT,
    text TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_time ON events (at);
"""

# Forward migrations: index i holds the script that takes the schema from version i to i + 1.
MIGRATIONS: tuple[str, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The database was written by a newer govpulse; opening it could corrupt what it added."""


def current_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    if exists.fetchone() is None:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every missing migration, each in its own transaction; return the resulting version."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT"
        )
        version = current_version(conn)
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"schema version {version} is newer than this govpulse knows ({SCHEMA_VERSION})"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _statements(MIGRATIONS[target - 1]):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, ?)", (target, int(time.time())))
        conn.executemany("INSERT OR IGNORE INTO statuses VALUES (?, ?)", STATUS_NAMES.items())
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (the scripts hold no semicolons inside literals)."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
