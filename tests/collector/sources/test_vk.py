"""VK source: batching, execute, both answer shapes, screen names, bisecting, errors (mock transport)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from collector.models import OK, Platform, Reason, Sample
from collector.sources.vk import VkSource
from tests.collector.sources.helpers import (
    FakeTime,
    Recorder,
    channels,
    fake_pool,
    mock_client,
    run,
    settings,
)

Handler = Callable[[httpx.Request], httpx.Response]


class FakeVk:
    """Enough of VK for the parser: groups by id and screen name, invalid names fail a whole call."""

    def __init__(self, groups: dict[int, dict[str, Any]], *, legacy: bool = False) -> None:
        self.groups = groups
        self.legacy = legacy
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.script_answer: Callable[[list[list[str]]], Any] | None = None
        self._by_name: dict[str, dict[str, Any]] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        method = request.url.path.rsplit("/", 1)[1]
        self.calls.append((method, form))
        if method == "execute":
            batches = [json.loads("{" + m + "}")["group_ids"].split(",")
                       for m in re.findall(r"getById\(\{(.*?)\}\)", form["code"])]
            answers = [self.get_by_id(b) for b in batches]
            if self.script_answer is not None:
                return httpx.Response(200, json=self.script_answer(batches))
            if any(isinstance(a, int) for a in answers):
                return httpx.Response(200, json={"error": {"error_code": 100, "error_msg": "invalid"}})
            return httpx.Response(200, json={"response": answers})
        answer = self.get_by_id(form["group_ids"].split(","))
        if isinstance(answer, int):
            error = {"error_code": answer, "error_msg": "Invalid group id"}
            return httpx.Response(200, json={"error": error})
        return httpx.Response(200, json={"response": answer})

    def by_name(self) -> dict[str, dict[str, Any]]:
        if self._by_name is None:
            self._by_name = {g["screen_name"]: g for g in self.groups.values()}
        return self._by_name

    def get_by_id(self, ids: list[str]) -> Any:
        by_name = self.by_name()
        found = []
        for key in ids:
            group = self.groups.get(int(key)) if key.isdigit() else by_name.get(key)
            if group is None:
                return 100
            found.append(group)
        return found if self.legacy else {"groups": found, "profiles": []}


def group(gid: int, count: Any = 100, **extra: Any) -> dict[str, Any]:
    return {"id": gid, "name": f"Группа {gid}", "screen_name": f"club{gid}", "is_closed": 0,
            "type": "page", "members_count": count, **extra}


def make(handler: Handler, **overrides: Any) -> tuple[VkSource, Recorder, FakeTime]:
    resolved = overrides.pop("resolved", None)
    cfg = settings(Platform.VK, base_url="http://vk.test/method", **overrides)
    clock, metrics = FakeTime(), Recorder()
    source = VkSource(cfg, metrics=metrics, client=mock_client(handler), pool=fake_pool(cfg, clock, metrics),
                      resolved=resolved, rng=random.Random(3), sleep=clock.sleep, wall_clock=lambda: 1.0)
    return source, metrics, clock


def fetch(source: VkSource, *keys: str) -> list[Sample]:
    return run(source.fetch(channels(Platform.VK, *keys)))


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("use_execute", [False, True])
def test_counts_in_both_shapes_with_and_without_execute(legacy: bool, use_execute: bool) -> None:
    vk = FakeVk({i: group(i, i * 10) for i in range(1, 8)}, legacy=legacy)
    source, _, _ = make(vk, use_execute=use_execute, batch_size=3, execute_calls=2)
    samples = fetch(source, *[str(i) for i in range(1, 8)])
    expected = [(str(i), OK, i * 10) for i in range(1, 8)]
    assert [(s.channel, s.status, s.subscribers) for s in samples] == expected
    assert samples[0].title == "Группа 1"
    expected_requests = 2 if use_execute else 3
    assert len(vk.calls) == expected_requests
    form = vk.calls[0][1]
    assert form["v"] == "5.199" and form["access_token"] == "token-aaaa-1111"


def test_vk_sweep_of_173000_pages_needs_14_execute_requests() -> None:
    vk = FakeVk({i: group(i, 1) for i in range(1, 173_001)})
    source, _, _ = make(vk)
    samples = fetch(source, *[str(i) for i in range(1, 173_001)])
    assert len(vk.calls) == 14 and {m for m, _ in vk.calls} == {"execute"}
    assert len(samples) == 173_000 and all(s.status == OK for s in samples)


def test_deactivated_missing_count_and_missing_group() -> None:
    groups = {1: group(1, deactivated="deleted"), 2: group(2, deactivated="banned"), 3: group(3)}
    del groups[3]["members_count"]
    answer = {"response": {"groups": list(groups.values())}}
    source, _, _ = make(lambda r: httpx.Response(200, json=answer), use_execute=False)
    samples = fetch(source, "1", "2", "3", "4")
    assert [(s.status, s.subscribers) for s in samples] == [
        (Reason.DEACTIVATED.value, None), (Reason.DEACTIVATED.value, None),
        (Reason.BAD_RESPONSE.value, None), (Reason.NOT_FOUND.value, None)]


@pytest.mark.parametrize("count", ["100", -1, None, 2**40, 1.5, False])
def test_wrong_count_types_are_bad_response(count: Any) -> None:
    vk = FakeVk({1: group(1, count), 2: group(2, 5)})
    source, _, _ = make(vk)
    assert [(s.status, s.subscribers) for s in fetch(source, "1", "2")] == [
        (Reason.BAD_RESPONSE.value, None), (OK, 5)]


def test_screen_names_are_resolved_once_and_remembered() -> None:
    vk = FakeVk({5: group(5, 50, screen_name="minzdrav"), 6: group(6, 60)})
    source, _, _ = make(vk, use_execute=False)
    first = fetch(source, "minzdrav", "6", "club6")
    assert [(s.channel, s.subscribers) for s in first] == [("minzdrav", 50), ("6", 60), ("club6", 60)]
    assert source.resolved == {"minzdrav": "5"}
    fetch(source, "minzdrav")
    assert vk.calls[-1][1]["group_ids"] == "5"
    again, _, _ = make(vk, use_execute=False, resolved=source.resolved)
    assert [s.subscribers for s in fetch(again, "minzdrav")] == [50]
    assert vk.calls[-1][1]["group_ids"] == "5"


def test_invalid_ids_are_isolated_by_bisection() -> None:
    vk = FakeVk({i: group(i, i) for i in range(1, 17)})
    source, _, _ = make(vk, use_execute=False)
    keys = [str(i) for i in range(1, 17)] + ["nosuchname", "bad name!"]
    samples = fetch(source, *keys)
    status = {s.channel: (s.status, s.subscribers) for s in samples}
    assert status["nosuchname"] == (Reason.NOT_FOUND.value, None)
    assert status["bad name!"] == (Reason.NOT_FOUND.value, None)  # never sent
    assert all(status[str(i)] == (OK, i) for i in range(1, 17))
    assert len(vk.calls) <= 1 + 2 * 5
    assert all("bad name" not in form["group_ids"] for _, form in vk.calls)


def test_invalid_id_inside_execute_falls_back_to_batches() -> None:
    vk = FakeVk({i: group(i, i) for i in range(1, 10)})
    source, _, _ = make(vk, batch_size=3, execute_calls=3)
    samples = fetch(source, *[str(i) for i in range(1, 10)], "ghost")
    assert [s.status for s in samples] == [OK] * 9 + [Reason.NOT_FOUND.value]


def test_failed_call_inside_execute_is_redone_directly() -> None:
    vk = FakeVk({i: group(i, i) for i in range(1, 7)})
    first = {"groups": [group(1, 1), group(2, 2), group(3, 3)]}
    vk.script_answer = lambda batches: {"response": [first, False],
                                        "execute_errors": [{"method": "groups.getById", "error_code": 10}]}
    source, _, _ = make(vk, batch_size=3)
    samples = fetch(source, *[str(i) for i in range(1, 7)])
    assert [s.subscribers for s in samples] == [1, 2, 3, 4, 5, 6]
    assert [m for m, _ in vk.calls] == ["execute", "groups.getById"]


@pytest.mark.parametrize(("code", "reason"), [(15, Reason.LOST_ACCESS), (203, Reason.LOST_ACCESS),
                                              (5, Reason.AUTH), (29, Reason.RATE_LIMITED),
                                              (1, Reason.BAD_RESPONSE)])
def test_batch_errors(code: int, reason: Reason) -> None:
    answer = {"error": {"error_code": code, "error_msg": "x", "request_params": []}}
    source, metrics, _ = make(lambda r: httpx.Response(200, json=answer))
    assert {s.status for s in fetch(source, "1", "2")} == {reason.value}
    assert len(metrics.requests) == 1


@pytest.mark.parametrize("code", [6, 9, 10])
def test_transient_vk_errors_are_retried(code: int) -> None:
    answers = iter([httpx.Response(200, json={"error": {"error_code": code, "error_msg": "slow down"}}),
                    httpx.Response(200, json={"response": {"groups": [group(1, 11)]}})])
    source, metrics, _ = make(lambda r: next(answers), use_execute=False)
    assert [s.subscribers for s in fetch(source, "1")] == [11]
    assert metrics.throttles == (1 if code in (6, 9) else 0)


@pytest.mark.parametrize("body", [b"<html>", b'{"response": {"groups": "x"}}', b'{"response": [{"id": "1"}]}',
                                  b'{"error": {"error_code": "6"}}', b"[]", b'{"ok": 1}'])
def test_malformed_answers_are_bad_response(body: bytes) -> None:
    source, _, _ = make(lambda r: httpx.Response(200, content=body), use_execute=False)
    assert [s.status for s in fetch(source, "1")] == [Reason.BAD_RESPONSE.value]


def test_http_errors_and_timeouts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    source, _, _ = make(handler)
    assert [s.status for s in fetch(source, "1")] == [Reason.TIMEOUT.value]
    source, _, _ = make(lambda r: httpx.Response(502, text="bad gateway"))
    assert [s.status for s in fetch(source, "1")] == [Reason.HTTP_5XX.value]


def test_execute_errors_settle_failed_calls_without_extra_requests() -> None:
    vk = FakeVk({1: group(1, 1)})
    errors = [{"method": "groups.getById", "error_code": code} for code in (100, 203)]
    vk.script_answer = lambda batches: {"response": [{"groups": [group(1, 1)]}, False, False],
                                        "execute_errors": errors}
    source, _, _ = make(vk, batch_size=1)
    samples = fetch(source, "1", "77", "88")
    assert [s.status for s in samples] == [OK, Reason.NOT_FOUND.value, Reason.LOST_ACCESS.value]
    assert len(vk.calls) == 1


def test_error_100_on_numeric_ids_needs_no_bisection() -> None:
    vk = FakeVk({})
    source, _, _ = make(vk, use_execute=False)
    samples = fetch(source, *[str(i) for i in range(900, 964)])
    assert {s.status for s in samples} == {Reason.NOT_FOUND.value}
    assert len(vk.calls) == 1
