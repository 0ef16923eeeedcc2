"""Discovery of Max channels: the bot learns chat ids from `bot_added` / `bot_removed` updates.

Two ways in, as the Max Bot API offers: long polling of `GET /updates` (simple, 2 rps, "not for
production") or a webhook (`POST /subscriptions` registers our URL; Max sends updates with the
`X-Max-Bot-Api-Secret` header, which we check in constant time). A new chat joins the book as
`unknown` / `unclassified` until the first sweep reports its title; both events are persisted in the
embedded store, so no discovered channel is lost across restarts.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx
from aiohttp import web

from collector.config import MaxDiscovery
from collector.models import UNKNOWN_REGION, Category, Channel, Platform
from collector.sources.http import base_url, build_client

if TYPE_CHECKING:
    from collector.service import Service

log = logging.getLogger(__name__)

UPDATE_TYPES = ("bot_added", "bot_removed")
POLL_TIMEOUT_SECONDS = 30
MAX_WEBHOOK_BYTES = 1024 * 1024
WEBHOOK_PATH = "/max/webhook"


class Discovery:
    def __init__(self, service: Service) -> None:
        self.service = service

    async def handle(self, update: Mapping[str, Any]) -> None:
        """Apply one update; unknown update types and malformed ones are logged and ignored."""
        kind = update.get("update_type")
        chat_id = update.get("chat_id")
        if kind not in UPDATE_TYPES:
            return
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            log.warning("max discovery: %s update without an integer chat_id ignored", kind)
            return
        at = _seconds(update.get("timestamp")) or self.service.clock()
        if kind == "bot_added":
            await self._added(str(chat_id), at)
        else:
            await self._removed(str(chat_id), at)

    async def _added(self, chat_id: str, at: float) -> None:
        channel = Channel(Platform.MAX, chat_id, UNKNOWN_REGION, Category.UNCLASSIFIED)
        store = self.service.store
        if store is not None:
            await asyncio.to_thread(store.add_discovered, channel, at)
        if self.service.book.add(channel):
            log.info("max discovery: bot added to chat %s; it joins the registry as unclassified", chat_id)

    async def _removed(self, chat_id: str, at: float) -> None:
        store = self.service.store
        if store is not None:
            await asyncio.to_thread(store.mark_removed, Platform.MAX.value, chat_id, at)
        if self.service.book.remove(f"max:{chat_id}"):
            log.info("max discovery: bot removed from chat %s", chat_id)

    async def poll_forever(self, client: httpx.AsyncClient) -> None:
        marker: int | None = None
        while not self.service.stop.is_set():
            params: dict[str, Any] = {"timeout": POLL_TIMEOUT_SECONDS, "types": ",".join(UPDATE_TYPES)}
            if marker is not None:
                params["marker"] = marker
            try:
                response = await client.get("/updates", params=params, timeout=POLL_TIMEOUT_SECONDS + 10)
                response.raise_for_status()
                body = response.json()
                for update in body.get("updates") or []:
                    if isinstance(update, dict):
                        await self.handle(update)
                marker = body.get("marker", marker)
            except (httpx.HTTPError, ValueError, RecursionError, AttributeError) as exc:
                log.warning("max discovery: polling failed (%s); retrying in 5 s", type(exc).__name__)
                await asyncio.sleep(5)

    async def webhook(self, request: web.Request) -> web.Response:
        secret = self.service.settings.platforms.max.webhook_secret
        given = request.headers.get("X-Max-Bot-Api-Secret", "")
        if secret is None or not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
            return web.json_response({"error": "unauthorized"}, status=401)
        if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
            return web.json_response({"error": "payload too large"}, status=413)
        try:
            body = json.loads(await request.content.read(MAX_WEBHOOK_BYTES + 1))
        except (ValueError, RecursionError):
            return web.json_response({"error": "body is not JSON"}, status=400)
        updates = body.get("updates", [body]) if isinstance(body, dict) else None
        if not isinstance(updates, list):
            return web.json_response({"error": "expected an update object"}, status=400)
        for update in updates:
            if isinstance(update, dict):
                await self.handle(update)
        return web.json_response({"success": True})


def _seconds(timestamp: Any) -> float | None:
    """Max timestamps are Unix milliseconds."""
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool) and timestamp > 0:
        return float(timestamp) / 1000.0
    return None


def prepare(service: Service) -> Discovery | None:
    """Add the webhook route before the HTTP app is built (when the webhook mode is configured)."""
    settings = service.settings.platforms.max
    if not settings.enabled or settings.discovery == MaxDiscovery.OFF:
        return None
    discovery = Discovery(service)
    if settings.discovery == MaxDiscovery.WEBHOOK:
        service.http_routes.append(web.post(WEBHOOK_PATH, discovery.webhook))
    return discovery


def start_discovery(service: Service, discovery: Discovery | None) -> asyncio.Task[None] | None:
    """Start polling, or register the webhook subscription; return the background task if any."""
    if discovery is None:
        return None
    settings = service.settings.platforms.max
    client = build_client(settings)
    client.base_url = httpx.URL(base_url(settings))
    client.headers["Authorization"] = settings.tokens[0].get_secret_value()
    if settings.discovery == MaxDiscovery.POLLING:
        return asyncio.create_task(
            _run_and_close(discovery.poll_forever(client), client), name="max-discovery"
        )
    return asyncio.create_task(_subscribe(service, client), name="max-subscribe")


async def _run_and_close(coroutine: Any, client: httpx.AsyncClient) -> None:
    try:
        await coroutine
    finally:
        await client.aclose()


async def _subscribe(service: Service, client: httpx.AsyncClient) -> None:
    settings = service.settings.platforms.max
    if settings.webhook_public_url is None:
        log.error("max discovery: webhook mode needs platforms.max.webhook_public_url")
        await client.aclose()
        return
    body: dict[str, Any] = {"url": str(settings.webhook_public_url), "update_types": list(UPDATE_TYPES)}
    if settings.webhook_secret is not None:
        body["secret"] = settings.webhook_secret.get_secret_value()
    try:
        response = await client.post("/subscriptions", json=body)
        response.raise_for_status()
        log.info("max discovery: webhook subscription registered")
    except httpx.HTTPError as exc:
        log.error("max discovery: could not register the webhook subscription (%s)", type(exc).__name__)
    finally:
        await client.aclose()
