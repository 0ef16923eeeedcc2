"""What every platform source shares: the protocols, the retrying request loop, bounded fan-out.

A source turns registry rows into samples. `Requester.call` sends one logical API request: it takes a
token from the pool (waiting for its bucket), sends, maps the answer or the failure through
`collector.errors`, and retries transient failures with exponential backoff and full jitter, honouring
the server's retry-after (capped). A rejected token is logged once, set aside and, when another token
is usable, the request moves to it.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol, TypeVar

import httpx

from collector.config import PlatformSettings
from collector.errors import AuthError, RateLimited, SourceError, UnparsableResponse, from_transport
from collector.models import Channel, Platform, Reason, Sample
from collector.ratelimit import Lease, TokenPool
from collector.sources.http import base_url, build_client

logger = logging.getLogger(__name__)

T = TypeVar("T")
Item = TypeVar("Item")

REJECTED_TOKEN_PROBE_SECONDS = 300.0
"""A rejected token is set aside this long before it is tried again (when other tokens are usable)."""


class SourceMetrics(Protocol):
    """Implemented by the exporters' MetricsState."""

    def api_request(self, platform: Platform, code: str, duration_seconds: float) -> None: ...
    def throttled(self, platform: Platform) -> None: ...
    def ratelimit_wait(self, platform: Platform, seconds: float) -> None: ...


class NullMetrics:
    def api_request(self, platform: Platform, code: str, duration_seconds: float) -> None:
        pass

    def throttled(self, platform: Platform) -> None:
        pass

    def ratelimit_wait(self, platform: Platform, seconds: float) -> None:
        pass


class Source(Protocol):
    platform: Platform

    async def fetch(self, channels: Sequence[Channel]) -> list[Sample]: ...  # one Sample per channel

    async def aclose(self) -> None: ...


def failure(channel: Channel, reason: Reason, observed_at: float) -> Sample:
    return Sample(channel.platform, channel.channel, observed_at, reason.value)


def build_pool(
    platform: Platform, settings: PlatformSettings, metrics: SourceMetrics, *, burst: int = 1
) -> TokenPool:
    return TokenPool(
        [t.get_secret_value() for t in settings.tokens],
        settings.rate_per_second,
        burst=burst,
        on_wait=lambda seconds: metrics.ratelimit_wait(platform, seconds),
        on_throttled=lambda: metrics.throttled(platform),
        max_pause_seconds=settings.retry_max_seconds,
    )


class Requester:
    """The retry loop around single API requests of one platform."""

    def __init__(
        self,
        platform: Platform,
        settings: PlatformSettings,
        *,
        pool: TokenPool,
        metrics: SourceMetrics,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.platform = platform
        self.settings = settings
        self.pool = pool
        self.metrics = metrics
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._rejected: set[int] = set()

    async def call(
        self,
        send: Callable[[str], Awaitable[httpx.Response]],
        interpret: Callable[[httpx.Response], T],
    ) -> T:
        """Send (with a token from the pool) and interpret, retrying transient failures."""
        attempt = 0
        switches = 0
        while True:
            lease = await self.pool.acquire()
            try:
                result = await self._once(lease, send, interpret)
            except AuthError as error:
                self._token_rejected(lease, error)
                if switches < len(self.pool) and self.pool.usable_count() > 0:
                    switches += 1
                    continue
                raise
            except SourceError as error:
                if isinstance(error, RateLimited):
                    self.pool.throttled(lease, error.retry_after)
                if not error.transient or attempt >= self.settings.max_retries:
                    raise
                await self._sleep(self.backoff(attempt, error))
                attempt += 1
                continue
            self._token_works(lease)
            return result

    async def _once(
        self,
        lease: Lease,
        send: Callable[[str], Awaitable[httpx.Response]],
        interpret: Callable[[httpx.Response], T],
    ) -> T:
        started = time.perf_counter()
        try:
            response = await send(lease.token)
        except httpx.TransportError as exc:
            error = from_transport(self.platform, exc)
            self.metrics.api_request(self.platform, error.reason.value, time.perf_counter() - started)
            raise error from None  # the httpx exception holds the request, and so the URL
        self.metrics.api_request(self.platform, str(response.status_code), time.perf_counter() - started)
        return interpret(response)

    def backoff(self, attempt: int, error: SourceError) -> float:
        """Full jitter over an exponential cap; a server's retry-after wins (capped)."""
        cap = self.settings.retry_max_seconds
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), cap)
        return self._rng.uniform(0.0, min(cap, self.settings.retry_base_seconds * 2**attempt))

    def _token_rejected(self, lease: Lease, error: AuthError) -> None:
        if lease.index not in self._rejected:
            self._rejected.add(lease.index)
            logger.error(
                "%s token #%d rejected (%s)",
                self.platform.value,
                lease.index + 1,
                error.detail,
                extra={"platform": self.platform.value},
            )
        self.pool.disable(lease.index, REJECTED_TOKEN_PROBE_SECONDS)

    def _token_works(self, lease: Lease) -> None:
        if lease.index in self._rejected:
            self._rejected.discard(lease.index)
            self.pool.enable(lease.index)
            logger.info(
                "%s token #%d accepted again",
                self.platform.value,
                lease.index + 1,
                extra={"platform": self.platform.value},
            )


async def bounded(items: Iterable[Item], concurrency: int, work: Callable[[Item], Awaitable[None]]) -> None:
    """Run `work` over `items` with at most `concurrency` in flight, without one task per item."""
    iterator = iter(items)

    async def worker() -> None:
        for item in iterator:
            await work(item)

    async with asyncio.TaskGroup() as group:
        for _ in range(max(1, concurrency)):
            group.create_task(worker())


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def json_body(platform: Platform, response: httpx.Response) -> object:
    """The decoded body; a body that is not JSON (typically cut off) is a transient bad_response."""
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting, not a ValueError
        raise UnparsableResponse(platform, f"HTTP {response.status_code}: body is not JSON") from None


class PerChannelSource:
    """A source that asks about one channel per request (Max, Telegram): subclasses say how in `_sample`."""

    platform: Platform

    def __init__(
        self,
        settings: PlatformSettings,
        *,
        metrics: SourceMetrics | None = None,
        client: httpx.AsyncClient | None = None,
        pool: TokenPool | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        metrics = metrics or NullMetrics()
        self._settings = settings
        self._owns_client = client is None
        self._client = client or build_client(settings)
        self._base = base_url(settings)
        self._now = wall_clock
        self.requester = Requester(
            self.platform,
            settings,
            pool=pool or build_pool(self.platform, settings, metrics),
            metrics=metrics,
            rng=rng,
            sleep=sleep,
        )

    async def fetch(self, channels: Sequence[Channel]) -> list[Sample]:
        samples: list[Sample | None] = [None] * len(channels)

        async def one(index: int) -> None:
            samples[index] = await self._sample(channels[index])

        await bounded(range(len(channels)), self._settings.concurrency, one)
        return [s for s in samples if s is not None]

    async def _sample(self, channel: Channel) -> Sample:
        raise NotImplementedError

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()
