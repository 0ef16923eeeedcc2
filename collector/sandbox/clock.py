"""The simulated clock: `start + (monotonic_now - t0) * speed`, settable at runtime."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

DEFAULT_START = datetime(2025, 12, 1, tzinfo=UTC).timestamp()


def parse_time(value: str | float | int) -> float:
    """Unix seconds from a number, a numeric string or an ISO 8601 string (naive = UTC)."""
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def iso(ts: float) -> str:
    """ISO 8601 UTC with a Z suffix, second precision."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SimClock:
    """Simulated time running `speed` simulated seconds per real second (thread-safe)."""

    def __init__(self, start: float = DEFAULT_START, speed: float = 1.0) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._lock = threading.Lock()
        self._base = start
        self._t0 = time.monotonic()
        self._speed = speed
        self.generation = 0  # bumped on every set(), so waiters can notice jumps

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        return self._base + (time.monotonic() - self._t0) * self._speed

    def set(self, now: float | None = None, speed: float | None = None) -> None:
        """Jump to `now` and/or change the speed from this moment on."""
        if speed is not None and speed < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            current = self.now()
            self._base = current if now is None else now
            self._t0 = time.monotonic()
            if speed is not None:
                self._speed = speed
            self.generation += 1

    def real_seconds_until(self, sim_ts: float) -> float | None:
        """Real seconds until simulated time reaches `sim_ts`; None when the clock is stopped."""
        gap = sim_ts - self.now()
        if gap <= 0:
            return 0.0
        return None if self._speed == 0 else gap / self._speed
