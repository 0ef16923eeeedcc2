"""Opening the store's file privately: directory 0700 when we create it, database (and -wal/-shm) 0600."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

from exporters.files import make_private_dirs
from exporters.store_records import StoreError, describe
from exporters.store_schema import (
    PAGE_SIZE,
    PRAGMAS,
    SCHEMA_VERSION,
    SchemaTooNew,
    current_version,
    migrate,
)

log = logging.getLogger(__name__)


def _precreate(path: Path) -> None:
    """Create the database file with mode 0600; SQLite gives its -wal and -shm files the same mode."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, 0o600)


def connect_writer(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database; WAL mode and the pragmas of `store_schema`."""
    try:
        make_private_dirs(path.parent)
        _precreate(path)
    except OSError as exc:
        raise describe(exc, path, "create") from exc
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise describe(exc, path, "open") from exc
    try:
        conn.execute(f"PRAGMA page_size={PAGE_SIZE}")  # no effect on an existing database
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"cannot open {path}: the filesystem does not support WAL mode ({mode})", path)
        for pragma in PRAGMAS:
            conn.execute(pragma)
        migrate(conn)
    except SchemaTooNew as exc:
        conn.close()
        raise StoreError(f"cannot open {path}: {exc}", path) from exc
    except sqlite3.Error as exc:
        conn.close()
        raise describe(exc, path, "open") from exc
    except StoreError:
        conn.close()
        raise
    return conn


def connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection for reports running beside the collector (WAL lets it read while it writes)."""
    if not path.exists():
        raise StoreError(f"cannot open {path}: no such file", path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        conn.isolation_level = None
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA query_only=ON")
        version = current_version(conn)
    except sqlite3.Error as exc:
        raise describe(exc, path, "open") from exc
    if version != SCHEMA_VERSION:
        conn.close()
        raise StoreError(
            f"cannot read {path}: schema version {version}, this govpulse reads {SCHEMA_VERSION}"
            " (open it once for writing to migrate it)",
            path,
        )
    return conn


class Checkpointer:
    """Copies committed WAL frames into the database file in a background thread (PASSIVE: it never
    blocks the writer or readers), so a sweep's commit only appends to the WAL. Woken after each commit."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="govpulse-store-checkpoint", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                break
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:  # e.g. the disk is full: the WAL keeps the data, retry next time
                log.warning("%s", describe(exc, self._path, "checkpoint"))
        self._conn.close()

    def close(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=60)
