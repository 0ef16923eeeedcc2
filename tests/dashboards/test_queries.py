"""Proof that every dashboard query works: each panel target, variable and annotation query of every
generated dashboard runs against a real Prometheus and a real InfluxDB 1.x loaded with a known world,
with Grafana's macros and variable formatting applied, and must equal what Python computes from that
world (never merely "non-empty"). Recorded series come from the real rule file, backfilled by promtool."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.dashboards import backends, expected
from tests.dashboards import world as w
from tests.dashboards.expected import Expect, Result, Selection
from tests.dashboards.grafana import ALL, TimeRange, interpolate, macros
from tests.support.promql import PromQLServer
from tests.support.servers import InfluxDB1Server, ServerFleet

pytestmark = pytest.mark.servers

GENERATED = Path(__file__).resolve().parents[2] / "dashboards" / "generated"
RANGE = TimeRange(w.END - 7 * w.DAY, w.END)  # the dashboards' default: the last 7 days
SCENARIOS = {
    "all": Selection(),
    "filtered": Selection(
        platforms=frozenset({"max", "vk"}),
        districts=frozenset({"Центральный"}),
        categories=frozenset({"governor", "regional_government"}),
        channel="-1002",
    ),
}
KEYS: dict[str, tuple[str, ...]] = {  # labels (tags) that identify a result series
    **dict.fromkeys(
        (
            "channels_by_platform",
            "subscribers_by_platform",
            "subscribers_total",
            "growth_day",
            "growth_week",
            "registry_channels",
            "cycle_age",
            "api_throttled",
            "ratelimit_wait",
        ),
        ("platform",),
    ),
    **dict.fromkeys(("max_channels", "shards_expected", "shards_reporting"), ()),
    **dict.fromkeys(
        (
            "regions_fastest",
            "regions_slowest",
            "region_subscribers",
            "region_per_1000",
            "region_channels",
            "region_change",
            "region_subscribers_over_time",
            "coverage_governor",
            "coverage_government",
        ),
        ("region",),
    ),
    **dict.fromkeys(
        (
            "channel_subscribers",
            "channel_delta1d",
            "channel_growth7d",
            "channel_growth30d",
            "channel_age",
            "channel_errors",
            "channel_last_seen",
            "channel_peers",
            "stalled",
            "declining",
            "dropped",
            "spiking",
            "stale",
            "inaccessible",
            "last_seen",
        ),
        ("platform", "channel"),
    ),
    "errors_by_reason": ("platform", "reason"),
    "api_requests": ("platform", "code"),
    "sink_points": ("sink", "outcome"),
    "spool_points": ("sink",),
    "spool_age": ("sink",),
    "shards_seen": ("platform", "shard"),
}
FLAVOUR_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "prom": {"cycle_duration": ("platform",), "cycle_outcomes": ("platform", "outcome")},
    "influx": {"cycle_duration": ("platform", "shard"), "cycle_outcomes": ("platform", "shard")},
}


def dashboards(flavour: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((GENERATED / flavour).glob("*.json"))]


def targets(board: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target


# --- running queries -----------------------------------------------------------------------------


class Runner:
    """Runs a dashboard's queries the way Grafana would for one variable selection."""

    def __init__(self, flavour: str, board: Mapping[str, Any], sel: Selection, server: Any) -> None:
        self.flavour, self.board, self.sel, self.server = flavour, board, sel, server
        self.variables = {v["name"]: v for v in board["templating"]["list"]}
        min_interval = 60 if flavour == "prom" else 3600  # the datasources' timeInterval (provisioning)
        self.builtins = macros(flavour, RANGE, min_interval, scrape_s=60)
        self.step = int(self.builtins["__interval_ms"]) // 1000
        self.values = self.selected_values()

    def selected_values(self) -> dict[str, str | list[str]]:
        district_value: Any = ALL
        if self.sel.districts is not None:
            if self.flavour == "prom":
                district_value = sorted(self.sel.districts)
            else:
                options = {o["text"]: o["value"] for o in self.variables["district"]["options"]}
                district_value = [options[d] for d in sorted(self.sel.districts)]
        values: dict[str, str | list[str]] = {
            "datasource": self.variables["datasource"]["current"]["value"],
            "platform": sorted(self.sel.platforms) if self.sel.platforms else ALL,
            "district": district_value,
            "region": ALL,
            "category": sorted(self.sel.categories) if self.sel.categories else ALL,
            "channel": self.sel.channel if not self.variables["channel"]["multi"] else ALL,
        }
        for hidden in ("channel_region", "channel_category"):  # resolved like Grafana: the first value
            if hidden in self.variables:
                found = self.variable_values(hidden, values)
                assert found, f"hidden variable {hidden} found nothing"
                values[hidden] = sorted(found)[0]
        return values

    def text(self, query: str, values: Mapping[str, Any] | None = None) -> str:
        return interpolate(query, self.flavour, self.variables, values or self.values, self.builtins)

    def variable_values(self, name: str, values: Mapping[str, Any] | None = None) -> set[str]:
        variable = self.variables[name]
        if variable["type"] == "custom":
            return {o["value"] for o in variable["options"]}
        query = self.text(variable["query"], values)
        if self.flavour == "influx":
            rows = self.server.rows(query, db=backends.DATABASE)
            return {row["value"] for row in rows}
        match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query)
        assert match, query
        params = {"match[]": match.group(1), "start": RANGE.start, "end": RANGE.end}
        response = self.server.http.get(f"/api/v1/label/{match.group(2)}/values", params=params)
        response.raise_for_status()
        return set(response.json()["data"])

    def run(self, target: Mapping[str, Any]) -> Result:
        keys = FLAVOUR_KEYS[self.flavour].get(target["refId"], KEYS.get(target["refId"]))
        assert keys is not None, f"no expectation keys for {target['refId']}"
        if self.flavour == "prom":
            return self.run_promql(self.text(target["expr"]), keys, instant=bool(target.get("instant")))
        return influx_result(self.server.query(self.text(target["query"]), db=backends.DATABASE), keys)

    def run_promql(self, query: str, keys: Sequence[str], instant: bool, step: int | None = None) -> Result:
        if instant:
            params: dict[str, Any] = {"query": query, "time": RANGE.end}
            path = "/api/v1/query"
        else:
            params = {"query": query, "start": RANGE.start, "end": RANGE.end, "step": step or self.step}
            path = "/api/v1/query_range"
        response = self.server.http.get(path, params=params)
        assert response.status_code == 200, f"{query}: {response.text}"
        return prom_result(response.json()["data"], keys)


