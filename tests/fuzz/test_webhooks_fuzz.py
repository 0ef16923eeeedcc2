"""Webhook payloads, fuzzed: the relay's Alertmanager and Grafana parsers (bytes in, a Webhook or a
PayloadError out) and Max discovery's update handler (any JSON object: applied, or ignored when malformed)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.config import Settings
from collector.discovery import Discovery
from collector.models import Platform
from collector.service import Service
from exporters.relay.payloads import PayloadError, Webhook, decode, parse_alertmanager, parse_grafana
from tests.fuzz.strategies import json_values, objects_with

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TIMES = st.sampled_from(
    ["2026-03-01T09:30:00.123456789Z", "0001-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "now", "",
     "2026-03-01T09:30:00+03:00", "9999-12-31T23:59:59.999999999-23:59"]
) | st.text(max_size=20)  # fmt: skip
LABEL_NAMES = st.sampled_from(["alertname", "region", "channel", "severity"]) | st.text(max_size=6)
LABELS = st.dictionaries(LABEL_NAMES,
                         st.text(max_size=10) | json_values, max_size=4)  # fmt: skip
ALERT = objects_with(
    ["status", "labels", "annotations", "startsAt", "endsAt", "fingerprint", "generatorURL", "values",
     "dashboardURL", "panelURL", "silenceURL"],
    st.sampled_from(["firing", "resolved"]) | TIMES | LABELS | json_values,
)  # fmt: skip
PAYLOAD = objects_with(
    ["version", "status", "receiver", "alerts", "truncatedAlerts", "groupLabels", "externalURL"],
    st.sampled_from(["4", "1", "firing", "resolved"]) | st.lists(ALERT, max_size=3) | json_values,
)
BODIES = st.binary(max_size=200) | (PAYLOAD | json_values).map(lambda v: json.dumps(v).encode())


@FUZZ
@given(BODIES)
def test_relay_payloads(body: bytes) -> None:
    for parse in (parse_alertmanager, parse_grafana):
        try:
            webhook = parse(decode(body))
        except PayloadError as exc:
            assert str(exc)
            continue
        assert isinstance(webhook, Webhook)
        for alert in webhook.alerts:
            assert alert.status in ("firing", "resolved") and alert.fingerprint
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in alert.labels.items())


UPDATE = objects_with(
    ["update_type", "chat_id", "timestamp", "user", "chat"],
    st.sampled_from(["bot_added", "bot_removed", "message_created"])
    | st.integers(-(2**63), 2**63) | json_values,
)  # fmt: skip


def service() -> Service:
    return Service(
        Settings.model_validate({"store": {"enabled": False}, "sinks": {"prometheus": {"enabled": False}}})
    )


@FUZZ
@given(st.lists(UPDATE, max_size=5))
def test_max_discovery_updates(updates: list[dict[str, Any]]) -> None:
    svc = service()
    discovery = Discovery(svc)

    async def apply() -> None:
        for update in updates:
            await discovery.handle(update)

    asyncio.run(apply())
    present = {c.channel for c in svc.book.channels(Platform.MAX)}
    expected: set[str] = set()
    for update in updates:
        chat = update.get("chat_id")
        if not isinstance(chat, int) or isinstance(chat, bool):
            continue
        if update.get("update_type") == "bot_added":
            expected.add(str(chat))
        elif update.get("update_type") == "bot_removed":
            expected.discard(str(chat))
    assert present == expected
