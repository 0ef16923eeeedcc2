"""A small evaluator of Grafana-managed rules over a real InfluxDB 1.x, as Grafana's backend would run them.

It covers what the govpulse rules use: raw InfluxQL queries (with `$timeFilter` rendered like Grafana's
InfluxQL backend, `time > <from>ms and time < <to>ms`), `reduce` (last, dropping non-numbers),
`threshold` (gt, lt) and `math` made of `$X <op> <number>` terms joined by `&&`. Series from different
refIds are joined on identical labels; a series missing on one side is dropped, as in Grafana's math.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

Labels = frozenset[tuple[str, str]]
Numbers = dict[Labels, float]

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_TERM = re.compile(r"^\$([A-Z])\s*(<=|>=|==|!=|<|>)\s*(-?[0-9.]+(?:e-?[0-9]+)?)$")


def render_query(influxql: str, relative: dict[str, int], now: float) -> str:
    start_ms = round((now - relative["from"]) * 1000)
    end_ms = round((now - relative["to"]) * 1000)
    return influxql.replace("$timeFilter", f"time > {start_ms}ms and time < {end_ms}ms")


def _series(body: dict[str, Any]) -> dict[Labels, list[float | None]]:
    result = body["results"][0]
    out: dict[Labels, list[float | None]] = {}
    for series in result.get("series", []):
        column = series["columns"].index("value")
        out[frozenset(series.get("tags", {}).items())] = [row[column] for row in series["values"]]
    return out


def _reduce_last(values: list[float | None]) -> float | None:
    numbers = [v for v in values if v is not None and not math.isnan(v)]
    return numbers[-1] if numbers else None


def _math(expression: str, results: dict[str, Numbers]) -> Numbers:
    terms = []
    for part in expression.split("&&"):
        match = _TERM.match(part.strip())
        assert match, f"unsupported math term {part!r}"
        terms.append((match.group(1), _COMPARE[match.group(2)], float(match.group(3))))
    common = set.intersection(*(set(results[ref]) for ref, _, _ in terms))
    return {
        labels: float(all(op(results[ref][labels], value) for ref, op, value in terms)) for labels in common
    }


def evaluate(rule: dict[str, Any], query: Callable[[str], dict[str, Any]], now: float) -> set[Labels]:
    """Label sets for which the rule's condition is non-zero: the alert instances that would fire."""
    raw: dict[str, dict[Labels, list[float | None]]] = {}
    numbers: dict[str, Numbers] = {}
    for item in rule["data"]:
        ref, model = item["refId"], item["model"]
        kind = model.get("type")
        if item["datasourceUid"] != "__expr__":
            raw[ref] = _series(query(render_query(model["query"], item["relativeTimeRange"], now)))
        elif kind == "reduce":
            assert model["reducer"] == "last"
            reduced = {labels: _reduce_last(values) for labels, values in raw[model["expression"]].items()}
            numbers[ref] = {labels: v for labels, v in reduced.items() if v is not None}
        elif kind == "threshold":
            evaluator = model["conditions"][0]["evaluator"]
            op = {"gt": operator.gt, "lt": operator.lt}[evaluator["type"]]
            limit = evaluator["params"][0]
            numbers[ref] = {k: float(op(v, limit)) for k, v in numbers[model["expression"]].items()}
        elif kind == "math":
            numbers[ref] = _math(model["expression"], numbers)
        else:
            raise AssertionError(f"unsupported expression type {kind!r}")
    return {labels for labels, value in numbers[rule["condition"]].items() if value != 0}
