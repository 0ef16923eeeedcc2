"""PromQL for every panel, by query name (the name is the target's refId).

Metric names follow DESIGN §4.3 and the recording rules in alerts/govpulse.rules.yaml. Every channel
query honours the five filters; the federal district has no label on channel series, so it is applied
by excluding regions of the districts not chosen (`unless on(region) govpulse_region_info{...!~...}`):
with "All" nothing is excluded, and channels whose region is not in the reference stay visible.
Thresholds come from the detection defaults shared with the alert rules.
"""

from __future__ import annotations

from collector.config import DetectionSettings, PlatformSettings
from collector.dashboards.common import Query

_D = DetectionSettings()
SWEEP_SECONDS = float(PlatformSettings.model_fields["interval_seconds"].default)
STALE_SECONDS = int(_D.stale_after_sweeps * SWEEP_SECONDS)

_FILTER = 'platform=~"$platform", region=~"$region", category=~"$category", channel=~"$channel"'
_ONE = 'platform=~"$platform", channel="$channel"'


def _district(offset: str = "") -> str:
    return f'unless on(region) govpulse_region_info{{federal_district!~"$district"}}{offset}'


def _channels(metric: str = "govpulse_channel_subscribers") -> str:
    """Per-channel series filtered by all five variables."""
    return f"({metric}{{{_FILTER}}} {_district()})"


def _regional(metric: str, offset: str = "") -> str:
    """Region-level recorded series: only the platform, region and district filters apply."""
    return f'({metric}{{platform=~"$platform", region=~"$region"}}{offset} {_district(offset)})'


def _labels_of_channels() -> str:
    return f"group by (platform, channel, region, category) {_channels()}"


SUBS = _channels()
DELTA_1D = _channels("channel:govpulse_channel_subscribers:delta1d")
DELTA_7D = _channels("channel:govpulse_channel_subscribers:delta7d")
RATIO_1D = _channels("channel:govpulse_channel_subscribers:ratio_delta1d")
RATIO_7D = _channels("channel:govpulse_channel_subscribers:ratio_delta7d")
REGION_SUM = "region_platform:govpulse_channel_subscribers:sum"
REGION_COUNT = "region_platform:govpulse_channel_subscribers:count"
REGION_PER_1000 = "region_platform:govpulse_channel_subscribers_per_1000:ratio"
REGION_GROWTH_7D = (
    f"sum by (region) ({DELTA_7D}) / clamp_min(sum by (region) ({SUBS}) - sum by (region) ({DELTA_7D}), 1)"
)


def _coverage(category: str) -> str:
    """Channels of one category in every region of the reference (0 where there is none)."""
    present = (
        f'count by (region) (govpulse_channel_subscribers{{category="{category}", platform=~"$platform"}})'
    )
    regions = 'govpulse_region_info{federal_district=~"$district", region=~"$region"}'
    return f"({present} or 0 * group by (region) (govpulse_region_info)) and on(region) {regions}"


def _rate(metric: str, by: str) -> str:
    return f"sum by ({by}) (rate({metric}[$__rate_interval]))"


OVERVIEW = {
    "channels_by_platform": Query(f"count by (platform) {SUBS}", instant=True, legend="{{platform}}"),
    "subscribers_by_platform": Query(f"sum by (platform) {SUBS}", instant=True, legend="{{platform}}"),
    "subscribers_total": Query(f"sum by (platform) {SUBS}", legend="{{platform}}"),
    "growth_day": Query(f"sum by (platform) {DELTA_1D}", legend="{{platform}}"),
    "growth_week": Query(f"sum by (platform) {DELTA_7D}", legend="{{platform}}"),
    "max_channels": Query(
        'sum(platform:govpulse_channel_subscribers:count{platform="max"})', instant=True, legend="Max"
    ),
    "regions_fastest": Query(f"topk(5, {REGION_GROWTH_7D})", instant=True, table=True),
    "regions_slowest": Query(f"bottomk(5, {REGION_GROWTH_7D})", instant=True, table=True),
}

REGIONS = {
    "region_subscribers": Query(f"sum by (region) {_regional(REGION_SUM)}", instant=True, table=True),
    "region_per_1000": Query(f"sum by (region) {_regional(REGION_PER_1000)}", instant=True, table=True),
    "region_channels": Query(f"sum by (region) {_regional(REGION_COUNT)}", instant=True, table=True),
    "region_change": Query(
        f"sum by (region) {_regional(REGION_SUM)} "
        f"- sum by (region) {_regional(REGION_SUM, ' offset $__range')}",
        instant=True,
        table=True,
    ),
    "region_subscribers_over_time": Query(f"sum by (region) {_regional(REGION_SUM)}", legend="{{region}}"),
    "coverage_governor": Query(_coverage("governor"), instant=True, table=True),
    "coverage_government": Query(_coverage("regional_government"), instant=True, table=True),
}

