"""Webhook bodies from Alertmanager (webhook v4) and Grafana (webhook contact point) as one `Webhook` model.

Parsing is strict about what the relay relies on (a list of alerts, each with a status, string labels and
annotations, a start time) and lenient about the rest: unknown keys are ignored, optional links may be
missing. Anything wrong raises `PayloadError` whose message names the field, for the 400 answer.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Status = Literal["firing", "resolved"]
Source = Literal["alertmanager", "grafana"]
_STATUSES: tuple[Status, ...] = ("firing", "resolved")
_ZERO_TIME_YEAR = 1  # Go's zero time, "0001-01-01T00:00:00Z", means "not set"


class PayloadError(ValueError):
    """The webhook body is not a payload the relay understands; the message says why."""


@dataclass(frozen=True, slots=True)
class Link:
    title: str  # Russian, shown to the reader
    url: str


@dataclass(frozen=True, slots=True)
class Alert:
    status: Status
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    starts_at_raw: str  # as received: part of the deduplication key
    ends_at: datetime | None
    fingerprint: str
    links: tuple[Link, ...] = ()
    values: tuple[tuple[str, float | None], ...] = ()

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


@dataclass(frozen=True, slots=True)
class Webhook:
    source: Source
    status: Status
    receiver: str
    alerts: tuple[Alert, ...]
    truncated_alerts: int = 0


def decode(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8") from None
    except ValueError as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from None
    except RecursionError:  # not a ValueError: json.loads on thousands of nested brackets
        raise PayloadError("body is not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    return data


def parse_alertmanager(data: Mapping[str, Any]) -> Webhook:
    version = data.get("version")
    if version != "4":
        raise PayloadError(f'version: expected "4" (Alertmanager webhook v4), got {version!r}')
    return _webhook("alertmanager", data, _alertmanager_links)


def parse_grafana(data: Mapping[str, Any]) -> Webhook:
    return _webhook("grafana", data, _grafana_links)


def _webhook(source: Source, data: Mapping[str, Any], links: Any) -> Webhook:
    raw_alerts = data.get("alerts")
    if not isinstance(raw_alerts, list):
        raise PayloadError("alerts: expected a list")
    alerts = tuple(_alert(i, item, source, links) for i, item in enumerate(raw_alerts))
    status = _status("status", data.get("status", "firing"))
    truncated = data.get("truncatedAlerts", 0)
    return Webhook(
        source=source,
        status=status,
        receiver=str(data.get("receiver", "")),
        alerts=alerts,
        truncated_alerts=truncated if isinstance(truncated, int) and truncated > 0 else 0,
    )


def _alert(index: int, item: Any, source: Source, links: Any) -> Alert:
    where = f"alerts[{index}]"
    if not isinstance(item, dict):
        raise PayloadError(f"{where}: expected an object")
    labels = _strings(f"{where}.labels", item.get("labels", {}))
    annotations = _strings(f"{where}.annotations", item.get("annotations", {}))
    starts_raw = item.get("startsAt")
    if not isinstance(starts_raw, str):
        raise PayloadError(f"{where}.startsAt: expected an RFC 3339 time")
    starts_at = _time(f"{where}.startsAt", starts_raw)
    ends_raw = item.get("endsAt")
    ends_at = _time(f"{where}.endsAt", ends_raw) if isinstance(ends_raw, str) and ends_raw else None
    fingerprint = item.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        fingerprint = _fingerprint(labels)
    return Alert(
        status=_status(f"{where}.status", item.get("status")),
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        starts_at_raw=starts_raw,
        ends_at=ends_at if ends_at is not None and ends_at.year > _ZERO_TIME_YEAR else None,
        fingerprint=fingerprint,
        links=links(item),
        values=_values(f"{where}.values", item.get("values")) if source == "grafana" else (),
    )


def _status(where: str, value: Any) -> Status:
    for status in _STATUSES:
        if value == status:
            return status
    raise PayloadError(f'{where}: expected "firing" or "resolved", got {value!r}')


def _strings(where: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise PayloadError(f"{where}: expected an object of strings")
    return {str(k): v for k, v in value.items()}


def _time(where: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(_trim_fraction(value))
    except ValueError:
        raise PayloadError(f"{where}: not an RFC 3339 time: {value[:40]!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _trim_fraction(value: str) -> str:
    """Go writes up to nine fractional digits; Python's parser takes at most six."""
    head, dot, rest = value.partition(".")
    if not dot:
        return value
    digits = len(rest) - len(rest.lstrip("0123456789"))
    return f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}" if digits else value


def _values(where: str, value: Any) -> tuple[tuple[str, float | None], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise PayloadError(f"{where}: expected an object of numbers")
    result: list[tuple[str, float | None]] = []
    for key, number in sorted(value.items()):
        if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
            raise PayloadError(f"{where}.{key}: expected a number")
        result.append((str(key), None if number is None or not math.isfinite(number) else float(number)))
    return tuple(result)


def _fingerprint(labels: Mapping[str, str]) -> str:
    """Stand-in when the sender gave none: stable over the label set, like Alertmanager's own."""
    text = "\x00".join(f"{k}\x01{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _http_url(value: Any) -> str | None:
    """Only absolute http(s) links are shown; anything else could be a script or a local path."""
    if isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= 2048:
        return value
    return None


def _collect(item: Mapping[str, Any], fields: tuple[tuple[str, str], ...]) -> tuple[Link, ...]:
    links = []
    for key, title in fields:
        url = _http_url(item.get(key))
        if url is not None:
            links.append(Link(title, url))
    return tuple(links)


def _alertmanager_links(item: Mapping[str, Any]) -> tuple[Link, ...]:
    return _collect(item, (("generatorURL", "Источник"),))


def _grafana_links(item: Mapping[str, Any]) -> tuple[Link, ...]:
    fields = (
        ("dashboardURL", "Дашборд"),
        ("panelURL", "Панель"),
        ("generatorURL", "Источник"),
        ("silenceURL", "Заглушить"),
    )
    return _collect(item, fields)
