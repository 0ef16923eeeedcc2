"""The sender loop: takes due messages from the outbox, sends them paced, records the outcome.

Each chat has at most one message in flight and gets them in order; different chats are sent
concurrently within the platform's overall rate. Failures:
- RETRY (429, 5xx, network): again after exponential backoff with jitter (`base * 2**attempts`, capped,
  times a random factor in [0.5, 1]) or after the platform's `retry_after` when it gives one; there is no
  attempt limit, an accepted alert is not dropped because a platform was down for a day.
- REFUSED (other 4xx): retried the same way up to `max_attempts`, then `failed` with the reason, kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from collector.models import Platform
from exporters.relay.outbox import Message, Outbox
from exporters.relay.pacing import Pacer, PacingOptions
from exporters.relay.senders import Outcome, Sender, SendResult

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600.0
STOP_GRACE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    max_attempts: int = 5  # for messages the platform refuses (4xx other than 429)
    idle_poll_seconds: float = 5.0
    pacing: PacingOptions = field(default_factory=PacingOptions)


class Delivery:
    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[Platform, Sender],
        options: DeliveryOptions | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.outbox = outbox
        self.senders = dict(senders)
        self.options = options or DeliveryOptions()
        self._rng = rng or random.Random()
        self._pacer = Pacer()
        self._wake = asyncio.Event()
        self._busy: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._stopping = False

    def wake(self) -> None:
        """New messages are in the outbox: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Ask `run` to return (after sends in flight finish); safer than cancelling it mid-send."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped; a broken cycle (e.g. a locked disk) is logged and tried again."""
        last_prune = 0.0
        try:
            while not self._stopping:
                try:
                    if time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
                        await asyncio.to_thread(self.outbox.prune)
                        self._pacer.forget_idle()
                        last_prune = time.monotonic()
                    pause = await self._cycle()
                except Exception:
                    log.exception("notify relay: delivery cycle failed")
                    pause = self.options.idle_poll_seconds
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(pause):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            await self._stop_tasks()

    async def _cycle(self) -> float:
        """Start a send for every due chat that is idle; return how long to sleep before looking again."""
        ready, next_at = await asyncio.to_thread(self.outbox.due)
        for message in ready:
            chat = (message.platform, message.chat_id)
            if self._stopping:
                break
            if chat not in self._busy:
                self._busy[chat] = asyncio.create_task(self._deliver(message))
        pause = self.options.idle_poll_seconds
        if next_at is not None:
            pause = min(pause, max(0.01, next_at - time.time()))
        return pause

    async def _deliver(self, message: Message) -> None:
        try:
            await self._deliver_one(message)
        except Exception:
            log.exception("notify relay: message %d: delivery failed", message.id)
        finally:
            self._busy.pop((message.platform, message.chat_id), None)
            self._wake.set()

    async def _deliver_one(self, message: Message) -> None:
        platform = Platform(message.platform)
        sender = self.senders.get(platform)
        if sender is None:
            reason = f"{platform.value}: no token or chat configured for sending any more"
            await asyncio.to_thread(self.outbox.mark_failed, message.id, reason)
            log.error("notify relay: message %d failed: %s", message.id, reason)
            return
        await self._wait_turn(platform, message.chat_id)
        result = await sender.send(message.chat_id, message.text)
        await self._record(platform, message, result)

    async def _wait_turn(self, platform: Platform, chat_id: str) -> None:
        pacing = self.options.pacing
        rate = pacing.platform_rate_per_second.get(platform, 1.0)
        chat_wait = self._pacer.reserve((platform, chat_id), pacing.chat_interval(platform, chat_id))
        platform_wait = self._pacer.reserve(platform, 1.0 / rate)
        wait = max(chat_wait, platform_wait)
        if wait > 0:
            await asyncio.sleep(wait)

    async def _record(self, platform: Platform, message: Message, result: SendResult) -> None:
        if result.outcome is Outcome.SENT:
            await asyncio.to_thread(self.outbox.mark_sent, message.id)
            log.info(
                "notify relay: message %d sent to %s chat %s", message.id, platform.value, message.chat_id
            )
            return
        attempts = message.attempts + 1
        if result.outcome is Outcome.REFUSED and attempts >= self.options.max_attempts:
            await asyncio.to_thread(self.outbox.mark_failed, message.id, result.reason)
            log.error(
                "notify relay: message %d to %s chat %s failed after %d attempts: %s",
                message.id,
                platform.value,
                message.chat_id,
                attempts,
                result.reason,
            )
            return
        delay = self.backoff(message.attempts, result.retry_after)
        if result.reason.startswith("HTTP 429") and result.retry_after is None:
            self._pacer.pause(platform, delay)  # no hint from the platform: slow every chat down
        await asyncio.to_thread(self.outbox.retry_later, message.id, delay, result.reason)
        log.warning(
            "notify relay: message %d to %s chat %s: %s; retry in %.1f s",
            message.id,
            platform.value,
            message.chat_id,
            result.reason,
            delay,
        )

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return max(retry_after, 0.05)
        options = self.options
        ceiling = min(options.backoff_max_seconds, options.backoff_base_seconds * 2.0 ** min(attempts, 30))
        return float(ceiling * self._rng.uniform(0.5, 1.0))

    async def _stop_tasks(self) -> None:
        """Let sends in flight finish (cancelling one could send it twice after a restart), within a bound."""
        tasks = list(self._busy.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
