"""XLSX (openpyxl): one sheet per table with a bold frozen header, filters and number formats; a last
sheet with the notes and the events of the period."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from collector.reports.model import Kind, Report, Table

FORMATS = {
    Kind.INT: "#,##0",
    Kind.CHANGE: "+#,##0;-#,##0;0",
    Kind.FLOAT: "0.00",
    Kind.PERCENT: "0.0",
    Kind.SHARE: "0.0%",
    Kind.DATE: "DD.MM.YYYY",
}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub(" ", title)[:28].strip() or "Лист"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name


def _fill(ws: Any, table: Table) -> None:
    """Write one table into an openpyxl worksheet (openpyxl ships no type hints, hence Any)."""
    ws.append([c.title for c in table.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        ws.append([row.get(c.key) for c in table.columns])
    for index, column in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(60, max(10, len(column.title) + 2))
        number_format = FORMATS.get(column.kind)
        if number_format:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    ws.freeze_panes = "A2"
    if table.rows:
        ws.auto_filter.ref = ws.dimensions


def to_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    used: set[str] = set()
    first = True
    for table in report.tables:
        sheet = workbook.active if first else workbook.create_sheet()
        first = False
        sheet.title = _sheet_title(table.title, used)
        _fill(sheet, table)
    info = workbook.create_sheet(_sheet_title("Сведения", used))
    info.append([report.title])
    info.append([report.subtitle])
    for note in report.notes:
        info.append([note])
    if report.events:
        info.append([])
        info.append(["События периода"])
        for e in report.events:
            info.append(
                [
                    datetime.fromtimestamp(e.at, UTC).replace(tzinfo=None),
                    e.text,
                    e.platform,
                    e.region,
                    e.channel,
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
