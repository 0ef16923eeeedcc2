"""The contract with a real Alertmanager: its webhook (as collector/rulegen writes alerts/alertmanager.yml,
bearer token from a credentials file, `?region=<key>`) reaches the region's Max chat, firing and resolved."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from collector.config import NotifySettings
from collector.rulegen.alertmanager import build_alertmanager
from tests.exporters.relay.helpers import (
    BEARER,
    MAX_CHATS,
    RelayThread,
    fast_config,
    settings_for,
    wait_for,
    wait_for_count,
)
from tests.support.process import free_port
from tests.support.sandbox import SandboxFactory
from tests.support.servers import AlertmanagerFactory

pytestmark = pytest.mark.servers


def alertmanager_yaml(port: int, token_file: Path) -> str:
    notify = NotifySettings(
        listen_address=f"127.0.0.1:{port}", bearer_token=SecretStr(BEARER), max_chat_ids=MAX_CHATS
    )
    document = build_alertmanager(notify, token_file=str(token_file))
    document["route"].update(group_wait="1s", group_interval="1s")
    return yaml.safe_dump(document)


def test_alertmanager_webhooks_reach_the_region_chat(
    sandbox_factory: SandboxFactory, alertmanager_factory: AlertmanagerFactory, tmp_path: Path
) -> None:
    sandbox = sandbox_factory()
    port = free_port()
    config = dataclasses.replace(fast_config(settings_for(sandbox, tmp_path / "outbox.sqlite3")), port=port)
    relay = RelayThread(config).start()
    try:
        token_file = tmp_path / "notify-bearer-token"
        token_file.write_text(BEARER, encoding="utf-8")
        alertmanager = alertmanager_factory(alertmanager_yaml(port, token_file))
        alert = {
            "labels": {"alertname": "GovpulseChannelStalled", "severity": "warning", "component": "channel",
                       "region": "RU-AST", "platform": "max", "channel": "-70000000001013"},
            "annotations": {"summary": "Канал не растёт 7 дн.", "description": "Прирост 0 подписчиков."},
            "startsAt": datetime.now(UTC).isoformat(),
            "generatorURL": "http://127.0.0.1:9090/graph",
        }
        alertmanager.post_alerts([alert])
        chat = MAX_CHATS["RU-AST"]
        (firing,) = wait_for(lambda: sandbox.messages(chat), timeout=30, message="the firing message")
        assert "🔴 <b>Сработало:</b> <b>Канал не растёт 7 дн.</b>" in firing["text"]
        alertmanager.post_alerts([alert | {"endsAt": datetime.now(UTC).isoformat()}])
        messages = wait_for_count(lambda: sandbox.messages(chat), 2, timeout=30)
        assert "✅ <b>Решено:</b>" in messages[1]["text"] and "Астраханская область" in messages[1]["text"]
        assert sandbox.messages(MAX_CHATS["default"]) == []
    finally:
        relay.stop()
