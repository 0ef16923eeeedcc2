"""Grafana-managed rules: file-provisioning shape, and their InfluxQL run against a real InfluxDB 1.x."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.config import DetectionSettings
from collector.rulegen import GRAFANA_FILE, build_grafana_rules
from tests.alerts.grafana_eval import evaluate
from tests.support.servers import InfluxDB1Server

PROVISIONED = (
    Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "provisioning" / "alerting" / GRAFANA_FILE
)
DB = "govpulse"
HOUR = 3600


def _rules() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(PROVISIONED.read_text(encoding="utf-8"))
    return {rule["uid"]: rule for group in document["groups"] for rule in group["rules"]}


def test_provisioning_file_shape() -> None:
    document = yaml.safe_load(PROVISIONED.read_text(encoding="utf-8"))
    assert document["apiVersion"] == 1
    for group in document["groups"]:
        assert {"orgId", "name", "folder", "interval", "rules"} <= set(group)
        for rule in group["rules"]:
            refs = [item["refId"] for item in rule["data"]]
            assert rule["condition"] in refs and len(set(refs)) == len(refs), rule["uid"]
            assert re.fullmatch(r"[a-z0-9_-]{1,40}", rule["uid"])
            assert rule["noDataState"] == "OK" and rule["execErrState"] == "Error"
            assert re.fullmatch(r"\d+[smhd]", rule["for"])
            assert {"summary", "description", "runbook_url"} <= set(rule["annotations"])
            # Grafana interpolates environment variables in labels: no `$` may reach them by accident.
            assert "$" not in str(rule["labels"]) and "$" not in str(rule["annotations"])
            for item in rule["data"]:
                if item["datasourceUid"] != "__expr__":
                    assert item["datasourceUid"] == "govpulse-influxdb"
                    assert "$timeFilter" in item["model"]["query"]


def test_uids_are_the_prometheus_alert_names() -> None:
    assert set(_rules()) == {
        "govpulsechannelstalled",
        "govpulsechanneldeclining",
        "govpulsechannelsuddendrop",
        "govpulsechannelstale",
    }


def test_datasource_uid_can_be_fixed_at_build_time() -> None:
    document = build_grafana_rules(DetectionSettings(), datasource_uid="influx-prod")
    uids = {item["datasourceUid"] for g in document["groups"] for r in g["rules"] for item in r["data"]}
    assert uids == {"influx-prod", "__expr__"}


# Channel -> subscribers `k` hours before now (None: no observation then). 20 days of hourly sweeps.
def _declining_to(final: int) -> Callable[[int], int | None]:
    return lambda k: 1000 if k >= 168 else round(final + (1000 - final) * k / 168)


CHANNELS: dict[str, Callable[[int], int | None]] = {
    "stall_old": lambda k: 1000,
    "decline1": _declining_to(990),
    "decline5": _declining_to(950),
    "grow_old": lambda k: 1000 + (480 - k),
    "stall_young": lambda k: 1000 if k <= 240 else None,
    "drop30": lambda k: 700 if k < 12 else 1000,
    "drop10": lambda k: 900 if k < 12 else 1000,
    "old_drop": lambda k: 700 if k < 72 else 1000,
    "stale_old": lambda k: 1000 if k >= 5 else None,  # last observed 5 hours ago
    "recent_gap": lambda k: 1000 + (480 - k) if k >= 2 else None,  # 2 hours ago: still fresh
}

EXPECTED = {
    "govpulsechannelstalled": {"stall_old", "decline1"},
    "govpulsechanneldeclining": {"decline5", "drop30", "drop10", "old_drop"},
    "govpulsechannelsuddendrop": {"drop30"},
    "govpulsechannelstale": {"stale_old"},
}


def _lines(now: int) -> str:
    lines = []
    for channel, value_at in CHANNELS.items():
        tags = f"platform=vk,channel={channel},region=RU-AST,category=governor"
        for k in range(481):
            value = value_at(k)
            if value is not None:
                lines.append(f"channel_subscribers,{tags} subscribers={value}i {now - k * HOUR}")
    return "\n".join(lines)


@pytest.fixture
def loaded_influxdb(influxdb1: InfluxDB1Server) -> tuple[InfluxDB1Server, float]:
    influxdb1.create_database(DB)
    written_at = int(time.time())
    influxdb1.write(_lines(written_at), db=DB)
    # Evaluate a minute after the last sweep: `$timeFilter` ends strictly before "now", as in Grafana.
    return influxdb1, written_at + 60.0


@pytest.mark.servers
@pytest.mark.parametrize("uid", sorted(EXPECTED))
def test_rule_fires_for_exactly_the_expected_channels(
    loaded_influxdb: tuple[InfluxDB1Server, float], uid: str
) -> None:
    server, now = loaded_influxdb
    firing = evaluate(_rules()[uid], lambda q: server.query(q, DB), now)
    channels = {dict(labels)["channel"] for labels in firing}
    assert channels == EXPECTED[uid]
    assert all(dict(labels)["region"] == "RU-AST" for labels in firing)  # tags become alert labels
