"""Formatting values for people reading Russian: 50 000, 2,5 %, +1 200, «нет данных»."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from collector.reports.model import Kind

UNAVAILABLE = "нет данных"
NBSP = "\u00a0"
MINUS = "−"


def integer(value: int | float) -> str:
    return f"{round(value):,}".replace(",", NBSP).replace("-", MINUS)


def decimal(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}".replace(",", NBSP).replace(".", ",").replace("-", MINUS)


def signed(value: int | float) -> str:
    return ("+" if value > 0 else "") + integer(value)


def cell(value: Any, kind: Kind) -> str:
    """The text of one table cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return UNAVAILABLE if kind is not Kind.CHANGE else "—"
    if kind is Kind.INT:
        return integer(value)
    if kind is Kind.CHANGE:
        return signed(value)
    if kind is Kind.FLOAT:
        return decimal(value)
    if kind is Kind.PERCENT:
        return ("+" if value > 0 else "") + decimal(value, 1) + NBSP + "%"
    if kind is Kind.SHARE:
        return decimal(value * 100, 1) + NBSP + "%"
    if kind is Kind.DATE and isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%d.%m.%Y %H:%M UTC")


def day(value: date) -> str:
    return value.strftime("%d.%m.%Y")
