"""Known external causes ("the platform purged bots on 3 December"): recorded in the store's events
table and, when InfluxDB is configured, as a point of the measurement `events` (tags platform, region,
channel, kind; field `text`), so Grafana can draw them as annotations. Reports list the events of their
period next to the figures they explain.
"""

from __future__ import annotations

import asyncio

from collector.analytics.history_import import parse_time
from collector.config import InfluxSettings
from collector.models import Platform
from collector.regions import load_regions
from exporters.influx_transport import make_transport
from exporters.lineprotocol import escape_key, series_prefix, string_field
from exporters.store import Store
from exporters.store_records import Event

EVENTS_MEASUREMENT = "events"
EXTERNAL = "external"


class EventError(ValueError):
    """An event the user described cannot be recorded as given."""


def parse_when(text: str) -> float:
    """ISO 8601 date or date-time (naive = UTC), or DD.MM.YYYY [HH:MM[:SS]]: the formats the import takes."""
    try:
        return parse_time(text)
    except ValueError as exc:
        raise EventError(str(exc)) from None


def validate_scope(platform: str | None, region: str | None) -> tuple[str | None, str | None]:
    if platform is not None and platform not in {p.value for p in Platform}:
        raise EventError(f"неизвестная платформа «{platform}» (max, vk, telegram)")
    if region is not None:
        canonical = load_regions().canonical(region)
        if canonical is None:
            raise EventError(f"неизвестный регион «{region}» (код ISO 3166-2:RU, например RU-MOW)")
        region = canonical
    return platform, region


def event_line(
    at: float, text: str, *, kind: str, platform: str | None, region: str | None, channel: str | None
) -> str:
    tags = [
        ("kind", kind),
        ("platform", platform or ""),
        ("region", region or ""),
        ("channel", channel or ""),
    ]
    return f"{series_prefix(EVENTS_MEASUREMENT, tags)} {escape_key('text')}={string_field(text)} {int(at)}"


async def _write_influx(settings: InfluxSettings, line: str) -> None:
    transport = make_transport(settings)
    try:
        await transport.post(line.encode("utf-8") + b"\n")
    finally:
        await transport.aclose()


def record_event(
    store: Store,
    at: float,
    text: str,
    *,
    platform: str | None = None,
    region: str | None = None,
    channel: str | None = None,
    kind: str = EXTERNAL,
    influx: InfluxSettings | None = None,
) -> int:
    """Store the event (and write it to InfluxDB when `influx` is given and enabled); return its id."""
    if not text.strip():
        raise EventError("пустой текст события")
    if channel is not None and platform is None:
        raise EventError("для канала укажите и платформу (--platform)")
    platform, region = validate_scope(platform, region)
    event_id = store.add_event(at, kind, text.strip(), platform=platform, region=region, channel=channel)
    if influx is not None and influx.enabled:
        line = event_line(at, text.strip(), kind=kind, platform=platform, region=region, channel=channel)
        asyncio.run(_write_influx(influx, line))
    return event_id


def events_in(
    store: Store, start: float, end: float, *, platform: str | None = None, region: str | None = None
) -> list[Event]:
    return store.events(start, end, platform=platform, region=region)
