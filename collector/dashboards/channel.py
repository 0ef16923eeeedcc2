"""«Канал»: one channel's series, changes, status, peers and alert annotations."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from collector.dashboards import panels as p
from collector.dashboards.common import Flavour, dashboard

NAME = "channel"


def build(flavour: Flavour) -> dash.Dashboard:
    board = dashboard(
        flavour,
        NAME,
        "Госпаблики: канал",
        "Динамика одного канала, его статус и соседи по категории и региону",
    )
    for panel in (
        p.time_series(
            flavour, "Подписчики", "Число подписчиков канала.", ["channel_subscribers"], width=p.WIDE
        ),
        p.time_series(
            flavour,
            "Изменение за сутки",
            "Чистое изменение числа подписчиков за сутки.",
            ["channel_delta1d"],
            bars=True,
        ),
        p.stat_panel(
            flavour,
            "Рост за 7 дней",
            "Изменение за 7 дней относительно числа неделю назад.",
            ["channel_growth7d"],
            "percentunit",
        ),
        p.stat_panel(
            flavour,
            "Рост за 30 дней",
            "Изменение за 30 дней относительно числа 30 дней назад.",
            ["channel_growth30d"],
            "percentunit",
        ),
        p.table_panel(
            flavour,
            "Статус",
            "Сколько секунд прошло с последнего успешного наблюдения и причина ошибки, "
            "если последняя попытка "
            "не удалась (Prometheus); время последнего наблюдения (InfluxDB).",
            ["channel_age", "channel_errors", "channel_last_seen"],
        ),
        p.table_panel(
            flavour,
            "Соседи по категории и региону",
            "Каналы той же категории в том же регионе (включая этот).",
            ["channel_peers"],
            sort_by="subscribers",
            link=True,
            width=p.WIDE,
        ),
    ):
        if panel is not None:
            board = board.with_panel(panel)
    return board
