"""House defaults for every govpulse dashboard, in one place: flavours, datasource refs, panel defaults.

A dashboard exists in two flavours, Prometheus (PromQL) and InfluxDB (InfluxQL). Layout modules ask the
flavour for named queries; a panel whose queries a flavour lacks (InfluxDB stores no API counters, for
instance) is left out of that flavour rather than drawn empty. The query name doubles as the target's
refId, so a query can be traced from the generated JSON back to its source and to its test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prom_model

PROMETHEUS_DATASOURCE_UID = "govpulse-prometheus"
INFLUXDB_DATASOURCE_UID = "govpulse-influxdb"
DATASOURCE_VAR = "${datasource}"
ALL_VALUE = ".*"  # "All" means "match anything", not a list of every value (keeps queries short)
TAGS = ["govpulse"]
DEFAULT_RANGE = ("now-7d", "now")
MAX_CHANNELS_TARGET = 40_000  # channels expected in Max within months (DESIGN §1)


@dataclass(frozen=True)
class Query:
    """One target: the query text and how Grafana should run it."""

    text: str
    instant: bool = False  # one value per series (tables, stats) instead of a range
    table: bool = False  # table format (one row per series) instead of time series
    legend: str = ""


@dataclass(frozen=True)
class Flavour:
    key: str  # "prom" | "influx": uid and folder suffix
    title: str  # shown after the dashboard title
    datasource_type: str  # Grafana plugin id
    datasource_uid: str  # default datasource (provisioned with this uid)
    queries: Mapping[str, Query]
    variables: Callable[[bool], list[cogbuilder.Builder[model.VariableModel]]]

    @property
    def datasource(self) -> model.DataSourceRef:
        return model.DataSourceRef(type_val=self.datasource_type, uid=DATASOURCE_VAR)

    def uid(self, name: str) -> str:
        return f"govpulse-{name}-{self.key}"


class InfluxQLTarget(cogvariants.Dataquery):
    """A raw InfluxQL target (the SDK build for Grafana 11.6 has no InfluxDB query model)."""

    def __init__(self, ref_id: str, query: Query, datasource: model.DataSourceRef) -> None:
        self.ref_id, self.query, self.datasource = ref_id, query, datasource

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": self.datasource,
            "query": self.query.text,
            "rawQuery": True,
            "resultFormat": "table" if self.query.table else "time_series",
            "alias": self.query.legend,
        }


class InfluxQLTargetBuilder(cogbuilder.Builder[cogvariants.Dataquery]):
    def __init__(self, target: InfluxQLTarget) -> None:
        self._target = target

    def build(self) -> cogvariants.Dataquery:
        return self._target


def target(flavour: Flavour, key: str) -> cogbuilder.Builder[cogvariants.Dataquery]:
    """The target for query `key` of `flavour` (refId = key)."""
    query = flavour.queries[key]
    if flavour.key == "influx":
        return InfluxQLTargetBuilder(InfluxQLTarget(key, query, flavour.datasource))
    builder = prom.Dataquery().expr(query.text).ref_id(key).datasource(flavour.datasource)
    builder = builder.instant() if query.instant else builder.range()
    if query.table:
        builder = builder.format(prom_model.PromQueryFormat.TABLE)
    return builder.legend_format(query.legend or "__auto")


def available(flavour: Flavour, keys: Sequence[str]) -> list[str]:
    return [key for key in keys if key in flavour.queries]


def channel_link(flavour: Flavour) -> cogbuilder.Builder[model.DashboardLink]:
    """Data link from a row with platform and channel fields to the channel dashboard."""
    url = (
        f"/d/{flavour.uid('channel')}?var-datasource=${{datasource}}"
        "&var-platform=${__data.fields.platform}&var-channel=${__data.fields.channel}&${__url_time_range}"
    )
    return dash.DashboardLink("Открыть канал").url(url)


def dashboard(flavour: Flavour, name: str, title: str, description: str) -> dash.Dashboard:
    """A dashboard with the house defaults (variables and annotations are added by build.py)."""
    return (
        dash.Dashboard(f"{title} · {flavour.title}")
        .uid(flavour.uid(name))
        .description(description)
        .tags([*TAGS, flavour.key])
        .time(*DEFAULT_RANGE)
        .timezone("browser")
        .refresh("5m")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .readonly()
    )
