"""Shared pieces of the source tests: settings, a fake clock, a recording metrics object."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx

from collector.config import MaxSettings, PlatformSettings, TelegramSettings, VkSettings
from collector.models import Category, Channel, Platform
from collector.ratelimit import TokenPool

T = TypeVar("T")

SETTINGS = {Platform.MAX: MaxSettings, Platform.VK: VkSettings, Platform.TELEGRAM: TelegramSettings}


def settings(platform: Platform, base_url: str = "http://api.test", **overrides: Any) -> PlatformSettings:
    values: dict[str, Any] = {
        "enabled": True,
        "tokens": ["token-aaaa-1111"],
        "base_url": base_url,
        "rate_per_second": 1000.0,
        "max_retries": 2,
        "retry_base_seconds": 0.01,
        "retry_max_seconds": 0.05,
        "timeout_seconds": 2.0,
    }
    values.update(overrides)
    return SETTINGS[platform](**values)


def channels(platform: Platform, *keys: str) -> list[Channel]:
    return [Channel(platform, key, "RU-MOW", Category.OTHER) for key in keys]


class Recorder:
    """SourceMetrics that remembers every call."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.throttles = 0
        self.waited = 0.0

    def api_request(self, platform: Platform, code: str, duration_seconds: float) -> None:
        assert duration_seconds >= 0
        self.requests.append((platform.value, code))

    def throttled(self, platform: Platform) -> None:
        self.throttles += 1

    def ratelimit_wait(self, platform: Platform, seconds: float) -> None:
        self.waited += seconds


class FakeTime:
    """A clock whose sleep only advances the clock (for pools and backoff)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def fake_pool(cfg: PlatformSettings, clock: FakeTime, metrics: Recorder) -> TokenPool:
    return TokenPool(
        [t.get_secret_value() for t in cfg.tokens], cfg.rate_per_second, clock=clock, sleep=clock.sleep,
        on_wait=lambda s: metrics.ratelimit_wait(Platform.MAX, s),
        on_throttled=lambda: metrics.throttled(Platform.MAX),
    )


def mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)
