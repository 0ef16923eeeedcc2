"""Fault knobs over HTTP: 5xx, flood, latency, resets, truncated or malformed bodies, wrong types, outages."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from collector.models import Platform
from collector.sandbox import Behaviour, FaultSpec, SandboxServer
from collector.sandbox.dynamics import DAY
from tests.sandbox.helpers import pick
from tests.support.sandbox import SandboxFactory

# One pooled client: creating a client per request costs more than the request.
HTTP = httpx.Client(timeout=30)


def _max_get(sandbox: SandboxServer) -> httpx.Response:
    ch = pick(sandbox.world, Platform.MAX, Behaviour.GROWING, before=sandbox.world.spec.start)
    return HTTP.get(
        f"{sandbox.url}/chats/{ch.numeric_id}", headers={"Authorization": sandbox.tokens["max"][0]}
    )


def _vk_get(sandbox: SandboxServer) -> httpx.Response:
    ch = pick(sandbox.world, Platform.VK, Behaviour.GROWING)
    return HTTP.get(
        f"{sandbox.vk_url}/groups.getById",
        params={
            "group_ids": ch.key,
            "fields": "members_count",
            "v": "5.199",
            "access_token": sandbox.tokens["vk"][0],
        },
    )


def _tg_get(sandbox: SandboxServer) -> httpx.Response:
    ch = pick(sandbox.world, Platform.TELEGRAM, Behaviour.GROWING)
    return HTTP.get(
        f"{sandbox.url}/bot{sandbox.tokens['telegram'][0]}/getChatMemberCount", params={"chat_id": ch.key}
    )


def test_server_errors_per_platform(sandbox: SandboxServer) -> None:
    sandbox.set_faults("all", error_rate=1.0)
    max_r, vk_r, tg_r = _max_get(sandbox), _vk_get(sandbox), _tg_get(sandbox)
    assert max_r.status_code == 503 and max_r.json() == {
        "code": "service.unavailable",
        "message": "Service temporarily unavailable",
    }
    assert vk_r.status_code == 200 and vk_r.json()["error"]["error_code"] == 10
    assert tg_r.status_code == 502 and tg_r.json()["error_code"] == 502
    assert sandbox.stats()["max"]["faults"] == {"server_error": 1}


def test_flood_control(sandbox: SandboxServer) -> None:
    sandbox.set_faults("all", flood_rate=1.0)
    assert _vk_get(sandbox).json()["error"]["error_code"] == 9
    assert _max_get(sandbox).status_code == 429
    assert _tg_get(sandbox).json()["parameters"]["retry_after"] >= 1


def test_latency(sandbox: SandboxServer) -> None:
    sandbox.set_faults("max", latency_ms=300)
    started = time.perf_counter()
    assert _max_get(sandbox).status_code == 200
    assert time.perf_counter() - started >= 0.3  # a lower bound only: the sleep is injected server-side


def test_connection_reset(sandbox: SandboxServer) -> None:
    sandbox.set_faults("all", reset_rate=1.0)
    for call in (_max_get, _vk_get, _tg_get):
        with pytest.raises(httpx.RemoteProtocolError):
            call(sandbox)


def test_truncated_body(sandbox: SandboxServer) -> None:
    sandbox.set_faults("max", truncate_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError, match=r"complete message body"):
        _max_get(sandbox)


def test_malformed_json(sandbox: SandboxServer) -> None:
    sandbox.set_faults("all", malformed_rate=1.0)
    for call in (_max_get, _vk_get, _tg_get):
        response = call(sandbox)
        with pytest.raises(json.JSONDecodeError):
            json.loads(response.content)


def test_wrong_types(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(rates={p: 1000 for p in Platform})
    sandbox.set_faults("all", wrong_type_rate=1.0)
    seen_max = {type(_max_get(sandbox).json()["participants_count"]).__name__ for _ in range(30)}
    seen_vk = set()
    for _ in range(30):
        value = _vk_get(sandbox).json()["response"]["groups"][0]["members_count"]
        seen_vk.add("negative" if isinstance(value, int) and value < 0 else type(value).__name__)
    tg_values = [_tg_get(sandbox).json()["result"] for _ in range(30)]
    assert seen_max == {"str", "NoneType", "int"}
    assert seen_vk == {"str", "NoneType", "negative"}
    assert all(v is None or isinstance(v, str) or v < 0 for v in tg_values)


def test_outage_in_simulated_and_real_time(sandbox: SandboxServer) -> None:
    start = sandbox.world.spec.start
    sandbox.set_clock(now=start, speed=0)
    sandbox.set_faults("max", outage_start=start + DAY, outage_end=start + 2 * DAY)
    assert _max_get(sandbox).status_code == 200
    sandbox.set_clock(now=start + 1.5 * DAY)
    assert _max_get(sandbox).status_code == 503
    assert _vk_get(sandbox).status_code == 200  # outages are per platform
    sandbox.set_clock(now=start + 2 * DAY)
    assert _max_get(sandbox).status_code == 200
    now = time.time()
    sandbox.set_faults(
        "vk", outage_start=now - 5, outage_end=now + 600, outage_clock="real", outage_mode="reset"
    )
    with pytest.raises(httpx.RemoteProtocolError):
        _vk_get(sandbox)


def test_faults_are_deterministic_for_a_seed(sandbox_factory: SandboxFactory) -> None:
    faults = {Platform.MAX: FaultSpec(error_rate=0.3, malformed_rate=0.2)}
    runs = []
    for _ in range(2):
        sandbox = sandbox_factory(faults=faults, fault_seed=11, rates={Platform.MAX: 1000})
        runs.append([(r.status_code, len(r.content)) for r in (_max_get(sandbox) for _ in range(40))])
        sandbox.stop()
    assert runs[0] == runs[1]
    assert {code for code, _ in runs[0]} == {200, 503}


def test_fault_knobs_over_http_validate(sandbox: SandboxServer) -> None:
    ok = httpx.post(f"{sandbox.url}/sandbox/faults", json={"telegram": {"error_rate": 0.5, "latency_ms": 10}})
    assert ok.status_code == 200 and ok.json()["telegram"]["error_rate"] == 0.5
    assert httpx.post(f"{sandbox.url}/sandbox/faults", json={"max": {"error_rate": 2}}).status_code == 400
    assert httpx.post(f"{sandbox.url}/sandbox/faults", json={"max": {"nonsense": 1}}).status_code == 400
    assert (
        httpx.post(f"{sandbox.url}/sandbox/faults", json={"myspace": {"error_rate": 0.1}}).status_code == 400
    )
    assert httpx.get(f"{sandbox.url}/sandbox/faults").json()["telegram"]["latency_ms"] == 10
