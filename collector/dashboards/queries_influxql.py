"""InfluxQL for every panel, by query name (the same names as the PromQL where the meaning is the same).

Schema: DESIGN §4.4. InfluxDB has no region reference, so the federal district is a custom variable
whose value is a regex alternation of the district's region codes (`RU-BEL|RU-BRY|...`), generated from
the regions reference and inserted unescaped with `${district:pipe}`. InfluxDB keeps no API, limiter,
sink or spool counters and no per-channel errors: those panels exist only on Prometheus.
Windows "over the last N days" end at the dashboard's end (`${__to}`), like PromQL evaluated there.
"""

from __future__ import annotations

from collector.config import DetectionSettings
from collector.dashboards.common import Query

_D = DetectionSettings()

_REGION = '"region" =~ /^$region$/ AND "region" =~ /^(${district:pipe})$/'
_FILTER = (
    f'"platform" =~ /^$platform$/ AND {_REGION} AND "category" =~ /^$category$/ AND "channel" =~ /^$channel$/'
)
_REGIONAL = f'"platform" =~ /^$platform$/ AND {_REGION}'
_ONE = '"platform" =~ /^$platform$/ AND "channel" = \'$channel\''
_TAGS = '"platform", "channel", "region", "category"'
_BY_CHANNEL = '"platform", "channel"'
_MAX_ONLY = "\"platform\" = 'max'"


def _window(days: int) -> str:
    return f"time >= ${{__to}}ms - {days}d AND time <= ${{__to}}ms"


def _last_per_channel(where: str, by: str = '"platform", "channel"', field: str = "subscribers") -> str:
    return (
        f'SELECT last("{field}") AS "{field}" FROM "channel_subscribers" '
        f"WHERE $timeFilter AND {where} GROUP BY {by}"
    )


def _sum_over_time(
    measurement: str, where: str, inner_by: str, outer_by: str, bucket: str, outer: str = 'sum("subscribers")'
) -> str:
    """Sum across series of each series' last value per bucket; `outer` may wrap the sum (difference).

    Buckets must be at least one sweep long (the datasource's min interval is the sweep interval), so each
    holds every channel's latest point. fill(previous) inside a subquery would carry values over gaps, but
    InfluxDB 1.6 then emits rows far outside the time range (seen in tests/dashboards), so it is not used.
    """
    inner = (
        f'SELECT last("subscribers") AS "subscribers" FROM "{measurement}" WHERE $timeFilter AND {where} '
        f"GROUP BY time({bucket}), {inner_by}"
    )
    return f"SELECT {outer} FROM ({inner}) WHERE $timeFilter GROUP BY time({bucket}), {outer_by} fill(none)"


def _growth(days: int, where: str, by: str) -> str:
    """Relative growth over the last `days`: (last - first) / first."""
    return (
        f'SELECT (last("subscribers") - first("subscribers")) / (first("subscribers") * 1.0) AS "growth" '
        f'FROM "channel_subscribers" WHERE {_window(days)} AND {where} GROUP BY {by}'
    )


def _flagged(days: int, value: str, condition: str) -> str:
    """Channels whose change over the last `days` (`value`: an expression of first/last) meets `condition`."""
    inner = (
        f'SELECT {value} AS "change" FROM "channel_subscribers" '
        f"WHERE {_window(days)} AND {_FILTER} GROUP BY {_TAGS}"
    )
    return f'SELECT "change" FROM ({inner}) WHERE "change" {condition} GROUP BY {_TAGS}'


def _region_last(field: str) -> str:
    inner = (
        f'SELECT last("{field}") AS "{field}" FROM "region_audience" WHERE $timeFilter AND {_REGIONAL} '
        'GROUP BY "region", "platform"'
    )
    return f'SELECT sum("{field}") AS "{field}" FROM ({inner}) GROUP BY "region"'


def _coverage(category: str) -> str:
    inner = _last_per_channel(
        f"\"category\" = '{category}' AND {_REGIONAL}", '"region", "platform", "channel"'
    )
    return f'SELECT count("subscribers") AS "channels" FROM ({inner}) GROUP BY "region"'


_REGION_GROWTH = (
    'SELECT sum("delta") / ((sum("last") - sum("delta")) * 1.0) AS "growth" FROM ('
    'SELECT last("subscribers") - first("subscribers") AS "delta", last("subscribers") AS "last" '
    f'FROM "channel_subscribers" WHERE {_window(7)} AND {_FILTER} GROUP BY "platform", "channel", "region"'
    ') GROUP BY "region"'
)
_MAX_CHANNELS = _last_per_channel(_MAX_ONLY, '"channel"')
# `* 1.0`: InfluxDB 1.6 types integer arithmetic as integer and truncates the ratio inside a subquery.
_RATIO = '(last("subscribers") - first("subscribers")) / (first("subscribers") * 1.0)'

