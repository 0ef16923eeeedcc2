"""From analytics results to report tables (Russian titles; raw values, formatted by the renderers)."""

from __future__ import annotations

from collector.analytics.coverage import STATE_TITLES, Coverage
from collector.analytics.detection import KIND_TITLES, Detection, Finding
from collector.analytics.detection import Kind as DetectionKind
from collector.analytics.forecast import HORIZONS, Forecast, Projection
from collector.analytics.growth import ChannelGrowth, Gain, Growth
from collector.analytics.rating import Rating
from collector.regions import Regions
from collector.reports.model import Column, Kind, Report, Table
from collector.reports.text import cell, day, when

PLATFORM_NAMES = {"max": "Max", "vk": "ВКонтакте", "telegram": "Telegram"}


def platform_name(platform: str | None) -> str:
    return "все платформы" if platform is None else PLATFORM_NAMES.get(platform, platform)


def rating_report(rating: Rating) -> Report:
    columns = [
        Column("composite_rank", "Место", Kind.INT),
        Column("rank_change", "Изм. места", Kind.CHANGE),
        Column("region", "Код"),
        Column("name", "Регион"),
        Column("district", "Фед. округ"),
        Column("gov_subscribers", "Подписчики канала правительства", Kind.INT),
        Column("gov_change", "Изм. за период", Kind.CHANGE),
        Column("rank_gov", "Место по подписчикам", Kind.INT),
        Column("gov_per_1000", "На 1000 жителей", Kind.FLOAT),
        Column("rank_gov_per_1000", "Место на 1000 жителей", Kind.INT),
        Column("all_subscribers", "Все официальные каналы", Kind.INT),
        Column("channels", "Каналов", Kind.INT),
        Column("all_per_1000", "Все каналы на 1000 жителей", Kind.FLOAT),
        Column("population", "Население", Kind.INT),
    ]
    rows = [{c.key: getattr(r, c.key) for c in columns} for r in rating.rows]
    where = f", {rating.district} федеральный округ" if rating.district else ""
    caption = (
        "Место — по среднему из мест по числу подписчиков канала правительства региона и по числу "
        "подписчиков на 1000 жителей; регионы без данных о населении или без канала правительства "
        "места не получают. Изменение — с " + day(rating.previous) + "."
    )
    table = Table("Рейтинг регионов", columns, rows, caption)
    return Report(
        f"Рейтинг регионов — {platform_name(rating.platform)}", f"на {day(rating.as_of)}{where}", [table]
    )


def _gains_table(title: str, gains: list[Gain]) -> Table:
    columns = [
        Column("label", "Период"),
        Column("subscribers", "Подписчиков на конец", Kind.INT),
        Column("gain", "Прирост", Kind.CHANGE),
    ]
    return Table(
        title, columns, [{"label": g.label, "subscribers": g.subscribers, "gain": g.gain} for g in gains]
    )


def growth_report(growth: Growth, regions: Regions, top: int = 15) -> Report:
    channel_columns = [
        Column("title", "Канал"),
        Column("key", "Ключ"),
        Column("region", "Регион"),
        Column("category", "Категория"),
        Column("start", "В начале", Kind.INT),
        Column("end", "В конце", Kind.INT),
        Column("gain", "Прирост", Kind.CHANGE),
        Column("percent", "Прирост, %", Kind.PERCENT),
        Column("peer", "Медиана категории, %", Kind.PERCENT),
        Column("vs_peers", "От медианы, п. п.", Kind.FLOAT),
    ]

    def row(g: ChannelGrowth) -> dict[str, object]:
        return {
            "title": g.info.title or g.info.key,
            "key": g.info.key,
            "region": g.info.region,
            "category": g.info.category,
            "start": g.start,
            "end": g.end,
            "gain": g.gain,
            "percent": g.percent,
            "peer": g.peer_median_percent,
            "vs_peers": g.vs_peers,
        }

    region_columns = [
        Column("region", "Код"),
        Column("name", "Регион"),
        Column("platform", "Платформа"),
        Column("start", "В начале", Kind.INT),
        Column("end", "В конце", Kind.INT),
        Column("gain", "Прирост", Kind.CHANGE),
        Column("percent", "Прирост, %", Kind.PERCENT),
        Column("channels", "Каналов", Kind.INT),
    ]
    region_rows = [
        {
            "region": g.region,
            "name": _region_name(regions, g.region),
            "platform": g.platform,
            "start": g.start,
            "end": g.end,
            "gain": g.gain,
            "percent": g.percent,
            "channels": g.channels,
        }
        for g in growth.regions
    ]
    peer_columns = [
        Column("platform", "Платформа"),
        Column("category", "Категория"),
        Column("median", "Медиана прироста, %", Kind.PERCENT),
    ]
    peers = [{"platform": p, "category": c, "median": m} for (p, c), m in sorted(growth.peer_medians.items())]
    tables = [
        Table(
            "Быстрее всех растут",
            channel_columns,
            [row(c) for c in growth.fastest(top)],
            "Каналы с не менее чем 50 подписчиками в начале периода.",
        ),
        Table("Медленнее всех растут", channel_columns, [row(c) for c in growth.slowest(top)]),
        Table("Регионы", region_columns, region_rows),
        Table("Группы сравнения (категория по всем регионам)", peer_columns, peers),
        _gains_table("Прирост по дням", growth.daily),
        _gains_table("Прирост по неделям", growth.weekly),
        _gains_table("Прирост по месяцам", growth.monthly),
    ]
    return Report("Рост аудитории", f"{day(growth.start)} — {day(growth.end)}", tables)


