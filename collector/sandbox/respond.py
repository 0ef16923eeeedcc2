"""Writing responses, with the body-level faults (malformed, truncated, reset) applied."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from collector.sandbox.faults import Roll

JSON_TYPE = "application/json"


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def reset(request: web.Request) -> web.StreamResponse:
    """Abort the connection: the client sees it closed without a status line. aiohttp discards the
    placeholder response returned here because the transport is gone."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=499)


async def send(
    request: web.Request, status: int, payload: Any, roll: Roll, headers: dict[str, str] | None = None
) -> web.StreamResponse:
    body = dumps(payload)
    if roll.malformed:
        body = body[: max(1, len(body) // 2)]
    if roll.truncate:
        return await _truncated(request, status, body, headers)
    return web.Response(body=body, status=status, content_type=JSON_TYPE, headers=headers)


async def _truncated(
    request: web.Request, status: int, body: bytes, headers: dict[str, str] | None
) -> web.StreamResponse:
    response = web.StreamResponse(status=status, headers=headers)
    response.content_type = JSON_TYPE
    response.content_length = len(body) + 128
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    transport = request.transport
    if transport is not None:
        transport.abort()
    return response


def plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")
