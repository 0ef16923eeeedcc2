"""Inline SVG charts for the HTML report: horizontal ranking bars and growth lines (no scripts, no
external files; text is escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from collector.reports.text import integer

PALETTE = ("#1f6feb", "#d9480f", "#2f9e44", "#862e9c", "#e67700", "#0c8599")


def bars(items: Sequence[tuple[str, float]], *, title: str, width: int = 760, bar_height: int = 22) -> str:
    """Horizontal bars, largest first as given; each bar is a `rect.bar` with its value as a label."""
    if not items:
        return f'<p class="empty">{escape(title)}: нет данных</p>'
    label_width, gap = 260, 6
    top = max(v for _, v in items) or 1.0
    height = len(items) * (bar_height + gap) + 30
    parts = [
        f'<svg class="chart bars" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]
    span = width - label_width - 90
    for i, (label, value) in enumerate(items):
        y = 20 + i * (bar_height + gap)
        w = max(1.0, span * value / top)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        parts.append(
            f'<rect class="bar" x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height}"'
            f' fill="{PALETTE[0]}"><title>{escape(label)}: {integer(value)}</title></rect>'
        )
        parts.append(
            f'<text x="{label_width + w + 6:.1f}" y="{y + bar_height * 0.7:.1f}">{integer(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    points: Sequence[tuple[date, float]]


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / count
    return [low + step * i for i in range(count + 1)]


def lines(series: Sequence[Line], *, title: str, width: int = 760, height: int = 300) -> str:
    """A line chart over dates; each series is a `path.series` with a legend entry."""
    drawn = [s for s in series if len(s.points) >= 2]
    if not drawn:
        return f'<p class="empty">{escape(title)}: нет данных</p>'
    left, right, top, bottom = 80, 20, 20, 60
    days = [d.toordinal() for s in drawn for d, _ in s.points]
    values = [v for s in drawn for _, v in s.points]
    x0, x1 = min(days), max(days) if max(days) > min(days) else min(days) + 1
    y0, y1 = min(0.0, min(values)), max(values) if max(values) > 0 else 1.0

    def x(d: date) -> float:
        return left + (width - left - right) * (d.toordinal() - x0) / (x1 - x0)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - y0) / (y1 - y0))

    parts = [
        f'<svg class="chart lines" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in _ticks(y0, y1):
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"'
            ' stroke="#ddd"/>'
        )
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{integer(tick)}</text>')
    first, last = date.fromordinal(x0), date.fromordinal(x1)
    for d, anchor in ((first, "start"), (last, "end")):
        parts.append(
            f'<text x="{x(d):.1f}" y="{height - bottom + 18}" text-anchor="{anchor}">'
            f"{d.strftime('%d.%m.%Y')}</text>"
        )
    for i, s in enumerate(drawn):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{'M' if j == 0 else 'L'}{x(d):.1f},{y(v):.1f}" for j, (d, v) in enumerate(s.points))
        parts.append(
            f'<path class="series" d="{path}" fill="none" stroke="{color}" stroke-width="2">'
            f"<title>{escape(s.name)}</title></path>"
        )
        lx = left + i * 160
        parts.append(
            f'<rect x="{lx}" y="{height - 24}" width="12" height="12" fill="{color}"/>'
            f'<text x="{lx + 16}" y="{height - 14}">{escape(s.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
