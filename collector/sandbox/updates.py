"""Max updates (`bot_added` / `bot_removed`) derived from the world's timeline.

The bot is added to each Max channel when the channel is created and removed at the change time of the
channels whose behaviour is `inaccessible`. The log is a time-sorted list; a marker is an index into it.
Since November 2026 `bot_added` no longer carries `user` (dev.max.ru changelog), so updates after
2026-11-01 omit it.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime
from typing import Any

from collector.models import Platform
from collector.sandbox.model import Behaviour
from collector.sandbox.world import World

USER_DROPPED_AT = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
EVENT_TTL_SECONDS = 24 * 3600  # undelivered updates live 24 h (Max long polling)
UPDATE_TYPES = ("bot_added", "bot_removed")


class UpdateLog:
    def __init__(self, world: World) -> None:
        events: list[tuple[float, str, int, str]] = []
        for ch in world.channels[Platform.MAX]:
            events.append((ch.created, "bot_added", ch.numeric_id, ch.title))
            if ch.behaviour is Behaviour.INACCESSIBLE:
                events.append((ch.change_at, "bot_removed", ch.numeric_id, ch.title))
        events.sort()
        self.events = events
        self.times = [e[0] for e in events]

    def index_at(self, t: float) -> int:
        """The number of updates that happened at or before t."""
        return bisect.bisect_right(self.times, t)

    def first_alive(self, now: float) -> int:
        """Where a client without a marker starts: the oldest update within the TTL."""
        return bisect.bisect_right(self.times, now - EVENT_TTL_SECONDS)

    def render(self, i: int) -> dict[str, Any]:
        t, kind, chat_id, _title = self.events[i]
        update: dict[str, Any] = {
            "update_type": kind,
            "timestamp": int(t * 1000),
            "chat_id": chat_id,
            "is_channel": True,
        }
        if t < USER_DROPPED_AT:
            user_id = 500_000_000 + (abs(chat_id) % 100_000_000)
            update["user"] = {
                "user_id": user_id,
                "first_name": "Администратор",
                "last_name": "",
                "name": "Администратор",
                "is_bot": False,
                "last_activity_time": int(t * 1000),
            }
        return update

    def collect(
        self, start: int, end: int, limit: int, types: set[str] | None
    ) -> tuple[list[dict[str, Any]], int]:
        """Updates in [start, end) matching `types` (at most `limit`) and the marker after the last read."""
        out: list[dict[str, Any]] = []
        i = start
        while i < end and len(out) < limit:
            if types is None or self.events[i][1] in types:
                out.append(self.render(i))
            i += 1
        return out, i
