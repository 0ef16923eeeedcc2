"""Per-token rate limits in fixed one-second windows (real time), and the request counters."""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from collector.models import Platform

DEFAULT_RATES: dict[Platform, float] = {Platform.MAX: 30.0, Platform.VK: 3.0, Platform.TELEGRAM: 30.0}


class RateLimiter:
    """At most `rate` requests per token in each wall-clock second window."""

    def __init__(self, rates: dict[Platform, float] | None = None) -> None:
        self.rates = dict(DEFAULT_RATES if rates is None else {**DEFAULT_RATES, **rates})
        self._windows: dict[tuple[Platform, str], tuple[int, int]] = {}

    def acquire(self, platform: Platform, token: str) -> float:
        """0.0 when admitted; otherwise the seconds until the next window opens."""
        now = time.monotonic()
        window = int(now)
        key = (platform, token)
        start, used = self._windows.get(key, (window, 0))
        if start != window:
            used = 0
        allowed = max(1, math.floor(self.rates[platform]))
        if used >= allowed:
            self._windows[key] = (window, used)
            return max(0.001, window + 1 - now)
        self._windows[key] = (window, used + 1)
        return 0.0


@dataclass
class PlatformStats:
    requests: int = 0
    throttled: int = 0
    auth_failed: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    by_token: dict[str, Counter[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "throttled": self.throttled,
            "auth_failed": self.auth_failed,
            "faults": dict(self.faults),
            "statuses": dict(self.statuses),
            "by_token": {t: dict(c) for t, c in self.by_token.items()},
        }


class Stats:
    """Every request and every throttled request per platform and per (valid) token.

    Requests with an unknown token are counted under `auth_failed`, never by the token they carried.
    """

    def __init__(self) -> None:
        self.platforms = {p: PlatformStats() for p in Platform}
        self.webhook_deliveries = Counter[str]()

    def request(self, platform: Platform) -> None:
        self.platforms[platform].requests += 1

    def token_request(self, platform: Platform, token: str, throttled: bool) -> None:
        stats = self.platforms[platform]
        counter = stats.by_token.setdefault(token, Counter())
        counter["requests"] += 1
        if throttled:
            counter["throttled"] += 1
            stats.throttled += 1

    def status(self, platform: Platform, status: int | str) -> None:
        self.platforms[platform].statuses[str(status)] += 1

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {p.value: s.as_dict() for p, s in self.platforms.items()}
        out["webhook_deliveries"] = dict(self.webhook_deliveries)
        return out

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]
