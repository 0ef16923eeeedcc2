"""Token buckets and the token pool on a fake clock: deterministic, nothing really sleeps."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from collector.ratelimit import Aimd, TokenBucket, TokenPool


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


EXACT = Aimd(headroom=1.0, window_seconds=0.999)  # pace at exactly the configured rate (round numbers)


def make_pool(clock: FakeClock, tokens: int = 1, rate: float = 10.0, **kwargs: object) -> TokenPool:
    kwargs.setdefault("aimd", EXACT)
    return TokenPool([f"tok{i}" for i in range(tokens)], rate, clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


def acquire_times(pool: TokenPool, n: int) -> list[float]:
    async def go() -> list[float]:
        return [(await pool.acquire()).sent_at for _ in range(n)]

    return asyncio.run(go())


def test_one_token_is_paced_evenly() -> None:
    clock = FakeClock()
    times = acquire_times(make_pool(clock, rate=10.0), 50)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert times[0] == pytest.approx(1000.0)
    assert all(gap == pytest.approx(0.1) for gap in gaps)
    assert clock.now == pytest.approx(1004.9)


def test_burst_allows_back_to_back_then_paces() -> None:
    clock = FakeClock()
    times = acquire_times(make_pool(clock, rate=10.0, burst=3), 6)
    assert times[:3] == pytest.approx([1000.0] * 3)
    assert times[3] == pytest.approx(1000.1)
    # Never more than `burst` + rate x window in any window.
    assert sum(1 for t in times if t < 1000.25) == 5


def test_tokens_are_used_together() -> None:
    clock = FakeClock()
    pool = make_pool(clock, tokens=3, rate=10.0)

    async def go() -> list[int]:
        return [(await pool.acquire()).index for _ in range(30)]

    used = asyncio.run(go())
    assert sorted(used.count(i) for i in range(3)) == [10, 10, 10]
    assert clock.now - 1000.0 == pytest.approx(0.9)


def test_waiting_is_accumulated_and_reported() -> None:
    clock = FakeClock()
    reported: list[float] = []
    pool = make_pool(clock, rate=4.0, on_wait=reported.append)
    acquire_times(pool, 9)
    assert sum(reported) == pytest.approx(2.0)
    assert pool.waited_seconds == pytest.approx(2.0)
    assert sum(clock.slept) == pytest.approx(2.0)


def test_concurrent_acquirers_never_share_a_slot() -> None:
    clock = FakeClock()
    pool = make_pool(clock, tokens=2, rate=5.0)

    async def no_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    pool._sleep = no_sleep  # reservations only: the clock stays put

    async def go() -> list[tuple[int, float]]:
        leases = await asyncio.gather(*(pool.acquire() for _ in range(20)))
        return [(lease.index, lease.sent_at) for lease in leases]

    leases = asyncio.run(go())
    for token in (0, 1):
        times = sorted(t for i, t in leases if i == token)
        assert len(times) == 10
        assert all(b - a == pytest.approx(0.2) for a, b in itertools.pairwise(times))


def test_default_pacing_keeps_headroom_below_the_configured_rate() -> None:
    bucket = TokenBucket(100.0, now=0.0)
    assert bucket.rate == pytest.approx(97.0)
    times = [bucket.reserve(0.0) for _ in range(300)]
    assert max(sum(1 for t in times if w <= t < w + 1) for w in range(3)) <= 98


def test_throttle_cuts_rate_once_per_cooldown_and_has_a_floor() -> None:
    aimd = Aimd(decrease=0.5, floor_ratio=0.1, headroom=1.0, cooldown_seconds=1.0)
    bucket = TokenBucket(100.0, aimd=aimd, now=0.0)
    assert bucket.throttled(now=0.01) is True
    assert bucket.rate == pytest.approx(50.0)
    # More refusals within the cooldown answer requests sent at the old pacing: no second cut.
    assert bucket.throttled(now=0.5) is False
    assert bucket.rate == pytest.approx(50.0)
    for step in range(10):
        bucket.throttled(now=1.1 + step * 1.1)
    assert bucket.rate == pytest.approx(10.0)


def test_rate_recovers_additively_after_quiet_periods() -> None:
    aimd = Aimd(decrease=0.5, increase_ratio=0.1, quiet_seconds=2.0, headroom=1.0)
    bucket = TokenBucket(100.0, aimd=aimd, now=0.0)
    bucket.throttled(now=0.0)
    assert bucket.rate == pytest.approx(50.0)
    bucket.reserve(1.9)
    assert bucket.rate == pytest.approx(50.0)
    bucket.reserve(4.1)  # two quiet periods
    assert bucket.rate == pytest.approx(70.0)
    bucket.reserve(60.0)
    assert bucket.rate == pytest.approx(100.0)  # never above the configured rate


def test_retry_after_pauses_the_token_and_counts_throttle() -> None:
    clock = FakeClock()
    throttles: list[int] = []
    pool = make_pool(clock, rate=100.0, on_throttled=lambda: throttles.append(1))

    async def go() -> float:
        lease = await pool.acquire()
        pool.throttled(lease, retry_after=3.0)
        return (await pool.acquire()).sent_at

    assert asyncio.run(go()) >= 1003.0
    assert throttles == [1]
    assert pool.buckets[0].rate == pytest.approx(70.0)


def test_throttle_without_retry_after_pauses_the_token_briefly() -> None:
    clock = FakeClock()
    pool = make_pool(clock, rate=1000.0)

    async def go() -> float:
        lease = await pool.acquire()
        pool.throttled(lease)
        return (await pool.acquire()).sent_at - lease.sent_at

    assert asyncio.run(go()) >= 0.1
    assert pool.throttled_count == 1


def test_disabled_token_is_skipped_while_another_is_usable() -> None:
    clock = FakeClock()
    pool = make_pool(clock, tokens=2, rate=1000.0)
    pool.disable(0, 60.0)
    assert {index for index in _indexes(pool, 6)} == {1}
    pool.disable(1, 60.0)
    assert pool.usable_count() == 0
    assert len(_indexes(pool, 4)) == 4  # all rejected: still hands tokens out
    clock.now += 61.0
    assert pool.usable_count() == 2


def _indexes(pool: TokenPool, n: int) -> list[int]:
    async def go() -> list[int]:
        return [(await pool.acquire()).index for _ in range(n)]

    return asyncio.run(go())


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0.0)
    with pytest.raises(ValueError):
        TokenPool([], 1.0)


def test_a_throttle_voids_slots_reserved_before_it() -> None:
    clock = FakeClock()

    async def sleep_until_advanced(seconds: float) -> None:
        target = clock.now + seconds
        while clock.now < target - 1e-9:
            await asyncio.sleep(0)

    pool = TokenPool(["t"], 10.0, aimd=Aimd(headroom=1.0, pause_seconds=2.0), clock=clock,
                     sleep=sleep_until_advanced)

    async def go() -> list[float]:
        first = await pool.acquire()
        waiting = [asyncio.create_task(pool.acquire()) for _ in range(3)]
        await asyncio.sleep(0)  # all three hold reservations at +0.1, +0.2, +0.3 s
        pool.throttled(first)
        for _ in range(200):  # advance the clock in steps until every waiter got its slot
            if all(task.done() for task in waiting):
                break
            clock.now += 0.05
            for _ in range(5):
                await asyncio.sleep(0)
        return [(await task).sent_at for task in waiting]

    times = asyncio.run(go())
    assert min(times) >= 1002.0  # nobody went out during the pause
    assert sorted(times) == pytest.approx([1002.0, 1002.0 + 1 / 7, 1002.0 + 2 / 7])  # at the cut rate, 7/s


def test_late_wakeups_never_put_more_than_rate_sends_in_one_second() -> None:
    clock = FakeClock()
    lateness = itertools.cycle([0.0, 0.0, 0.6, 0.0, 0.45, 0.0, 0.0])

    async def oversleep(seconds: float) -> None:  # a busy event loop wakes some waiters late
        clock.now += seconds + next(lateness)

    pool = TokenPool(["t"], 3.0, clock=clock, sleep=oversleep)

    async def go() -> list[float]:
        sends = []
        for _ in range(40):
            await pool.acquire()
            sends.append(clock.now)
        return sends

    sends = asyncio.run(go())
    assert all(later - first >= 1.0 for first, later in zip(sends, sends[3:], strict=False))
