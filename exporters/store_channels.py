"""The `channels` table and its metadata history (`channel_changes`).

Who owns which field: the registry owns region, category, org and expected; the platform owns title and
link once it has reported them (`reported` bits), the registry's values fill them in until then. So a
stale title in the registry does not flap against what the platform says on every restart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collector.models import UNKNOWN_REGION, Category, Channel, Platform
from exporters.store_records import StoredChannel

TITLE_REPORTED = 1
LINK_REPORTED = 2
REGISTRY_FIELDS = ("region", "category", "org", "expected")

_COLUMNS = "id, platform, channel, region, category, org, title, link, expected, origin, state, reported"


@dataclass(slots=True)
class Row:
    id: int
    platform: str
    channel: str
    region: str
    category: str
    org: str
    title: str
    link: str
    expected: str  # '0' | '1', kept as text to compare and record like the other fields
    origin: str
    state: str
    reported: int

    @property
    def key(self) -> tuple[str, str]:
        return self.platform, self.channel


def load_rows(conn: sqlite3.Connection) -> dict[tuple[str, str], Row]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM channels")
    return {
        (r[1], r[2]): Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], str(r[8]), r[9], r[10], r[11])
        for r in rows
    }


def insert(conn: sqlite3.Connection, channel: Channel, origin: str, at: int) -> Row:
    cursor = conn.execute(
        "INSERT INTO channels (platform, channel, region, category, org, title, link, expected, origin,"
        " state, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
        (
            channel.platform.value,
            channel.channel,
            channel.region,
            channel.category.value,
            channel.org,
            channel.title,
            channel.link,
            int(channel.expected),
            origin,
            at,
            at,
        ),
    )
    assert cursor.lastrowid is not None
    return Row(
        cursor.lastrowid,
        channel.platform.value,
        channel.channel,
        channel.region,
        channel.category.value,
        channel.org,
        channel.title,
        channel.link,
        str(int(channel.expected)),
        origin,
        "active",
        0,
    )


def placeholder(platform: str, channel: str) -> Channel:
    """A channel seen only in samples (the registry was not synced first): kept, to be classified later."""
    return Channel(Platform(platform), channel, UNKNOWN_REGION, Category.UNCLASSIFIED)


def set_fields(conn: sqlite3.Connection, row: Row, values: dict[str, str], at: int, source: str) -> int:
    """Apply the values that differ from `row` (updating it), record each change; return how many."""
    changed = [(name, value) for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return 0
    conn.executemany(
        "INSERT INTO channel_changes VALUES (?, ?, ?, ?, ?, ?)",
        [(row.id, at, name, str(getattr(row, name)), value, source) for name, value in changed],
    )
    assignments = ", ".join(f"{name} = ?" for name, _ in changed)
    stored = [int(v) if name == "expected" else v for name, v in changed]
    conn.execute(f"UPDATE channels SET {assignments} WHERE id = ?", (*stored, row.id))
    for name, value in changed:
        setattr(row, name, value)
    return len(changed)


def registry_values(row: Row, channel: Channel) -> dict[str, str]:
    values = {
        "region": channel.region,
        "category": channel.category.value,
        "org": channel.org,
        "expected": str(int(channel.expected)),
        "origin": "registry",
    }
    if channel.title and not row.reported & TITLE_REPORTED:
        values["title"] = channel.title
    if channel.link and not row.reported & LINK_REPORTED:
        values["link"] = channel.link
    return values


def activate(conn: sqlite3.Connection, row: Row, at: int, source: str) -> bool:
    """Make a removed channel active again; True if it was removed."""
    if row.state == "active":
        return False
    set_fields(conn, row, {"state": "active"}, at, source)
    conn.execute("UPDATE channels SET removed_at = NULL WHERE id = ?", (row.id,))
    return True


def remove(conn: sqlite3.Connection, row: Row, at: int, source: str) -> bool:
    if row.state == "removed":
        return False
    set_fields(conn, row, {"state": "removed"}, at, source)
    conn.execute("UPDATE channels SET removed_at = ? WHERE id = ?", (at, row.id))
    return True


def touch(conn: sqlite3.Connection, ids: Iterable[int], at: int) -> None:
    conn.executemany(
        "UPDATE channels SET last_seen = ?1 WHERE id = ?2 AND last_seen < ?1", ((at, cid) for cid in ids)
    )


def select_channels(
    conn: sqlite3.Connection, where: str, params: Sequence[object] = ()
) -> list[StoredChannel]:
    rows = conn.execute(
        "SELECT platform, channel, region, category, org, title, expected, link, origin, state, first_seen,"
        f" last_seen, removed_at FROM channels WHERE {where} ORDER BY id",
        params,
    )
    return [
        StoredChannel(
            Channel(Platform(r[0]), r[1], r[2], _category(r[3]), r[4], r[5], bool(r[6]), r[7]),
            r[8],
            r[9],
            float(r[10]),
            float(r[11]),
            None if r[12] is None else float(r[12]),
        )
        for r in rows
    ]


def _category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:  # a category a newer registry introduced; still report the channel
        return Category.OTHER
