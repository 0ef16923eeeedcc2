"""The Telegram Bot API over HTTP: getChatMemberCount, errors, 429 with retry_after, sendMessage."""

from __future__ import annotations

import httpx

from collector.models import Platform
from collector.sandbox import Behaviour, SandboxServer
from collector.sandbox.dynamics import DAY
from tests.sandbox.helpers import pick
from tests.support.sandbox import SandboxFactory


def _url(sandbox: SandboxServer, method: str, token: str | None = None) -> str:
    return f"{sandbox.telegram_url}/bot{token or sandbox.tokens['telegram'][0]}/{method}"


def test_member_count_get_form_and_json(sandbox: SandboxServer) -> None:
    sandbox.set_clock(speed=0)
    ch = pick(sandbox.world, Platform.TELEGRAM, Behaviour.GROWING)
    expected = {"ok": True, "result": sandbox.world.count(ch, sandbox.now())}
    assert httpx.get(_url(sandbox, "getChatMemberCount"), params={"chat_id": ch.key}).json() == expected
    assert (
        httpx.post(_url(sandbox, "getChatMemberCount"), data={"chat_id": ch.key.upper()}).json() == expected
    )
    assert (
        httpx.post(_url(sandbox, "getChatMembersCount"), json={"chat_id": ch.numeric_id}).json() == expected
    )


def test_errors(sandbox: SandboxServer) -> None:
    world = sandbox.world
    deleted = pick(world, Platform.TELEGRAM, Behaviour.DELETED)
    kicked = pick(world, Platform.TELEGRAM, Behaviour.INACCESSIBLE)
    sandbox.set_clock(now=max(deleted.change_at, kicked.change_at) + DAY, speed=0)
    unauthorized = httpx.get(
        _url(sandbox, "getChatMemberCount", "123:wrong"), params={"chat_id": deleted.key}
    )
    assert unauthorized.status_code == 401
    assert unauthorized.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    gone = httpx.get(_url(sandbox, "getChatMemberCount"), params={"chat_id": deleted.key})
    assert gone.status_code == 400 and gone.json()["description"] == "Bad Request: chat not found"
    assert (
        httpx.get(_url(sandbox, "getChatMemberCount"), params={"chat_id": "@nobody_here"}).status_code == 400
    )
    assert httpx.get(_url(sandbox, "getChatMemberCount"), params={"chat_id": kicked.key}).status_code == 403
    assert httpx.get(_url(sandbox, "noSuchMethod")).json()["error_code"] == 404


def test_throttled_with_retry_after(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(rates={Platform.TELEGRAM: 2})
    ch = sandbox.world.channels[Platform.TELEGRAM][0]
    responses = [
        httpx.get(_url(sandbox, "getChatMemberCount"), params={"chat_id": ch.key}) for _ in range(10)
    ]
    limited = [r for r in responses if r.status_code == 429]
    assert limited
    body = limited[0].json()
    assert body["ok"] is False and body["error_code"] == 429
    assert body["parameters"]["retry_after"] >= 1
    assert body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    assert limited[0].headers["Retry-After"] == str(body["parameters"]["retry_after"])
    assert sandbox.stats()["telegram"]["throttled"] == len(limited)


def test_send_message_recorded_and_limited(sandbox: SandboxServer) -> None:
    ok = httpx.post(
        _url(sandbox, "sendMessage"),
        json={"chat_id": -100500, "text": "Канал не растёт", "parse_mode": "HTML"},
    )
    too_long = httpx.post(_url(sandbox, "sendMessage"), data={"chat_id": "-100500", "text": "x" * 4097})
    at_limit = httpx.post(_url(sandbox, "sendMessage"), data={"chat_id": "-100500", "text": "x" * 4096})
    assert ok.json()["ok"] is True and ok.json()["result"]["text"] == "Канал не растёт"
    assert (
        too_long.status_code == 400 and too_long.json()["description"] == "Bad Request: message is too long"
    )
    assert at_limit.status_code == 200
    sent = sandbox.messages(-100500, "telegram")
    assert [(m["text"][:5], m["format"]) for m in sent] == [("Канал", "HTML"), ("xxxxx", None)]
    assert sandbox.messages(-100500, "max") == []
