"""«Сборщик»: the collector itself: sweeps, outcomes, API, limiter, sinks, spool, shards."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from collector.dashboards import panels as p
from collector.dashboards.common import Flavour, dashboard
from collector.dashboards.queries_prometheus import SWEEP_SECONDS

NAME = "collector"


def build(flavour: Flavour) -> dash.Dashboard:
    board = dashboard(
        flavour, NAME, "Госпаблики: сборщик", "Циклы опроса, ответы API, ограничители, запись и буфер"
    )
    minutes = int(SWEEP_SECONDS // 60)
    for panel in (
        p.time_series(
            flavour,
            "Длительность цикла",
            f"Длительность последнего цикла опроса; линия — интервал опроса ({minutes} мин).",
            ["cycle_duration"],
            "s",
            limit_line=SWEEP_SECONDS,
        ),
        p.table_panel(
            flavour,
            "С последнего успешного цикла",
            "Секунды с последнего успешного цикла по платформам.",
            ["cycle_age"],
        ),
        p.time_series(
            flavour,
            "Итоги цикла",
            "Каналы, опрошенные успешно и с ошибкой, в последнем цикле.",
            ["cycle_outcomes"],
        ),
        p.table_panel(
            flavour,
            "Ошибки по причинам",
            "Каналы, последняя попытка которых не удалась, по причинам.",
            ["errors_by_reason"],
        ),
        p.time_series(
            flavour, "Запросы к API", "Запросы в секунду по кодам ответа.", ["api_requests"], "reqps"
        ),
        p.time_series(
            flavour, "Ограничения API", "Ответы 429 и ошибки VK 6/9/29 в секунду.", ["api_throttled"], "reqps"
        ),
        p.time_series(
            flavour,
            "Ожидание ограничителя",
            "Доля времени, проведённого в ожидании ограничителя запросов.",
            ["ratelimit_wait"],
            "percentunit",
        ),
        p.time_series(
            flavour,
            "Запись в хранилища",
            "Точки в секунду: записано, отложено в буфер, потеряно.",
            ["sink_points"],
        ),
        p.time_series(flavour, "Буфер: точек", "Точки, ожидающие повторной записи.", ["spool_points"]),
        p.time_series(flavour, "Буфер: возраст", "Возраст самой старой точки в буфере.", ["spool_age"], "s"),
        p.stat_panel(flavour, "Каналов в реестре", "Каналы реестра по платформам.", ["registry_channels"]),
        p.stat_panel(
            flavour,
            "Шарды",
            "Ожидаемое число шардов и число шардов на связи.",
            ["shards_expected", "shards_reporting"],
        ),
        p.table_panel(flavour, "Шарды", "Последний цикл каждого шарда и платформы.", ["shards_seen"]),
    ):
        if panel is not None:
            board = board.with_panel(panel)
    return board
