"""Alerting artefacts generated from the configuration (one source of truth: DetectionSettings).

- Prometheus recording rules (`govpulse.rules.yaml`) and alerting rules (`govpulse.alerts.yaml`);
- Alertmanager routing per region chat (`alertmanager.yml`);
- Grafana-managed rules over InfluxDB (`govpulse-rules.yaml`, Grafana file provisioning).

The checked-in copies under alerts/ and deploy/grafana/provisioning/alerting/ are `example_settings()`
run through `write_rules`; tests/alerts checks they have not drifted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from collector.config import DetectionSettings, NotifySettings, Settings
from collector.models import Platform
from collector.rulegen.alertmanager import build_alertmanager
from collector.rulegen.channel_alerts import channel_alerts
from collector.rulegen.grafana import build_grafana_rules
from collector.rulegen.model import PipelineThresholds, RuleContext
from collector.rulegen.output import dump, write
from collector.rulegen.pipeline_alerts import pipeline_alerts, region_lag
from collector.rulegen.recording import recording_groups

__all__ = [
    "ALERTING_FILE",
    "ALERTMANAGER_FILE",
    "GRAFANA_FILE",
    "RECORDING_FILE",
    "PipelineThresholds",
    "build_alerting_rules",
    "build_alertmanager",
    "build_grafana_rules",
    "build_recording_rules",
    "build_rules",
    "dump",
    "example_settings",
    "sweep_interval",
    "write_rules",
]

RECORDING_FILE = "govpulse.rules.yaml"
ALERTING_FILE = "govpulse.alerts.yaml"
ALERTMANAGER_FILE = "alertmanager.yml"
GRAFANA_FILE = "govpulse-rules.yaml"


def build_recording_rules() -> dict[str, Any]:
    return {"groups": recording_groups()}


def build_alerting_rules(
    detection: DetectionSettings,
    *,
    sweep_interval_seconds: float = 3600,
    pipeline: PipelineThresholds | None = None,
) -> dict[str, Any]:
    ctx = RuleContext(detection, sweep_interval_seconds, pipeline or PipelineThresholds())
    # Channel windows change once per sweep: a 5-minute evaluation keeps week-long ranges affordable.
    return {
        "groups": [
            {"name": "govpulse.channels", "interval": "5m", "rules": channel_alerts(ctx)},
            {"name": "govpulse.pipeline", "rules": pipeline_alerts(ctx)},
            {"name": "govpulse.regions", "interval": "5m", "rules": region_lag(ctx)},
        ]
    }


def build_rules(detection: DetectionSettings, *, sweep_interval_seconds: float = 3600) -> dict[str, Any]:
    """Every Prometheus rule group (recording first, then alerting) as one rule-file document."""
    alerting = build_alerting_rules(detection, sweep_interval_seconds=sweep_interval_seconds)
    groups = build_recording_rules()["groups"] + alerting["groups"]
    return {"groups": [g for g in groups if g["rules"]]}


def sweep_interval(settings: Settings) -> float:
    """The longest interval among enabled platforms (any platform when none is enabled yet)."""
    enabled = settings.platforms.enabled() or list(Platform)
    return max(settings.platforms.get(p).interval_seconds for p in enabled)


def write_rules(settings: Settings, out_dir: Path, *, grafana_dir: Path | None = None) -> list[Path]:
    """Write the Prometheus rules, alertmanager.yml and the Grafana rules; return the paths written."""
    interval = sweep_interval(settings)
    alerting = build_alerting_rules(settings.detection, sweep_interval_seconds=interval)
    alerting["groups"] = [g for g in alerting["groups"] if g["rules"]]
    grafana = build_grafana_rules(settings.detection, sweep_interval_seconds=interval)
    return [
        write(out_dir / RECORDING_FILE, build_recording_rules()),
        write(out_dir / ALERTING_FILE, alerting),
        write(out_dir / ALERTMANAGER_FILE, build_alertmanager(settings.notify)),
        write((grafana_dir or out_dir) / GRAFANA_FILE, grafana),
    ]


def example_settings() -> Settings:
    """Defaults plus region chats for the five leaders of the coordinator's rating (the checked-in files)."""
    chats = {
        "default": -1000,
        "RU-MOW": -1001,
        "RU-AST": -1002,
        "RU-KRS": -1003,
        "RU-KO": -1004,
        "RU-CHU": -1005,
    }
    notify = NotifySettings(max_chat_ids=chats, bearer_token=SecretStr("example"))
    return Settings(notify=notify)
