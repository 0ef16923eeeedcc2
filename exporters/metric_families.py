"""The metric contract of DESIGN 4.3: every family govpulse exposes, in exposition order.

Names follow OpenMetrics: a counter's family name has no `_total`, its samples do; the 0.0.4 text format
puts `_total` on the family name as well (as prometheus-client does). Dashboards and alert rules depend on
these names and labels: change them only with a deprecation period.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    GAUGE = "gauge"
    COUNTER = "counter"
    HISTOGRAM = "histogram"


@dataclass(frozen=True, slots=True)
class FamilySpec:
    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()

    @property
    def sample_name(self) -> str:
        """The name samples carry (and the family name in text format 0.0.4)."""
        return f"{self.name}_total" if self.kind is Kind.COUNTER else self.name


# Buckets for one HTTP call to a platform API: 5 ms (a warm keep-alive hit) to 30 s (the longest timeout).
API_DURATION_BUCKETS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    20.0,
    30.0,
)

SINK_OUTCOMES: tuple[str, ...] = ("written", "spooled", "dropped")
CYCLE_OUTCOMES: tuple[str, ...] = ("ok", "failed")

_CACHED = "Cached from the last sweep; the collector polls on its own schedule because of API rate limits."

CHANNEL_SUBSCRIBERS = FamilySpec(
    "govpulse_channel_subscribers",
    Kind.GAUGE,
    f"Last successfully observed subscriber count of a channel. {_CACHED}",
    ("platform", "channel", "region", "category"),
)
CHANNEL_LAST_SUCCESS = FamilySpec(
    "govpulse_channel_last_success_timestamp_seconds",
    Kind.GAUGE,
    f"Unix time when the subscriber count of a channel was last observed. {_CACHED}",
    ("platform", "channel"),
)
CHANNEL_INFO = FamilySpec(
    "govpulse_channel_info",
    Kind.GAUGE,
    "Descriptive labels of a channel (always 1); an empty title, org or link is left out. "
    "Join on platform and channel.",
    ("platform", "channel", "title", "org", "link"),
)
CHANNEL_ERROR = FamilySpec(
    "govpulse_channel_error",
    Kind.GAUGE,
    f"Present (value 1) while the last attempt to observe a channel failed, with the reason. {_CACHED}",
    ("platform", "channel", "reason"),
)
REGION_POPULATION = FamilySpec(
    "govpulse_region_population",
    Kind.GAUGE,
    "Resident population of a federal subject (Rosstat reference); absent when no figure is known.",
    ("region",),
)
REGION_INFO = FamilySpec(
    "govpulse_region_info",
    Kind.GAUGE,
    "Descriptive labels of a federal subject (always 1).",
    ("region", "name", "federal_district"),
)
CYCLE_DURATION = FamilySpec(
    "govpulse_cycle_duration_seconds",
    Kind.GAUGE,
    "Duration of the last completed sweep of a platform's channels.",
    ("platform",),
)
CYCLE_LAST_SUCCESS = FamilySpec(
    "govpulse_cycle_last_success_timestamp_seconds",
    Kind.GAUGE,
    "Unix time when the last sweep that observed at least one channel finished; 0 if none yet.",
    ("platform",),
)
CYCLE_CHANNELS = FamilySpec(
    "govpulse_cycle_channels",
    Kind.GAUGE,
    "Channels observed in the last completed sweep, by outcome (ok or failed).",
    ("platform", "outcome"),
)
API_REQUESTS = FamilySpec(
    "govpulse_api_requests",
    Kind.COUNTER,
    "Requests sent to a platform API, by HTTP status code (or a transport error class).",
    ("platform", "code"),
)
API_REQUEST_DURATION = FamilySpec(
    "govpulse_api_request_duration_seconds",
    Kind.HISTOGRAM,
    "Duration of requests to a platform API.",
    ("platform",),
)
API_THROTTLED = FamilySpec(
    "govpulse_api_throttled",
    Kind.COUNTER,
    "Requests a platform API refused for rate limiting (HTTP 429, VK errors 6, 9 and 29).",
    ("platform",),
)
RATELIMIT_WAIT = FamilySpec(
    "govpulse_ratelimit_wait_seconds",
    Kind.COUNTER,
    "Time spent waiting for the client-side rate limiter before sending requests.",
    ("platform",),
)
SINK_POINTS = FamilySpec(
    "govpulse_sink_points",
    Kind.COUNTER,
    "Points handed to a sink, by outcome: written, spooled (kept for replay) or dropped.",
    ("sink", "outcome"),
)
SPOOL_POINTS = FamilySpec(
    "govpulse_spool_points",
    Kind.GAUGE,
    "Points waiting in the durable spool of a sink.",
    ("sink",),
)
SPOOL_OLDEST_AGE = FamilySpec(
    "govpulse_spool_oldest_age_seconds",
    Kind.GAUGE,
    "Age of the oldest point waiting in the durable spool of a sink.",
    ("sink",),
)
REGISTRY_CHANNELS = FamilySpec(
    "govpulse_registry_channels",
    Kind.GAUGE,
    "Channels in this shard's registry, by platform.",
    ("platform",),
)
SHARD_ORDINAL = FamilySpec("govpulse_shard_ordinal", Kind.GAUGE, "Zero-based ordinal of this shard.")
SHARD_TOTAL = FamilySpec("govpulse_shards", Kind.GAUGE, "Total number of shards.")
BUILD_INFO = FamilySpec(
    "govpulse_build_info",
    Kind.GAUGE,
    "Version of govpulse that is running (always 1).",
    ("version",),
)

ALL_FAMILIES: tuple[FamilySpec, ...] = (
    CHANNEL_SUBSCRIBERS,
    CHANNEL_LAST_SUCCESS,
    CHANNEL_INFO,
    CHANNEL_ERROR,
    REGION_POPULATION,
    REGION_INFO,
    CYCLE_DURATION,
    CYCLE_LAST_SUCCESS,
    CYCLE_CHANNELS,
    API_REQUESTS,
    API_REQUEST_DURATION,
    API_THROTTLED,
    RATELIMIT_WAIT,
    SINK_POINTS,
    SPOOL_POINTS,
    SPOOL_OLDEST_AGE,
    REGISTRY_CHANNELS,
    SHARD_ORDINAL,
    SHARD_TOTAL,
    BUILD_INFO,
)
