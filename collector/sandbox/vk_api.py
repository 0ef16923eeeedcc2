"""The VK API (`/method/<name>`) as the sandbox serves it: `groups.getById` and `execute`.

Choices where the real API is not documented (reference/platform-apis.md §2):
- `v` is mandatory (error 8). From v5.194 on `groups.getById` answers `{"groups": [...], "profiles": []}`,
  before it a bare list (the exact switch version is unconfirmed; 5.131 is legacy, 5.199 current).
- Unknown or not-yet-created ids are left out of the answer; when none is left the call fails with
  error 100 (`group_ids is undefined`); a malformed id is error 125. More than 500 ids is error 100.
- Deactivated groups carry `deactivated: "deleted" | "banned"` and no `members_count`.
- A group in the `inaccessible` state is left out of batches; asked for alone it is error 203.
- Errors come with HTTP 200, as on the real API; only injected outages answer HTTP 503.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from collector.models import Platform
from collector.sandbox.gate import ErrorRenderers, gate
from collector.sandbox.model import Behaviour, SimChannel
from collector.sandbox.respond import send
from collector.sandbox.state import Admission, SandboxState
from collector.sandbox.vkscript import Program, VKScriptError, parse

MAX_IDS = 500
MAX_EXECUTE_CALLS = 25
NEW_SHAPE_FROM = (5, 194)
_PARAM_INVALID = "One of the parameters specified was missing or invalid: "
VkError = tuple[int, str]
VK_PARAMS = web.RequestKey("vk_params", dict[str, str])


def _version(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    major, _, minor = text.strip().partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return None


class VkApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.errors = ErrorRenderers(
            auth=lambda r, a: self._error(r, a, (5, self._auth_message(r))),
            throttled=lambda r, a: self._error(r, a, (6, "Too many requests per second")),
            server_error=lambda r, a: self._error(r, a, (10, "Internal server error")),
            flood=lambda r, a: self._error(r, a, (9, "Flood control")),
        )

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/method/{method}", self.handle)]

    @staticmethod
    def _auth_message(request: web.Request) -> str:
        params: dict[str, str] = request.get(VK_PARAMS, {})
        if not params.get("access_token") and not request.headers.get("Authorization"):
            return "User authorization failed: no access_token passed."
        return "User authorization failed: invalid access_token (4)."

    async def _error(self, request: web.Request, adm: Admission, error: VkError) -> web.StreamResponse:
        params: dict[str, str] = request.get(VK_PARAMS, {})
        shown = [
            {"key": "method", "value": request.match_info.get("method", "")},
            {"key": "oauth", "value": "1"},
        ]
        shown += [{"key": k, "value": v} for k, v in params.items() if k != "access_token"]
        self.state.stats.status(Platform.VK, f"error_{error[0]}")
        payload = {"error": {"error_code": error[0], "error_msg": error[1], "request_params": shown}}
        return await send(request, 200, payload, adm.roll)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        params = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        request[VK_PARAMS] = params
        token = params.get("access_token")
        auth = request.headers.get("Authorization", "")
        if not token and auth.startswith("Bearer "):
            token = auth[len("Bearer ") :]
        adm, stop = await gate(self.state, Platform.VK, request, token or None, self.errors)
        if stop is not None:
            return stop
        assert adm.token is not None
        version = _version(params.get("v"))
        if version is None:
            return await self._error(request, adm, (8, "Invalid request: v is required"))
        if version < (5, 0):
            return await self._error(
                request, adm, (8, "Invalid request: versions below 5.0 are no longer supported")
            )
        if self.state.vk_quota_exceeded(adm.token):
            return await self._error(request, adm, (29, "Rate limit reached"))
        result, error = self._dispatch(request.match_info["method"], params, version >= NEW_SHAPE_FROM, adm)
        if error is not None:
            return await self._error(request, adm, error)
        self.state.stats.status(Platform.VK, 200)
        return await send(request, 200, result, adm.roll)

    def _dispatch(
        self, method: str, params: dict[str, str], new_shape: bool, adm: Admission
    ) -> tuple[Any, VkError | None]:
        if method == "groups.getById":
            result, error = self.get_by_id(params, new_shape, adm.roll.wrong_type)
            return {"response": result}, error
        if method == "execute":
            return self.execute(params.get("code"), new_shape, adm.roll.wrong_type)
        return None, (3, "Unknown method passed")

    def _resolve(self, ident: str) -> SimChannel | None:
        world = self.state.world
        text = ident.lower()
        for prefix in ("club", "public", "event"):
            if text.startswith(prefix) and text[len(prefix) :].isdigit():
                text = text[len(prefix) :]
        if text.lstrip("-").isdigit():
            return world.vk_by_id.get(abs(int(text)))
        return world.vk_by_name.get(text)

    def get_by_id(
        self, params: dict[str, str], new_shape: bool, wrong_type: str | None
    ) -> tuple[Any, VkError | None]:
        raw = params.get("group_ids") or params.get("group_id") or ""
        ids = [x.strip() for x in raw.split(",") if x.strip()]
        if not ids:
            return None, (100, _PARAM_INVALID + "group_ids is undefined")
        if len(ids) > MAX_IDS:
            return None, (100, _PARAM_INVALID + f"group_ids is too long (at most {MAX_IDS})")
        if any(not _valid_ident(i) for i in ids):
            return None, (125, "Invalid group id")
        fields = {f.strip() for f in params.get("fields", "").split(",")}
        now = self.state.clock.now()
        groups, denied = [], 0
        for ident in ids:
            ch = self._resolve(ident)
            if ch is None or now < ch.created:
                continue
            if ch.behaviour is Behaviour.INACCESSIBLE and now >= ch.change_at:
                denied += 1
                continue
            groups.append(self._group(ch, fields, now))
        if not groups:
            if denied and len(ids) == 1:
                return None, (203, "Access to group denied: access to the group is restricted")
            return None, (100, _PARAM_INVALID + "group_ids is undefined")
        if wrong_type is not None:
            _corrupt(groups, wrong_type)
        return ({"groups": groups, "profiles": []} if new_shape else groups), None

    def _group(self, ch: SimChannel, fields: set[str], now: float) -> dict[str, Any]:
        photo = f"https://sun9-1.userapi.com/sandbox/{ch.numeric_id}"
        group: dict[str, Any] = {
            "id": ch.numeric_id,
            "name": ch.title,
            "screen_name": ch.name,
            "is_closed": 0,
            "type": "page" if ch.expected else "group",
            "photo_50": f"{photo}_50.jpg",
            "photo_100": f"{photo}_100.jpg",
            "photo_200": f"{photo}_200.jpg",
        }
        if ch.behaviour is Behaviour.DELETED and now >= ch.change_at:
            group["deactivated"] = "deleted" if ch.variant == 0 else "banned"
            return group
        if "members_count" in fields:
            group["members_count"] = self.state.world.count(ch, now)
        if "verified" in fields:
            group["verified"] = 1 if ch.expected else 0
        if "activity" in fields:
            group["activity"] = "Государственная организация"
        return group

    def execute(
        self, code: str | None, new_shape: bool, wrong_type: str | None
    ) -> tuple[Any, VkError | None]:
        if not code:
            return None, (100, _PARAM_INVALID + "code is undefined")
        try:
            program: Program = parse(code)
        except VKScriptError as exc:
            return None, (12, f"Unable to compile code: {exc}")
        if len(program.calls) > MAX_EXECUTE_CALLS:
            return None, (13, "Runtime error occurred during code invocation: Too many API calls")
        results: list[Any] = []
        failures: list[dict[str, Any]] = []
        for i, call in enumerate(program.calls):
            corrupt = wrong_type if i == 0 else None
            if call.method == "groups.getById":
                result, error = self.get_by_id(call.params, new_shape, corrupt)
            else:
                result, error = None, (3, "Unknown method passed")
            if error is not None:
                failures.append({"method": call.method, "error_code": error[0], "error_msg": error[1]})
                result = False
            results.append(result)
        payload: dict[str, Any] = {"response": results if program.returns_list else results[0]}
        if failures:
            payload["execute_errors"] = failures
        return payload, None


def _valid_ident(ident: str) -> bool:
    text = ident.lower().lstrip("-")
    return bool(text) and all(ch.isascii() and (ch.isalnum() or ch in "_.") for ch in text)


def _corrupt(groups: list[dict[str, Any]], wrong_type: str) -> None:
    for group in groups:
        if "members_count" in group:
            n = int(group["members_count"])
            group["members_count"] = {"string": str(n), "null": None, "negative": -max(1, n)}[wrong_type]
            return
