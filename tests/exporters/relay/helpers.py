"""Shared pieces of the relay tests: payload builders, configuration against a sandbox, an in-thread relay."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from collector.config import Settings
from collector.models import Platform
from collector.sandbox import SandboxServer
from exporters.relay.delivery import DeliveryOptions
from exporters.relay.pacing import PacingOptions
from exporters.relay.service import Relay
from exporters.relay.settings import RelayConfig, relay_config

T = TypeVar("T")

BEARER = "relay-test-bearer-7f3a9c"
MAX_CHATS = {"RU-AST": -500001, "RU-MOW": -500002, "default": -500009}
TELEGRAM_CHATS = {"RU-AST": "-4001", "default": "-4009"}
STARTS = "2026-03-01T09:30:00.123456789Z"

FAST = DeliveryOptions(
    backoff_base_seconds=0.05,
    backoff_max_seconds=0.3,
    max_attempts=3,
    idle_poll_seconds=0.2,
    pacing=PacingOptions(
        platform_rate_per_second={Platform.MAX: 25.0, Platform.TELEGRAM: 25.0},
        chat_interval_seconds={Platform.MAX: 0.0, Platform.TELEGRAM: 0.0},
        telegram_group_interval_seconds=0.0,
    ),
)


def am_alert(
    name: str = "GovpulseChannelStalled",
    *,
    status: str = "firing",
    region: str | None = "RU-AST",
    fingerprint: str = "f00d",
    summary: str = "Канал «Губернатор» (max:-70000000001013) не растёт 7 дн.",
    description: str = "За 7 дн. чистый прирост 0 подписчиков, сейчас 13 000 подписчиков.",
    **labels: str,
) -> dict[str, Any]:
    all_labels = {"alertname": name, "severity": "warning", "platform": "max", "channel": "-70000000001013"}
    if region is not None:
        all_labels["region"] = region
    all_labels.update(labels)
    return {
        "status": status,
        "labels": all_labels,
        "annotations": {"summary": summary, "description": description},
        "startsAt": STARTS,
        "endsAt": "2026-03-01T11:45:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }


def am_payload(alerts: Sequence[Mapping[str, Any]], status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": "{}:{region=\"RU-AST\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "region-RU-AST",
        "groupLabels": {"region": "RU-AST"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": list(alerts),
    }


def grafana_payload(status: str = "firing", region: str = "RU-MOW") -> dict[str, Any]:
    alert = {
        "status": status,
        "labels": {
            "alertname": "Регион отстаёт",
            "grafana_folder": "govpulse",
            "region": region,
            "severity": "critical",
        },
        "annotations": {
            "summary": "Регион отстаёт от цели", "description": "Подписчиков на 1000 жителей: 2,1"
        },
        "startsAt": "2026-03-02T08:00:00+03:00",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-03-02T10:00:00+03:00",
        "generatorURL": "http://grafana.example/alerting/grafana/abc/view",
        "fingerprint": "c6eadffa33fcdf37",
        "silenceURL": "http://grafana.example/alerting/silence/new",
        "dashboardURL": "http://grafana.example/d/govpulse-regions",
        "panelURL": "http://grafana.example/d/govpulse-regions?viewPanel=3",
        "values": {"B": 2.1, "C": 1},
        "valueString": "[ var='B' value=2.1 ]",
    }
    return {
        "receiver": "govpulse-relay",
        "status": status,
        "orgId": 1,
        "alerts": [alert],
        "groupLabels": {"alertname": "Регион отстаёт"},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://grafana.example/",
        "version": "1",
        "groupKey": "{}:{alertname=\"Регион отстаёт\"}",
        "truncatedAlerts": 0,
        "title": "[FIRING:1] Регион отстаёт",
        "state": "alerting",
        "message": "**Firing**",
    }


def settings_for(
    sandbox: SandboxServer,
    outbox: Path,
    *,
    max_chats: Mapping[str, int] | None = None,
    telegram_chats: Mapping[str, str] | None = None,
    max_token: str | None = None,
) -> Settings:
    data: dict[str, Any] = {
        "platforms": {
            "max": {"base_url": sandbox.url, "tokens": [max_token or sandbox.tokens["max"][0]]},
            "telegram": {"base_url": sandbox.url, "tokens": [sandbox.tokens["telegram"][0]]},
        },
        "notify": {
            "listen_address": "127.0.0.1:0",
            "bearer_token": BEARER,
            "outbox_path": str(outbox),
            "dashboard_url": "http://grafana.example/d/govpulse-overview",
            "max_chat_ids": dict(MAX_CHATS if max_chats is None else max_chats),
            "telegram_chat_ids": dict({} if telegram_chats is None else telegram_chats),
        },
    }
    return Settings(**data)



def fast_config(settings: Settings, **changes: Any) -> RelayConfig:
    return dataclasses.replace(relay_config(settings), delivery=FAST, **changes)


class RelayThread:
    """A Relay on its own event loop in a daemon thread, like the sandbox runs in the tests."""

    def __init__(self, config: RelayConfig) -> None:
        self.relay = Relay(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="relay", daemon=True)
        self.url = ""

    def start(self) -> RelayThread:
        self._thread.start()
        self.url = self.call(self.relay.start())
        return self

    def stop(self) -> None:
        self.call(self.relay.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    def post(self, path: str, payload: Any, *, token: str | None = BEARER, **params: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        with httpx.Client(trust_env=False, timeout=10) as client:
            return client.post(f"{self.url}{path}", json=payload, headers=headers, params=params)


def wait_for(condition: Callable[[], T], timeout: float = 15.0, message: str = "condition") -> T:
    """Poll until `condition()` is truthy (bounded); return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.02)


def wait_for_count(read: Callable[[], list[T]], count: int, timeout: float = 15.0) -> list[T]:
    """Poll `read()` until it returns at least `count` items (bounded); return them."""
    found: list[list[T]] = []

    def enough() -> bool:
        found[:] = [read()]
        return len(found[0]) >= count

    wait_for(enough, timeout, f"{count} items")
    return found[0]
