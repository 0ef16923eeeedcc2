"""Spacing between sends: one `Pacer` per platform (overall rate) and one per chat (per-chat rate).

Reservations are synchronous, so concurrent senders sharing a pacer never exceed its rate. Telegram's
published limits are about 30 messages/s per bot, 1/s per chat and 20/min per group or channel (negative
chat ids and @usernames); Max publishes none for sending, so it is paced as gently as Telegram.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from collector.models import Platform


@dataclass(frozen=True, slots=True)
class PacingOptions:
    platform_rate_per_second: dict[Platform, float] = field(
        default_factory=lambda: {Platform.MAX: 10.0, Platform.TELEGRAM: 25.0}
    )
    chat_interval_seconds: dict[Platform, float] = field(
        default_factory=lambda: {Platform.MAX: 1.0, Platform.TELEGRAM: 1.0}
    )
    telegram_group_interval_seconds: float = 3.0  # 20 messages per minute

    def chat_interval(self, platform: Platform, chat_id: str) -> float:
        interval = self.chat_interval_seconds.get(platform, 1.0)
        if platform is Platform.TELEGRAM and (chat_id.startswith(("-", "@"))):
            return max(interval, self.telegram_group_interval_seconds)
        return interval


class Pacer:
    """Evenly spaced slots per key, `interval` seconds apart."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next: dict[Hashable, float] = {}

    def reserve(self, key: Hashable, interval: float) -> float:
        """Take the next slot for `key`; return how many seconds to wait for it."""
        now = self._clock()
        at = max(now, self._next.get(key, now))
        self._next[key] = at + interval
        return at - now

    def pause(self, key: Hashable, seconds: float) -> None:
        """No slot for `key` before `seconds` from now (after a 429)."""
        until = self._clock() + seconds
        self._next[key] = max(self._next.get(key, until), until)

    def forget_idle(self) -> None:
        """Drop keys whose next slot is already past: they would not delay anyone."""
        now = self._clock()
        self._next = {k: t for k, t in self._next.items() if t > now}
