"""Our line protocol must be byte-identical to influxdb-client's Point for every input."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from influxdb_client import Point, WritePrecision

from exporters import lineprotocol as lp

NASTY = [
    "",
    "plain",
    "with space",
    "comma,here",
    "equals=sign",
    'double"quote',
    "single'quote",
    "back\\slash",
    "ends with backslash\\",
    "\\",
    "new\nline",
    "tab\tand\rcr",
    "Правительство Астраханской области",
    "🇷🇺 эмодзи 🎉",
    '=,\\ "\n',
]

text = st.text()
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
floats = st.floats(allow_nan=True, allow_infinity=True)
timestamps = st.integers(min_value=0, max_value=2**33)


def reference(measurement: str, tags: dict[str, str], fields: dict[str, object], ts: int) -> bytes:
    point = Point(measurement)
    for key, value in tags.items():
        point.tag(key, value)
    for key, value in fields.items():
        point.field(key, value)
    return str(point.time(ts, WritePrecision.S).to_line_protocol()).encode()


@given(platform=text, channel=text, region=text, category=text, subscribers=ints, ts=timestamps)
@example(platform="vk", channel="", region="RU-MOW", category="governor", subscribers=0, ts=0)
@example(platform="vk", channel="a\\", region="a b", category="c,d=e", subscribers=-1, ts=1)
@settings(max_examples=300, deadline=None)
def test_channel_subscribers_matches_point(
    platform: str, channel: str, region: str, category: str, subscribers: int, ts: int
) -> None:
    prefix = lp.channel_subscribers_prefix(platform, channel, region, category)
    ours = lp.channel_subscribers_line(prefix, subscribers, ts).encode()
    tags = {"platform": platform, "channel": channel, "region": region, "category": category}
    assert ours == reference("channel_subscribers", tags, {"subscribers": subscribers}, ts)


@given(platform=text, channel=text, title=text, org=text, link=text, ts=timestamps)
@settings(max_examples=300, deadline=None)
def test_channel_meta_matches_point(
    platform: str, channel: str, title: str, org: str, link: str, ts: int
) -> None:
    ours = lp.channel_meta_line(platform, channel, title=title, org=org, link=link, timestamp=ts).encode()
    fields: dict[str, object] = {"title": title, "org": org, "link": link}
    assert ours == reference("channel_meta", {"platform": platform, "channel": channel}, fields, ts)


@given(
    region=text,
    platform=text,
    subscribers=ints,
    channels=ints,
    population=st.none() | ints,
    per_1000=st.none() | floats,
    shard=st.none() | text,
    ts=timestamps,
)
@example(
    region="RU-MOW",
    platform="max",
    subscribers=1,
    channels=1,
    population=None,
    per_1000=1e-05,
    shard=None,
    ts=1,
)
@example(
    region="RU-MOW", platform="max", subscribers=1, channels=1, population=3, per_1000=-0.0, shard="0", ts=1
)
@settings(max_examples=300, deadline=None)
def test_region_audience_matches_point(
    region: str,
    platform: str,
    subscribers: int,
    channels: int,
    population: int | None,
    per_1000: float | None,
    shard: str | None,
    ts: int,
) -> None:
    ours = lp.region_audience_line(
        region,
        platform,
        subscribers=subscribers,
        channels=channels,
        population=population,
        per_1000=per_1000,
        timestamp=ts,
        shard=shard,
    ).encode()
    tags = {"region": region, "platform": platform}
    if shard is not None:
        tags["shard"] = shard
    fields: dict[str, object] = {"subscribers": subscribers, "channels": channels}
    if population is not None:
        fields["population"] = population
    if per_1000 is not None:
        fields["per_1000"] = per_1000
    assert ours == reference("region_audience", tags, fields, ts)


@given(platform=text, shard=text, duration=floats, ok=ints, failed=ints, ts=timestamps)
@example(platform="vk", shard="0", duration=float("nan"), ok=0, failed=0, ts=0)
@example(platform="vk", shard="0", duration=1e16, ok=0, failed=0, ts=0)
@settings(max_examples=300, deadline=None)
def test_collector_cycle_matches_point(
    platform: str, shard: str, duration: float, ok: int, failed: int, ts: int
) -> None:
    ours = lp.collector_cycle_line(
        platform, shard, duration_seconds=duration, channels_ok=ok, channels_failed=failed, timestamp=ts
    ).encode()
    fields: dict[str, object] = {"duration_seconds": duration, "channels_ok": ok, "channels_failed": failed}
    assert ours == reference("collector_cycle", {"platform": platform, "shard": shard}, fields, ts)


@pytest.mark.parametrize("value", NASTY)
def test_nasty_strings_in_every_position(value: str) -> None:
    prefix = lp.channel_subscribers_prefix(value, value, value, value)
    assert lp.channel_subscribers_line(prefix, 7, 9).encode() == reference(
        "channel_subscribers",
        dict.fromkeys(("platform", "channel", "region", "category"), value),
        {"subscribers": 7},
        9,
    )
    meta = lp.channel_meta_line("vk", value, title=value, org=value, link=value, timestamp=9)
    fields: dict[str, object] = dict.fromkeys(("title", "org", "link"), value)
    assert meta.encode() == reference("channel_meta", {"platform": "vk", "channel": value}, fields, 9)


def test_documented_point_quirks() -> None:
    # The behaviours the module docstring promises, spelled out.
    assert lp.series_prefix("m", [("a", ""), ("b", "x")]) == "m,b=x"
    assert lp.escape_tag_value("a\\") == "a\\ "
    assert lp.escape_tag_value("a\nb") == "a\\nb"
    assert lp.string_field('a"\\\n') == '"a\\"\\\\\n"'
    assert lp.float_field(1e-05) == "1e-05"
    assert lp.float_field(2.0) == "2"
    assert lp.float_field(math.inf) is None
    assert lp.float_field(math.nan) is None
    line = lp.collector_cycle_line(
        "vk", "0", duration_seconds=math.nan, channels_ok=1, channels_failed=2, timestamp=3
    )
    assert line == "collector_cycle,platform=vk,shard=0 channels_failed=2i,channels_ok=1i 3"


def test_prefix_cache_reuses_and_bounds() -> None:
    cache = lp.SeriesPrefixes(max_entries=2)
    first = cache.get("vk", "1", "RU-MOW", "governor")
    assert cache.get("vk", "1", "RU-MOW", "governor") is first
    cache.get("vk", "2", "RU-MOW", "governor")
    cache.get("vk", "3", "RU-MOW", "governor")  # over the bound: the cache starts again
    assert cache.get("vk", "1", "RU-MOW", "governor") == first
    assert first == "channel_subscribers,category=governor,channel=1,platform=vk,region=RU-MOW"
