"""The Max Bot API over HTTP: auth, Chat shape, access errors, rate limits, updates, webhooks, messages."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from collector.models import Platform
from collector.sandbox import Behaviour, SandboxServer
from collector.sandbox.dynamics import DAY, unit_hash
from tests.sandbox.helpers import pick, receiver
from tests.support.sandbox import SandboxFactory

CHAT_FIELDS = {
    "chat_id",
    "type",
    "status",
    "title",
    "icon",
    "last_event_time",
    "participants_count",
    "is_public",
    "link",
    "description",
    "messages_count",
}


def _client(sandbox: SandboxServer, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": token if token is not None else sandbox.tokens["max"][0]}
    return httpx.Client(base_url=sandbox.max_url, headers=headers, timeout=30)


def test_chat_shape_and_count(sandbox: SandboxServer) -> None:
    ch = pick(sandbox.world, Platform.MAX, Behaviour.GROWING, before=sandbox.world.spec.start)
    sandbox.set_clock(speed=0)
    with _client(sandbox) as client:
        response = client.get(f"/chats/{ch.numeric_id}")
    assert response.status_code == 200
    chat = response.json()
    assert set(chat) >= CHAT_FIELDS
    assert chat["chat_id"] == ch.numeric_id < 0
    assert chat["type"] == "channel" and chat["status"] == "active"
    assert chat["title"] == ch.title and chat["link"] == ch.link
    assert chat["participants_count"] == sandbox.world.count(ch, sandbox.now())
    assert isinstance(chat["icon"]["url"], str) and isinstance(chat["last_event_time"], int)


def test_auth_rules(sandbox: SandboxServer) -> None:
    ch = sandbox.world.channels[Platform.MAX][0]
    token = sandbox.tokens["max"][0]
    with httpx.Client(base_url=sandbox.url) as client:
        cases = [
            client.get(f"/chats/{ch.numeric_id}"),
            client.get(f"/chats/{ch.numeric_id}", params={"access_token": token}),
            client.get(f"/chats/{ch.numeric_id}", headers={"Authorization": f"Bearer {token}"}),
            client.get(f"/chats/{ch.numeric_id}", headers={"Authorization": "not-a-token"}),
        ]
        ok = client.get(f"/chats/{ch.numeric_id}", headers={"Authorization": token})
    for response in cases:
        assert response.status_code == 401
        assert response.json() == {"code": "verify.token", "message": "Invalid access_token"}
    assert ok.status_code == 200
    stats = sandbox.stats()["max"]
    assert stats["auth_failed"] == 4 and stats["by_token"] == {token: {"requests": 1}}


def test_deleted_removed_unknown_and_future_channels(sandbox: SandboxServer) -> None:
    world = sandbox.world
    start = world.spec.start
    deleted = pick(world, Platform.MAX, Behaviour.DELETED, before=start)
    removed = [
        c for c in world.channels[Platform.MAX] if c.behaviour is Behaviour.INACCESSIBLE and c.created < start
    ]
    future = next(c for c in world.channels[Platform.MAX] if c.created > start + DAY)
    share = world.spec.max_removed_status_share
    as_status = next(c for c in removed if unit_hash(c.seed, 7) < share)
    as_403 = next(c for c in removed if unit_hash(c.seed, 7) >= share)
    later = max(deleted.change_at, as_status.change_at, as_403.change_at) + 1
    with _client(sandbox) as client:
        sandbox.set_clock(now=start, speed=0)
        assert client.get(f"/chats/{deleted.numeric_id}").status_code == 200
        not_yet = client.get(f"/chats/{future.numeric_id}")
        sandbox.set_clock(now=later)
        gone = client.get(f"/chats/{deleted.numeric_id}")
        status_removed = client.get(f"/chats/{as_status.numeric_id}")
        denied = client.get(f"/chats/{as_403.numeric_id}")
        unknown = client.get("/chats/-123")
        bad_path = client.get("/chats/not-a-number")
    assert not_yet.status_code == 404 and not_yet.json()["code"] == "chat.not.found"
    assert gone.status_code == 404 and gone.json() == {
        "code": "chat.not.found",
        "message": f"Chat {deleted.numeric_id} not found",
    }
    assert status_removed.status_code == 200 and status_removed.json()["status"] == "removed"
    assert denied.status_code == 403 and denied.json()["code"] == "chat.denied"
    assert unknown.status_code == 404 and unknown.json()["code"] == "chat.not.found"
    assert bad_path.status_code == 404 and bad_path.json()["code"] == "method.not.found"


def test_rate_limit_answers_429_and_is_counted(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(rates={Platform.MAX: 5})
    ch = sandbox.world.channels[Platform.MAX][0]
    with _client(sandbox) as client:
        codes = [client.get(f"/chats/{ch.numeric_id}").status_code for _ in range(30)]
        throttled = client.get(f"/chats/{ch.numeric_id}") if 429 not in codes else None
    assert throttled is None
    assert set(codes) == {200, 429}
    assert codes.count(200) <= 5 * 8  # fixed one-second windows: 5 per window
    stats = sandbox.stats()["max"]
    assert stats["requests"] == 30
    assert stats["throttled"] == codes.count(429)
    assert stats["by_token"][sandbox.tokens["max"][0]] == {"requests": 30, "throttled": codes.count(429)}
    with _client(sandbox) as client:
        body = None
        for _ in range(30):
            response = client.get(f"/chats/{ch.numeric_id}")
            if response.status_code == 429:
                body = response.json()
                break
    assert body == {"code": "too.many.requests", "message": "Too many requests"}
    assert httpx.post(f"{sandbox.url}/sandbox/stats/reset").json()["max"]["requests"] == 0


def _expected_updates(sandbox: SandboxServer, after: float, until: float) -> list[tuple[str, int]]:
    out = []
    for ch in sandbox.world.channels[Platform.MAX]:
        if after < ch.created <= until:
            out.append((ch.created, "bot_added", ch.numeric_id))
        if ch.behaviour is Behaviour.INACCESSIBLE and after < ch.change_at <= until:
            out.append((ch.change_at, "bot_removed", ch.numeric_id))
    return [(kind, chat) for _, kind, chat in sorted(out)]


def test_updates_long_polling(sandbox: SandboxServer) -> None:
    start = sandbox.world.spec.start
    sandbox.set_clock(now=start, speed=0)
    with _client(sandbox) as client:
        first = client.get("/updates", params={"timeout": 0, "limit": 1000}).json()
        recent = first["updates"]
        assert recent
        assert all(u["update_type"] == "bot_added" and u["is_channel"] for u in recent)
        assert all(start - DAY < u["timestamp"] / 1000 <= start for u in recent)
        assert all("user" in u for u in recent)  # before November 2026 updates still carry `user`
        empty = client.get("/updates", params={"timeout": 1, "marker": first["marker"]}).json()
        assert empty == {"updates": [], "marker": first["marker"]}

        result: dict[str, Any] = {}

        def poll() -> None:
            result.update(
                client.get(
                    "/updates", params={"timeout": 20, "marker": first["marker"], "limit": 1000}
                ).json()
            )

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.2)
        sandbox.set_clock(now=start + 3 * DAY)
        poller.join(timeout=25)
    got = [(u["update_type"], u["chat_id"]) for u in result["updates"]]
    expected = _expected_updates(sandbox, start, start + 3 * DAY)
    assert expected and got == expected
    assert result["marker"] == sandbox.state.updates.index_at(start + 3 * DAY)


def test_updates_after_november_2026_have_no_user(sandbox: SandboxServer) -> None:
    end = sandbox.world.spec.start + 400 * DAY
    sandbox.set_clock(now=end, speed=0)
    log = sandbox.state.updates
    with _client(sandbox) as client:
        body = client.get("/updates", params={"timeout": 0, "marker": max(0, len(log.events) - 3)}).json()
    for update in body["updates"]:
        assert ("user" in update) == (update["timestamp"] / 1000 < 1793491200)


def test_webhook_delivery_with_secret(sandbox: SandboxServer) -> None:
    start = sandbox.world.spec.start
    sandbox.set_clock(now=start, speed=0)
    with receiver() as hook, _client(sandbox) as client:
        hook.fail_first = 1  # the first delivery fails and is retried
        subscribed = client.post(
            "/subscriptions",
            json={"url": hook.url, "update_types": ["bot_added", "bot_removed"], "secret": "s3cret-value"},
        )
        assert subscribed.json() == {"success": True}
        listed = client.get("/subscriptions").json()["subscriptions"]
        assert [s["url"] for s in listed] == [hook.url]
        refused = client.post("/subscriptions", json={"url": "http://192.0.2.1/hook"})
        assert refused.status_code == 400
        sandbox.set_clock(now=start + 5 * DAY)
        expected = _expected_updates(sandbox, start, start + 5 * DAY)
        deadline = time.monotonic() + 20
        while len(hook.bodies()) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.delete("/subscriptions", params={"url": hook.url}).json() == {"success": True}
        assert client.get("/subscriptions").json() == {"subscriptions": []}
        headers = [h for h, _ in hook.requests]
    assert [(b["update_type"], b["chat_id"]) for b in hook.bodies()] == expected
    assert all(h.get("X-Max-Bot-Api-Secret") == "s3cret-value" for h in headers)
    assert sandbox.stats()["webhook_deliveries"]["failed"] >= 1


def test_messages_are_recorded_and_limited(sandbox: SandboxServer) -> None:
    with _client(sandbox) as client:
        sent = client.post(
            "/messages", params={"chat_id": -42}, json={"text": "**Тревога**: канал", "format": "markdown"}
        )
        too_long = client.post("/messages", params={"chat_id": -42}, json={"text": "я" * 4001})
        bad_format = client.post("/messages", params={"chat_id": -42}, json={"text": "x", "format": "rtf"})
        at_limit = client.post("/messages", params={"chat_id": -42}, json={"text": "я" * 4000})
    assert sent.status_code == 200 and sent.json()["message"]["body"]["text"] == "**Тревога**: канал"
    assert too_long.status_code == 400 and bad_format.status_code == 400
    assert at_limit.status_code == 200
    texts = [m["text"] for m in sandbox.messages(-42)]
    assert texts == ["**Тревога**: канал", "я" * 4000]
    over_http = httpx.get(
        f"{sandbox.url}/sandbox/messages", params={"chat_id": "-42", "platform": "max"}
    ).json()
    assert [m["format"] for m in over_http] == ["markdown", None]
