"""VK API answers: envelopes, `groups.getById` in both shapes, `execute`, and per-group outcomes.

`groups.getById` in v5.199 answers `{"response": {"groups": [...], "profiles": [...]}}`; older versions
answered `{"response": [...]}`. Both are accepted. Errors arrive with HTTP 200 as
`{"error": {"error_code": N, ...}}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from collector.errors import BadResponse, RateLimited, check_count, from_status, from_vk_error
from collector.models import OK, Platform, Reason
from collector.sources.base import json_body, retry_after

PLATFORM = Platform.VK
FIELDS = "members_count,screen_name,verified,is_closed,type,deactivated"

_SCREEN_NAME = re.compile(r"^[a-z0-9_.]{1,64}$")
_NUMERIC_ALIAS = re.compile(r"^(?:club|public|event)(\d+)$")


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    status: str  # OK or a Reason value
    count: int | None = None
    title: str | None = None
    link: str | None = None


def query_key(channel: str, resolved: dict[str, str]) -> str | None:
    """What to put into `group_ids` for a registry key: a numeric id when known; None if malformed."""
    key = channel.strip().lower()
    if key.isdigit():
        return str(int(key))
    alias = _NUMERIC_ALIAS.match(key)
    if alias:
        return alias.group(1)
    if key in resolved:
        return resolved[key]
    return key if _SCREEN_NAME.match(key) else None


def payload(response: httpx.Response) -> object:
    """The `response` member of a VK answer, or raise the SourceError the answer stands for."""
    if response.status_code != 200:
        error = from_status(PLATFORM, response.status_code)
        if isinstance(error, RateLimited):
            error.retry_after = retry_after(response)
        raise error
    body = json_body(PLATFORM, response)
    if not isinstance(body, dict):
        raise BadResponse(PLATFORM, "answer is not an object")
    if "error" in body:
        error_obj = body["error"]
        code = error_obj.get("error_code") if isinstance(error_obj, dict) else None
        if isinstance(code, bool) or not isinstance(code, int):
            raise BadResponse(PLATFORM, "error without an integer error_code")
        raise from_vk_error(code)
    if "response" not in body:
        raise BadResponse(PLATFORM, "answer has neither response nor error")
    return body["response"]


def groups(value: object) -> list[dict[str, object]]:
    """The group objects of one `groups.getById` result, in either shape; each must carry an int id."""
    items = value.get("groups") if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise BadResponse(PLATFORM, "groups is not a list")
    for item in items:
        group_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(group_id, bool) or not isinstance(group_id, int):
            raise BadResponse(PLATFORM, "group without an integer id")
    return items


def get_by_id(response: httpx.Response) -> list[dict[str, object]]:
    return groups(payload(response))


CallResult = list[dict[str, object]] | int | None
"""One getById call inside `execute`: its groups, the VK error code it failed with, or None (unknown)."""


class ExecuteParser:
    """Parses an `execute` answer of `calls` getById calls. A failed call answers `false`; its error is
    the next entry of `execute_errors` (VK lists them in call order)."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def __call__(self, response: httpx.Response) -> list[CallResult]:
        body = json_body(PLATFORM, response) if response.status_code == 200 else None
        results = payload(response)
        if not isinstance(results, list) or len(results) != self.calls:
            raise BadResponse(PLATFORM, "execute answer does not match its calls")
        failed = [i for i, item in enumerate(results) if item is False or item is None]
        codes = _error_codes(body, len(failed))
        out: list[CallResult] = [None if item is False or item is None else groups(item) for item in results]
        for index, code in zip(failed, codes, strict=True):
            out[index] = code
        return out


def _error_codes(body: object, failed: int) -> list[int | None]:
    errors = body.get("execute_errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or len(errors) != failed:
        return [None] * failed
    codes = [e.get("error_code") if isinstance(e, dict) else None for e in errors]
    return [c if isinstance(c, int) and not isinstance(c, bool) else None for c in codes]


def execute_code(batches: Sequence[Sequence[str]]) -> str:
    """VKScript returning one getById result per batch."""
    calls = ", ".join(
        f"API.groups.getById({json.dumps({'group_ids': ','.join(batch), 'fields': FIELDS})})"
        for batch in batches
    )
    return f"return [{calls}];"


def outcome(group: dict[str, object]) -> GroupOutcome:
    """One group object → OK with its count, deactivated, or bad_response (never a stand-in zero)."""
    name = group.get("name")
    screen_name = group.get("screen_name")
    title = name if isinstance(name, str) and name else None
    link = f"https://vk.com/{screen_name}" if isinstance(screen_name, str) and screen_name else None
    if group.get("deactivated"):
        return GroupOutcome(Reason.DEACTIVATED.value, title=title, link=link)
    if "members_count" not in group:
        return GroupOutcome(Reason.BAD_RESPONSE.value)
    try:
        count = check_count(PLATFORM, group["members_count"])
    except BadResponse:
        return GroupOutcome(Reason.BAD_RESPONSE.value)
    return GroupOutcome(OK, count, title, link)


def match(
    keys: Sequence[str], found: Sequence[dict[str, object]], resolved: dict[str, str]
) -> dict[str, GroupOutcome]:
    """Pair requested keys with returned groups (by id, or by screen name, which is then remembered)."""
    by_id = {str(g["id"]): g for g in found}
    by_name = {name.lower(): g for g in found if isinstance(name := g.get("screen_name"), str)}
    outcomes: dict[str, GroupOutcome] = {}
    for key in keys:
        group = by_id.get(key) if key.isdigit() else by_name.get(key)
        if group is None:
            outcomes[key] = GroupOutcome(Reason.NOT_FOUND.value)
            continue
        if not key.isdigit():
            resolved[key] = str(group["id"])
        outcomes[key] = outcome(group)
    return outcomes
