"""Arbitrary answers from the three platform APIs (httpx.MockTransport: any status, any JSON or bytes, odd
Retry-After headers), through the real sources: every channel gets exactly one outcome, a count only when
it is a non-negative integer, a failure reason from the taxonomy otherwise; never an exception, never a
hang."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.config import MaxSettings, PlatformSettings, TelegramSettings, VkSettings
from collector.models import OK, Category, Channel, Platform, Reason
from collector.sources import build_source
from tests.fuzz.strategies import json_values, objects_with

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REASONS = {r.value for r in Reason}
STATUSES = st.sampled_from([200, 200, 200, 400, 401, 403, 404, 420, 429, 500, 502, 503]) | st.integers(
    100, 599
)
# Odd Retry-After values, the unbounded ones included: a token's pause is capped at retry_max_seconds.
RETRY_AFTER = st.none() | st.sampled_from(
    ["0", "-5", "0.01", "0.05", "nan", "-inf", "inf", "1e308", "abc", "Wed, 21 Oct 2015 07:28:00 GMT",
     "Fri, 01 Jan 2100 00:00:00 GMT", "", "1e-300"]
)  # fmt: skip
MAX_BODY = objects_with(["participants_count", "status", "title", "link", "code", "message", "chat_id"])
VK_GROUP = objects_with(
    ["id", "screen_name", "members_count", "deactivated", "is_closed", "name", "photo_50"]
)
VK_BODY = objects_with(
    ["response", "error", "execute_errors"],
    json_values
    | st.lists(VK_GROUP | st.lists(VK_GROUP, max_size=3) | json_values, max_size=3)
    | objects_with(["error_code", "error_msg", "groups", "count"]),
)
TG_BODY = objects_with(
    ["ok", "result", "error_code", "description", "parameters"],
    json_values | objects_with(["retry_after", "migrate_to_chat_id"]),
)
CHANNELS = {
    Platform.MAX: ["-70000000001", "-70000000002"],
    Platform.VK: ["1", "22", "gov_news"],
    Platform.TELEGRAM: ["@gov_news", "-1001234567890"],
}
SETTINGS: dict[Platform, type[PlatformSettings]] = {
    Platform.MAX: MaxSettings,
    Platform.VK: VkSettings,
    Platform.TELEGRAM: TelegramSettings,
}


def answers(body: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[int, bytes, str | None]]:
    content = (
        body.map(lambda b: json.dumps(b).encode())
        | json_values.map(lambda b: json.dumps(b).encode())
        | st.binary(max_size=60)
    )
    return st.tuples(STATUSES, content, RETRY_AFTER)


async def no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


def collect(platform: Platform, replies: list[tuple[int, bytes, str | None]], patience: float = 20) -> None:
    calls = iter(range(10_000))

    def handler(request: httpx.Request) -> httpx.Response:
        status, content, retry_after = replies[next(calls) % len(replies)]
        headers = {"Content-Type": "application/json"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return httpx.Response(status, content=content, headers=headers)

    config = SETTINGS[platform].model_validate({
        "enabled": True, "tokens": ["fuzz-token-123"], "base_url": "http://127.0.0.1:9",
        "rate_per_second": 1e6, "max_retries": 2, "retry_base_seconds": 0.001, "retry_max_seconds": 0.01,
    })  # fmt: skip
    channels = [Channel(platform, key, "RU-MOW", Category.OTHER) for key in CHANNELS[platform]]

    async def go() -> list[Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            source = build_source(platform, config, client=client)
            source.requester._sleep = no_sleep  # type: ignore[attr-defined]
            try:
                return await asyncio.wait_for(source.fetch(channels), timeout=patience)
            finally:
                await source.aclose()

    samples = asyncio.run(go())
    assert [s.channel for s in samples] == [c.channel for c in channels]
    for sample in samples:
        if sample.status == OK:
            assert isinstance(sample.subscribers, int) and sample.subscribers >= 0, sample
        else:
            assert sample.status in REASONS and sample.subscribers is None, sample


@FUZZ
@given(st.lists(answers(MAX_BODY), min_size=1, max_size=4))
def test_max_answers(replies: list[tuple[int, bytes, str | None]]) -> None:
    collect(Platform.MAX, replies)


@FUZZ
@given(st.lists(answers(VK_BODY), min_size=1, max_size=4))
def test_vk_answers(replies: list[tuple[int, bytes, str | None]]) -> None:
    collect(Platform.VK, replies)


@FUZZ
@given(st.lists(answers(TG_BODY), min_size=1, max_size=4))
def test_telegram_answers(replies: list[tuple[int, bytes, str | None]]) -> None:
    collect(Platform.TELEGRAM, replies)


@pytest.mark.parametrize("retry_after", ["inf", "1e9", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_unbounded_retry_after_does_not_stall_the_sweep(retry_after: str) -> None:
    """A throttled answer may not stop collection for longer than the configured retry cap."""
    collect(Platform.MAX, [(429, b"{}", retry_after), (200, b'{"participants_count": 5}', None)], patience=2)