def _region_name(regions: Regions, code: str) -> str:
    region = regions.get(code) if code else None
    return region.name_ru if region else code


def _finding_value(f: Finding) -> str:
    """The alert's value as people read it: a change in percent, a net change, hours without data."""
    if f.kind in (DetectionKind.DECLINING, DetectionKind.DROP, DetectionKind.SPIKE, DetectionKind.FLATLINE):
        return cell(f.value * 100, Kind.PERCENT)
    if f.kind is DetectionKind.STALE:
        return f"{f.value / 3600:.0f} ч без данных"
    if f.kind is DetectionKind.LOST_ACCESS:
        return f.reason
    return cell(f.value, Kind.CHANGE) + " за окно"


def stalled_report(detection: Detection, regions: Regions) -> Report:
    columns = [
        Column("kind", "Что случилось"),
        Column("title", "Канал"),
        Column("key", "Ключ"),
        Column("region", "Регион"),
        Column("category", "Категория"),
        Column("subscribers", "Подписчиков", Kind.INT),
        Column("value", "Показатель"),
        Column("note", "Примечание"),
    ]
    rows = []
    for f in detection.findings:
        value = _finding_value(f)
        note = (
            f"рост может быть ниже шага округления платформы ({f.rounding_step})" if f.rounding_step else ""
        )
        rows.append(
            {
                "kind": KIND_TITLES[f.kind],
                "title": f.info.title or f.info.key,
                "key": f.info.key,
                "region": _region_name(regions, f.info.region),
                "category": f.info.category,
                "subscribers": f.subscribers,
                "value": value,
                "note": note,
            }
        )
    notes = [
        f"Массовая потеря подписчиков на платформе {platform_name(p)}: {n} каналов за сутки."
        for p, n in sorted(detection.mass_drops.items())
    ]
    table = Table(
        "Каналы, требующие внимания",
        columns,
        rows,
        "Те же правила и пороги, что у оповещений Prometheus (секция detection конфигурации).",
    )
    return Report(
        "Каналы: остановка роста, потери, рывки, нет данных", f"на {when(detection.at)}", [table], notes
    )


