"""Renderers of a `Report`: terminal (rich), CSV, JSON, Markdown, XLSX; HTML lives in `html`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

from collector.reports.model import NUMERIC_KINDS, Report, Table
from collector.reports.text import cell, when

NUMERIC = NUMERIC_KINDS


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"
    MARKDOWN = "md"
    HTML = "html"


def _event_lines(report: Report) -> list[str]:
    return [
        f"{when(e.at)} — {e.text}"
        + (
            f" ({', '.join(x for x in (e.platform, e.region, e.channel) if x)})"
            if e.platform or e.region or e.channel
            else ""
        )
        for e in report.events
    ]


def terminal(report: Report, console: Console) -> None:
    console.print(f"[bold]{report.title}[/bold] — {report.subtitle}")
    for table in report.tables:
        rich_table = RichTable(title=table.title, caption=table.caption or None, show_lines=False)
        for column in table.columns:
            rich_table.add_column(column.title, justify="right" if column.kind in NUMERIC else "left")
        for row in table.rows:
            rich_table.add_row(*(cell(row.get(c.key), c.kind) for c in table.columns))
        if not table.rows:
            rich_table.add_row(*(["нет строк"] + [""] * (len(table.columns) - 1)))
        console.print(rich_table)
    for note in report.notes:
        console.print(note)
    if report.events:
        console.print("[bold]События периода[/bold]")
        for line in _event_lines(report):
            console.print(f"  {line}")


def to_text(report: Report, width: int = 200) -> str:
    buffer = io.StringIO()
    terminal(report, Console(file=buffer, width=width, force_terminal=False, color_system=None))
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    """A machine-readable value: numbers stay numbers, dates become ISO, None stays empty/null."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def to_csv(report: Report) -> str:
    """One block per table: its title row, the header, the rows; a blank line between tables. Numbers are
    raw (no thousands separators), unavailable values empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for i, table in enumerate(report.tables):
        if i:
            writer.writerow([])
        if len(report.tables) > 1:
            writer.writerow([f"# {table.title}"])
        writer.writerow([c.title for c in table.columns])
        for row in table.rows:
            writer.writerow(["" if (v := _plain(row.get(c.key))) is None else v for c in table.columns])
    return out.getvalue()


def _table_json(table: Table) -> dict[str, Any]:
    return {
        "title": table.title,
        "caption": table.caption,
        "columns": [{"key": c.key, "title": c.title, "kind": c.kind.value} for c in table.columns],
        "rows": [{c.key: _plain(row.get(c.key)) for c in table.columns} for row in table.rows],
    }


def to_json(report: Report) -> str:
    document = {
        "title": report.title,
        "subtitle": report.subtitle,
        "tables": [_table_json(t) for t in report.tables],
        "notes": report.notes,
        "events": [
            {
                "at": e.at,
                "kind": e.kind,
                "text": e.text,
                "platform": e.platform,
                "region": e.region,
                "channel": e.channel,
            }
            for e in report.events
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    lines = [f"# {report.title}", "", f"_{report.subtitle}_", ""]
    for table in report.tables:
        lines += [f"## {table.title}", ""]
        lines.append("| " + " | ".join(_md_escape(c.title) for c in table.columns) + " |")
        lines.append("|" + "|".join("---:" if c.kind in NUMERIC else "---" for c in table.columns) + "|")
        for row in table.rows:
            lines.append(
                "| " + " | ".join(_md_escape(cell(row.get(c.key), c.kind)) for c in table.columns) + " |"
            )
        if table.caption:
            lines += ["", table.caption]
        lines.append("")
    lines += [*report.notes, ""] if report.notes else []
    if report.events:
        lines += ["## События периода", "", *(f"- {line}" for line in _event_lines(report)), ""]
    return "\n".join(lines)


RENDERERS: dict[Format, Callable[[Report], str]] = {
    Format.CSV: to_csv,
    Format.JSON: to_json,
    Format.MARKDOWN: to_markdown,
    Format.TABLE: to_text,
}
