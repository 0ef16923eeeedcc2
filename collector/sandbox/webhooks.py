"""Delivery of Max updates to webhook subscriptions, as the simulated clock passes their times.

Each update is POSTed alone as JSON with `X-Max-Bot-Api-Secret` when the subscription has a secret.
A failed delivery is retried with exponential backoff (the real platform retries for up to 8 hours);
at most `BATCH` updates per subscription per tick (the real platform sends at most 100 per second).
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from collector.sandbox.max_api import MaxApi, Subscription
from collector.sandbox.state import SandboxState

SECRET_HEADER = "X-Max-Bot-Api-Secret"
BATCH = 100
MAX_BACKOFF_SECONDS = 30.0


async def deliver_forever(state: SandboxState, api: MaxApi, interval: float) -> None:
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            for sub in list(api.subscriptions.values()):
                await deliver_due(session, state, sub)
            await asyncio.sleep(interval)


async def deliver_due(session: aiohttp.ClientSession, state: SandboxState, sub: Subscription) -> None:
    """Send the updates that have become due for one subscription, stopping at the first failure."""
    if time.monotonic() < sub.retry_at:
        return
    log = state.updates
    end = min(log.index_at(state.clock.now()), sub.cursor + BATCH)
    while sub.cursor < end:
        if sub.update_types is not None and log.events[sub.cursor][1] not in sub.update_types:
            sub.cursor += 1
            continue
        headers = {SECRET_HEADER: sub.secret} if sub.secret else {}
        try:
            async with session.post(sub.url, json=log.render(sub.cursor), headers=headers) as response:
                ok = response.status < 300
        except (TimeoutError, aiohttp.ClientError):
            ok = False
        if not ok:
            sub.failures += 1
            state.stats.webhook_deliveries["failed"] += 1
            sub.retry_at = time.monotonic() + min(MAX_BACKOFF_SECONDS, 0.1 * 2 ** min(sub.failures, 10))
            return
        sub.failures = 0
        sub.cursor += 1
        sub.delivered += 1
        state.stats.webhook_deliveries["delivered"] += 1
