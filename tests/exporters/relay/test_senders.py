"""The platform clients over loopback: transport failures are retried, and never show a URL or a token."""

from __future__ import annotations

import asyncio

import httpx

from exporters.relay.senders import MaxSender, Outcome, SendResult, TelegramSender
from tests.support.process import free_port

TOKEN = "123456:secret-telegram-token"


async def send_to_closed_port(telegram: bool) -> SendResult:
    base = f"http://127.0.0.1:{free_port()}"
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        sender = (
            TelegramSender(client=client, base_url=base, token=TOKEN)
            if telegram
            else MaxSender(client=client, base_url=base, token=TOKEN)
        )
        return await sender.send("-1", "текст")


def test_network_errors_are_retried_without_the_url_or_token() -> None:
    for telegram in (True, False):
        result = asyncio.run(send_to_closed_port(telegram))
        assert result.outcome is Outcome.RETRY
        assert result.reason == "network error (ConnectError)"
        assert TOKEN not in result.reason and "127.0.0.1" not in result.reason
