"""Generate every dashboard in both flavours as deterministic JSON, and check the checked-in copy.

Output: `<out>/<flavour>/<uid>.json`, keys sorted, 2-space indent, trailing newline, so regenerating
unchanged sources changes no byte (the CI drift check relies on it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from collector.dashboards import (
    anomalies,
    channel,
    collector_health,
    overview,
    queries_influxql,
    queries_prometheus,
    regions,
)
from collector.dashboards.common import (
    INFLUXDB_DATASOURCE_UID,
    PROMETHEUS_DATASOURCE_UID,
    Flavour,
)
from collector.dashboards.variables import influxdb_variables, prometheus_variables

DEFAULT_OUT = Path("dashboards/generated")

PROMETHEUS = Flavour(
    key="prom",
    title="Prometheus",
    datasource_type="prometheus",
    datasource_uid=PROMETHEUS_DATASOURCE_UID,
    queries=queries_prometheus.QUERIES,
    variables=prometheus_variables,
)
INFLUXDB = Flavour(
    key="influx",
    title="InfluxDB",
    datasource_type="influxdb",
    datasource_uid=INFLUXDB_DATASOURCE_UID,
    queries=queries_influxql.QUERIES,
    variables=influxdb_variables,
)
FLAVOURS = (PROMETHEUS, INFLUXDB)
MODULES: tuple[tuple[str, Callable[[Flavour], dash.Dashboard]], ...] = (
    (overview.NAME, overview.build),
    (regions.NAME, regions.build),
    (channel.NAME, channel.build),
    (anomalies.NAME, anomalies.build),
    (collector_health.NAME, collector_health.build),
)


def _alert_annotation(flavour: Flavour) -> dict[str, Any]:
    """Channel dashboard annotations: Prometheus ALERTS, or the InfluxDB `events` measurement."""
    common: dict[str, Any] = {
        "datasource": {"type": flavour.datasource_type, "uid": "${datasource}"},
        "enable": True,
    }
    if flavour.key == "prom":
        expr = (
            'ALERTS{alertname=~"Govpulse.*", alertstate="firing", platform=~"$platform", channel="$channel"}'
        )
        return {
            **common,
            "name": "Оповещения",
            "iconColor": "red",
            "expr": expr,
            "step": "5m",
            "titleFormat": "{{alertname}}",
            "textFormat": "{{alertname}} ({{severity}})",
            "tagKeys": "alertname,severity",
            "useValueForTime": False,
        }
    return {
        **common,
        "name": "События",
        "iconColor": "orange",
        "query": queries_influxql.EVENTS,
        "textColumn": "text",
        "tagsColumn": "platform,region",
    }


def render(flavour: Flavour, name: str, make: Callable[[Flavour], dash.Dashboard]) -> dict[str, Any]:
    board = make(flavour).variables(flavour.variables(name == channel.NAME))
    data: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    if name == channel.NAME:
        data.setdefault("annotations", {}).setdefault("list", []).append(_alert_annotation(flavour))
    for number, panel in enumerate(data.get("panels", []), start=1):
        panel["id"] = number  # stable ids: Grafana needs them unique, the SDK leaves them out
    return data


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def generate() -> dict[Path, str]:
    """Relative path → file text for every dashboard of every flavour."""
    files: dict[Path, str] = {}
    for flavour in FLAVOURS:
        for name, make in MODULES:
            data = render(flavour, name, make)
            files[Path(flavour.key) / f"{data['uid']}.json"] = dump(data)
    return files


def write(out: Path) -> list[Path]:
    """Write every file (removing stale generated JSON); returns the paths written."""
    files = generate()
    written = []
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    for stale in set(out.glob("*/*.json")) - set(written):
        stale.unlink()
    return written


def drift(out: Path) -> list[str]:
    """What regenerating would change in `out`: missing, different or extra files (empty: no drift)."""
    files = generate()
    problems = []
    for relative, text in sorted(files.items()):
        path = out / relative
        if not path.exists():
            problems.append(f"missing: {path}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"differs: {path}")
    expected = {out / relative for relative in files}
    problems += [f"not generated: {path}" for path in sorted(set(out.glob("*/*.json")) - expected)]
    return problems


if __name__ == "__main__":
    for written in write(DEFAULT_OUT):
        print(written)
