"""The aiohttp application serving all three platforms and the control API from one port.

Routing: Max at `/` (`/chats/{id}`, `/updates`, `/subscriptions`, `/messages`, `/me`), VK at
`/method/<name>`, Telegram at `/bot<token>/<method>`, the sandbox's own API at `/sandbox/...`.
Anything else answers like Max does for an unknown path: 404 `method.not.found`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from collector.sandbox.control import Control
from collector.sandbox.max_api import MaxApi
from collector.sandbox.respond import dumps
from collector.sandbox.state import SandboxState
from collector.sandbox.telegram_api import TelegramApi
from collector.sandbox.vk_api import VkApi
from collector.sandbox.webhooks import deliver_forever

STATE_KEY = web.AppKey("state", SandboxState)
MAX_API_KEY = web.AppKey("max_api", MaxApi)


async def _not_found(request: web.Request) -> web.Response:
    payload = {
        "code": "method.not.found",
        "message": f"Path {request.path} is not recognized. Please check docs at https://dev.max.ru/docs",
    }
    return web.Response(body=dumps(payload), status=404, content_type="application/json")


async def _webhooks(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE_KEY]
    task = asyncio.create_task(
        deliver_forever(state, app[MAX_API_KEY], state.config.webhook_interval_seconds)
    )
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def build_app(state: SandboxState) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    max_api = MaxApi(state)
    app[STATE_KEY] = state
    app[MAX_API_KEY] = max_api
    app.router.add_routes(Control(state).routes())
    app.router.add_routes(VkApi(state).routes())
    app.router.add_routes(TelegramApi(state).routes())
    app.router.add_routes(max_api.routes())
    app.router.add_route("*", "/{tail:.*}", _not_found)
    app.cleanup_ctx.append(_webhooks)
    return app
