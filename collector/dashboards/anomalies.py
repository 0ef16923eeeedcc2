"""«Остановившиеся и аномалии»: channels that need a look, each row linking to the channel dashboard."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from collector.config import DetectionSettings
from collector.dashboards import panels as p
from collector.dashboards.common import Flavour, dashboard
from collector.dashboards.queries_prometheus import STALE_SECONDS

NAME = "anomalies"
_D = DetectionSettings()


def _pct(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def build(flavour: Flavour) -> dash.Dashboard:
    board = dashboard(
        flavour,
        NAME,
        "Госпаблики: остановившиеся и аномалии",
        "Каналы без роста, с падением, всплеском или без данных",
    )
    hours = STALE_SECONDS // 3600
    for panel in (
        p.table_panel(
            flavour,
            "Остановились",
            "Чистый прирост за 7 дней не больше нуля.",
            ["stalled"],
            sort_by="change",
            descending=False,
            link=True,
        ),
        p.table_panel(
            flavour,
            "Теряют подписчиков",
            f"Потеря больше {_pct(_D.declining_min_loss_ratio)} за 7 дней.",
            ["declining"],
            sort_by="change",
            descending=False,
            link=True,
        ),
        p.table_panel(
            flavour,
            "Резкое падение",
            f"Потеря больше {_pct(_D.drop_min_loss_ratio)} за сутки: чистка ботов или блокировка.",
            ["dropped"],
            sort_by="change",
            descending=False,
            link=True,
        ),
        p.table_panel(
            flavour,
            "Всплеск",
            f"Прирост не меньше {_pct(_D.spike_min_gain_ratio)} за сутки: проверьте на накрутку.",
            ["spiking"],
            sort_by="change",
            link=True,
        ),
        p.table_panel(
            flavour,
            "Нет свежих данных",
            f"Последнее успешное наблюдение больше {hours} ч назад (секунды).",
            ["stale"],
            sort_by="Value",
            link=True,
        ),
        p.table_panel(
            flavour,
            "Последнее наблюдение",
            "Время последней точки каждого канала: давние — без свежих данных.",
            ["last_seen"],
            sort_by="Time",
            descending=False,
            link=True,
        ),
        p.table_panel(
            flavour,
            "Нет доступа",
            "Последняя попытка не удалась; reason — причина (lost_access, not_found, deactivated...).",
            ["inaccessible"],
            link=True,
        ),
    ):
        if panel is not None:
            board = board.with_panel(panel)
    return board
