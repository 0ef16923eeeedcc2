"""The Telegram Bot API (`/bot<token>/<method>`) as the sandbox serves it.

Methods: getMe, getChatMemberCount (and the deprecated getChatMembersCount), sendMessage. Parameters come
from the query string, a form body or a JSON body, as on the real API. Deleted and unknown channels answer
400 "Bad Request: chat not found"; a channel whose bot was removed answers 403. Injected server errors are
502 Bad Gateway; throttling is 429 with `parameters.retry_after` and a Retry-After header.
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from collector.models import Platform
from collector.sandbox.gate import ErrorRenderers, gate
from collector.sandbox.model import Behaviour, SimChannel
from collector.sandbox.respond import send
from collector.sandbox.state import Admission, SandboxState

TEXT_LIMIT = 4096
BOT_ID = 100_000_001


class TelegramApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.errors = ErrorRenderers(
            auth=lambda r, a: self._error(r, a, 401, "Unauthorized"),
            throttled=self._throttled,
            server_error=lambda r, a: self._error(r, a, 502, "Bad Gateway"),
            flood=self._throttled,
        )

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/bot{token}/{method}", self.handle)]

    async def _reply(
        self,
        request: web.Request,
        adm: Admission,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
    ) -> web.StreamResponse:
        self.state.stats.status(Platform.TELEGRAM, status)
        return await send(request, status, payload, adm.roll, headers)

    async def _error(
        self, request: web.Request, adm: Admission, code: int, description: str
    ) -> web.StreamResponse:
        return await self._reply(
            request, adm, code, {"ok": False, "error_code": code, "description": description}
        )

    async def _throttled(self, request: web.Request, adm: Admission) -> web.StreamResponse:
        wait = max(1, math.ceil(adm.retry_after))
        payload = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {wait}",
            "parameters": {"retry_after": wait},
        }
        return await self._reply(request, adm, 429, payload, {"Retry-After": str(wait)})

    async def handle(self, request: web.Request) -> web.StreamResponse:
        adm, stop = await gate(
            self.state, Platform.TELEGRAM, request, request.match_info["token"], self.errors
        )
        if stop is not None:
            return stop
        params = await _params(request)
        method = request.match_info["method"].lower()
        if method == "getme":
            return await self._reply(
                request,
                adm,
                200,
                {
                    "ok": True,
                    "result": {
                        "id": BOT_ID,
                        "is_bot": True,
                        "first_name": "govpulse",
                        "username": "govpulse_sandbox_bot",
                    },
                },
            )
        if method in ("getchatmembercount", "getchatmemberscount"):
            return await self._member_count(request, adm, params)
        if method == "sendmessage":
            return await self._send_message(request, adm, params)
        return await self._error(request, adm, 404, "Not Found")

    def _lookup(self, chat_id: str) -> SimChannel | None:
        world = self.state.world
        if chat_id.startswith("@"):
            return world.tg_by_name.get(chat_id[1:].lower())
        try:
            return world.tg_by_id.get(int(chat_id))
        except ValueError:
            return None

    def _problem(self, ch: SimChannel | None) -> tuple[int, str] | None:
        now = self.state.clock.now()
        if ch is None or now < ch.created or (ch.behaviour is Behaviour.DELETED and now >= ch.change_at):
            return 400, "Bad Request: chat not found"
        if ch.behaviour is Behaviour.INACCESSIBLE and now >= ch.change_at:
            return 403, "Forbidden: bot was kicked from the channel chat"
        return None

    async def _member_count(
        self, request: web.Request, adm: Admission, params: dict[str, Any]
    ) -> web.StreamResponse:
        chat_id = str(params.get("chat_id") or "")
        if not chat_id:
            return await self._error(request, adm, 400, "Bad Request: chat_id is empty")
        ch = self._lookup(chat_id)
        problem = self._problem(ch)
        if problem is not None:
            return await self._error(request, adm, *problem)
        assert ch is not None
        count: Any = self.state.world.count(ch, self.state.clock.now())
        if adm.roll.wrong_type is not None:
            count = {"string": str(count), "null": None, "negative": -max(1, count)}[adm.roll.wrong_type]
        return await self._reply(request, adm, 200, {"ok": True, "result": count})

    async def _send_message(
        self, request: web.Request, adm: Admission, params: dict[str, Any]
    ) -> web.StreamResponse:
        chat_id = str(params.get("chat_id") or "")
        text = params.get("text")
        if not chat_id:
            return await self._error(request, adm, 400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text:
            return await self._error(request, adm, 400, "Bad Request: message text is empty")
        if len(text) > TEXT_LIMIT:
            return await self._error(request, adm, 400, "Bad Request: message is too long")
        ch = self._lookup(chat_id)
        if ch is not None:
            problem = self._problem(ch)
            if problem is not None:
                return await self._error(request, adm, *problem)
        parse_mode = params.get("parse_mode")
        entry = self.state.record_message(
            Platform.TELEGRAM, chat_id, text, parse_mode if isinstance(parse_mode, str) else None
        )
        chat: dict[str, Any] = (
            {"id": ch.numeric_id, "type": "channel", "title": ch.title}
            if ch
            else {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else 0, "type": "group"}
        )
        return await self._reply(
            request,
            adm,
            200,
            {
                "ok": True,
                "result": {
                    "message_id": entry["message_id"],
                    "date": int(entry["at"]),
                    "chat": chat,
                    "text": text,
                    "from": {
                        "id": BOT_ID,
                        "is_bot": True,
                        "first_name": "govpulse",
                        "username": "govpulse_sandbox_bot",
                    },
                },
            },
        )


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            return params
        if isinstance(body, dict):
            params.update(body)
    else:
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params
