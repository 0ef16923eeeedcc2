"""Where the analytics reads from: the embedded store (default) or InfluxDB (InfluxQL, DESIGN 4.4).

Both answer the same three questions: which channels exist (`channels`), their attempts over a span of
time (`histories`, for detection) and their daily last counts (`daily`, for ratings, growth and
forecasts). InfluxDB only holds successful observations and no registry: from it, errors (lost access)
and the `expected` flag are unknown, so coverage always reads the store.
"""

from __future__ import annotations

from typing import Protocol

from collector.analytics.history import ChannelInfo, History, from_rows
from collector.analytics.queries import DayValue, StoreQueries
from exporters.store import Store

SECONDS_PER_DAY = 86_400


class Source(Protocol):
    name: str

    def channels(self) -> dict[str, ChannelInfo]: ...

    def histories(self, start: float, end: float, platform: str | None = None) -> dict[str, History]: ...

    def daily(
        self, start_day: int, end_day: int, platform: str | None = None
    ) -> dict[str, list[DayValue]]: ...

    def close(self) -> None: ...


class StoreSource:
    """The embedded store through its public API plus `StoreQueries` for bulk reads."""

    name = "store"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries = StoreQueries(store)
        self._channels: dict[str, ChannelInfo] | None = None

    def channels(self) -> dict[str, ChannelInfo]:
        if self._channels is None:
            self._channels = {}
            for stored in self.store.channels(include_removed=True):
                c = stored.channel
                info = ChannelInfo(
                    c.platform.value,
                    c.channel,
                    c.region,
                    c.category.value,
                    c.title,
                    c.org,
                    c.expected,
                    stored.state == "active",
                    stored.removed_at,
                )
                self._channels[info.key] = info
        return self._channels

    def histories(self, start: float, end: float, platform: str | None = None) -> dict[str, History]:
        return from_rows(self.channels(), self.queries.samples(start, end, platform))

    def daily(self, start_day: int, end_day: int, platform: str | None = None) -> dict[str, list[DayValue]]:
        return self.queries.daily(start_day, end_day, platform)

    def close(self) -> None:
        self.queries.close()
