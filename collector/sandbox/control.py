"""The sandbox's own control API under /sandbox/ (no auth; the server listens on loopback)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web

from collector.models import Platform
from collector.sandbox.clock import iso, parse_time
from collector.sandbox.respond import dumps
from collector.sandbox.state import SandboxState
from collector.sandbox.truth import registry_csv, truth


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=dumps(payload), status=status, content_type="application/json")


def _bad(message: str) -> web.Response:
    return _json({"error": message}, 400)


def _platforms(request: web.Request) -> tuple[Platform, ...]:
    text = request.query.get("platform")
    return tuple(Platform) if not text else tuple(Platform(p) for p in text.split(","))


def _at(request: web.Request, state: SandboxState) -> float:
    text = request.query.get("at")
    return state.clock.now() if not text else parse_time(text)


def apply_faults(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    """Apply `{platform|"all": {knob: value}}`; raises ValueError naming a bad platform or knob."""
    for name, changes in body.items():
        if not isinstance(changes, dict):
            raise ValueError(f"{name}: expected an object of fault knobs")
        targets = list(Platform) if name == "all" else [Platform(name)]
        for platform in targets:
            state.faults.set(platform, changes)
    return {p.value: s.as_dict() for p, s in state.faults.specs.items()}


def clock_info(state: SandboxState) -> dict[str, Any]:
    now = state.clock.now()
    return {"now": now, "now_iso": iso(now), "speed": state.clock.speed}


class Control:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/sandbox/clock", self.get_clock),
            web.post("/sandbox/clock", self.set_clock),
            web.get("/sandbox/truth", self.get_truth),
            web.get("/sandbox/registry.csv", self.get_registry),
            web.get("/sandbox/stats", self.get_stats),
            web.post("/sandbox/stats/reset", self.reset_stats),
            web.get("/sandbox/faults", self.get_faults),
            web.post("/sandbox/faults", self.set_faults),
            web.post("/sandbox/ratelimits", self.set_rates),
            web.get("/sandbox/messages", self.get_messages),
            web.get("/sandbox/world", self.get_world),
        ]

    async def get_clock(self, request: web.Request) -> web.Response:
        return _json(clock_info(self.state))

    async def set_clock(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            now = body.get("now")
            speed = body.get("speed")
            self.state.clock.set(
                None if now is None else parse_time(now), None if speed is None else float(speed)
            )
        except (ValueError, TypeError, AttributeError) as exc:
            return _bad(f"expected {{'now': iso-or-unix, 'speed': number}}: {exc}")
        return _json(clock_info(self.state))

    async def get_truth(self, request: web.Request) -> web.Response:
        try:
            at, platforms = _at(request, self.state), _platforms(request)
        except ValueError as exc:
            return _bad(str(exc))
        return _json(truth(self.state.world, at, platforms))

    async def get_registry(self, request: web.Request) -> web.Response:
        try:
            at, platforms = _at(request, self.state), _platforms(request)
        except ValueError as exc:
            return _bad(str(exc))
        return web.Response(text=registry_csv(self.state.world, at, platforms), content_type="text/csv")

    async def get_stats(self, request: web.Request) -> web.Response:
        return _json(self.state.stats.as_dict())

    async def reset_stats(self, request: web.Request) -> web.Response:
        self.state.stats.reset()
        return _json(self.state.stats.as_dict())

    async def get_faults(self, request: web.Request) -> web.Response:
        return _json({p.value: s.as_dict() for p, s in self.state.faults.specs.items()})

    async def set_faults(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("expected an object")
            return _json(apply_faults(self.state, body))
        except (ValueError, TypeError) as exc:
            return _bad(str(exc))

    async def set_rates(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            for name, rate in body.items():
                if float(rate) <= 0:
                    raise ValueError(f"{name}: the rate must be positive")
                self.state.limiter.rates[Platform(name)] = float(rate)
        except (ValueError, TypeError, AttributeError) as exc:
            return _bad(str(exc))
        return _json({p.value: r for p, r in self.state.limiter.rates.items()})

    async def get_messages(self, request: web.Request) -> web.Response:
        chat_id = request.query.get("chat_id", "")
        platform_text = request.query.get("platform")
        try:
            platform = Platform(platform_text) if platform_text else None
        except ValueError as exc:
            return _bad(str(exc))
        return _json(self.state.sent(chat_id, platform))

    async def get_world(self, request: web.Request) -> web.Response:
        now = self.state.clock.now()
        summary: dict[str, Any] = {"now": iso(now), "seed": self.state.world.spec.seed}
        for platform in Platform:
            existing = self.state.world.existing(platform, now)
            summary[platform.value] = {
                "channels": len(existing),
                "total_channels": len(self.state.world.channels[platform]),
                "subscribers": sum(self.state.world.count(c, now) for c in existing),
                "categories": dict(Counter(c.category.value for c in existing)),
            }
        return _json(summary)
