"""Platform sources: registry rows in, one `Sample` per channel out (see `base.Source`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import httpx

from collector.config import PlatformSettings
from collector.models import Platform
from collector.sources.base import NullMetrics, Source, SourceMetrics
from collector.sources.max import MaxSource
from collector.sources.telegram import TelegramSource
from collector.sources.vk import VkSource

__all__ = [
    "MaxSource",
    "NullMetrics",
    "Source",
    "SourceMetrics",
    "TelegramSource",
    "VkSource",
    "build_source",
]


def build_source(
    platform: Platform,
    settings: PlatformSettings,
    *,
    metrics: SourceMetrics | None = None,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], float] = time.time,
    resolved: Mapping[str, str] | None = None,
) -> Source:
    """The source for `platform`; it builds its own TLS client unless one is given (and then not closed).

    `clock` stamps observations (the demo passes the sandbox's simulated time); `resolved` seeds VK's
    screen-name → id memory from the store, so names are resolved once across restarts."""
    if platform is Platform.MAX:
        return MaxSource(settings, metrics=metrics, client=client, wall_clock=clock)
    if platform is Platform.VK:
        return VkSource(settings, metrics=metrics, client=client, wall_clock=clock, resolved=resolved)
    return TelegramSource(settings, metrics=metrics, client=client, wall_clock=clock)
