"""Grafana-managed alert rules (file provisioning, apiVersion 1) for deployments that only have InfluxDB.

Each rule is InfluxQL over `channel_subscribers` (DESIGN 4.4) -> `reduce` (last) -> `threshold`, or two
such chains joined by a `math` expression. Only successful observations are written to InfluxDB, so
"a point exists" means "observed". The datasource uid is an environment variable Grafana interpolates
when it reads the file (not inside the query model, which keeps `$timeFilter` intact).
"""

from __future__ import annotations

from typing import Any

from collector.config import DetectionSettings
from collector.rulegen.model import DAY, RUNBOOK
from collector.rulegen.promql import duration, number, period_ru

DATASOURCE_UID = "govpulse-influxdb"  # provisioned in deploy/grafana/provisioning/datasources
FOLDER = "govpulse"
TAGS = '"platform", "channel", "region", "category"'
EXPR_UID = "__expr__"


def _query(ref: str, influxql: str, range_from: float, range_to: float, ds_uid: str) -> dict[str, Any]:
    return {
        "refId": ref,
        "datasourceUid": ds_uid,
        "relativeTimeRange": {"from": round(range_from), "to": round(range_to)},
        "model": {
            "refId": ref,
            "rawQuery": True,
            "resultFormat": "time_series",
            "query": influxql,
            "intervalMs": 60000,
            "maxDataPoints": 43200,
        },
    }


def _expr(ref: str, model: dict[str, Any]) -> dict[str, Any]:
    return {
        "refId": ref,
        "datasourceUid": EXPR_UID,
        "relativeTimeRange": {"from": 0, "to": 0},
        "model": {"refId": ref, "datasource": {"type": "__expr__", "uid": EXPR_UID}, **model},
    }


def reduce_last(ref: str, source: str) -> dict[str, Any]:
    return _expr(
        ref, {"type": "reduce", "expression": source, "reducer": "last", "settings": {"mode": "dropNN"}}
    )


def threshold(ref: str, source: str, op: str, value: float) -> dict[str, Any]:
    evaluator = {"type": op, "params": [value]}
    return _expr(ref, {"type": "threshold", "expression": source, "conditions": [{"evaluator": evaluator}]})


def math(ref: str, expression: str) -> dict[str, Any]:
    return _expr(ref, {"type": "math", "expression": expression})


def _select(expression: str, extra: str = "") -> str:
    return (
        f'SELECT {expression} AS "value" FROM "channel_subscribers" WHERE $timeFilter GROUP BY {TAGS}{extra}'
    )


def _rule(
    uid: str,
    title: str,
    condition: str,
    data: list[dict[str, Any]],
    *,
    for_: str,
    severity: str,
    summary: str,
    description: str,
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "condition": condition,
        "data": data,
        "noDataState": "OK",
        "execErrState": "Error",
        "for": for_,
        "labels": {"severity": severity, "component": "channel", "source": "grafana"},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"{RUNBOOK}#{uid.replace('-', '')}",
        },
    }


_CHANNEL = "{{ .Labels.platform }}:{{ .Labels.channel }}, регион {{ .Labels.region }}"
_RATIO = '(last("subscribers") - first("subscribers")) / first("subscribers")'


