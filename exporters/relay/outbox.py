"""The relay's durable outbox: messages to send and the alerts already accepted, in one SQLite file.

WAL journal with `synchronous=FULL`: `Outbox.batch()` commits (and fsyncs) before the webhook is answered,
so an accepted alert survives a SIGKILL or a power cut. The file and its journals are mode 0600: they hold
alert text and chat ids.

A message is `pending` until the platform accepts it (`sent`, kept a week for inspection) or refuses it
for good (`failed`, kept with the reason until an operator deletes it). Messages to one chat are sent in
order: only the oldest pending message of each chat is ever due.

Deduplication: every (platform, chat, fingerprint, status, startsAt) accepted is remembered for
`dedup_window_seconds`; the same key again within the window adds nothing. A crash between the platform
accepting a message and the outbox marking it sent repeats that one message after restart (at least once).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from exporters.files import make_private_dirs

SENT_RETENTION_SECONDS = 7 * 86400
PENDING, SENT, FAILED = "pending", "sent", "failed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created REAL NOT NULL,
    next_attempt REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT NOT NULL DEFAULT '',
    finished REAL
);
CREATE INDEX IF NOT EXISTS messages_queue ON messages (state, platform, chat_id, id);
CREATE TABLE IF NOT EXISTS accepted (
    key TEXT PRIMARY KEY,
    seen REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    platform: str
    chat_id: str
    text: str
    attempts: int
    next_attempt: float
    state: str = PENDING
    last_error: str = ""


class Batch:
    """The work of one webhook inside one transaction (see Outbox.batch)."""

    def __init__(self, db: sqlite3.Connection, now: float, window: float) -> None:
        self._db, self._now, self._window = db, now, window
        self.added = 0

    def fresh(self, keys: Iterable[str]) -> set[str]:
        """The keys not accepted within the window; they count as accepted from now on."""
        fresh = set()
        for key in keys:
            row = self._db.execute("SELECT seen FROM accepted WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] > self._now - self._window:
                continue
            self._db.execute("INSERT OR REPLACE INTO accepted (key, seen) VALUES (?, ?)", (key, self._now))
            fresh.add(key)
        return fresh

    def add(self, platform: str, chat_id: str, text: str) -> None:
        self._db.execute(
            "INSERT INTO messages (platform, chat_id, text, created, next_attempt) VALUES (?, ?, ?, ?, ?)",
            (platform, chat_id, text, self._now, self._now),
        )
        self.added += 1


class Outbox:
    """Thread-safe (one connection behind a lock); call it from worker threads, not the event loop."""

    def __init__(
        self, path: Path, *, dedup_window_seconds: float = 3600.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self.window = dedup_window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        _create_private(path)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def batch(self) -> Iterator[Batch]:
        """One atomic, durable transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Batch(self._db, self._clock(), self.window)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def due(self) -> tuple[list[Message], float | None]:
        """The oldest pending message of each chat whose time has come, and when the next one is due."""
        now = self._clock()
        with self._lock:
            rows = self._db.execute(
                "SELECT id, platform, chat_id, text, attempts, next_attempt FROM messages AS m "
                "WHERE state = 'pending' AND id = (SELECT MIN(id) FROM messages "
                "WHERE state = 'pending' AND platform = m.platform AND chat_id = m.chat_id)"
            ).fetchall()
        heads = [Message(*row) for row in rows]
        ready = [m for m in heads if m.next_attempt <= now]
        later = [m.next_attempt for m in heads if m.next_attempt > now]
        return ready, min(later) if later else None

    def mark_sent(self, message_id: int) -> None:
        self._update(
            "UPDATE messages SET state = 'sent', attempts = attempts + 1, finished = ?, "
            "last_error = '' WHERE id = ?",
            (self._clock(), message_id),
        )

    def retry_later(self, message_id: int, delay: float, reason: str) -> None:
        self._update(
            "UPDATE messages SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?",
            (self._clock() + delay, reason, message_id),
        )

    def mark_failed(self, message_id: int, reason: str) -> None:
        self._update(
            "UPDATE messages SET state = 'failed', attempts = attempts + 1, finished = ?, "
            "last_error = ? WHERE id = ?",
            (self._clock(), reason, message_id),
        )

    def wake_all(self) -> None:
        """Make every pending message due now (at start-up: a new process tries at once)."""
        self._update(
            "UPDATE messages SET next_attempt = ? WHERE state = 'pending' AND next_attempt > ?",
            (self._clock(), self._clock()),
        )

    def prune(self) -> None:
        now = self._clock()
        self._update(
            "DELETE FROM messages WHERE state = 'sent' AND finished < ?", (now - SENT_RETENTION_SECONDS,)
        )
        self._update("DELETE FROM accepted WHERE seen < ?", (now - self.window,))

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall()
        counts = {PENDING: 0, SENT: 0, FAILED: 0}
        counts.update({state: n for state, n in rows})
        return counts

    def messages(self, state: str | None = None) -> list[Message]:
        """Every message (or those in one state), oldest first: for inspection and tests."""
        query = "SELECT id, platform, chat_id, text, attempts, next_attempt, state, last_error FROM messages"
        args: tuple[str, ...] = ()
        if state is not None:
            query, args = query + " WHERE state = ?", (state,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [Message(*row) for row in rows]

    def _update(self, sql: str, args: tuple[object, ...]) -> None:
        with self._lock:
            self._db.execute(sql, args)


def _create_private(path: Path) -> None:
    """Create the database file as 0600 before SQLite opens it; SQLite gives its journals the same mode."""
    make_private_dirs(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
