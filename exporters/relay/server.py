"""The relay's HTTP side (aiohttp): `POST /alertmanager`, `POST /grafana`, `GET /healthz`.

Answers, in the order they are checked:
- 401 without `Authorization: Bearer <notify.bearer_token>` (compared in constant time; nothing is read);
- 413 for a body over 1 MiB; 400 with the reason for a body that is not a payload of that kind;
- 422 when no alert of the webhook has a chat (no chat for its region and no "default"): Alertmanager
  does not retry a 4xx, and counts it in `alertmanager_notifications_failed_total`;
- 503 when the outbox cannot store the messages (Alertmanager retries 5xx);
- 200 once the messages are committed to the outbox, with counts; alerts without a chat among others
  are reported in `undeliverable` and logged as a warning.
The target comes from `?chat=` (or `?region=`) or each alert's `region` label (see routing.py).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from exporters.relay.intake import Intake
from exporters.relay.payloads import PayloadError, Webhook, decode, parse_alertmanager, parse_grafana

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
Parser = Callable[[Mapping[str, Any]], Webhook]
Handler = Callable[[web.Request], Awaitable[web.Response]]


def build_app(
    *,
    intake: Intake,
    bearer_token: str,
    on_accepted: Callable[[], None],
    health: Callable[[], dict[str, Any]],
) -> web.Application:
    if not bearer_token:
        raise ValueError("the relay needs a bearer token (notify.bearer_token)")
    expected = f"Bearer {bearer_token}".encode()
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post("/alertmanager", _webhook_handler(parse_alertmanager, intake, expected, on_accepted))
    app.router.add_post("/grafana", _webhook_handler(parse_grafana, intake, expected, on_accepted))
    app.router.add_get("/healthz", _health_handler(health))
    return app


def _authorized(request: web.Request, expected: bytes) -> bool:
    given = request.headers.get("Authorization", "").encode("utf-8", "replace")
    return hmac.compare_digest(given, expected)


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"status": "error", "error": reason}, status=status)


def _webhook_handler(
    parse: Parser, intake: Intake, expected: bytes, on_accepted: Callable[[], None]
) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        if not _authorized(request, expected):
            return _error(401, "missing or wrong bearer token")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        try:
            webhook = parse(decode(body))
        except PayloadError as exc:
            return _error(400, str(exc))
        requested = request.query.get("chat") or request.query.get("region") or None
        return await _accept(intake, webhook, requested, on_accepted)

    return handle


async def _accept(
    intake: Intake, webhook: Webhook, requested: str | None, on_accepted: Callable[[], None]
) -> web.Response:
    try:
        result = await asyncio.to_thread(intake.accept, webhook, requested)
    except Exception:
        log.exception("notify relay: cannot store a %s webhook in the outbox", webhook.source)
        return _error(503, "the outbox cannot store the messages; try again")
    if result.messages:
        on_accepted()
    if webhook.alerts and len(result.undeliverable) == len(webhook.alerts):
        keys = ", ".join(sorted(set(result.undeliverable))) or "(none)"
        log.warning("notify relay: %s webhook refused: no chat for %s and no default", webhook.source, keys)
        return _error(422, f'no chat is configured for {keys} and there is no "default" chat')
    if result.undeliverable:
        log.warning(
            "notify relay: %d alerts of a %s webhook have no chat (%s) and no default",
            len(result.undeliverable),
            webhook.source,
            ", ".join(sorted(set(result.undeliverable))),
        )
    return web.json_response({"status": "ok", **result.as_dict()})


def _health_handler(health: Callable[[], dict[str, Any]]) -> Handler:
    async def healthz(request: web.Request) -> web.Response:
        try:
            details = await asyncio.to_thread(health)
        except Exception as exc:
            return web.json_response({"status": "error", "error": type(exc).__name__}, status=503)
        return web.json_response({"status": "ok", **details})

    return healthz
