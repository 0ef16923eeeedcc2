"""Telegram source: envelopes, retry_after, and the token that lives in the URL never leaking."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from collector.models import OK, Platform, Reason, Sample
from collector.sources.telegram import TelegramSource, chat_id
from tests.collector.sources.helpers import (
    FakeTime,
    Recorder,
    channels,
    fake_pool,
    mock_client,
    run,
    settings,
)

TOKEN = "123456:AAH-secret-bot-token"
Handler = Callable[[httpx.Request], httpx.Response]


def sweep(handler: Handler, *keys: str, **overrides: Any) -> tuple[list[Sample], Recorder, FakeTime]:
    cfg = settings(Platform.TELEGRAM, tokens=[TOKEN], **overrides)
    clock, metrics = FakeTime(), Recorder()

    async def go() -> list[Sample]:
        source = TelegramSource(cfg, metrics=metrics, client=mock_client(handler),
                                pool=fake_pool(cfg, clock, metrics), rng=random.Random(5), sleep=clock.sleep)
        try:
            return await source.fetch(channels(Platform.TELEGRAM, *keys))
        finally:
            await source.aclose()

    return run(go()), metrics, clock


def test_count_from_get_chat_member_count() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True, "result": 9876})

    samples, _, _ = sweep(handler, "@gov_channel")
    assert (samples[0].channel, samples[0].status, samples[0].subscribers) == ("@gov_channel", OK, 9876)
    assert seen[0].url.path == f"/bot{TOKEN}/getChatMemberCount"
    assert seen[0].url.params["chat_id"] == "@gov_channel"


def test_chat_ids() -> None:
    assert chat_id("name") == "@name"
    assert chat_id("@name") == "@name"
    assert chat_id("-1001234567890") == "-1001234567890"


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
         Reason.NOT_FOUND),
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot is not a member"},
         Reason.LOST_ACCESS),
        (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, Reason.AUTH),
        (200, {"ok": True, "result": "12"}, Reason.BAD_RESPONSE),
        (200, {"ok": True, "result": -3}, Reason.BAD_RESPONSE),
        (200, {"ok": True}, Reason.BAD_RESPONSE),
        (200, {"result": 5}, Reason.BAD_RESPONSE),
    ],
)
def test_answers_map_to_reasons(status: int, body: dict[str, Any], reason: Reason) -> None:
    samples, metrics, _ = sweep(lambda r: httpx.Response(status, json=body), "@c")
    assert (samples[0].status, samples[0].subscribers) == (reason.value, None)
    assert len(metrics.requests) == 1


def test_retry_after_is_obeyed() -> None:
    answers = iter([
        httpx.Response(429, json={"ok": False, "error_code": 429,
                                  "description": "Too Many Requests: retry after 3",
                                  "parameters": {"retry_after": 3}}),
        httpx.Response(200, json={"ok": True, "result": 1}),
    ])
    samples, metrics, clock = sweep(lambda r: next(answers), "@c", retry_max_seconds=10.0)
    assert samples[0].subscribers == 1
    assert 3.0 in clock.slept and metrics.throttles == 1


def test_5xx_gateway_page_is_retried() -> None:
    answers = iter([httpx.Response(502, text="<html>Bad Gateway</html>"),
                    httpx.Response(200, json={"ok": True, "result": 2})])
    samples, _, _ = sweep(lambda r: next(answers), "@c")
    assert samples[0].subscribers == 2


def test_token_never_reaches_logs_errors_or_samples(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)

    with caplog.at_level(logging.DEBUG):
        samples, _, _ = sweep(handler, "@c")
        rejected, _, _ = sweep(lambda r: httpx.Response(401, json={"ok": False, "error_code": 401,
                                                                   "description": "Unauthorized"}), "@c")
    assert samples[0].status == Reason.NETWORK.value
    text = repr(samples + rejected) + " ".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert "secret-bot-token" not in text
    assert "telegram token #1 rejected (401)" in text