def stalled(d: DetectionSettings, stale_s: float, ds_uid: str, for_: str) -> dict[str, Any]:
    window, age = d.stalled_window_days * DAY, d.min_age_days * DAY
    data = [
        _query("A", _select(_RATIO), window, 0, ds_uid),
        reduce_last("B", "A"),
        # Age: the channel already had points in the day that ended `min_age` ago.
        _query("C", _select('count("subscribers")'), age + DAY, age, ds_uid),
        reduce_last("D", "C"),
        # Fresh: observed within `stale_after_sweeps` sweeps (a stale channel is GovpulseChannelStale).
        _query("E", _select('count("subscribers")'), stale_s, 0, ds_uid),
        reduce_last("F", "E"),
        # Not growing, but not declining beyond the declining threshold (that is the next rule).
        math("G", f"$B <= 0 && $B >= -{number(d.declining_min_loss_ratio)} && $D > 0 && $F > 0"),
    ]
    return _rule(
        "govpulsechannelstalled",
        "Канал не растёт (InfluxDB)",
        "G",
        data,
        for_=for_,
        severity="warning",
        summary=f"Канал {_CHANNEL} не растёт {period_ru(d.stalled_window_days)}",
        description=f"Канал {_CHANNEL}: изменение за {period_ru(d.stalled_window_days)}"
        ' {{ humanizePercentage (index .Values "B").Value }}.',
    )


def _ratio_rule(
    uid: str, title: str, window_days: float, loss: float, ds_uid: str, for_: str, severity: str, summary: str
) -> dict[str, Any]:
    data = [
        _query("A", _select(_RATIO), window_days * DAY, 0, ds_uid),
        reduce_last("B", "A"),
        threshold("C", "B", "lt", -loss),
    ]
    return _rule(
        uid,
        title,
        "C",
        data,
        for_=for_,
        severity=severity,
        summary=summary,
        description=f"Канал {_CHANNEL}: изменение за {period_ru(window_days)}"
        ' {{ humanizePercentage (index .Values "B").Value }}'
        f" (порог −{number(loss * 100)}%).",
    )


def stale(d: DetectionSettings, sweep_s: float, ds_uid: str) -> dict[str, Any]:
    # Buckets of one sweep; the last `stale_after_sweeps + 1` of them (the newest is partial) must all be
    # empty, so a channel observed within `stale_after_sweeps` sweeps never fires.
    buckets = d.stale_after_sweeps + 1
    query = _select(
        f'moving_average(count("subscribers"), {buckets})',
        f", time({duration(sweep_s)}) fill(0)",
    )
    data = [
        _query("A", query, 2 * DAY + buckets * sweep_s, 0, ds_uid),
        reduce_last("B", "A"),
        threshold("C", "B", "lt", 0.5 / buckets),
    ]
    return _rule(
        "govpulsechannelstale",
        "Нет свежих данных по каналу (InfluxDB)",
        "C",
        data,
        for_="0s",
        severity="warning",
        summary=f"Нет свежих данных по каналу {_CHANNEL}",
        description=f"Канал {_CHANNEL}: нет успешных наблюдений дольше {d.stale_after_sweeps} циклов опроса"
        f" ({duration(d.stale_after_sweeps * sweep_s)}).",
    )


def build_grafana_rules(
    detection: DetectionSettings,
    *,
    sweep_interval_seconds: float = 3600,
    datasource_uid: str = DATASOURCE_UID,
) -> dict[str, Any]:
    d, confirm = detection, duration(sweep_interval_seconds)
    rules = [
        stalled(d, d.stale_after_sweeps * sweep_interval_seconds, datasource_uid, confirm),
        _ratio_rule(
            "govpulsechanneldeclining",
            "Канал теряет подписчиков (InfluxDB)",
            d.declining_window_days,
            d.declining_min_loss_ratio,
            datasource_uid,
            confirm,
            "warning",
            f"Канал {_CHANNEL} теряет подписчиков",
        ),
        _ratio_rule(
            "govpulsechannelsuddendrop",
            "Резкая потеря подписчиков (InfluxDB)",
            d.drop_window_days,
            d.drop_min_loss_ratio,
            datasource_uid,
            confirm,
            "warning",
            f"Резкая потеря подписчиков: канал {_CHANNEL}",
        ),
        stale(d, sweep_interval_seconds, datasource_uid),
    ]
    group = {"orgId": 1, "name": "govpulse-channels", "folder": FOLDER, "interval": "5m", "rules": rules}
    return {"apiVersion": 1, "groups": [group]}
