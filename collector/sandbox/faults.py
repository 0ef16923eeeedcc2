"""Fault injection per platform: 5xx, latency, resets, truncated or malformed bodies, wrong field types,
outage windows, VK flood control and daily quota.

Every request draws the same number of values from a per-platform `random.Random` seeded from the fault
seed, so a given request order gives the same faults on every run.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from collector.models import Platform

OUTAGE_MODES = ("http_503", "reset")
CLOCKS = ("sim", "real")


@dataclass(frozen=True)
class FaultSpec:
    """Fault knobs of one platform (probabilities per request, times in milliseconds or Unix seconds)."""

    error_rate: float = 0.0  # Max 503 service.unavailable, VK error 10, Telegram 502
    flood_rate: float = 0.0  # VK error 9 (flood control); Max and Telegram answer 429
    latency_ms: float = 0.0  # fixed extra latency
    latency_jitter_ms: float = 0.0  # plus uniform random up to this
    reset_rate: float = 0.0  # close the connection without a response
    truncate_rate: float = 0.0  # Content-Length larger than the body, then close
    malformed_rate: float = 0.0  # JSON cut in the middle (consistent Content-Length)
    wrong_type_rate: float = 0.0  # the count field as a string, null or negative
    outage_start: float | None = None
    outage_end: float | None = None
    outage_clock: str = "sim"  # "sim": simulated Unix time; "real": wall-clock Unix time
    outage_mode: str = "http_503"  # or "reset"
    daily_quota: int | None = None  # VK: error 29 after this many calls per token per simulated day

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name.endswith("_rate"):
                value = getattr(self, f.name)
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{f.name} must be within [0, 1], got {value}")
        if self.outage_mode not in OUTAGE_MODES:
            raise ValueError(f"outage_mode must be one of {OUTAGE_MODES}")
        if self.outage_clock not in CLOCKS:
            raise ValueError(f"outage_clock must be one of {CLOCKS}")

    def updated(self, changes: dict[str, Any]) -> FaultSpec:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown fault knobs {unknown} (known: {sorted(known)})")
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def in_outage(self, sim_now: float, real_now: float) -> bool:
        if self.outage_start is None or self.outage_end is None:
            return False
        now = sim_now if self.outage_clock == "sim" else real_now
        return self.outage_start <= now < self.outage_end


@dataclass(frozen=True, slots=True)
class Roll:
    """The faults chosen for one request."""

    latency_s: float = 0.0
    error: bool = False
    flood: bool = False
    reset: bool = False
    truncate: bool = False
    malformed: bool = False
    wrong_type: str | None = None  # "string" | "null" | "negative"

    @property
    def clean(self) -> bool:
        return not (
            self.error or self.flood or self.reset or self.truncate or self.malformed or self.wrong_type
        )


NO_FAULTS = Roll()
_WRONG_TYPES = ("string", "null", "negative")


class FaultInjector:
    def __init__(self, seed: int, specs: dict[Platform, FaultSpec] | None = None) -> None:
        self.seed = seed
        self.specs = {p: FaultSpec() for p in Platform}
        self.specs.update(specs or {})
        self._rngs = {p: random.Random(f"govpulse-sandbox:{seed}:faults:{p.value}") for p in Platform}
        self._active = {p: self.specs[p] != FaultSpec() for p in Platform}  # skip rolling on the hot path

    def set(self, platform: Platform, changes: dict[str, Any]) -> FaultSpec:
        self.specs[platform] = self.specs[platform].updated(changes)
        self._active[platform] = self.specs[platform] != FaultSpec()
        return self.specs[platform]

    def clear(self) -> None:
        for platform in Platform:
            self.specs[platform] = FaultSpec()
            self._active[platform] = False

    def roll(self, platform: Platform) -> Roll:
        if not self._active[platform]:
            return NO_FAULTS
        spec = self.specs[platform]
        u = [self._rngs[platform].random() for _ in range(8)]
        latency = (spec.latency_ms + spec.latency_jitter_ms * u[0]) / 1000.0
        return Roll(
            latency_s=latency,
            error=u[1] < spec.error_rate,
            flood=u[2] < spec.flood_rate,
            reset=u[3] < spec.reset_rate,
            truncate=u[4] < spec.truncate_rate,
            malformed=u[5] < spec.malformed_rate,
            wrong_type=_WRONG_TYPES[int(u[7] * 3) % 3] if u[6] < spec.wrong_type_rate else None,
        )