def _put(result: Result, key: tuple[str, ...], t: int | None, value: float, where: str) -> None:
    points = result.setdefault(key, {})
    assert t not in points, f"two results for {key} at {t} ({where}): the grouping labels are not enough"
    points[t] = value


def prom_result(data: Mapping[str, Any], keys: Sequence[str]) -> Result:
    result: Result = {}
    for series in data["result"]:
        key = (*(series["metric"].get(k, "") for k in keys), expected.V)
        if data["resultType"] == "matrix":
            for t, value in series["values"]:
                _put(result, key, int(t), float(value), "matrix")
        else:
            _put(result, key, None, float(series["value"][1]), "vector")
    return result


def influx_result(body: Mapping[str, Any], keys: Sequence[str]) -> Result:
    result: Result = {}
    for series in body["results"][0].get("series", []):
        tags, columns = series.get("tags", {}), series["columns"]
        value_columns = [c for c in columns if c != "time" and c not in keys]
        for row in series["values"]:
            cells = dict(zip(columns, row, strict=True))
            tag_key = tuple(str(tags.get(k, cells.get(k, ""))) for k in keys)
            for column in value_columns:
                if cells[column] is None:
                    continue
                name = expected.V if len(value_columns) == 1 else column
                _put(result, (*tag_key, name), int(cells["time"]), float(cells[column]), "influx")
    return result


# --- comparing -------------------------------------------------------------------------------------


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def mismatch(got: Result, want: Result) -> str | None:
    if set(got) != set(want):
        return f"series differ: got {sorted(got)}, want {sorted(want)}"
    for key, points in want.items():
        actual = got[key]
        if None in points:  # time carries no meaning: one value
            values = list(actual.values())
            if len(values) != 1 or not close(values[0], points[None]):
                return f"{key}: got {actual}, want {points[None]}"
            continue
        if set(actual) != set(points):
            extra = sorted(t for t in set(actual) - set(points) if t is not None)
            missing = sorted(t for t in set(points) - set(actual) if t is not None)
            return f"{key}: times differ: extra {extra[:5]}, missing {missing[:5]}"
        bad = [(t, actual[t], v) for t, v in points.items() if not close(actual[t], v)]
        if bad:
            return f"{key}: {len(bad)} values differ, first (t, got, want): {bad[:3]}"
    return None


def evaluation_phases(server: PromQLServer) -> dict[str, float]:
    """Each rule group's evaluation phase (Prometheus offsets a group's evaluations by a hash of its
    name, and the promtool backfill keeps that phase): when, within 5 minutes, its samples fall."""
    phases = {}
    for group, metric in (
        ("windows", "channel:govpulse_channel_subscribers:delta1d"),
        ("aggregates", "region:govpulse_channel_subscribers:sum"),
    ):
        stamps = {float(r["value"][1]) % w.SCRAPE for r in server.query(f"timestamp({metric})", time=w.END)}
        assert len(stamps) == 1, f"{metric}: samples at different phases {stamps}"
        phases[group] = stamps.pop()
    return phases


