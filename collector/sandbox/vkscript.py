"""The subset of VKScript that `execute` accepts in the sandbox:

    return [API.groups.getById({"group_ids": "1,2,3", "fields": "members_count"}), ...];
    return API.groups.getById({group_ids: [1, 2], fields: "members_count"});

Object keys may be bare or quoted; values are strings (single or double quotes), numbers or flat arrays.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_RETURN = re.compile(r"^\s*return\s+(?P<expr>.*?)\s*;?\s*$", re.S)
_CALL = re.compile(r"\s*API\.(?P<method>[A-Za-z]+\.[A-Za-z]+)\(\s*(?P<args>\{[^{}]*\})?\s*\)\s*", re.S)
_BARE_KEY = re.compile(r"([{,]\s*)([A-Za-z_]\w*)\s*:")


class VKScriptError(ValueError):
    """The code is outside the supported subset (VK error 12, 'Unable to compile code')."""


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class Program:
    calls: list[Call]
    returns_list: bool


def _params(args: str | None) -> dict[str, str]:
    if not args:
        return {}
    text = _BARE_KEY.sub(r'\1"\2":', args.replace("'", '"'))
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VKScriptError(f"bad argument object: {exc.msg}") from None
    out: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, list):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, str | int | float):
            out[key] = str(value)
        else:
            raise VKScriptError(f"unsupported value for {key}")
    return out


def parse(code: str) -> Program:
    """Parse `code` into its API calls; raise VKScriptError when it is outside the subset."""
    match = _RETURN.match(code)
    if not match:
        raise VKScriptError("expected 'return ...;'")
    expr = match.group("expr").strip()
    returns_list = expr.startswith("[")
    if returns_list:
        if not expr.endswith("]"):
            raise VKScriptError("unterminated list")
        expr = expr[1:-1]
    calls: list[Call] = []
    pos = 0
    while pos < len(expr):
        call = _CALL.match(expr, pos)
        if call is None:
            raise VKScriptError(f"unexpected input at {pos}")
        calls.append(Call(call.group("method"), _params(call.group("args"))))
        pos = call.end()
        if pos < len(expr):
            if expr[pos] != "," or not returns_list:
                raise VKScriptError(f"unexpected input at {pos}")
            pos += 1
    if not calls and not returns_list:
        raise VKScriptError("nothing to return")
    return Program(calls, returns_list)
