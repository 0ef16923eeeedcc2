"""Deeply nested JSON (100 KB of '[' — well under every body limit) makes `json.loads` raise RecursionError,
which is not a ValueError. Each parser must still answer with its clear error."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from collector.config import MaxSettings
from collector.models import Category, Channel, Platform, Reason
from collector.sources import build_source
from exporters.relay.payloads import PayloadError, decode

DEEP = b"[" * 100_000


def test_relay_payload_too_deep_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        decode(DEEP)


def test_platform_answer_too_deep_is_a_bad_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=DEEP)

    settings = MaxSettings.model_validate(
        {"enabled": True, "tokens": ["fuzz-token-123"], "base_url": "http://127.0.0.1:9", "max_retries": 0}
    )

    async def go() -> str:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            source = build_source(Platform.MAX, settings, client=client)
            (sample,) = await source.fetch([Channel(Platform.MAX, "-70000000001", "RU-MOW", Category.OTHER)])
            return sample.status

    assert asyncio.run(go()) == Reason.BAD_RESPONSE.value
