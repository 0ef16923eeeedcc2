"""«Обзор»: the national picture for the coordinator."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from collector.dashboards import panels as p
from collector.dashboards.common import MAX_CHANNELS_TARGET, Flavour, dashboard

NAME = "overview"


def build(flavour: Flavour) -> dash.Dashboard:
    board = dashboard(
        flavour, NAME, "Госпаблики: обзор", "Каналы и подписчики по платформам, рост, цель 40 000 каналов"
    )
    for panel in (
        p.stat_panel(
            flavour, "Каналов", "Число каналов по платформам с учётом фильтров.", ["channels_by_platform"]
        ),
        p.stat_panel(
            flavour,
            "Подписчиков",
            "Сумма последних известных чисел подписчиков по платформам.",
            ["subscribers_by_platform"],
        ),
        p.target_gauge(
            flavour,
            "Каналов в Max из 40 000",
            "Каналы Max (удалённые и ненайденные не считаются) против цели 40 000; фильтры не применяются.",
            ["max_channels"],
            MAX_CHANNELS_TARGET,
        ),
        p.time_series(
            flavour, "Подписчики во времени", "Сумма подписчиков по платформам.", ["subscribers_total"]
        ),
        p.time_series(
            flavour, "Прирост за сутки", "Чистый прирост подписчиков за сутки.", ["growth_day"], bars=True
        ),
        p.time_series(
            flavour, "Прирост за неделю", "Чистый прирост подписчиков за 7 дней.", ["growth_week"], bars=True
        ),
        p.table_panel(
            flavour,
            "Быстрее всего растут",
            "Регионы с наибольшим относительным приростом за 7 дней "
            "(доля от числа подписчиков неделю назад).",
            ["regions_fastest"],
            sort_by="growth",
        ),
        p.table_panel(
            flavour,
            "Медленнее всего растут",
            "Регионы с наименьшим относительным приростом за 7 дней.",
            ["regions_slowest"],
            sort_by="growth",
            descending=False,
        ),
    ):
        if panel is not None:
            board = board.with_panel(panel)
    return board
