"""Every source against the project's sandbox over real HTTP on loopback: counts, outcomes, fault knobs."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from collector.models import OK, Channel, Platform, Reason, Sample
from collector.sandbox import SandboxConfig, SandboxServer, WorldSpec, truth
from collector.sources import build_source
from tests.collector.sources.helpers import Recorder, settings

DAY = 86400.0
SERVER_RATES = {Platform.MAX: 400.0, Platform.VK: 50.0, Platform.TELEGRAM: 400.0}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    spec = WorldSpec(seed=11, max_channels=150, max_future_channels=0, vk_channels=600, telegram_channels=80)
    server = SandboxServer(SandboxConfig(spec=spec, rates=dict(SERVER_RATES), speed=0.0))
    server.start()
    # Far enough into the quarter that deletions, removals and stalls have happened; the clock stands still.
    server.set_clock(now=server.now() + 85 * DAY, speed=0.0)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def clean(sandbox: SandboxServer) -> Iterator[None]:
    sandbox.clear_faults()
    for platform, rate in SERVER_RATES.items():
        sandbox.set_rate(platform.value, rate)
    yield
    sandbox.clear_faults()


def base_url(sandbox: SandboxServer, platform: Platform) -> str:
    return sandbox.vk_url if platform is Platform.VK else sandbox.url


def sweep(sandbox: SandboxServer, platform: Platform, metrics: Recorder | None = None,
          **overrides: Any) -> tuple[list[Channel], list[Sample]]:
    values: dict[str, Any] = {"tokens": sandbox.tokens[platform.value], "concurrency": 16,
                              "rate_per_second": SERVER_RATES[platform] * 0.9, "max_retries": 4}
    values.update(overrides)
    cfg = settings(platform, base_url=base_url(sandbox, platform), **values)
    rows = sandbox.world.registry(sandbox.now(), (platform,))

    async def go() -> list[Sample]:
        source = build_source(platform, cfg, metrics=metrics)
        try:
            return await source.fetch(rows)
        finally:
            await source.aclose()

    return rows, asyncio.run(go())


def truth_by_key(sandbox: SandboxServer, platform: Platform) -> dict[str, dict[str, Any]]:
    return {e["channel"]: e for e in truth(sandbox.world, sandbox.now(), (platform,))}


EXPECTED_GONE = {
    Platform.MAX: {"deleted": Reason.NOT_FOUND, "inaccessible": Reason.LOST_ACCESS},
    # VK leaves inaccessible groups out of a batch answer: they read as not found.
    Platform.VK: {"deleted": Reason.DEACTIVATED, "inaccessible": Reason.NOT_FOUND},
    Platform.TELEGRAM: {"deleted": Reason.NOT_FOUND, "inaccessible": Reason.LOST_ACCESS},
}


def assert_matches_truth(sandbox: SandboxServer, platform: Platform, rows: list[Channel],
                         samples: list[Sample], allowed_failures: set[Reason] = frozenset()) -> Counter[str]:
    """Each sample is either the true count, the right outcome for a gone channel, or an allowed failure."""
    expected = truth_by_key(sandbox, platform)
    assert [s.channel for s in samples] == [r.channel for r in rows]
    outcomes: Counter[str] = Counter()
    for sample in samples:
        entry = expected[sample.channel]
        assert sample.platform is platform
        if sample.status == OK:
            assert sample.subscribers == entry["subscribers"], sample
        else:
            assert sample.subscribers is None
            gone = EXPECTED_GONE[platform].get(entry["state"])
            expected_reason = gone.value if gone else None
            assert sample.status == expected_reason or Reason(sample.status) in allowed_failures
        outcomes[sample.status] += 1
    return outcomes


@pytest.mark.parametrize("platform", list(Platform))
def test_clean_sweep_matches_the_world(sandbox: SandboxServer, platform: Platform) -> None:
    rows, samples = sweep(sandbox, platform)
    outcomes = assert_matches_truth(sandbox, platform, rows, samples)
    states = Counter(e["state"] for e in truth_by_key(sandbox, platform).values())
    assert outcomes[OK] == len(rows) - sum(states[s] for s in EXPECTED_GONE[platform])
    for state, reason in EXPECTED_GONE[platform].items():
        if states[state]:
            assert outcomes[reason.value] >= states[state]


def test_vk_resolves_screen_names_and_needs_few_requests(sandbox: SandboxServer) -> None:
    sandbox.reset_stats()
    rows, samples = sweep(sandbox, Platform.VK, batch_size=100, execute_calls=3)
    assert_matches_truth(sandbox, Platform.VK, rows, samples)
    assert sandbox.stats()["vk"]["requests"] == -(-len(rows) // 300)


FAULTS: list[tuple[str, dict[str, Any], set[Reason]]] = [
    ("5xx", {"error_rate": 0.3}, {Reason.HTTP_5XX}),
    ("resets", {"reset_rate": 0.3}, {Reason.NETWORK}),
    ("truncated", {"truncate_rate": 0.3}, {Reason.NETWORK}),
    ("malformed", {"malformed_rate": 0.3}, {Reason.BAD_RESPONSE}),
    ("wrong types", {"wrong_type_rate": 0.3}, {Reason.BAD_RESPONSE}),
    ("flood", {"flood_rate": 0.3}, {Reason.RATE_LIMITED}),
]


@pytest.mark.parametrize("platform", list(Platform))
@pytest.mark.parametrize(("name", "knobs", "allowed"), FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_knobs_end_in_the_right_outcomes(sandbox: SandboxServer, platform: Platform, name: str,
                                               knobs: dict[str, Any], allowed: set[Reason]) -> None:
    sandbox.set_faults(platform.value, **knobs)
    rows, samples = sweep(sandbox, platform, use_execute=False, batch_size=50) if platform is Platform.VK \
        else sweep(sandbox, platform)
    outcomes = assert_matches_truth(sandbox, platform, rows, samples, allowed)
    if name == "wrong types":
        assert outcomes[Reason.BAD_RESPONSE.value] > 0  # a corrupted count is never stored
    else:  # 30 % of requests fail, yet retries recover nearly every channel
        assert sum(outcomes[r.value] for r in allowed) <= 0.05 * len(rows)
    sandbox.clear_faults()
    rows, samples = sweep(sandbox, platform)
    assert_matches_truth(sandbox, platform, rows, samples)  # and the source keeps working


@pytest.mark.parametrize("platform", list(Platform))
def test_latency_beyond_the_timeout_is_timeout(sandbox: SandboxServer, platform: Platform) -> None:
    sandbox.set_faults(platform.value, latency_ms=400)
    _, samples = sweep(sandbox, platform, timeout_seconds=0.1, max_retries=1)
    assert {s.status for s in samples} == {Reason.TIMEOUT.value}
    assert all(s.subscribers is None for s in samples)


@pytest.mark.parametrize("platform", [Platform.MAX, Platform.TELEGRAM])
def test_429_storm_slows_down_and_still_gets_every_count(sandbox: SandboxServer, platform: Platform) -> None:
    sandbox.set_rate(platform.value, 40.0)  # the real limit: a fifth of what is configured
    metrics = Recorder()
    rows, samples = sweep(sandbox, platform, metrics, rate_per_second=200.0, max_retries=8,
                          retry_max_seconds=1.5, tokens=sandbox.tokens[platform.value][:1])
    assert_matches_truth(sandbox, platform, rows, samples)
    assert metrics.throttles > 0
    assert all(s.status != Reason.RATE_LIMITED.value for s in samples)


def test_wrong_token_is_auth_and_logged_once(sandbox: SandboxServer,
                                             caplog: pytest.LogCaptureFixture) -> None:
    _, samples = sweep(sandbox, Platform.MAX, tokens=["not-a-sandbox-token"])
    assert {s.status for s in samples} == {Reason.AUTH.value}
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == ["max token #1 rejected (401 verify.token)"]
