"""The Max Bot API (platform-api2.max.ru) as the sandbox serves it.

Choices where the real API is not documented (reference/platform-apis.md §1.5, §1.8):
- `?access_token=` is refused like a missing token: 401 `verify.token` (query tokens are "no longer
  supported"); so is `Authorization: Bearer <token>`.
- A channel the bot was removed from answers, per channel and seeded, either 200 with `status: "removed"`
  (share `WorldSpec.max_removed_status_share`, default half) or 403 `chat.denied`. Deleted, unknown and
  not-yet-created channels answer 404 `chat.not.found`.
- 429 carries `code: "too.many.requests"` and no Retry-After (none is documented); injected server errors
  are 503 `service.unavailable`.
- Webhooks may target loopback URLs only, plain http allowed (the real API requires HTTPS).
- `POST /messages` to a chat that is not a simulated channel is accepted (a dialog or group with the bot).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from collector.models import Platform
from collector.sandbox.dynamics import unit_hash
from collector.sandbox.gate import ErrorRenderers, gate
from collector.sandbox.model import Behaviour, SimChannel
from collector.sandbox.respond import send
from collector.sandbox.state import Admission, SandboxState
from collector.sandbox.updates import UPDATE_TYPES

TEXT_LIMIT = 4000
MAX_POLL_TIMEOUT = 90
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_SECRET = re.compile(r"^[A-Za-z0-9_-]{5,256}$")
BOT_ID = 900_000_001


@dataclass
class Subscription:
    url: str
    secret: str | None
    update_types: set[str] | None
    cursor: int
    time_ms: int
    failures: int = 0
    delivered: int = 0
    retry_at: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        types = sorted(self.update_types) if self.update_types else None
        return {"url": self.url, "time": self.time_ms, "update_types": types, "version": "0.0.30"}


class MaxApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.subscriptions: dict[str, Subscription] = {}
        self.errors = ErrorRenderers(
            auth=lambda r, a: self._error(r, a, 401, "verify.token", "Invalid access_token"),
            throttled=lambda r, a: self._error(r, a, 429, "too.many.requests", "Too many requests"),
            server_error=lambda r, a: self._error(
                r, a, 503, "service.unavailable", "Service temporarily unavailable"
            ),
            flood=lambda r, a: self._error(r, a, 429, "too.many.requests", "Too many requests"),
        )

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(r"/chats/{chat_id:-?\d+}", self.get_chat),
            web.get("/me", self.get_me),
            web.get("/updates", self.get_updates),
            web.get("/subscriptions", self.list_subscriptions),
            web.post("/subscriptions", self.subscribe),
            web.delete("/subscriptions", self.unsubscribe),
            web.post("/messages", self.send_message),
        ]

    async def _reply(
        self, request: web.Request, adm: Admission, status: int, payload: Any
    ) -> web.StreamResponse:
        self.state.stats.status(Platform.MAX, status)
        return await send(request, status, payload, adm.roll)

    async def _error(
        self, request: web.Request, adm: Admission, status: int, code: str, message: str
    ) -> web.StreamResponse:
        return await self._reply(request, adm, status, {"code": code, "message": message})

    async def _admit(self, request: web.Request) -> tuple[Admission, web.StreamResponse | None]:
        return await gate(
            self.state, Platform.MAX, request, request.headers.get("Authorization"), self.errors
        )

    def _channel(self, chat_id: int, now: float) -> SimChannel | None:
        ch = self.state.world.max_by_id.get(chat_id)
        if ch is None or now < ch.created:
            return None
        if ch.behaviour is Behaviour.DELETED and now >= ch.change_at:
            return None
        return ch

    def _removed(self, ch: SimChannel, now: float) -> bool:
        return ch.behaviour is Behaviour.INACCESSIBLE and now >= ch.change_at

    def _removed_answers_403(self, ch: SimChannel) -> bool:
        return unit_hash(ch.seed, 7) >= self.state.world.spec.max_removed_status_share

    async def get_chat(self, request: web.Request) -> web.StreamResponse:
        adm, stop = await self._admit(request)
        if stop is not None:
            return stop
        chat_id = int(request.match_info["chat_id"])
        now = self.state.clock.now()
        ch = self._channel(chat_id, now)
        if ch is None:
            return await self._error(request, adm, 404, "chat.not.found", f"Chat {chat_id} not found")
        removed = self._removed(ch, now)
        if removed and self._removed_answers_403(ch):
            return await self._error(request, adm, 403, "chat.denied", f"Bot has no access to chat {chat_id}")
        return await self._reply(request, adm, 200, self._chat_body(ch, now, removed, adm.roll.wrong_type))

    def _chat_body(self, ch: SimChannel, now: float, removed: bool, wrong_type: str | None) -> dict[str, Any]:
        count: Any = self.state.world.count(ch, now)
        if wrong_type is not None:
            count = {"string": str(count), "null": None, "negative": -max(1, count)}[wrong_type]
        last_post = max(
            ch.created, now - 3600.0 * 24 / max(ch.posts_per_day, 0.1) * unit_hash(ch.seed, int(now // 3600))
        )
        return {
            "chat_id": ch.numeric_id,
            "type": "channel",
            "status": "removed" if removed else "active",
            "title": ch.title,
            "icon": {"url": f"https://i.max.ru/icons/{abs(ch.numeric_id)}.webp"},
            "last_event_time": int(last_post * 1000),
            "participants_count": count,
            "is_public": ch.is_public,
            "link": ch.link,
            "description": f"Официальный канал: {ch.org}",
            "messages_count": int(max(0.0, now - ch.created) / 86400 * ch.posts_per_day),
        }

    async def get_me(self, request: web.Request) -> web.StreamResponse:
        adm, stop = await self._admit(request)
        if stop is not None:
            return stop
        return await self._reply(
            request,
            adm,
            200,
            {
                "user_id": BOT_ID,
                "first_name": "govpulse",
                "username": "govpulse_bot",
                "is_bot": True,
                "last_activity_time": int(self.state.clock.now() * 1000),
                "name": "govpulse",
            },
        )

    async def get_updates(self, request: web.Request) -> web.StreamResponse:
        adm, stop = await self._admit(request)
        if stop is not None:
            return stop
        try:
            limit = int(request.query.get("limit", "100"))
            timeout = int(request.query.get("timeout", "30"))
            marker_text = request.query.get("marker")
            marker = int(marker_text) if marker_text not in (None, "") else None
        except ValueError:
            return await self._error(
                request, adm, 400, "proto.payload", "marker, limit and timeout must be integers"
            )
        if not 1 <= limit <= 1000 or not 0 <= timeout <= MAX_POLL_TIMEOUT:
            return await self._error(
                request, adm, 400, "proto.payload", "limit must be 1..1000, timeout 0..90"
            )
        types_text = request.query.get("types")
        types = {t for t in types_text.split(",") if t} if types_text else None
        log = self.state.updates
        start = log.first_alive(self.state.clock.now()) if marker is None else max(marker, 0)
        deadline = time.monotonic() + timeout
        while True:
            end = log.index_at(self.state.clock.now())
            updates, new_marker = log.collect(start, end, limit, types)
            if updates or time.monotonic() >= deadline:
                return await self._reply(request, adm, 200, {"updates": updates, "marker": new_marker})
            start = new_marker
            await asyncio.sleep(self._poll_pause(end, deadline))

    def _poll_pause(self, next_index: int, deadline: float) -> float:
        """Sleep until the next update is due (bounded so clock jumps are noticed within 50 ms)."""
        log = self.state.updates
        remaining = max(0.0, deadline - time.monotonic())
        if next_index >= len(log.times):
            return min(0.05, remaining)
        due = self.state.clock.real_seconds_until(log.times[next_index])
        return min(0.05, remaining, due if due is not None else 0.05) or 0.001

    async def list_subscriptions(self, request: web.Request) -> web.StreamResponse:
        adm, stop = await self._admit(request)
        if stop is not None:
            return stop
        subs = [s.describe() for s in self.subscriptions.values()]
        return await self._reply(request, adm, 200, {"subscriptions": subs})

    async def subscribe(self, request: web.Request) -> web.StreamResponse:
        adm, stop = await self._admit(request)
        if stop is not None:
            return stop
        body = await _json_body(request)
        problem = _subscription_problem(body)
        if problem is not None:
            return await self._error(request, adm, 400, "proto.payload", problem)
        assert body is not None
        types = body.get("update_types")
        now = self.state.clock.now()
        self.subscriptions[body["url"]] = Subscription(
            url=body["url"],
            secret=body.get("secret"),
            update_types=set(types) if types else None,
            cursor=self.state.updates.index_at(now),
            time_ms=int(now * 1000),
        )
        return await self._reply(request, adm, 200, {"success": True})

    async def unsubscribe(self, request: web.Request) -> web.StreamResponse:
        adm, stop = await self._admit(request)
        if stop is not None:
            return stop
        url = request.query.get("url", "")
        if self.subscriptions.pop(url, None) is None:
            return await self._reply(
                request,
                adm,
                200,
                {"success": False, "code": "not.found", "message": f"No subscription for {url}"},
            )
        return await self._reply(request, adm, 200, {"success": True})

    async def send_message(self, request: web.Request) -> web.StreamResponse:
        adm, stop = await self._admit(request)
        if stop is not None:
            return stop
        chat_text = request.query.get("chat_id", "")
        body = await _json_body(request)
        if not re.fullmatch(r"-?\d+", chat_text) or body is None:
            return await self._error(
                request, adm, 400, "proto.payload", "chat_id and a JSON body are required"
            )
        text, fmt = body.get("text"), body.get("format")
        if not isinstance(text, str) or len(text) > TEXT_LIMIT:
            return await self._error(
                request, adm, 400, "proto.payload", f"text: size must be between 0 and {TEXT_LIMIT}"
            )
        if fmt not in (None, "markdown", "html"):
            return await self._error(request, adm, 400, "proto.payload", "format must be markdown or html")
        denied = self._send_denied(int(chat_text))
        if denied is not None:
            return await self._error(request, adm, *denied)
        entry = self.state.record_message(Platform.MAX, chat_text, text, fmt)
        return await self._reply(
            request,
            adm,
            200,
            {
                "message": {
                    "recipient": {"chat_id": int(chat_text), "chat_type": "chat"},
                    "sender": {
                        "user_id": BOT_ID,
                        "first_name": "govpulse",
                        "username": "govpulse_bot",
                        "is_bot": True,
                    },
                    "timestamp": int(entry["at"] * 1000),
                    "body": {
                        "mid": f"mid.{entry['message_id']:016x}",
                        "seq": entry["message_id"],
                        "text": text,
                    },
                }
            },
        )

    def _send_denied(self, chat_id: int) -> tuple[int, str, str] | None:
        now = self.state.clock.now()
        ch = self.state.world.max_by_id.get(chat_id)
        if ch is None:
            return None
        if self._channel(chat_id, now) is None:
            return 404, "chat.not.found", f"Chat {chat_id} not found"
        if self._removed(ch, now):
            return 403, "chat.denied", f"Bot has no access to chat {chat_id}"
        return None


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _subscription_problem(body: dict[str, Any] | None) -> str | None:
    if body is None or not isinstance(body.get("url"), str):
        return "url is required"
    parts = urlsplit(body["url"])
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
        return "the sandbox delivers webhooks to loopback URLs only"
    secret = body.get("secret")
    if secret is not None and (not isinstance(secret, str) or not _SECRET.match(secret)):
        return "secret must match ^[a-zA-Z0-9_-]{5,256}$"
    types = body.get("update_types")
    if types is not None and (not isinstance(types, list) or any(t not in UPDATE_TYPES for t in types)):
        return f"update_types must be a list of {list(UPDATE_TYPES)}"
    return None
