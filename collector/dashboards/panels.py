"""Panel constructors with the house defaults. Each returns None when the flavour has none of the
panel's queries, so a dashboard module can list panels once for both flavours."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from grafana_foundation_sdk.builders import bargauge, common, gauge, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model

from collector.dashboards.common import Flavour, available, channel_link, target

PanelBuilder = cogbuilder.Builder[model.Panel]
P = TypeVar("P", stat.Panel, timeseries.Panel, table.Panel, bargauge.Panel, gauge.Panel)

WIDE, HALF, THIRD, QUARTER = 24, 12, 8, 6


def _thresholds(*steps: tuple[float | None, str]) -> dash.ThresholdsConfig:
    return (
        dash.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=value, color=color) for value, color in steps])
    )


def _with_targets(panel: P, flavour: Flavour, keys: Sequence[str]) -> P:
    for key in available(flavour, keys):
        panel = panel.with_target(target(flavour, key))
    return panel.datasource(flavour.datasource)


def stat_panel(
    flavour: Flavour,
    title: str,
    description: str,
    keys: Sequence[str],
    unit: str = "short",
    width: int = QUARTER,
) -> PanelBuilder | None:
    if not available(flavour, keys):
        return None
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .height(5)
        .span(width)
        .graph_mode(common_model.BigValueGraphMode.NONE)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    return _with_targets(panel, flavour, keys)


def target_gauge(
    flavour: Flavour, title: str, description: str, keys: Sequence[str], target_value: float
) -> PanelBuilder | None:
    if not available(flavour, keys):
        return None
    panel = (
        gauge.Panel()
        .title(title)
        .description(description)
        .min(0)
        .max(target_value)
        .height(5)
        .span(QUARTER)
        .thresholds(_thresholds((None, "red"), (target_value * 0.5, "orange"), (target_value, "green")))
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    return _with_targets(panel, flavour, keys)


def time_series(
    flavour: Flavour,
    title: str,
    description: str,
    keys: Sequence[str],
    unit: str = "short",
    *,
    bars: bool = False,
    limit_line: float | None = None,
    width: int = HALF,
) -> PanelBuilder | None:
    if not available(flavour, keys):
        return None
    panel = timeseries.Panel().title(title).description(description).unit(unit).height(8).span(width)
    if bars:
        panel = panel.draw_style(common_model.GraphDrawStyle.BARS).fill_opacity(60)
    if limit_line is not None:
        panel = panel.thresholds(_thresholds((None, "green"), (limit_line, "red"))).thresholds_style(
            common.GraphThresholdsStyleConfig().mode(common_model.GraphThresholdsStyleMode.LINE)
        )
    return _with_targets(panel, flavour, keys)


def table_panel(
    flavour: Flavour,
    title: str,
    description: str,
    keys: Sequence[str],
    *,
    sort_by: str | None = None,
    descending: bool = True,
    link: bool = False,
    width: int = HALF,
) -> PanelBuilder | None:
    if not available(flavour, keys):
        return None
    panel = table.Panel().title(title).description(description).height(9).span(width)
    panel = panel.with_transformation(model.DataTransformerConfig(id_val="merge", options={}))
    panel = panel.with_transformation(
        model.DataTransformerConfig(
            id_val="organize", options={"excludeByName": {"Time": True, "__name__": True}}
        )
    )
    if sort_by is not None:
        # Prometheus names an instant value column "Value" ("Value #refId" when several queries merge).
        column = sort_by if flavour.key == "influx" else ("Value" if len(keys) == 1 else f"Value #{keys[0]}")
        panel = panel.sort_by([common.TableSortByFieldState().display_name(column).desc(descending)])
    if link:
        panel = panel.data_links([channel_link(flavour)])
    return _with_targets(panel, flavour, keys)


def bar_gauge(
    flavour: Flavour, title: str, description: str, keys: Sequence[str], unit: str = "short"
) -> PanelBuilder | None:
    if not available(flavour, keys):
        return None
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .height(9)
        .span(HALF)
        .orientation(common_model.VizOrientation.HORIZONTAL)
        .display_mode(common_model.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(True))
    )
    return _with_targets(panel, flavour, keys)
