"""Webhook endpoints: the relay and Max discovery require their secret before reading a body, refuse
oversized bodies, and the relay delivers only to chats from its configuration, whatever a caller puts in
the query or the payload. (Basic auth and TLS of /metrics: tests/exporters/test_http_security.py.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from collector.config import MaxDiscovery
from collector.sandbox import SandboxServer
from collector.service import Service
from exporters.relay.server import MAX_BODY_BYTES
from tests.exporters.relay.helpers import (
    BEARER,
    MAX_CHATS,
    TELEGRAM_CHATS,
    RelayThread,
    am_alert,
    am_payload,
    fast_config,
    settings_for,
    wait_for,
)
from tests.faults.support import frozen_sandbox
from tests.faults.support import settings_for as collector_settings
from tests.support.sandbox import SandboxFactory

OVERSIZED = b"{" + b" " * (MAX_BODY_BYTES + 16) + b"}"
SECRET = "discovery-secret-5d1e77"


@pytest.fixture
def relay(sandbox_factory: SandboxFactory, tmp_path: Path) -> Iterator[tuple[RelayThread, SandboxServer]]:
    sandbox = sandbox_factory()
    config = fast_config(settings_for(sandbox, tmp_path / "outbox.sqlite3", telegram_chats=TELEGRAM_CHATS))
    thread = RelayThread(config).start()
    yield thread, sandbox
    thread.stop()


def post_raw(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=30) as client:
        return client.post(url, content=body, headers={"Content-Type": "application/json", **headers})


def test_relay_refuses_oversized_bodies(relay: tuple[RelayThread, SandboxServer]) -> None:
    thread, sandbox = relay
    for path in ("/alertmanager", "/grafana"):
        assert post_raw(thread.url + path, OVERSIZED, {}).status_code == 401  # no token: not even read
        answer = post_raw(thread.url + path, OVERSIZED, {"Authorization": f"Bearer {BEARER}"})
        assert answer.status_code == 413
    assert sandbox.call(lambda: dict(sandbox.state.messages)) == {}


def test_relay_sends_only_to_configured_chats(relay: tuple[RelayThread, SandboxServer]) -> None:
    thread, sandbox = relay
    foreign = "-777000777"
    attempts: list[tuple[dict[str, Any], dict[str, str]]] = [
        (am_payload([am_alert(fingerprint="a1", region=foreign)]), {}),
        (am_payload([am_alert(fingerprint="a2")]), {"chat": foreign}),
        (am_payload([am_alert(fingerprint="a3")]), {"region": foreign, "chat_id": foreign}),
        (am_payload([am_alert(fingerprint="a4", chat_id=foreign, chat=foreign)]), {"chat": "max:" + foreign}),
        (am_payload([am_alert(fingerprint="a5", region="RU-AST")]), {"chat": f"{foreign}&chat=RU-AST"}),
    ]
    for payload, params in attempts:
        assert thread.post("/alertmanager", payload, **params).status_code == 200
    configured = {f"max:{v}" for v in MAX_CHATS.values()} | {f"telegram:{v}" for v in TELEGRAM_CHATS.values()}

    def delivered() -> dict[str, list[dict[str, Any]]]:
        return sandbox.call(lambda: {k: list(v) for k, v in sandbox.state.messages.items()})

    wait_for(lambda: sum(len(v) for v in delivered().values()) >= 2 * len(attempts), message="deliveries")
    sent = delivered()
    assert set(sent) <= configured, set(sent) - configured
    assert not any(foreign in key for key in sent)


def discovery_service(sandbox: SandboxServer, tmp_path: Path) -> Service:
    settings = collector_settings(sandbox, tmp_path)
    webhook = settings.platforms.max.model_copy(
        update={"discovery": MaxDiscovery.WEBHOOK, "webhook_secret": SecretStr(SECRET)}
    )
    platforms = settings.platforms.model_copy(update={"max": webhook})
    return Service(settings.model_copy(update={"platforms": platforms}))


def test_max_discovery_webhook_requires_the_secret_and_bounds_the_body(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = frozen_sandbox(sandbox_factory)
    service = discovery_service(sandbox, tmp_path)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def call(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=30)

    async def start() -> str:
        await service.open()
        return await service.serve_http()

    url = call(start()) + "/max/webhook"
    update = b'{"update_type": "bot_added", "chat_id": -71999999999, "timestamp": 1768867200000}'
    try:
        assert post_raw(url, update, {}).status_code == 401
        assert post_raw(url, update, {"X-Max-Bot-Api-Secret": SECRET[:-1]}).status_code == 401
        assert post_raw(url, OVERSIZED, {}).status_code == 401
        assert post_raw(url, OVERSIZED, {"X-Max-Bot-Api-Secret": SECRET}).status_code == 413
        for bad in (b"", b"\xff\xfe", b"[1, 2]", b'"text"', b'{"updates": 5}', b"{" * 5000):
            assert post_raw(url, bad, {"X-Max-Bot-Api-Secret": SECRET}).status_code == 400, bad
        assert service.book.get("max:-71999999999") is None
        assert post_raw(url, update, {"X-Max-Bot-Api-Secret": SECRET}).status_code == 200
        assert service.book.get("max:-71999999999") is not None
    finally:
        call(service.aclose())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def test_max_discovery_webhook_answers_400_to_too_deep_json(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = frozen_sandbox(sandbox_factory)
    service = discovery_service(sandbox, tmp_path)

    async def go() -> int:
        await service.open()
        try:
            url = await service.serve_http() + "/max/webhook"
            headers = {"X-Max-Bot-Api-Secret": SECRET}
            async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
                return (await client.post(url, content=b"[" * 100_000, headers=headers)).status_code
        finally:
            await service.aclose()

    assert asyncio.run(go()) == 400