def coverage_report(coverage: Coverage, regions: Regions) -> Report:
    cell_columns = [
        Column("region", "Регион"),
        Column("category", "Категория"),
        Column("expected", "Должно быть", Kind.INT),
        Column("ok", "Работает", Kind.INT),
        Column("missing", "Отсутствует", Kind.INT),
        Column("inaccessible", "Нет доступа", Kind.INT),
        Column("failing", "Ошибки опроса", Kind.INT),
        Column("share", "Охват", Kind.SHARE),
    ]
    cells = [
        {
            "region": _region_name(regions, c.region),
            "category": c.category,
            "expected": c.expected,
            "ok": c.ok,
            "missing": c.missing,
            "inaccessible": c.inaccessible,
            "failing": c.failing,
            "share": c.share,
        }
        for c in coverage.cells
    ]
    problem_columns = [
        Column("state", "Состояние"),
        Column("title", "Канал"),
        Column("key", "Ключ"),
        Column("region", "Регион"),
        Column("category", "Категория"),
        Column("reason", "Ответ платформы"),
    ]
    problems = [
        {
            "state": STATE_TITLES[s.state],
            "title": s.info.title or s.info.key,
            "key": s.info.key,
            "region": _region_name(regions, s.info.region),
            "category": s.info.category,
            "reason": s.reason,
        }
        for s in coverage.channels
        if s.state != "ok"
    ]
    org_columns = [
        Column("org", "Ведомство"),
        Column("region", "Регион"),
        Column("max", "Max", Kind.INT),
        Column("vk", "ВКонтакте", Kind.INT),
        Column("telegram", "Telegram", Kind.INT),
        Column("max_share", "Доля Max", Kind.SHARE),
        Column("max_share_before", "Доля Max полгода назад", Kind.SHARE),
        Column("missing", "Нет канала"),
    ]
    orgs = []
    for o in coverage.orgs:
        history = [share for _, share in o.max_share_history]
        orgs.append(
            {
                "org": o.org,
                "region": _region_name(regions, o.region),
                **{p: o.subscribers.get(p) for p in ("max", "vk", "telegram")},
                "max_share": o.share("max"),
                "max_share_before": history[0] if history else None,
                "missing": ", ".join(platform_name(p) for p in o.missing_platforms),
            }
        )
    summary = [f"{title}: {coverage.count(state)}" for state, title in STATE_TITLES.items()]
    tables = [
        Table("Обязательные каналы по регионам и категориям", cell_columns, cells),
        Table("Каналы с проблемами", problem_columns, problems),
        Table("Ведомства: каналы и доля аудитории по платформам", org_columns, orgs),
    ]
    return Report("Охват: обязательные каналы", f"на {day(coverage.as_of)}", tables, ["; ".join(summary)])


def _projection_row(p: Projection) -> dict[str, object]:
    row: dict[str, object] = {"name": p.label, "key": p.name, "current": p.current, "slope": p.fit.slope}
    for h in HORIZONS:
        low, high = p.band(h)
        row[f"d{h}"], row[f"d{h}_low"], row[f"d{h}_high"] = round(p.value(h)), round(low), round(high)
    return row


def forecast_report(forecast: Forecast, top: int = 30) -> Report:
    base = [
        Column("name", "Название"),
        Column("key", "Ключ"),
        Column("current", "Сейчас", Kind.INT),
        Column("slope", "В день", Kind.FLOAT),
    ]
    for h in HORIZONS:
        base += [
            Column(f"d{h}", f"Через {h} дн.", Kind.INT),
            Column(f"d{h}_low", "от", Kind.INT),
            Column(f"d{h}_high", "до", Kind.INT),
        ]
    region_columns = [
        *base,
        Column("target", "Цель, подписчиков", Kind.INT),
        Column("target_date", "Цель будет достигнута", Kind.DATE),
    ]
    regions = []
    for p in sorted(forecast.regions, key=lambda p: -p.current):
        row = _projection_row(p)
        row["target"] = round(p.target) if p.target is not None else None
        row["target_date"] = p.target_date(forecast.as_of)
        regions.append(row)
    channels = [_projection_row(p) for p in sorted(forecast.channels, key=lambda p: -p.current)[:top]]
    tables = [
        Table(
            "Регионы",
            region_columns,
            regions,
            f"Цель — {forecast.per_1000_target:g} подписчиков на 1000 жителей; «нет данных» — регион без "
            "данных о населении или цель не будет достигнута при текущем темпе.",
        ),
        Table("Крупнейшие каналы", base, channels),
    ]
    notes = []
    if forecast.channel_count is not None:
        cc = forecast.channel_count
        reach = cc.target_date(forecast.as_of)
        notes.append(
            f"Официальных каналов сейчас {cc.current}; через 30 дн. ≈{round(cc.value(30))}, через 90 дн. "
            f"≈{round(cc.value(90))}; цель {forecast.channel_target}: "
            + (f"≈{day(reach)}" if reach else "не будет достигнута при текущем темпе")
            + "."
        )
    subtitle = f"на {day(forecast.as_of)}, по {forecast.fit_days} последним дням (Theil–Sen, интервал 90 %)"
    return Report("Прогноз аудитории", subtitle, tables, notes)
