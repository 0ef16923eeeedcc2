"""Template variables: datasource, platform, federal district, region, category, channel.

All filters are multi-value with "All" meaning `.*`. On the channel dashboard the channel is one value
(no "All"); the InfluxDB flavour then adds two hidden variables, the channel's region and category,
because InfluxQL cannot join a channel to its peers.
"""

from __future__ import annotations

from collections import defaultdict

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import dashboard as model

from collector.dashboards.common import (
    ALL_VALUE,
    DATASOURCE_VAR,
    INFLUXDB_DATASOURCE_UID,
    PROMETHEUS_DATASOURCE_UID,
)
from collector.regions import load_regions

Variable = cogbuilder.Builder[model.VariableModel]

LABELS = {
    "platform": "Платформа",
    "district": "Федеральный округ",
    "region": "Регион",
    "category": "Категория",
    "channel": "Канал",
}


def _datasource(plugin: str, uid: str) -> Variable:
    return (
        dash.DatasourceVariable("datasource")
        .label("Источник данных")
        .type(plugin)
        .current(model.VariableOption(selected=True, text=uid, value=uid))
    )


def _query(name: str, plugin: str, query: str, *, multi: bool = True) -> dash.QueryVariable:
    variable = (
        dash.QueryVariable(name)
        .label(LABELS.get(name, name))
        .datasource(model.DataSourceRef(type_val=plugin, uid=DATASOURCE_VAR))
        .query(query)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
    )
    if multi:
        variable = (
            variable.multi(True)
            .include_all(True)
            .all_value(ALL_VALUE)
            .current(model.VariableOption(selected=True, text="All", value="$__all"))
        )
    return variable


def prometheus_variables(channel_single: bool) -> list[Variable]:
    p = "prometheus"
    return [
        _datasource(p, PROMETHEUS_DATASOURCE_UID),
        _query("platform", p, "label_values(govpulse_channel_subscribers, platform)"),
        _query("district", p, "label_values(govpulse_region_info, federal_district)"),
        _query("region", p, 'label_values(govpulse_region_info{federal_district=~"$district"}, region)'),
        _query(
            "category",
            p,
            'label_values(govpulse_channel_subscribers{platform=~"$platform", region=~"$region"}, category)',
        ),
        _query(
            "channel",
            p,
            "label_values(govpulse_channel_subscribers"
            '{platform=~"$platform", region=~"$region", category=~"$category"}, channel)',
            multi=not channel_single,
        ),
    ]


def district_options() -> list[tuple[str, str]]:
    """(district, regex of its region codes), sorted by district, from the regions reference."""
    codes: defaultdict[str, list[str]] = defaultdict(list)
    for region in load_regions():
        if region.federal_district:
            codes[region.federal_district].append(region.code)
    return [(district, "|".join(sorted(codes[district]))) for district in sorted(codes)]


def _district_custom() -> Variable:
    options = district_options()
    return (
        dash.CustomVariable("district")
        .label(LABELS["district"])
        .description("Значение — коды регионов округа (в InfluxDB нет справочника регионов)")
        .values(",".join(f"{name} : {codes}" for name, codes in options))
        .options([model.VariableOption(selected=False, text=name, value=codes) for name, codes in options])
        .multi(True)
        .include_all(True)
        .all_value(ALL_VALUE)
        .current(model.VariableOption(selected=True, text="All", value="$__all"))
    )


def _tag_values(key: str, where: str = "") -> str:
    clause = f" WHERE {where}" if where else ""
    return f'SHOW TAG VALUES FROM "channel_subscribers" WITH KEY = "{key}"{clause}'


def influxdb_variables(channel_single: bool) -> list[Variable]:
    i = "influxdb"
    variables: list[Variable] = [
        _datasource(i, INFLUXDB_DATASOURCE_UID),
        _query("platform", i, _tag_values("platform")),
        _district_custom(),
        _query("region", i, _tag_values("region", '"region" =~ /^(${district:pipe})$/')),
        _query(
            "category", i, _tag_values("category", '"platform" =~ /^$platform$/ AND "region" =~ /^$region$/')
        ),
        _query(
            "channel",
            i,
            _tag_values(
                "channel",
                '"platform" =~ /^$platform$/ AND "region" =~ /^$region$/ AND "category" =~ /^$category$/',
            ),
            multi=not channel_single,
        ),
    ]
    if channel_single:
        one = '"platform" =~ /^$platform$/ AND "channel" = \'$channel\''
        for key in ("region", "category"):
            hidden = _query(f"channel_{key}", i, _tag_values(key, one), multi=False)
            variables.append(hidden.hide(model.VariableHide.HIDE_VARIABLE))
    return variables
