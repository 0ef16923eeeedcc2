"""What Grafana does to a query before sending it: variable formatting and built-in macros.

Ported from Grafana 11 (public/app/features/templating/template_srv.ts, the Prometheus and InfluxDB
datasources' interpolateQueryExpr, and rangeutil.roundInterval), only as far as the dashboards use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALL = "$__all"
MAX_DATA_POINTS = 1000  # a wide panel; Grafana uses the panel's width in pixels

# (upper bound, rounded interval) in milliseconds, from rangeutil.roundInterval
_ROUND = [
    (15, 10),
    (35, 20),
    (75, 50),
    (150, 100),
    (350, 200),
    (750, 500),
    (1500, 1000),
    (3500, 2000),
    (7500, 5000),
    (12500, 10000),
    (17500, 15000),
    (25000, 20000),
    (45000, 30000),
    (90000, 60000),
    (210000, 120000),
    (450000, 300000),
    (750000, 600000),
    (1050000, 900000),
    (1500000, 1200000),
    (2700000, 1800000),
    (5400000, 3600000),
    (9000000, 7200000),
    (16200000, 10800000),
    (32400000, 21600000),
    (86400000, 43200000),
    (604800000, 86400000),
    (1814400000, 604800000),
    (3628800000, 2592000000),
]


def round_interval(ms: float) -> int:
    for bound, rounded in _ROUND:
        if ms < bound:
            return rounded
    return 31536000000


def duration(ms: int) -> str:
    for unit, size in (("d", 86400000), ("h", 3600000), ("m", 60000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


@dataclass(frozen=True)
class TimeRange:
    start: int  # seconds
    end: int

    def interval_ms(self, min_interval_s: int) -> int:
        return max(round_interval((self.end - self.start) * 1000 / MAX_DATA_POINTS), min_interval_s * 1000)


def _prom_regex(value: str) -> str:
    value = value.replace("\\", "\\\\\\\\")
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\\\" + m.group(0), value)


def _influx_regex(value: str) -> str:
    return re.sub(r"[\\^$*+?.()|\[\]{}/]", lambda m: "\\" + m.group(0), value)


def format_value(
    variable: Mapping[str, Any], value: str | Sequence[str], flavour: str, fmt: str | None
) -> str:
    """One variable's text in a query, as Grafana formats it for `flavour`."""
    if value == ALL or value == [ALL]:
        return str(variable.get("allValue") or ".*")  # custom all values are inserted unformatted
    if fmt == "pipe":
        return value if isinstance(value, str) else "|".join(value)
    if not variable.get("multi") and not variable.get("includeAll"):
        return value if isinstance(value, str) else value[0]
    escape = _prom_regex if flavour == "prom" else _influx_regex
    if isinstance(value, str):
        return escape(value)
    escaped = [escape(v) for v in value]
    if flavour == "prom" and len(escaped) == 1:
        return escaped[0]
    return "(" + "|".join(escaped) + ")"


def macros(flavour: str, time: TimeRange, min_interval_s: int, scrape_s: int) -> dict[str, str]:
    interval_ms = time.interval_ms(min_interval_s)
    rate_ms = max(interval_ms + scrape_s * 1000, 4 * scrape_s * 1000)
    start_ms, end_ms = time.start * 1000, time.end * 1000
    time_filter = f"time >= {start_ms}ms and time <= {end_ms}ms"
    return {
        "__interval_ms": str(interval_ms),
        "__interval": duration(interval_ms),
        "__rate_interval": duration(rate_ms),
        "__range_s": str(time.end - time.start),
        "__range_ms": str((time.end - time.start) * 1000),
        "__range": f"{time.end - time.start}s",
        "__from": str(start_ms),
        "__to": str(end_ms),
        "timeFilter": time_filter,
        "__timeFilter": time_filter,
    }


_VAR = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")


def interpolate(
    text: str,
    flavour: str,
    variables: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, str | Sequence[str]],
    builtins: Mapping[str, str],
) -> str:
    """Replace every `$name`, `${name}` and `${name:format}`; an unknown name is an error."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name in builtins:
            return builtins[name]
        if name not in variables:
            raise KeyError(f"unknown variable ${name} in {text!r}")
        return format_value(variables[name], values[name], flavour, match.group(2))

    return _VAR.sub(replace, text)
