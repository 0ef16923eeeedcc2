"""The VK API over HTTP: groups.getById in both shapes, execute, and the error catalogue."""

from __future__ import annotations

from typing import Any

import httpx

from collector.models import Platform
from collector.sandbox import Behaviour, SandboxServer
from collector.sandbox.dynamics import DAY
from tests.sandbox.helpers import pick
from tests.support.sandbox import SandboxFactory


def _call(sandbox: SandboxServer, method: str, post: bool = False, **params: Any) -> dict[str, Any]:
    params.setdefault("access_token", sandbox.tokens["vk"][0])
    url = f"{sandbox.vk_url}/{method}"
    response = httpx.post(url, data=params) if post else httpx.get(url, params=params)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _error(body: dict[str, Any]) -> int:
    assert set(body) == {"error"}
    assert {"error_code", "error_msg", "request_params"} <= set(body["error"])
    code: int = body["error"]["error_code"]
    return code


def test_get_by_id_both_shapes_ids_and_screen_names(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(rates={Platform.VK: 1000})
    sandbox.set_clock(speed=0)
    groups = [c for c in sandbox.world.channels[Platform.VK] if c.behaviour is Behaviour.GROWING][:5]
    ids = ",".join([groups[0].name, *(g.key for g in groups[1:])])
    new = _call(sandbox, "groups.getById", group_ids=ids, fields="members_count,verified", v="5.199")
    legacy = _call(sandbox, "groups.getById", post=True, group_ids=ids, fields="members_count", v="5.131")
    assert set(new["response"]) == {"groups", "profiles"}
    assert isinstance(legacy["response"], list)
    for items in (new["response"]["groups"], legacy["response"]):
        assert [g["id"] for g in items] == [g.numeric_id for g in groups]
        assert [g["members_count"] for g in items] == [sandbox.world.count(g, sandbox.now()) for g in groups]
    assert new["response"]["groups"][0]["screen_name"] == groups[0].name
    bearer = httpx.get(
        f"{sandbox.vk_url}/groups.getById",
        params={"group_ids": groups[0].key, "v": "5.199"},
        headers={"Authorization": f"Bearer {sandbox.tokens['vk'][1]}"},
    ).json()
    assert "members_count" not in bearer["response"]["groups"][0]  # only when asked for in `fields`


def test_deactivated_unknown_and_denied(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(rates={Platform.VK: 1000})
    world = sandbox.world
    deleted = pick(world, Platform.VK, Behaviour.DELETED)
    denied = pick(world, Platform.VK, Behaviour.INACCESSIBLE)
    alive = pick(world, Platform.VK, Behaviour.GROWING)
    sandbox.set_clock(now=max(deleted.change_at, denied.change_at) + DAY, speed=0)
    batch = _call(
        sandbox,
        "groups.getById",
        group_ids=f"{deleted.key},{alive.key},999,{denied.key}",
        fields="members_count",
        v="5.199",
    )
    by_id = {g["id"]: g for g in batch["response"]["groups"]}
    assert set(by_id) == {deleted.numeric_id, alive.numeric_id}
    assert by_id[deleted.numeric_id]["deactivated"] in ("deleted", "banned")
    assert "members_count" not in by_id[deleted.numeric_id]
    assert _error(_call(sandbox, "groups.getById", group_ids=denied.key, v="5.199")) == 203
    assert _error(_call(sandbox, "groups.getById", group_ids="999,998", v="5.199")) == 100
    assert _error(_call(sandbox, "groups.getById", group_ids="bad name!", v="5.199")) == 125
    too_many = ",".join(str(i) for i in range(1, 502))
    assert _error(_call(sandbox, "groups.getById", post=True, group_ids=too_many, v="5.199")) == 100
    assert _error(_call(sandbox, "groups.getById", group_ids=alive.key)) == 8
    assert _error(_call(sandbox, "groups.getByIdd", group_ids=alive.key, v="5.199")) == 3


def test_auth_errors_and_request_params(sandbox: SandboxServer) -> None:
    ch = sandbox.world.channels[Platform.VK][0]
    body = httpx.get(f"{sandbox.vk_url}/groups.getById", params={"group_ids": ch.key, "v": "5.199"}).json()
    assert _error(body) == 5 and "no access_token" in body["error"]["error_msg"]
    bad = _call(sandbox, "groups.getById", access_token="wrong", group_ids=ch.key, v="5.199")
    assert _error(bad) == 5
    params = {p["key"]: p["value"] for p in bad["error"]["request_params"]}
    assert (
        params["method"] == "groups.getById"
        and params["group_ids"] == ch.key
        and "access_token" not in params
    )


def test_execute(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(rates={Platform.VK: 1000})
    sandbox.set_clock(speed=0)
    groups = [c for c in sandbox.world.channels[Platform.VK] if c.behaviour is Behaviour.GROWING][:50]
    calls = [
        f'API.groups.getById({{"group_ids": "{",".join(g.key for g in groups[i : i + 2])}", '
        f'"fields": "members_count"}})'
        for i in range(0, 50, 2)
    ]
    code = "return [" + ", ".join(calls) + "];"
    body = _call(sandbox, "execute", post=True, code=code, v="5.199")
    assert len(body["response"]) == 25 and "execute_errors" not in body
    counts = [g["members_count"] for r in body["response"] for g in r["groups"]]
    assert counts == [sandbox.world.count(g, sandbox.now()) for g in groups]
    legacy = _call(sandbox, "execute", post=True, code=code, v="5.131")
    assert isinstance(legacy["response"][0], list)

    mixed = (
        "return [API.groups.getById({group_ids: [1, 2]}), "
        f"API.groups.getById({{group_ids: '{groups[0].key}'}})];"
    )
    partial = _call(sandbox, "execute", post=True, code=mixed, v="5.199")
    assert (
        partial["response"][0] is False and partial["response"][1]["groups"][0]["id"] == groups[0].numeric_id
    )
    assert partial["execute_errors"] == [
        {
            "method": "groups.getById",
            "error_code": 100,
            "error_msg": partial["execute_errors"][0]["error_msg"],
        }
    ]
    too_many = "return [" + ", ".join(calls + calls[:1]) + "];"
    assert _error(_call(sandbox, "execute", post=True, code=too_many, v="5.199")) == 13
    assert _error(_call(sandbox, "execute", post=True, code="var x = 1; return x;", v="5.199")) == 12


def test_per_token_rate_limit_error_6(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(rates={Platform.VK: 3})
    ch = sandbox.world.channels[Platform.VK][0]
    codes = []
    for _ in range(12):
        body = _call(sandbox, "groups.getById", group_ids=ch.key, v="5.199")
        codes.append(_error(body) if "error" in body else 0)
    assert set(codes) == {0, 6}
    other = _call(
        sandbox, "groups.getById", access_token=sandbox.tokens["vk"][1], group_ids=ch.key, v="5.199"
    )
    assert "response" in other  # limits are per token
    stats = sandbox.stats()["vk"]
    assert stats["throttled"] == codes.count(6)
    assert stats["statuses"]["error_6"] == codes.count(6)


def test_daily_quota_error_29_per_simulated_day(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(rates={Platform.VK: 1000})
    sandbox.set_clock(speed=0)
    sandbox.set_faults("vk", daily_quota=3)
    ch = sandbox.world.channels[Platform.VK][0]
    results = [_call(sandbox, "groups.getById", group_ids=ch.key, v="5.199") for _ in range(5)]
    assert ["error" in r for r in results] == [False, False, False, True, True]
    assert _error(results[3]) == 29
    sandbox.set_clock(now=sandbox.now() + DAY)
    assert "response" in _call(sandbox, "groups.getById", group_ids=ch.key, v="5.199")
