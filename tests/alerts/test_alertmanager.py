"""alertmanager.yml: amtool validation, routing per region, the relay contract, real inhibition."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from collector.config import NotifySettings
from collector.rulegen import build_alertmanager, dump
from tests.support.servers import AlertmanagerFactory, run_amtool

CONFIG = Path(__file__).resolve().parents[2] / "alerts" / "alertmanager.yml"


def _route(config: Path, *labels: str) -> str:
    done = run_amtool("config", "routes", "test", f"--config.file={config}", *labels)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def test_checked_in_config_is_valid() -> None:
    done = run_amtool("check-config", str(CONFIG))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=GovpulseChannelStalled", "component=channel", "region=RU-AST"], "region-RU-AST"),
        (["alertname=GovpulseChannelSpike", "component=channel", "region=RU-MOW"], "region-RU-MOW"),
        (["alertname=GovpulseRegionBelowTarget", "component=region", "region=RU-CHU"], "region-RU-CHU"),
        # A region without a chat of its own, and a channel whose region is not known: the operators.
        (["alertname=GovpulseChannelDeclining", "component=channel", "region=RU-SPE"], "operators"),
        (["alertname=GovpulseChannelLostAccess", "component=channel"], "operators"),
        # Pipeline alerts go to the operators even when they carry a region label.
        (["alertname=GovpulseCollectorDown", "component=pipeline", "instance=s0:9877"], "operators"),
        (
            ["alertname=GovpulseSweepFailing", "component=pipeline", "platform=vk", "region=RU-AST"],
            "operators",
        ),
        (["alertname=GovpulseMassDrop", "component=channel", "platform=max"], "operators"),
    ],
)
def test_routing(labels: list[str], receiver: str) -> None:
    assert _route(CONFIG, *labels) == receiver


def test_receivers_follow_notify_settings(tmp_path: Path) -> None:
    notify = NotifySettings(
        listen_address="0.0.0.0:19878",
        max_chat_ids={"RU-KO": -5},
        telegram_chat_ids={"RU-TY": "@tyva_alerts", "default": "@ops"},
    )
    document = build_alertmanager(notify)
    receivers = {r["name"]: r["webhook_configs"][0] for r in document["receivers"]}
    assert set(receivers) == {"operators", "region-RU-KO", "region-RU-TY"}
    # A wildcard listen address is reached over loopback; the region key travels in the query string.
    assert receivers["region-RU-TY"]["url"] == "http://127.0.0.1:19878/alertmanager?region=RU-TY"
    assert receivers["operators"]["url"] == "http://127.0.0.1:19878/alertmanager?region=default"
    assert all("http_config" not in r for r in receivers.values())  # no token configured: no header
    config = tmp_path / "am.yml"
    config.write_text(dump(document), encoding="utf-8")
    assert run_amtool("check-config", str(config)).returncode == 0
    assert _route(config, "alertname=GovpulseChannelStalled", "region=RU-TY") == "region-RU-TY"
    assert _route(config, "alertname=GovpulseChannelStalled", "region=RU-AST") == "operators"


def test_bearer_token_comes_from_a_file() -> None:
    notify = NotifySettings(max_chat_ids={"RU-AST": -1}, bearer_token=SecretStr("s3cret"))
    document = build_alertmanager(notify, token_file="/run/secrets/relay")
    webhook = document["receivers"][0]["webhook_configs"][0]
    assert webhook["http_config"] == {
        "authorization": {"type": "Bearer", "credentials_file": "/run/secrets/relay"}
    }
    assert "s3cret" not in dump(document)
    assert webhook["send_resolved"] is True


def _alert(**labels: str) -> dict[str, Any]:
    return {"labels": labels, "annotations": {"summary": labels["alertname"]}}


def _states(server: Any, expected: int) -> dict[tuple[str, str], str]:
    """alertname and channel/instance -> state, once Alertmanager holds all `expected` alerts."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        alerts = server.alerts()
        if len(alerts) == expected:
            return {
                (a["labels"]["alertname"], a["labels"].get("channel") or a["labels"].get("instance", "")): a[
                    "status"
                ]["state"]
                for a in alerts
            }
        time.sleep(0.2)
    raise AssertionError(f"Alertmanager holds {len(server.alerts())} alerts, expected {expected}")


@pytest.mark.servers
def test_inhibition_in_a_real_alertmanager(alertmanager_factory: AlertmanagerFactory) -> None:
    server = alertmanager_factory(CONFIG.read_text(encoding="utf-8"))
    channel = {"component": "channel", "severity": "warning", "region": "RU-AST", "platform": "vk"}
    server.post_alerts(
        [
            _alert(
                alertname="GovpulseCollectorDown",
                component="pipeline",
                severity="critical",
                job="govpulse",
                instance="s0",
            ),
            _alert(alertname="GovpulseChannelStalled", channel="1", job="govpulse", instance="s0", **channel),
            _alert(alertname="GovpulseChannelStalled", channel="2", job="govpulse", instance="s1", **channel),
            _alert(
                alertname="GovpulseChannelLostAccess", channel="3", job="govpulse", instance="s1", **channel
            ),
            _alert(alertname="GovpulseChannelStale", channel="3", job="govpulse", instance="s1", **channel),
            _alert(
                alertname="GovpulseChannelDeclining", channel="3", job="govpulse", instance="s1", **channel
            ),
        ]
    )
    states = _states(server, 6)
    assert states[("GovpulseCollectorDown", "s0")] == "active"
    assert states[("GovpulseChannelStalled", "1")] == "suppressed"  # its collector is down
    assert states[("GovpulseChannelStalled", "2")] == "active"  # another shard, still up
    assert states[("GovpulseChannelLostAccess", "3")] == "active"
    assert states[("GovpulseChannelStale", "3")] == "suppressed"
    assert states[("GovpulseChannelDeclining", "3")] == "suppressed"