OVERVIEW = {
    "channels_by_platform": Query(
        f'SELECT count("subscribers") AS "channels" FROM ({_last_per_channel(_FILTER)}) GROUP BY "platform"',
        legend="$tag_platform",
    ),
    "subscribers_by_platform": Query(
        f'SELECT sum("subscribers") AS "subscribers" FROM ({_last_per_channel(_FILTER)}) GROUP BY "platform"',
        legend="$tag_platform",
    ),
    "subscribers_total": Query(
        _sum_over_time("channel_subscribers", _FILTER, '"platform", "channel"', '"platform"', "$__interval"),
        legend="$tag_platform",
    ),
    "growth_day": Query(
        _sum_over_time(
            "channel_subscribers", _FILTER, _BY_CHANNEL, '"platform"', "1d", 'difference(sum("subscribers"))'
        ),
        legend="$tag_platform",
    ),
    "growth_week": Query(
        _sum_over_time(
            "channel_subscribers", _FILTER, _BY_CHANNEL, '"platform"', "7d", 'difference(sum("subscribers"))'
        ),
        legend="$tag_platform",
    ),
    "max_channels": Query(
        f'SELECT count("subscribers") AS "channels" FROM ({_MAX_CHANNELS})',
        legend="Max",
    ),
    "regions_fastest": Query(_REGION_GROWTH, table=True),
    "regions_slowest": Query(_REGION_GROWTH, table=True),
}

REGIONS = {
    "region_subscribers": Query(_region_last("subscribers"), table=True),
    "region_per_1000": Query(_region_last("per_1000"), table=True),
    "region_channels": Query(_region_last("channels"), table=True),
    "region_change": Query(
        'SELECT sum("change") AS "change" FROM ('
        'SELECT last("subscribers") - first("subscribers") AS "change" '
        f'FROM "region_audience" WHERE $timeFilter AND {_REGIONAL} GROUP BY "region", "platform"'
        ') GROUP BY "region"',
        table=True,
    ),
    "region_subscribers_over_time": Query(
        _sum_over_time("region_audience", _REGIONAL, '"region", "platform"', '"region"', "$__interval"),
        legend="$tag_region",
    ),
    "coverage_governor": Query(_coverage("governor"), table=True),
    "coverage_government": Query(_coverage("regional_government"), table=True),
}

CHANNEL = {
    "channel_subscribers": Query(
        'SELECT last("subscribers") AS "subscribers" FROM "channel_subscribers" '
        f"WHERE $timeFilter AND {_ONE} "
        'GROUP BY time($__interval), "platform", "channel" fill(none)',
        legend="$tag_platform:$tag_channel",
    ),
    "channel_delta1d": Query(
        'SELECT difference(last("subscribers")) AS "delta" FROM "channel_subscribers" '
        f"WHERE $timeFilter AND {_ONE} "
        'GROUP BY time(1d), "platform", "channel" fill(none)',
        legend="$tag_platform:$tag_channel",
    ),
    "channel_growth7d": Query(_growth(7, _ONE, '"platform", "channel"')),
    "channel_growth30d": Query(_growth(30, _ONE, '"platform", "channel"')),
    "channel_last_seen": Query(_last_per_channel(_ONE), table=True),
    "channel_peers": Query(
        _last_per_channel('"region" =~ /^$channel_region$/ AND "category" =~ /^$channel_category$/', _TAGS),
        table=True,
    ),
}

ANOMALIES = {
    "stalled": Query(_flagged(7, 'last("subscribers") - first("subscribers")', "<= 0"), table=True),
    "declining": Query(_flagged(7, _RATIO, f"< -{_D.declining_min_loss_ratio}"), table=True),
    "dropped": Query(_flagged(1, _RATIO, f"< -{_D.drop_min_loss_ratio}"), table=True),
    "spiking": Query(_flagged(1, _RATIO, f">= {_D.spike_min_gain_ratio}"), table=True),
    "last_seen": Query(_last_per_channel(_FILTER, _TAGS), table=True),
}

COLLECTOR = {
    "cycle_duration": Query(
        'SELECT last("duration_seconds") FROM "collector_cycle" '
        'WHERE $timeFilter AND "platform" =~ /^$platform$/ '
        'GROUP BY time($__interval), "platform", "shard" fill(none)',
        legend="$tag_platform $tag_shard",
    ),
    "cycle_outcomes": Query(
        'SELECT last("channels_ok") AS "ok", last("channels_failed") AS "failed" FROM "collector_cycle" '
        'WHERE $timeFilter AND "platform" =~ /^$platform$/ '
        'GROUP BY time($__interval), "platform", "shard" fill(none)',
        legend="$tag_platform $tag_shard $col",
    ),
    "shards_seen": Query(
        'SELECT last("duration_seconds") AS "duration_seconds" FROM "collector_cycle" WHERE $timeFilter '
        'GROUP BY "platform", "shard"',
        table=True,
    ),
}

QUERIES: dict[str, Query] = {**OVERVIEW, **REGIONS, **CHANNEL, **ANOMALIES, **COLLECTOR}

EVENTS = 'SELECT "text" FROM "events" WHERE $timeFilter AND "channel" = \'$channel\''
