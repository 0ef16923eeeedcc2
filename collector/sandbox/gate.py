"""The checks every platform request passes, in the order a real front end applies them:
latency, outage window, token, per-token rate limit, injected resets and server errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from collector.models import Platform
from collector.sandbox.respond import plain, reset
from collector.sandbox.state import Admission, SandboxState

Render = Callable[[web.Request, Admission], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ErrorRenderers:
    """How one platform says each shared error."""

    auth: Render
    throttled: Render
    server_error: Render
    flood: Render


async def gate(
    state: SandboxState, platform: Platform, request: web.Request, token: str | None, errors: ErrorRenderers
) -> tuple[Admission, web.StreamResponse | None]:
    """Admit the request or produce the error response that stops it."""
    admission = state.admit(platform, token)
    roll = admission.roll
    if roll.latency_s > 0:
        await asyncio.sleep(roll.latency_s)
    faults = state.stats.platforms[platform].faults
    if admission.outage:
        state.stats.status(platform, 503)
        if state.faults.specs[platform].outage_mode == "reset":
            return admission, reset(request)
        return admission, plain(503, "503 Service Temporarily Unavailable")
    if admission.token is None:
        return admission, await errors.auth(request, admission)
    if admission.retry_after > 0:
        return admission, await errors.throttled(request, admission)
    if roll.reset:
        faults["reset"] += 1
        return admission, reset(request)
    if roll.error:
        faults["server_error"] += 1
        return admission, await errors.server_error(request, admission)
    if roll.flood:
        faults["flood"] += 1
        return admission, await errors.flood(request, admission)
    for name in ("truncate", "malformed"):
        if getattr(roll, name):
            faults[name] += 1
    if roll.wrong_type:
        faults["wrong_type"] += 1
    return admission, None
