from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from exporters.relay.payloads import PayloadError, decode, parse_alertmanager, parse_grafana
from tests.exporters.relay.helpers import am_alert, am_payload, grafana_payload


def test_alertmanager_v4_payload() -> None:
    webhook = parse_alertmanager(am_payload([am_alert(), am_alert(status="resolved", fingerprint="b")]))
    first, second = webhook.alerts
    assert webhook.source == "alertmanager" and webhook.status == "firing"
    assert first.status == "firing" and second.status == "resolved"
    assert first.labels["region"] == "RU-AST" and first.fingerprint == "f00d"
    # Go's nanoseconds are accepted; the zero endsAt of a firing alert means "not set".
    assert first.starts_at == datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
    assert first.ends_at is None and second.ends_at == datetime(2026, 3, 1, 11, 45, tzinfo=UTC)
    assert [(link.title, link.url) for link in first.links] == [
        ("Источник", "http://prometheus.example/graph?g0.expr=up")
    ]


def test_grafana_payload_values_and_links() -> None:
    (alert,) = parse_grafana(grafana_payload()).alerts
    assert alert.values == (("B", 2.1), ("C", 1.0))
    assert [link.title for link in alert.links] == ["Дашборд", "Панель", "Источник", "Заглушить"]
    assert alert.starts_at == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


def test_missing_fingerprint_is_derived_from_labels() -> None:
    a, b = am_alert(fingerprint=""), am_alert(fingerprint="")
    b["labels"] = dict(reversed(list(b["labels"].items())))
    c = am_alert(fingerprint="", channel="other")
    parsed = [parse_alertmanager(am_payload([x])).alerts[0].fingerprint for x in (a, b, c)]
    assert parsed[0] == parsed[1] != parsed[2]


def test_unsafe_links_are_dropped() -> None:
    alert = am_alert()
    alert["generatorURL"] = "javascript:alert(1)"
    assert parse_alertmanager(am_payload([alert])).alerts[0].links == ()


def _broken(change: dict[str, Any], in_alert: bool = True) -> dict[str, Any]:
    payload = am_payload([am_alert()])
    (payload["alerts"][0] if in_alert else payload).update(change)
    return payload


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (_broken({"version": "3"}, in_alert=False), "version"),
        (_broken({"alerts": {"a": 1}}, in_alert=False), "alerts: expected a list"),
        (_broken({"status": "pending"}), "alerts[0].status"),
        (_broken({"labels": {"severity": 3}}), "alerts[0].labels"),
        (_broken({"annotations": ["x"]}), "alerts[0].annotations"),
        (_broken({"startsAt": "yesterday"}), "alerts[0].startsAt"),
        (_broken({"startsAt": None}), "alerts[0].startsAt"),
    ],
)
def test_malformed_alertmanager_payloads_name_the_field(payload: dict[str, Any], reason: str) -> None:
    with pytest.raises(PayloadError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        parse_alertmanager(payload)


def test_grafana_values_must_be_numbers() -> None:
    payload = grafana_payload()
    payload["alerts"][0]["values"] = {"B": "lots"}
    with pytest.raises(PayloadError, match=r"values\.B"):
        parse_grafana(payload)


@pytest.mark.parametrize(("body", "reason"), [(b"{", "not valid JSON"), (b"[1]", "JSON object"),
                                              (b"\xff\xfe", "UTF-8|JSON")])
def test_decode_rejects_non_objects(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        decode(body)


def test_decode_roundtrip() -> None:
    assert decode(json.dumps({"a": "б"}).encode()) == {"a": "б"}
