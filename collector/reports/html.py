"""The self-contained HTML report a press service can send on: inline CSS and SVG charts, no scripts, no
external files. `render_html_report` builds it from a store; `report_route` serves it from aiohttp
(`GET /report?as_of=2025-12-01&platform=max`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path

from aiohttp import web

from collector.analytics.detection import KIND_TITLES
from collector.analytics.rating import build_rating
from collector.analytics.snapshot import day_date, day_number, totals_on
from collector.analytics.sources import StoreSource
from collector.config import Settings
from collector.reports import builders, compose, svg
from collector.reports.model import NUMERIC_KINDS, Report, Table
from collector.reports.text import cell, day, when
from exporters.store import Store
from exporters.store_records import Event

CSS = """
body{font-family:"PT Sans","Segoe UI",Arial,sans-serif;margin:24px auto;max-width:1100px;color:#1b1f24}
h1{font-size:26px;margin-bottom:4px}h2{font-size:20px;margin-top:32px;border-bottom:1px solid #ccd}
.subtitle{color:#57606a;margin-top:0}table{border-collapse:collapse;margin:8px 0 4px;font-size:13px}
th,td{border:1px solid #d0d7de;padding:3px 6px}th{background:#f3f5f7;text-align:left}
td.num{text-align:right;white-space:nowrap}.caption{color:#57606a;font-size:12px;max-width:900px}
.chart text{font-size:12px;fill:#1b1f24}.kpi{display:inline-block;margin:4px 16px 4px 0;padding:8px 12px;
background:#f3f5f7;border-radius:6px}.kpi b{display:block;font-size:20px}.empty{color:#57606a}
footer{margin-top:32px;color:#57606a;font-size:12px}
"""


def table_html(table: Table, limit: int | None = None) -> str:
    rows = table.rows[:limit] if limit else table.rows
    head = "".join(f"<th>{escape(c.title)}</th>" for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if c.kind in NUMERIC_KINDS else ''}>"
            f"{escape(cell(row.get(c.key), c.kind))}</td>"
            for c in table.columns
        )
        + "</tr>"
        for row in rows
    )
    more = (
        f'<p class="caption">Показаны {len(rows)} из {len(table.rows)}.</p>'
        if len(rows) < len(table.rows)
        else ""
    )
    caption = f'<p class="caption">{escape(table.caption)}</p>' if table.caption else ""
    return (
        f"<h3>{escape(table.title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"{more}{caption}"
    )


def _section(title: str, *parts: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def _growth_lines(source: StoreSource, as_of: date, days: int = 90) -> list[svg.Line]:
    last = day_number(as_of)
    first = last - days + 1
    out = []
    for platform in ("max", "vk", "telegram"):
        daily = source.daily(first - 30, last, platform)
        totals = totals_on(daily, daily.keys(), first, last)
        points = [(day_date(first + i), float(s)) for i, (s, n) in enumerate(totals) if n]
        if points:
            out.append(svg.Line(builders.platform_name(platform), points))
    return out


def _events_html(events: list[Event]) -> str:
    if not events:
        return '<p class="empty">Событий за период не отмечено.</p>'
    items = "".join(
        f"<li>{escape(when(e.at))} — {escape(e.text)}"
        + (
            f" <small>({escape(', '.join(x for x in (e.platform, e.region, e.channel) if x))})</small>"
            if e.platform or e.region or e.channel
            else ""
        )
        + "</li>"
        for e in events
    )
    return f"<ul>{items}</ul>"


def _attention(report: Report) -> str:
    rows = report.tables[0].rows
    counts = {title: sum(1 for r in rows if r["kind"] == title) for title in KIND_TITLES.values()}
    kpis = "".join(f'<span class="kpi"><b>{n}</b>{escape(t)}</span>' for t, n in counts.items())
    return kpis + "".join(f"<p>{escape(n)}</p>" for n in report.notes) + table_html(report.tables[0], 50)


def render_html_report(
    store: Store, settings: Settings, as_of: date, *, period_days: int = 7, platform: str = "max"
) -> str:
    """The whole weekly report as one HTML document."""
    source = StoreSource(store)
    try:
        options = compose.Options(as_of, period_days, platform)
        rating = build_rating(
            source, compose.regions_of(settings), as_of, platform=platform, period_days=period_days
        )
        top = sorted((r for r in rating.rows if r.gov_subscribers), key=lambda r: -(r.gov_subscribers or 0))[
            :15
        ]
        sections = [
            _section(
                "Рейтинг регионов",
                svg.bars(
                    [(r.name, float(r.gov_subscribers or 0)) for r in top],
                    title="Подписчики каналов правительств регионов",
                ),
                table_html(builders.rating_report(rating).tables[0], 30),
            ),
            _section(
                "Рост аудитории",
                svg.lines(_growth_lines(source, as_of), title="Подписчики официальных каналов по платформам"),
                *(table_html(t, 10) for t in compose.growth(source, settings, options).tables[:3]),
            ),
            _section("Требуют внимания", _attention(compose.stalled(source, settings, options))),
            _section("Прогноз", *_forecast_parts(compose.forecast(source, settings, options))),
            _section("Охват", *_coverage_parts(compose.coverage(source, settings, options))),
            _section("События периода", _events_html(compose.events_for(store, options))),
        ]
    finally:
        source.close()
    return _document(
        f"govpulse: официальные каналы — отчёт на {day(as_of)}",
        f"Платформа {builders.platform_name(platform)}; изменения за {period_days} дн.",
        sections,
    )


def _forecast_parts(report: Report) -> list[str]:
    return [*(f"<p>{escape(n)}</p>" for n in report.notes), table_html(report.tables[0], 20)]


def _coverage_parts(report: Report) -> list[str]:
    return [*(f"<p>{escape(n)}</p>" for n in report.notes), table_html(report.tables[1], 30)]


def _document(title: str, subtitle: str, sections: list[str]) -> str:
    generated = datetime.now(UTC).strftime("%d.%m.%Y %H:%M UTC")
    return (
        f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        # An empty inline icon: a browser would otherwise fetch /favicon.ico from wherever the file is opened.
        f'<link rel="icon" href="data:,"><style>{CSS}</style></head>'
        f'<body><h1>{escape(title)}</h1><p class="subtitle">{escape(subtitle)}</p>{"".join(sections)}'
        f"<footer>Сформировано govpulse {generated}. Численность населения: «Росстат», 1 января 2025."
        "</footer></body></html>"
    )


def report_route(
    store_path: Path, settings: Settings, clock: Callable[[], float] = time.time
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler serving the HTML report from a read-only view of the store; `?as_of=YYYY-MM-DD`
    (default: today by `clock`, UTC — the demo passes its simulated clock), `?platform=max|vk|telegram`,
    `?period=7`."""

    async def handle(request: web.Request) -> web.Response:
        try:
            today = datetime.fromtimestamp(clock(), UTC).date().isoformat()
            as_of = date.fromisoformat(request.query.get("as_of") or today)
            period = int(request.query.get("period", "7"))
            platform = request.query.get("platform", "max")
            if platform not in ("max", "vk", "telegram") or not 1 <= period <= 3650:
                raise ValueError(platform)
        except ValueError:
            raise web.HTTPBadRequest(
                text="as_of=YYYY-MM-DD, platform=max|vk|telegram, period=1..3650"
            ) from None
        text = await asyncio.to_thread(_render_readonly, store_path, settings, as_of, period, platform)
        return web.Response(text=text, content_type="text/html", charset="utf-8")

    return handle


def _render_readonly(path: Path, settings: Settings, as_of: date, period: int, platform: str) -> str:
    with Store.open(path, readonly=True) as store:
        return render_html_report(store, settings, as_of, period_days=period, platform=platform)


def yesterday() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)
