"""The relay over real HTTP: webhooks in, messages read back from the sandbox's Max and Telegram chats."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from collector.sandbox import SandboxServer
from exporters.relay.format import text_length
from exporters.relay.outbox import FAILED
from tests.exporters.relay.helpers import (
    BEARER,
    TELEGRAM_CHATS,
    RelayThread,
    am_alert,
    am_payload,
    fast_config,
    grafana_payload,
    settings_for,
    wait_for,
    wait_for_count,
)
from tests.support.sandbox import SandboxFactory

AST, MOW, DEFAULT = -500001, -500002, -500009
StartRelay = Callable[..., RelayThread]


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> SandboxServer:
    return sandbox_factory()


@pytest.fixture
def start_relay(sandbox: SandboxServer, tmp_path: Path) -> Iterator[StartRelay]:
    started: list[RelayThread] = []

    def start(**settings: Any) -> RelayThread:
        config = fast_config(settings_for(sandbox, tmp_path / f"outbox{len(started)}.sqlite3", **settings))
        relay = RelayThread(config).start()
        started.append(relay)
        return relay

    yield start
    for relay in started:
        relay.stop()


def texts(sandbox: SandboxServer, chat: int | str, platform: str = "max") -> list[str]:
    return [m["text"] for m in sandbox.messages(chat, platform)]


def test_webhooks_without_the_right_token_are_refused_and_send_nothing(
    sandbox: SandboxServer, start_relay: StartRelay
) -> None:
    relay = start_relay()
    payload = am_payload([am_alert(summary="Без токена")])
    for path in ("/alertmanager", "/grafana"):
        assert relay.post(path, payload, token=None).status_code == 401
        assert relay.post(path, payload, token="wrong").status_code == 401
        assert relay.post(path, payload, token=BEARER + "x").status_code == 401
    with httpx.Client(trust_env=False) as client:
        basic = client.post(f"{relay.url}/alertmanager", json=payload, auth=("admin", BEARER))
    assert basic.status_code == 401
    # Messages to one chat are delivered in order: once this one arrives, nothing was sent before it.
    assert relay.post("/alertmanager", am_payload([am_alert(summary="С токеном")])).status_code == 200
    (only,) = wait_for(lambda: texts(sandbox, AST), message="the authorised message")
    assert "С токеном" in only and "Без токена" not in only


def test_malformed_payloads_get_400_with_a_reason(start_relay: StartRelay) -> None:
    relay = start_relay()
    bad = am_payload([am_alert()])
    bad["alerts"][0]["status"] = "maybe"
    answer = relay.post("/alertmanager", bad)
    assert answer.status_code == 400 and "alerts[0].status" in answer.json()["error"]
    answer = relay.post("/grafana", {"alerts": "none"})
    assert answer.status_code == 400 and answer.json()["error"] == "alerts: expected a list"
    with httpx.Client(trust_env=False) as client:
        headers = {"Authorization": f"Bearer {BEARER}"}
        not_json = client.post(f"{relay.url}/alertmanager", content=b"{oops", headers=headers)
        huge = client.post(f"{relay.url}/alertmanager", content=b"x" * (1024 * 1024 + 1), headers=headers)
        health = client.get(f"{relay.url}/healthz")
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["error"]
    assert huge.status_code == 413
    assert health.json()["outbox"] == {"pending": 0, "sent": 0, "failed": 0}


def test_alertmanager_firing_and_resolved_reach_the_region_chat(
    sandbox: SandboxServer, start_relay: StartRelay
) -> None:
    relay = start_relay()
    assert relay.post("/alertmanager", am_payload([am_alert()])).json()["messages"] == 1
    wait_for(lambda: texts(sandbox, AST), message="the firing message")
    resolved_payload = am_payload([am_alert(status="resolved")], "resolved")
    assert relay.post("/alertmanager", resolved_payload).status_code == 200
    firing, resolved = wait_for_count(lambda: texts(sandbox, AST), 2)
    assert "🔴 <b>Сработало:</b>" in firing and "Астраханская область (RU-AST)" in firing
    assert "✅ <b>Решено:</b>" in resolved and "длительность: 2 ч 14 мин" in resolved
    assert {m["format"] for m in sandbox.messages(AST, "max")} == {"html"}
    assert texts(sandbox, MOW) == [] and texts(sandbox, DEFAULT) == []


def test_grafana_alert_goes_to_max_and_telegram(sandbox: SandboxServer, start_relay: StartRelay) -> None:
    relay = start_relay(telegram_chats=TELEGRAM_CHATS)
    assert relay.post("/grafana", grafana_payload()).json()["messages"] == 2
    (max_text,) = wait_for(lambda: texts(sandbox, MOW), message="the Max message")
    (telegram,) = wait_for(lambda: sandbox.messages("-4009", "telegram"), message="the Telegram message")
    assert telegram["text"] == max_text and telegram["format"] == "HTML"  # RU-MOW has no Telegram chat
    assert "Регион отстаёт от цели" in max_text and "Значения: B = 2,1; C = 1" in max_text
    assert 'href="http://grafana.example/d/govpulse-regions"' in max_text


def test_query_parameter_chooses_the_chat_and_unknown_keys_fall_back(
    sandbox: SandboxServer, start_relay: StartRelay
) -> None:
    relay = start_relay()
    def one(fingerprint: str, summary: str, region: str = "RU-AST") -> dict[str, Any]:
        return am_payload([am_alert(fingerprint=fingerprint, summary=summary, region=region)])

    relay.post("/alertmanager", one("1", "по запросу"), region="RU-MOW")
    relay.post("/alertmanager", one("2", "код строчными"), chat="ru-ast")
    relay.post("/alertmanager", one("3", "неизвестно"), chat="nowhere")
    relay.post("/alertmanager", one("4", "без чата", region="RU-KO"))
    (to_mow,) = wait_for_count(lambda: texts(sandbox, MOW), 1)
    (to_ast,) = wait_for_count(lambda: texts(sandbox, AST), 1)
    unknown, no_chat = wait_for_count(lambda: texts(sandbox, DEFAULT), 2)
    assert "по запросу" in to_mow and "код строчными" in to_ast and "неизвестно" in unknown
    assert "без чата" in no_chat and "Республика Коми (RU-KO)" in no_chat


def test_a_repeated_webhook_sends_one_message(sandbox: SandboxServer, start_relay: StartRelay) -> None:
    relay = start_relay()
    payload = am_payload([am_alert(), am_alert(fingerprint="other", summary="второе")])
    assert relay.post("/alertmanager", payload).json()["messages"] == 1
    again = relay.post("/alertmanager", payload).json()
    assert (again["messages"], again["duplicates"]) == (0, 2)
    grown = am_payload([am_alert(), am_alert(fingerprint="third", summary="третье")])
    assert relay.post("/alertmanager", grown).json() | {} == {
        "status": "ok", "alerts": 2, "messages": 1, "duplicates": 1, "undeliverable": 0
    }
    first, second = wait_for_count(lambda: texts(sandbox, AST), 2)
    assert "второе" in first and "третье" in second and "Сработало: 1" in second


def test_without_a_default_chat_an_undeliverable_webhook_gets_422(
    sandbox: SandboxServer, start_relay: StartRelay
) -> None:
    relay = start_relay(max_chats={"RU-AST": AST})
    answer = relay.post("/alertmanager", am_payload([am_alert(region="RU-KO")]))
    assert answer.status_code == 422 and "RU-KO" in answer.json()["error"]
    mixed = relay.post("/alertmanager", am_payload([am_alert(region="RU-KO"), am_alert(fingerprint="b")]))
    assert mixed.status_code == 200 and mixed.json()["undeliverable"] == 1 and mixed.json()["messages"] == 1
    wait_for(lambda: texts(sandbox, AST))


def test_a_thousand_alerts_arrive_as_several_messages_within_the_limit(
    sandbox: SandboxServer, start_relay: StartRelay
) -> None:
    relay = start_relay()
    alerts = [am_alert(fingerprint=f"fp{i}", summary=f"Канал №{i:04d} не растёт") for i in range(1000)]
    accepted = relay.post("/alertmanager", am_payload(alerts)).json()
    assert accepted["alerts"] == 1000 and accepted["messages"] > 10
    received = wait_for_count(lambda: texts(sandbox, AST), accepted["messages"], timeout=60)
    assert all(text_length(t) <= 4000 for t in received)
    numbers = [int(n) for t in received for n in re.findall(r"Канал №(\d{4}) не растёт", t)]
    assert numbers == list(range(1000))  # all present, once, in order
    assert sandbox.stats()["max"]["throttled"] == 0


def test_messages_wait_in_the_outbox_while_the_platform_fails(
    sandbox: SandboxServer, start_relay: StartRelay
) -> None:
    sandbox.set_faults("max", error_rate=1.0)
    relay = start_relay()
    relay.post("/alertmanager", am_payload([am_alert()]))
    wait_for(lambda: relay.relay.outbox.messages()[0].attempts >= 3, message="three failed attempts")
    (pending,) = relay.relay.outbox.messages()
    assert pending.state == "pending" and pending.last_error.startswith("HTTP 503: service.unavailable")
    assert texts(sandbox, AST) == []
    sandbox.clear_faults()
    wait_for(lambda: relay.relay.outbox.counts()["sent"] == 1, message="delivery after recovery")
    assert len(texts(sandbox, AST)) == 1


def test_a_refused_message_is_kept_as_failed_with_the_reason(
    sandbox: SandboxServer, start_relay: StartRelay
) -> None:
    relay = start_relay(max_token="not-a-valid-max-token")
    relay.post("/alertmanager", am_payload([am_alert()]))
    (failed,) = wait_for(lambda: relay.relay.outbox.messages(FAILED), message="the message to fail")
    assert failed.attempts == 3 and failed.last_error.startswith("HTTP 401: verify.token")
    assert "not-a-valid-max-token" not in failed.last_error
    with httpx.Client(trust_env=False) as client:
        assert client.get(f"{relay.url}/healthz").json()["outbox"]["failed"] == 1


def test_telegram_throttling_is_waited_out_in_order(sandbox: SandboxServer, start_relay: StartRelay) -> None:
    sandbox.set_rate("telegram", 1)
    relay = start_relay(telegram_chats=TELEGRAM_CHATS)
    for i in range(3):
        relay.post("/alertmanager", am_payload([am_alert(fingerprint=f"t{i}", summary=f"Номер {i}")]))
    received = wait_for_count(lambda: texts(sandbox, "-4001", "telegram"), 3)
    assert [re.findall(r"Номер (\d)", t) for t in received] == [["0"], ["1"], ["2"]]
    assert sandbox.stats()["telegram"]["throttled"] >= 1
