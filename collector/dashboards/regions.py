"""«Регионы»: ranking by subscribers and per 1,000 residents, change, coverage of mandatory channels."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from collector.dashboards import panels as p
from collector.dashboards.common import Flavour, dashboard

NAME = "regions"

_COVERAGE = {
    "prom": (
        "Сколько каналов этой категории есть в каждом регионе справочника (0 — канала нет). В метриках нет "
        "признака «обязательный канал», поэтому охват считается по двум категориям, которые обязаны быть "
        "в каждом регионе: губернатор и региональное правительство."
    ),
    "influx": (
        "Сколько каналов этой категории есть в регионе. В InfluxDB нет справочника регионов, поэтому "
        "регионы без единого такого канала в таблицу не попадают: сверяйте со списком округа."
    ),
}


def build(flavour: Flavour) -> dash.Dashboard:
    board = dashboard(
        flavour, NAME, "Госпаблики: регионы", "Рейтинг регионов по подписчикам и на 1000 жителей, охват"
    )
    coverage = _COVERAGE[flavour.key]
    for panel in (
        p.table_panel(
            flavour,
            "Рейтинг регионов",
            "Подписчики, подписчики на 1000 жителей, число каналов и изменение за выбранный период. "
            "Фильтры категории и канала не применяются: рейтинг считается по всем каналам региона.",
            ["region_subscribers", "region_per_1000", "region_channels", "region_change"],
            sort_by="per_1000",
            width=p.WIDE,
        ),
        p.bar_gauge(
            flavour,
            "Подписчики по регионам",
            "Сумма подписчиков всех каналов региона.",
            ["region_subscribers"],
        ),
        p.bar_gauge(
            flavour,
            "Подписчики на 1000 жителей",
            "Подписчики каналов региона на 1000 жителей (численность населения — «Росстат»).",
            ["region_per_1000"],
        ),
        p.time_series(
            flavour,
            "Изменение за период",
            "Подписчики каналов региона во времени.",
            ["region_subscribers_over_time"],
            width=p.WIDE,
        ),
        p.table_panel(
            flavour,
            "Охват: губернаторы",
            coverage,
            ["coverage_governor"],
            sort_by="channels",
            descending=False,
        ),
        p.table_panel(
            flavour,
            "Охват: правительства регионов",
            coverage,
            ["coverage_government"],
            sort_by="channels",
            descending=False,
        ),
    ):
        if panel is not None:
            board = board.with_panel(panel)
    return board
