"""Max source: parsing and the error taxonomy on a mock transport (integration tests use the sandbox)."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from collector.models import OK, Platform, Reason, Sample
from collector.sources.max import MaxSource
from tests.collector.sources.helpers import (
    FakeTime,
    Recorder,
    channels,
    fake_pool,
    mock_client,
    run,
    settings,
)

Handler = Callable[[httpx.Request], httpx.Response]


def chat(count: Any = 1234, status: str = "active", **extra: Any) -> dict[str, Any]:
    return {"chat_id": -70000000000005, "type": "channel", "status": status, "title": "Правительство",
            "link": "https://max.ru/gov", "participants_count": count, **extra}


def sweep(handler: Handler, *keys: str, **overrides: Any) -> tuple[list[Sample], Recorder, FakeTime]:
    cfg = settings(Platform.MAX, **overrides)
    clock, metrics = FakeTime(), Recorder()

    async def go() -> list[Sample]:
        source = MaxSource(cfg, metrics=metrics, client=mock_client(handler),
                           pool=fake_pool(cfg, clock, metrics), rng=random.Random(7), sleep=clock.sleep,
                           wall_clock=lambda: 1_700_000_000.0)
        try:
            return await source.fetch(channels(Platform.MAX, *keys))
        finally:
            await source.aclose()

    return run(go()), metrics, clock


def test_count_title_and_link_are_read_with_a_raw_authorization_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=chat(4321))

    samples, metrics, _ = sweep(handler, "-70000000000005")
    assert samples == [Sample(Platform.MAX, "-70000000000005", 1_700_000_000.0, OK, 4321, "Правительство",
                              "https://max.ru/gov")]
    assert seen[0].url.path == "/chats/-70000000000005"
    assert seen[0].headers["Authorization"] == "token-aaaa-1111"
    assert metrics.requests == [("max", "200")]


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (403, {"code": "chat.denied", "message": "denied"}, Reason.LOST_ACCESS),
        (404, {"code": "chat.not.found", "message": "Chat 1 not found"}, Reason.NOT_FOUND),
        (404, {"code": "not.found"}, Reason.NOT_FOUND),
        (401, {"code": "verify.token", "message": "Invalid access_token"}, Reason.AUTH),
        (400, {"code": "proto.payload"}, Reason.BAD_RESPONSE),
    ],
)
def test_error_answers_map_to_reasons(status: int, body: dict[str, str], reason: Reason) -> None:
    samples, metrics, _ = sweep(lambda r: httpx.Response(status, json=body), "-1")
    assert (samples[0].status, samples[0].subscribers) == (reason.value, None)
    assert len(metrics.requests) == 1  # permanent: not retried


@pytest.mark.parametrize("status", ["removed", "left", "closed", "suspended"])
def test_bot_not_active_is_lost_access_never_a_count(status: str) -> None:
    samples, _, _ = sweep(lambda r: httpx.Response(200, json=chat(0, status=status)), "-1")
    assert (samples[0].status, samples[0].subscribers) == (Reason.LOST_ACCESS.value, None)


@pytest.mark.parametrize("count", ["1234", -5, 2**31, 10**12, 12.5, True, None, [1]])
def test_implausible_counts_are_bad_response(count: Any) -> None:
    samples, metrics, _ = sweep(lambda r: httpx.Response(200, json=chat(count)), "-1")
    assert (samples[0].status, samples[0].subscribers) == (Reason.BAD_RESPONSE.value, None)
    assert len(metrics.requests) == 1


def test_missing_count_and_wrong_shape_are_bad_response() -> None:
    body = chat()
    del body["participants_count"]
    answers = iter([httpx.Response(200, json=body), httpx.Response(200, json=[1, 2])])
    samples, _, _ = sweep(lambda r: next(answers), "-1", "-2", concurrency=1)
    assert [s.status for s in samples] == [Reason.BAD_RESPONSE.value] * 2


def test_zero_is_a_real_count() -> None:
    samples, _, _ = sweep(lambda r: httpx.Response(200, json=chat(0)), "-1")
    assert (samples[0].status, samples[0].subscribers) == (OK, 0)


def test_unparsable_body_is_retried_then_bad_response() -> None:
    samples, metrics, clock = sweep(lambda r: httpx.Response(200, content=b'{"participants_co'), "-1")
    assert samples[0].status == Reason.BAD_RESPONSE.value
    assert len(metrics.requests) == 3  # 1 + max_retries
    assert len(clock.slept) >= 2


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (httpx.ReadTimeout("timed out"), Reason.TIMEOUT),
        (httpx.ConnectTimeout("timed out"), Reason.TIMEOUT),
        (httpx.ConnectError("refused"), Reason.NETWORK),
        (httpx.RemoteProtocolError("peer closed connection"), Reason.NETWORK),
        (httpx.ReadError("reset"), Reason.NETWORK),
    ],
)
def test_transport_failures_are_retried_then_reported(failure: Exception, reason: Reason) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    samples, metrics, _ = sweep(handler, "-1")
    assert samples[0].status == reason.value
    assert metrics.requests == [("max", reason.value)] * 3


def test_transient_failures_recover_within_the_sweep() -> None:
    answers = iter([httpx.Response(503, json={"code": "internal.error"}), httpx.Response(500, text="oops"),
                    httpx.Response(200, json=chat(77))])
    samples, metrics, clock = sweep(lambda r: next(answers), "-1")
    assert (samples[0].status, samples[0].subscribers) == (OK, 77)
    assert [code for _, code in metrics.requests] == ["503", "500", "200"]
    assert all(0 <= s <= 0.05 for s in clock.slept)  # full jitter under the cap


def test_429_honours_retry_after_capped_and_counts_throttle() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "3600"}, json={"code": "too.many.requests"}),
                    httpx.Response(200, json=chat(5))])
    samples, metrics, clock = sweep(lambda r: next(answers), "-1", retry_max_seconds=4.0)
    assert samples[0].subscribers == 5
    assert metrics.throttles == 1
    assert 4.0 in clock.slept  # Retry-After capped at retry_max_seconds


def test_one_sample_per_channel_in_order_with_concurrency() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        key = request.url.path.rsplit("/", 1)[1]
        if key.endswith("3"):
            return httpx.Response(404, json={"code": "chat.not.found"})
        return httpx.Response(200, json=chat(abs(int(key))))

    keys = [f"-{i}" for i in range(1, 60)]
    samples, _, _ = sweep(handler, *keys, concurrency=8)
    assert [s.channel for s in samples] == keys
    for key, sample in zip(keys, samples, strict=True):
        expected = (Reason.NOT_FOUND.value, None) if key.endswith("3") else (OK, abs(int(key)))
        assert (sample.status, sample.subscribers) == expected


def test_rejected_token_is_logged_once_and_others_take_over(caplog: pytest.LogCaptureFixture) -> None:
    tokens = ["good-token-0000", "bad-token-9999"]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == tokens[1]:
            return httpx.Response(401, json={"code": "verify.token", "message": "Invalid access_token"})
        return httpx.Response(200, json=chat(10))

    with caplog.at_level(logging.INFO):
        samples, _, _ = sweep(handler, *[f"-{i}" for i in range(1, 30)], tokens=tokens, concurrency=4)
    assert all(s.status == OK for s in samples)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["max token #2 rejected (401 verify.token)"]
    assert all(tokens[1] not in r.getMessage() for r in caplog.records)


def test_all_tokens_rejected_gives_auth_and_one_line_per_token(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"code": "verify.token"})

    with caplog.at_level(logging.INFO):
        samples, _, _ = sweep(handler, "-1", "-2", "-3", tokens=["tok-a-0000", "tok-b-0000"], concurrency=1)
    assert [s.status for s in samples] == [Reason.AUTH.value] * 3
    errors = sorted(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert errors == ["max token #1 rejected (401 verify.token)", "max token #2 rejected (401 verify.token)"]


def test_error_body_is_never_logged_or_stored(caplog: pytest.LogCaptureFixture) -> None:
    body = json.dumps({"code": "verify.token <script>", "message": "secret-echo token-aaaa-1111"})
    samples, _, _ = sweep(lambda r: httpx.Response(401, content=body), "-1")
    text = " ".join(r.getMessage() for r in caplog.records) + repr(samples)
    assert "token-aaaa-1111" not in text and "secret-echo" not in text