def check_dashboards(flavour: str, server: Any) -> tuple[list[str], set[str]]:
    """All targets and variables of all dashboards in every scenario: problems and keys ever non-empty."""
    problems, non_empty = [], set()
    phases = evaluation_phases(server) if flavour == "prom" else None
    for board in dashboards(flavour):
        for scenario, sel in SCENARIOS.items():
            runner = Runner(flavour, board, sel, server)
            e = Expect(sel, RANGE.start, runner.step, phases)
            want_all = expected.prometheus(e, 0) if flavour == "prom" else expected.influxdb(e)
            for title, target in targets(board):
                where = f"{board['uid']} «{title}» {target['refId']} [{scenario}]"
                try:
                    got = runner.run(target)
                except Exception as exc:  # report every failing query, not just the first
                    problems.append(f"{where}: query failed: {exc}")
                    continue
                want = want_all[target["refId"]]
                if got:
                    non_empty.add(f"{board['uid']}/{target['refId']}")
                if (why := mismatch(got, want)) is not None:
                    problems.append(f"{where}: {why}")
            problems += check_variables(runner, sel, board["uid"], scenario)
    return problems, non_empty


def expected_variables(flavour: str, sel: Selection, runner: Runner) -> dict[str, set[str]]:
    platforms = [c for c in w.CHANNELS if sel.platforms is None or c.platform in sel.platforms]
    cats = sel.categories
    one = [c for c in w.CHANNELS if c.channel == sel.channel]
    want = {
        "platform": {"max", "vk"},
        "category": {c.category for c in platforms},
        "channel": {c.channel for c in platforms if cats is None or c.category in cats},
        "channel_region": {c.region for c in one},
        "channel_category": {c.category for c in one},
    }
    if flavour == "prom":
        from collector.regions import load_regions

        want["district"] = {r.federal_district for r in load_regions()}
        want["region"] = sel.regions()
    else:
        want["district"] = {o["value"] for o in runner.variables["district"]["options"]}
        want["region"] = {c.region for c in w.CHANNELS if c.region in sel.regions()}
    return want


def check_variables(runner: Runner, sel: Selection, uid: str, scenario: str) -> list[str]:
    want = expected_variables(runner.flavour, sel, runner)
    problems = []
    for name, variable in runner.variables.items():
        if variable["type"] == "datasource":
            continue
        got = runner.variable_values(name)
        if got != want[name]:
            problems.append(
                f"{uid} variable {name} [{scenario}]: got {sorted(got)}, want {sorted(want[name])}"
            )
    return problems


def assert_all_good(flavour: str, problems: list[str], non_empty: set[str]) -> None:
    every = {f"{b['uid']}/{t['refId']}" for b in dashboards(flavour) for _, t in targets(b)}
    empty = sorted(every - non_empty)
    if empty:
        problems = [f"returned nothing in every scenario: {empty}", *problems]
    assert not problems, "\n".join(problems)


# --- the tests -----------------------------------------------------------------------------------


@pytest.fixture
def prometheus(server_fleet: ServerFleet, tmp_path: Path) -> PromQLServer:
    return backends.start_prometheus(server_fleet, tmp_path)


def test_every_promql_query_matches_the_world(prometheus: PromQLServer) -> None:
    problems, non_empty = check_dashboards("prom", prometheus)
    problems += check_alert_annotations(prometheus)
    assert_all_good("prom", problems, non_empty)


def test_every_influxql_query_matches_the_world(influxdb1: InfluxDB1Server) -> None:
    backends.start_influxdb(influxdb1)
    problems, non_empty = check_dashboards("influx", influxdb1)
    problems += check_events_annotations(influxdb1)
    assert_all_good("influx", problems, non_empty)


def _annotations(flavour: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(b, a) for b in dashboards(flavour) for a in b.get("annotations", {}).get("list", [])]


def check_alert_annotations(server: PromQLServer) -> list[str]:
    problems, found = [], 0
    for board, annotation in _annotations("prom"):
        for sel in SCENARIOS.values():
            runner = Runner("prom", board, sel, server)
            got = runner.run_promql(runner.text(annotation["expr"]), ("alertname",), instant=False, step=300)
            want: Result = {
                (name, expected.V): {t: 1.0 for t in range(since, w.END + 1, 300)}
                for name, c, since in w.ALERTS
                if c.channel == sel.channel
            }
            found += len(want)
            if (why := mismatch(got, want)) is not None:
                problems.append(f"{board['uid']} annotation {annotation['name']}: {why}")
    return problems + ([] if found else ["no annotation query was checked against an alert"])


def check_events_annotations(server: InfluxDB1Server) -> list[str]:
    problems, found = [], 0
    for board, annotation in _annotations("influx"):
        for sel in SCENARIOS.values():
            runner = Runner("influx", board, sel, server)
            rows = server.rows(runner.text(annotation["query"]), db=backends.DATABASE)
            got = {(row["time"], row[annotation["textColumn"]]) for row in rows}
            want = {(t, text) for c, t, text in w.EVENTS if c.channel == sel.channel}
            found += len(want)
            if got != want:
                problems.append(f"{board['uid']} annotation {annotation['name']}: got {got}, want {want}")
    return problems + ([] if found else ["no annotation query was checked against an event"])
