"""InfluxDB line protocol for the four govpulse measurements (DESIGN 4.4), built without `Point` objects.

The output is byte-identical to influxdb-client's
`Point(m).tag(...).field(...).time(ts, WritePrecision.S).to_line_protocol()` (proved by a property-based
test), including its quirks, which we keep on purpose so the two encoders stay interchangeable:

* tags and fields are sorted by key; a tag whose value is `""` is dropped;
* tag values escape `,` `=` space and turn newline, tab and CR into the two-character escapes `\\n` `\\t`
  `\\r`; a backslash is not escaped, and a value ending in a backslash gets a trailing space appended (so
  the backslash cannot escape the separator; InfluxDB then stores the value with a trailing space);
* string fields escape only `"` and the backslash; newlines stay raw inside the quotes, which InfluxDB
  accepts (its line scanner ignores newlines inside a quoted field value);
* floats use `str()` (`1e-05`, `1e+16`) with a trailing `.0` removed; a non-finite float field (inf, nan)
  is left out of the line, as Point does, so `per_1000` or `duration_seconds` may be missing;
* integers carry the `i` suffix (`subscribers` is always an integer: InfluxDB rejects a field whose type
  changes).

Timestamps are whole Unix seconds: write with `precision=s`.

Speed: the escaped `measurement,tags` part of a channel's `channel_subscribers` line depends only on the
channel, so `SeriesPrefixes` computes it once per channel; each point is then one f-string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

CHANNEL_SUBSCRIBERS = "channel_subscribers"
CHANNEL_META = "channel_meta"
REGION_AUDIENCE = "region_audience"
COLLECTOR_CYCLE = "collector_cycle"

_ESCAPE_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n", "\t": r"\t", "\r": r"\r"})
_ESCAPE_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n", "\t": r"\t", "\r": r"\r"})
_SPECIAL = re.compile(r"[,= \n\t\r\\]")
_ESCAPE_STRING = str.maketrans({'"': '\\"', "\\": "\\\\"})


def escape_measurement(name: str) -> str:
    return name.translate(_ESCAPE_MEASUREMENT)


def escape_key(key: str) -> str:
    """Escape a tag key or a field key."""
    return key.translate(_ESCAPE_KEY)


def escape_tag_value(value: str) -> str:
    if _SPECIAL.search(value) is None:  # the common case: nothing to escape (5x faster than translate)
        return value
    escaped = value.translate(_ESCAPE_KEY)
    # A trailing backslash would escape the separator after it; Point appends a space, and so do we.
    return escaped + " " if escaped.endswith("\\") else escaped


def string_field(value: str) -> str:
    return '"' + value.translate(_ESCAPE_STRING) + '"'


def float_field(value: float) -> str | None:
    """The line-protocol form of a float, or None when it is not finite (the field is then left out)."""
    if not math.isfinite(value):
        return None
    text = str(value)
    return text[:-2] if text.endswith(".0") else text


def series_prefix(measurement: str, tags: Iterable[tuple[str, str]]) -> str:
    """`measurement,k=v,...` with tags sorted by key and empty ones dropped (no trailing space)."""
    parts = [escape_measurement(measurement)]
    for key, value in sorted(tags):
        escaped_key, escaped_value = escape_key(key), escape_tag_value(value)
        if escaped_key and escaped_value:
            parts.append(f"{escaped_key}={escaped_value}")
    return ",".join(parts)


def _line(prefix: str, fields: Iterable[tuple[str, str | None]], timestamp: int) -> str:
    """Join a prefix and formatted fields, given sorted by key as Point sorts them; None is left out."""
    body = ",".join(f"{escape_key(k)}={v}" for k, v in fields if v is not None)
    return f"{prefix} {body} {timestamp}" if body else ""


def channel_subscribers_prefix(platform: str, channel: str, region: str, category: str) -> str:
    # `series_prefix` unrolled for the hot measurement: fixed keys, already in sorted order.
    parts = [CHANNEL_SUBSCRIBERS]
    tags = (("category=", category), ("channel=", channel), ("platform=", platform), ("region=", region))
    for key, value in tags:
        escaped = escape_tag_value(value)
        if escaped:
            parts.append(key + escaped)
    return ",".join(parts)


def channel_subscribers_line(prefix: str, subscribers: int, timestamp: int) -> str:
    """One `channel_subscribers` point from a prefix made by `channel_subscribers_prefix`."""
    return f"{prefix} subscribers={subscribers}i {timestamp}"


def channel_meta_line(platform: str, channel: str, *, title: str, org: str, link: str, timestamp: int) -> str:
    prefix = series_prefix(CHANNEL_META, (("channel", channel), ("platform", platform)))
    fields = (("link", string_field(link)), ("org", string_field(org)), ("title", string_field(title)))
    return _line(prefix, fields, timestamp)


def region_audience_line(
    region: str,
    platform: str,
    *,
    subscribers: int,
    channels: int,
    population: int | None,
    per_1000: float | None,
    timestamp: int,
    shard: str | None = None,
) -> str:
    """`population` and `per_1000` are left out when None (the population of the region is unknown)."""
    tags = [("platform", platform), ("region", region)]
    if shard is not None:
        tags.append(("shard", shard))
    fields = (
        ("channels", f"{channels}i"),
        ("per_1000", None if per_1000 is None else float_field(per_1000)),
        ("population", None if population is None else f"{population}i"),
        ("subscribers", f"{subscribers}i"),
    )
    return _line(series_prefix(REGION_AUDIENCE, tags), fields, timestamp)


def collector_cycle_line(
    platform: str,
    shard: str,
    *,
    duration_seconds: float,
    channels_ok: int,
    channels_failed: int,
    timestamp: int,
) -> str:
    prefix = series_prefix(COLLECTOR_CYCLE, (("platform", platform), ("shard", shard)))
    fields = (
        ("channels_failed", f"{channels_failed}i"),
        ("channels_ok", f"{channels_ok}i"),
        ("duration_seconds", float_field(duration_seconds)),
    )
    return _line(prefix, fields, timestamp)


class SeriesPrefixes:
    """A cache of `channel_subscribers` prefixes, one per channel, checked against its current tags.

    Looked up by platform then channel, so a hit allocates nothing (no tuple key): at 200,000 points a
    sweep, the garbage collector that tuple keys would wake costs more than the formatting itself.
    """

    def __init__(self, max_entries: int = 1_000_000) -> None:
        self._by_platform: dict[str, dict[str, tuple[str, str, str]]] = {}
        self._entries = 0
        self._max_entries = max_entries

    def get(self, platform: str, channel: str, region: str, category: str) -> str:
        channels = self._by_platform.get(platform)
        if channels is not None:
            entry = channels.get(channel)
            if entry is not None and entry[0] == region and entry[1] == category:
                return entry[2]
        return self._add(platform, channel, region, category)

    def _add(self, platform: str, channel: str, region: str, category: str) -> str:
        if self._entries >= self._max_entries:
            self._by_platform.clear()  # stale entries of removed channels; cheap to rebuild
            self._entries = 0
        prefix = channel_subscribers_prefix(platform, channel, region, category)
        channels = self._by_platform.setdefault(platform, {})
        self._entries += channel not in channels
        channels[channel] = (region, category, prefix)
        return prefix
