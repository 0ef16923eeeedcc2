"""The records every part of govpulse shares: platforms, categories, outcome reasons, channels, samples.

These are the contract of DESIGN 4.1 and 4.3; keep the string values stable, they appear in metrics,
the InfluxDB schema and the registry files.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
    MAX = "max"
    VK = "vk"
    TELEGRAM = "telegram"


class Category(StrEnum):
    GOVERNOR = "governor"
    REGIONAL_GOVERNMENT = "regional_government"
    REGIONAL_EXECUTIVE = "regional_executive"
    REGIONAL_PARLIAMENT = "regional_parliament"
    MUNICIPALITY = "municipality"
    FEDERAL_AGENCY = "federal_agency"
    SCHOOL = "school"
    UNIVERSITY = "university"
    CULTURE = "culture"
    HEALTHCARE = "healthcare"
    SOCIAL = "social"
    YOUTH = "youth"
    OTHER = "other"
    # A channel discovered by the Max bot whose title did not name a category yet.
    UNCLASSIFIED = "unclassified"


class Reason(StrEnum):
    """Why an observation failed (DESIGN 4.3 `reason`)."""

    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
    LOST_ACCESS = "lost_access"
    DEACTIVATED = "deactivated"
    TIMEOUT = "timeout"
    HTTP_5XX = "http_5xx"
    BAD_RESPONSE = "bad_response"
    NETWORK = "network"


OK = "ok"
"""The status of a successful observation; any other status is a `Reason` value."""

UNKNOWN_REGION = "unknown"
"""Region label of a channel whose region is not known yet (discovered, unclassified)."""


@dataclass(frozen=True, slots=True)
class Channel:
    """One row of the channel registry."""

    platform: Platform
    channel: str
    region: str
    category: Category
    org: str = ""
    title: str = ""
    expected: bool = False
    link: str = ""

    @property
    def key(self) -> str:
        """The stable identity `platform:channel` used for sharding and deduplication."""
        return f"{self.platform.value}:{self.channel}"


@dataclass(frozen=True, slots=True)
class Sample:
    """One observation of one channel. `subscribers` is None unless `status` is ok; never 0 as a stand-in."""

    platform: Platform
    channel: str
    observed_at: float  # Unix seconds, UTC
    status: str  # OK or a Reason value
    subscribers: int | None = None
    title: str | None = None  # as the platform reported it, when it did
    link: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(frozen=True, slots=True)
class SweepResult:
    """One completed pass of a platform's source over this shard's channels; what every sink receives."""

    platform: Platform
    shard: int
    started_at: float  # Unix seconds
    finished_at: float
    samples: tuple[Sample, ...]
    elapsed_seconds: float | None = None  # measured on a monotonic clock, when the producer did

    @property
    def duration_seconds(self) -> float:
        if self.elapsed_seconds is not None:
            return self.elapsed_seconds
        return self.finished_at - self.started_at

    @property
    def ok_count(self) -> int:
        return sum(1 for s in self.samples if s.status == OK)

    @property
    def failed_count(self) -> int:
        return len(self.samples) - self.ok_count
