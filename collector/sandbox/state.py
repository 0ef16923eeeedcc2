"""The sandbox's shared state: world, clock, tokens, limiter, counters, faults, sent messages."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from collector.models import Platform
from collector.sandbox.clock import SimClock
from collector.sandbox.faults import FaultInjector, FaultSpec, Roll
from collector.sandbox.ratelimit import DEFAULT_RATES, RateLimiter, Stats
from collector.sandbox.updates import UpdateLog
from collector.sandbox.world import World, WorldSpec

DEFAULT_TOKENS: dict[Platform, list[str]] = {
    Platform.MAX: ["sandbox-max-token-1", "sandbox-max-token-2"],
    Platform.VK: ["sandbox-vk-token-1", "sandbox-vk-token-2"],
    Platform.TELEGRAM: ["100000001:sandbox-telegram-token-1", "100000002:sandbox-telegram-token-2"],
}


@dataclass
class SandboxConfig:
    """Everything a sandbox starts with; knobs can also be changed at runtime over /sandbox/*."""

    spec: WorldSpec = field(default_factory=WorldSpec)
    tokens: dict[Platform, list[str]] = field(
        default_factory=lambda: {p: list(t) for p, t in DEFAULT_TOKENS.items()}
    )
    rates: dict[Platform, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    speed: float = 1.0  # simulated seconds per real second
    now: float | None = None  # simulated start moment (default: spec.start)
    faults: dict[Platform, FaultSpec] = field(default_factory=dict)
    fault_seed: int | None = None  # default: spec.seed
    webhook_interval_seconds: float = 0.05


@dataclass(frozen=True, slots=True)
class Admission:
    """The outcome of the shared checks of a request; `token` is set only when it is valid."""

    roll: Roll
    outage: bool = False
    token: str | None = None
    retry_after: float = 0.0


class SandboxState:
    def __init__(self, config: SandboxConfig, world: World | None = None) -> None:
        self.config = config
        self.world = world or World.build(config.spec)
        self.clock = SimClock(config.spec.start if config.now is None else config.now, config.speed)
        self.tokens = {p: set(config.tokens.get(p, [])) for p in Platform}
        self.limiter = RateLimiter(config.rates)
        self.stats = Stats()
        seed = config.spec.seed if config.fault_seed is None else config.fault_seed
        self.faults = FaultInjector(seed, dict(config.faults))
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.updates = UpdateLog(self.world)
        self.vk_quota: dict[tuple[str, int], int] = {}
        self._message_ids = 0

    def admit(self, platform: Platform, token: str | None) -> Admission:
        """Count the request, roll its faults, check the outage window, the token and the rate limit."""
        self.stats.request(platform)
        roll = self.faults.roll(platform)
        spec = self.faults.specs[platform]
        if spec.outage_start is not None and spec.in_outage(self.clock.now(), time.time()):
            self.stats.platforms[platform].faults["outage"] += 1
            return Admission(roll, outage=True)
        if token is None or token not in self.tokens[platform]:
            self.stats.platforms[platform].auth_failed += 1
            return Admission(roll)
        wait = self.limiter.acquire(platform, token)
        self.stats.token_request(platform, token, throttled=wait > 0)
        return Admission(roll, token=token, retry_after=wait)

    def vk_quota_exceeded(self, token: str) -> bool:
        """Count a VK call against the token's daily quota (per simulated day); True once it is used up."""
        quota = self.faults.specs[Platform.VK].daily_quota
        if quota is None:
            return False
        key = (token, int(self.clock.now() // 86400))
        self.vk_quota[key] = self.vk_quota.get(key, 0) + 1
        return self.vk_quota[key] > quota

    def record_message(self, platform: Platform, chat_id: str, text: str, fmt: str | None) -> dict[str, Any]:
        self._message_ids += 1
        entry = {
            "platform": platform.value,
            "chat_id": chat_id,
            "text": text,
            "format": fmt,
            "message_id": self._message_ids,
            "at": self.clock.now(),
        }
        self.messages.setdefault(f"{platform.value}:{chat_id}", []).append(entry)
        return entry

    def sent(self, chat_id: str, platform: Platform | None = None) -> list[dict[str, Any]]:
        platforms = [platform] if platform else list(Platform)
        return [m for p in platforms for m in self.messages.get(f"{p.value}:{chat_id}", [])]
