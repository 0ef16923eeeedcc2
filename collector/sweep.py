"""One sweep: every channel of a platform (on this shard) observed once, spread over a time budget.

The source paces requests by its rate limiter; spreading is the second, gentler control: the sweep is cut
into chunks released at even intervals over `spread_seconds`, so a 40,000-channel hourly sweep runs as a
steady trickle instead of a burst at the top of the hour. Timestamps come from `clock` (the sandbox's
simulated time in the demo); the duration is always measured on the monotonic clock.

When `stop` is set (SIGTERM), chunks not yet started are skipped, the chunk in flight finishes, and the
partial sweep is returned so that everything already observed is still written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from collector.models import Channel, Platform, Sample, SweepResult

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class Source(Protocol):
    platform: Platform

    async def fetch(self, channels: Sequence[Channel]) -> list[Sample]: ...

    async def aclose(self) -> None: ...


ProgressCallback = Callable[[int], None]
ChunkCallback = Callable[[list[Sample]], Awaitable[None]]


def chunked(channels: Sequence[Channel], size: int) -> list[Sequence[Channel]]:
    return [channels[i : i + size] for i in range(0, len(channels), size)]


async def run_sweep(
    source: Source,
    channels: Sequence[Channel],
    *,
    shard: int = 0,
    spread_seconds: float = 0.0,
    chunk_size: int = 200,
    stop: asyncio.Event | None = None,
    progress: ProgressCallback | None = None,
    on_chunk: ChunkCallback | None = None,
    clock: Clock = time.time,
) -> SweepResult:
    """Observe every channel once; return the sweep (partial if `stop` was set meanwhile).

    `on_chunk` receives each chunk's samples as soon as they are observed."""
    started_at = clock()
    chunks = chunked(channels, chunk_size)
    gap = spread_seconds / len(chunks) if chunks and spread_seconds > 0 else 0.0
    loop = asyncio.get_running_loop()
    began = loop.time()
    samples: list[Sample] = []
    # One chunk at a time: the source bounds its own concurrency within a chunk, and chunks that
    # overlap would only queue on the same connection pool (httpx's pool gets slower, not faster).
    for index, chunk in enumerate(chunks):
        delay = began + index * gap - loop.time()
        if delay > 0 and not await _sleep_unless_stopped(delay, stop):
            break
        if stop is not None and stop.is_set():
            break
        result = await source.fetch(chunk)
        samples.extend(result)
        if on_chunk is not None:
            await on_chunk(result)
        if progress is not None:
            progress(len(result))
    if len(samples) < len(channels):
        log.info(
            "%s sweep stopped early: %d of %d channels observed", source.platform, len(samples), len(channels)
        )
    return SweepResult(
        platform=source.platform,
        shard=shard,
        started_at=started_at,
        finished_at=clock(),
        samples=tuple(samples),
        elapsed_seconds=loop.time() - began,
    )


async def _sleep_unless_stopped(delay: float, stop: asyncio.Event | None) -> bool:
    """Sleep `delay` seconds; return False if `stop` was set first."""
    if stop is None:
        await asyncio.sleep(delay)
        return True
    try:
        await asyncio.wait_for(stop.wait(), timeout=delay)
    except TimeoutError:
        return True
    return False
