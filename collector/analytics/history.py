"""What the analytics reads: channel descriptions and per-channel histories, whatever the source.

A `History` is a channel's subscriber gauge as Prometheus sees it: the collector exports the last
successfully observed count, so at every sweep after the first success the gauge has a sample, even
when that sweep failed (the count is then the cached one, and `govpulse_channel_error` says why).
Building the same view from the store's raw samples is what lets the analytics and the alert rules agree.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from collector.models import OK

# Reasons after which the channel is gone or out of reach (the same set as collector.rulegen.promql).
GONE_REASONS = frozenset({"lost_access", "not_found", "deactivated"})
DELETED_REASONS = frozenset({"not_found", "deactivated"})


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A channel's descriptive fields (registry row as the store or InfluxDB tags know it)."""

    platform: str
    channel: str
    region: str
    category: str
    title: str = ""
    org: str = ""
    expected: bool = False
    active: bool = True
    removed_at: float | None = None  # when it left the registry (it still counts before that)

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.channel}"


@dataclass(slots=True)
class History:
    """Attempts of one channel in time order: when, with what status, and the gauge value after it."""

    info: ChannelInfo
    times: list[float] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    ok_times: list[float] = field(default_factory=list)
    gauge_times: list[float] = field(default_factory=list)  # attempts from the first ok on
    gauge_values: list[int] = field(default_factory=list)  # the last ok count as of each of them

    def add(self, at: float, status: str, subscribers: int | None) -> None:
        """Append one attempt (callers add them in time order)."""
        self.times.append(at)
        self.statuses.append(status)
        if status == OK and subscribers is not None:
            self.ok_times.append(at)
            self.gauge_times.append(at)
            self.gauge_values.append(subscribers)
        elif self.gauge_values:
            self.gauge_times.append(at)
            self.gauge_values.append(self.gauge_values[-1])

    def last_ok_at(self, at: float) -> float | None:
        i = bisect_right(self.ok_times, at)
        return self.ok_times[i - 1] if i else None

    def error_at(self, at: float) -> str | None:
        """The reason of the last attempt at or before `at` when it failed (`govpulse_channel_error`)."""
        i = bisect_right(self.times, at)
        if not i:
            return None
        status = self.statuses[i - 1]
        return None if status == OK else status

    def current(self, at: float) -> int | None:
        """The gauge at `at`: the last ok count observed by then."""
        i = bisect_right(self.gauge_times, at)
        return self.gauge_values[i - 1] if i else None

    def count_at(self, at: float) -> tuple[int, float] | None:
        """The last ok count at or before `at` and when it was observed."""
        i = bisect_right(self.ok_times, at)
        if not i:
            return None
        j = bisect_right(self.gauge_times, self.ok_times[i - 1]) - 1
        return self.gauge_values[j], self.ok_times[i - 1]


def from_rows(
    infos: dict[str, ChannelInfo], rows: Iterable[tuple[str, float, str, int | None]]
) -> dict[str, History]:
    """Histories from (key, observed_at, status, subscribers) rows sorted by key then time."""
    histories: dict[str, History] = {}
    for key, at, status, subscribers in rows:
        history = histories.get(key)
        if history is None:
            info = infos.get(key)
            if info is None:
                continue
            history = histories[key] = History(info)
        history.add(at, status, subscribers)
    return histories