CHANNEL = {
    "channel_subscribers": Query(
        f"govpulse_channel_subscribers{{{_ONE}}}", legend="{{platform}}:{{channel}}"
    ),
    "channel_delta1d": Query(
        f"channel:govpulse_channel_subscribers:delta1d{{{_ONE}}}", legend="{{platform}}:{{channel}}"
    ),
    "channel_growth7d": Query(f"channel:govpulse_channel_subscribers:ratio_delta7d{{{_ONE}}}", instant=True),
    "channel_growth30d": Query(
        f"channel:govpulse_channel_subscribers:ratio_delta30d{{{_ONE}}}", instant=True
    ),
    "channel_age": Query(
        f"time() - govpulse_channel_last_success_timestamp_seconds{{{_ONE}}}", instant=True, table=True
    ),
    "channel_errors": Query(f"govpulse_channel_error{{{_ONE}}}", instant=True, table=True),
    "channel_peers": Query(
        f"govpulse_channel_subscribers and on(region, category) govpulse_channel_subscribers{{{_ONE}}}",
        instant=True,
        table=True,
    ),
}

ANOMALIES = {
    "stalled": Query(f"{DELTA_7D} <= 0", instant=True, table=True),
    "declining": Query(f"{RATIO_7D} < -{_D.declining_min_loss_ratio}", instant=True, table=True),
    "dropped": Query(f"{RATIO_1D} < -{_D.drop_min_loss_ratio}", instant=True, table=True),
    "spiking": Query(f"{RATIO_1D} >= {_D.spike_min_gain_ratio}", instant=True, table=True),
    "stale": Query(
        "(time() - govpulse_channel_last_success_timestamp_seconds) * on(platform, channel) "
        f"group_left(region, category) {_labels_of_channels()} > {STALE_SECONDS}",
        instant=True,
        table=True,
    ),
    "inaccessible": Query(
        'govpulse_channel_error{platform=~"$platform", channel=~"$channel"} * on(platform, channel) '
        f"group_left(region, category) {_labels_of_channels()}",
        instant=True,
        table=True,
    ),
}

COLLECTOR = {
    "cycle_duration": Query(
        'govpulse_cycle_duration_seconds{platform=~"$platform"}', legend="{{platform}} {{instance}}"
    ),
    "cycle_age": Query(
        'time() - govpulse_cycle_last_success_timestamp_seconds{platform=~"$platform"}',
        instant=True,
        table=True,
    ),
    "cycle_outcomes": Query(
        'sum by (platform, outcome) (govpulse_cycle_channels{platform=~"$platform"})',
        legend="{{platform}} {{outcome}}",
    ),
    "errors_by_reason": Query(
        'count by (platform, reason) (govpulse_channel_error{platform=~"$platform"})',
        instant=True,
        table=True,
    ),
    "api_requests": Query(
        _rate('govpulse_api_requests_total{platform=~"$platform"}', "platform, code"),
        legend="{{platform}} {{code}}",
    ),
    "api_throttled": Query(
        _rate('govpulse_api_throttled_total{platform=~"$platform"}', "platform"), legend="{{platform}}"
    ),
    "ratelimit_wait": Query(
        _rate('govpulse_ratelimit_wait_seconds_total{platform=~"$platform"}', "platform"),
        legend="{{platform}}",
    ),
    "sink_points": Query(_rate("govpulse_sink_points_total", "sink, outcome"), legend="{{sink}} {{outcome}}"),
    "spool_points": Query("sum by (sink) (govpulse_spool_points)", legend="{{sink}}"),
    "spool_age": Query("max by (sink) (govpulse_spool_oldest_age_seconds)", legend="{{sink}}"),
    "registry_channels": Query(
        'sum by (platform) (govpulse_registry_channels{platform=~"$platform"})',
        instant=True,
        legend="{{platform}}",
    ),
    "shards_expected": Query("max(govpulse_shards)", instant=True, legend="ожидается"),
    "shards_reporting": Query("count(govpulse_shard_ordinal)", instant=True, legend="на связи"),
}

QUERIES: dict[str, Query] = {**OVERVIEW, **REGIONS, **CHANNEL, **ANOMALIES, **COLLECTOR}
