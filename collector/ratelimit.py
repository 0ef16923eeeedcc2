"""Client-side rate limiting: one paced bucket per token, a pool that spreads requests over the tokens.

Each token gets a GCRA ("virtual scheduling") bucket: requests are reserved at evenly spaced times, at
`rate` per second, with at most `burst` of them back to back. Reservations are made synchronously, so
any number of coroutines can share a bucket without a lock and still never exceed its rate.

Buckets pace at `headroom` (97 %) of the configured rate, and on top of the pacing no token sends more
than floor(rate) requests in any `window_seconds` span of real send times: a busy event loop wakes
waiters late, and late requests bunch up behind each other; a server counting fixed one-second windows
would refuse the surplus.

The rate adapts (AIMD): a throttle answer (429, VK 6/9) cuts the rate by `decrease` (never below
`floor_ratio` of the configured rate), at most once per `cooldown_seconds` (the answers to requests
already on their way describe the old rate). A throttle without a server-given wait also pauses the
token for `pause_seconds`: the server's window is full, hammering it only collects more refusals.
After `quiet_seconds` without a throttle, the rate grows back by `increase_ratio` of the configured
rate per quiet period, up to the configured rate.

Clock and sleep are injectable, so the tests run on a fake clock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Aimd:
    decrease: float = 0.7
    floor_ratio: float = 0.1
    increase_ratio: float = 0.05
    quiet_seconds: float = 1.0
    cooldown_seconds: float = 1.0
    pause_seconds: float = 0.1
    headroom: float = 0.97
    window_seconds: float = 1.05  # a second plus a margin for jitter on the way to the server


class TokenBucket:
    """Paces one token. Times are on the pool's clock (monotonic seconds)."""

    def __init__(self, rate: float, *, burst: int = 1, aimd: Aimd | None = None, now: float = 0.0) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.aimd = aimd or Aimd()
        self._sent: deque[float] = deque(maxlen=max(1, math.floor(rate)))  # latest real send times
        self.configured_rate = rate * self.aimd.headroom
        self.rate = self.configured_rate
        self.burst = burst
        self._tat = now  # theoretical arrival time of the next request at the current rate
        self._last_change = now  # last cut or increase: start of the current quiet period
        self._last_cut = float("-inf")
        self.epoch = 0  # bumped by every throttle: reservations made before it are void

    def ready_at(self, now: float) -> float:
        """The earliest time a request could be sent."""
        return max(now, self._tat - (self.burst - 1) / self.rate)

    def reserve(self, now: float) -> float:
        """Reserve the next slot; return the time the request may be sent."""
        self._recover(now)
        at = self.ready_at(now)
        self._tat = max(self._tat, now) + 1.0 / self.rate
        return at

    def window_wait(self, now: float) -> float:
        """Seconds until a send keeps at most floor(rate) sends within any window (0 when it does)."""
        if len(self._sent) < (self._sent.maxlen or 1):
            return 0.0
        return max(0.0, self._sent[0] + self.aimd.window_seconds - now)

    def sent(self, now: float) -> None:
        self._sent.append(now)

    def pause_until(self, when: float) -> None:
        """Nothing is sent before `when` (a server's Retry-After)."""
        self._tat = max(self._tat, when + (self.burst - 1) / self.rate)

    def throttled(self, now: float) -> bool:
        """The server throttled a request: cut the rate, at most once per cooldown. True if cut."""
        self.epoch += 1
        if now - self._last_cut < self.aimd.cooldown_seconds:
            return False
        floor = self.configured_rate * self.aimd.floor_ratio
        self.rate = max(floor, self.rate * self.aimd.decrease)
        self._last_cut = now
        self._last_change = now
        # Requests already reserved at the old pacing are pushed back to the new one.
        self._tat = max(self._tat, now + 1.0 / self.rate)
        return True

    def _recover(self, now: float) -> None:
        if self.rate >= self.configured_rate:
            self._last_change = now
            return
        periods = int((now - self._last_change) / self.aimd.quiet_seconds)
        if periods > 0:
            step = self.configured_rate * self.aimd.increase_ratio
            self.rate = min(self.configured_rate, self.rate + periods * step)
            self._last_change += periods * self.aimd.quiet_seconds


_MAX_RESERVATIONS = 20
"""Bound on re-reservations of one acquire (each follows a throttle of the token while waiting)."""


@dataclass(frozen=True, slots=True)
class Lease:
    """Permission to send one request with one token."""

    index: int  # position of the token in the configured list (0-based)
    token: str
    sent_at: float  # the reserved send time, on the pool's clock


class TokenPool:
    """Hands out the token whose bucket is ready first; waits (and reports the wait) when none is."""

    def __init__(
        self,
        tokens: Sequence[str],
        rate_per_second: float,
        *,
        burst: int = 1,
        aimd: Aimd | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        on_wait: Callable[[float], None] | None = None,
        on_throttled: Callable[[], None] | None = None,
        max_pause_seconds: float = 60.0,
    ) -> None:
        if not tokens:
            raise ValueError("a token pool needs at least one token")
        self._tokens = list(tokens)
        # A server's retry-after is obeyed up to this: `Retry-After: 1e9` must not park a token for good.
        self._max_pause = max_pause_seconds
        self._clock = clock
        self._sleep = sleep
        self._on_wait = on_wait
        self._on_throttled = on_throttled
        now = clock()
        self.buckets = [TokenBucket(rate_per_second, burst=burst, aimd=aimd, now=now) for _ in tokens]
        self._disabled_until = [float("-inf")] * len(tokens)
        self.waited_seconds = 0.0
        self.throttled_count = 0

    def __len__(self) -> int:
        return len(self._tokens)

    async def acquire(self) -> Lease:
        """Wait for a slot. A throttle on the token while waiting voids the slot: reserve again, so a
        pause takes effect at once instead of after every slot already handed out."""
        for _ in range(_MAX_RESERVATIONS):
            now = self._clock()
            index = self._pick(now)
            bucket = self.buckets[index]
            epoch = bucket.epoch
            at = bucket.reserve(now)
            await self._wait(at - now)
            if bucket.epoch == epoch:
                break
        for _ in range(_MAX_RESERVATIONS):
            late = bucket.window_wait(self._clock())
            if late <= 0:
                break
            await self._wait(late)
        bucket.sent(self._clock())
        return Lease(index, self._tokens[index], at)

    async def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited_seconds += seconds
            if self._on_wait is not None:
                self._on_wait(seconds)
            await self._sleep(seconds)

    def _pick(self, now: float) -> int:
        usable = [i for i, until in enumerate(self._disabled_until) if until <= now]
        candidates = usable or range(len(self._tokens))
        return min(candidates, key=lambda i: self.buckets[i].ready_at(now))

    def throttled(self, lease: Lease, retry_after: float | None = None) -> None:
        """The server throttled a request made with this lease: count it, slow that token down."""
        now = self._clock()
        self.throttled_count += 1
        if self._on_throttled is not None:
            self._on_throttled()
        bucket = self.buckets[lease.index]
        bucket.throttled(now)
        wait = retry_after if retry_after is not None and retry_after > 0 else bucket.aimd.pause_seconds
        bucket.pause_until(now + min(wait, self._max_pause))

    def disable(self, index: int, seconds: float) -> None:
        """Stop handing out a token (e.g. rejected) for a while, as long as another one is usable."""
        self._disabled_until[index] = self._clock() + seconds

    def enable(self, index: int) -> None:
        self._disabled_until[index] = float("-inf")

    def usable_count(self) -> int:
        now = self._clock()
        return sum(1 for until in self._disabled_until if until <= now)
