"""A report as data: titled tables of typed columns, notes and the events of its period.

Every output format renders this one structure, so a figure reads the same in the terminal, a
spreadsheet and the HTML report. Values stay raw (int, float, str, None) until a renderer formats them;
None means "unavailable" and is never shown as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from exporters.store_records import Event


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"  # counts: 50 000
    CHANGE = "change"  # signed counts: +1 200 / −300
    FLOAT = "float"  # 12,35
    PERCENT = "percent"  # value in percent: 2,5 %
    SHARE = "share"  # value as a fraction 0..1, shown in percent
    DATE = "date"


NUMERIC_KINDS = frozenset({Kind.INT, Kind.CHANGE, Kind.FLOAT, Kind.PERCENT, Kind.SHARE})


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    kind: Kind = Kind.TEXT


@dataclass(slots=True)
class Table:
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    caption: str = ""

    def values(self, row: dict[str, Any]) -> list[Any]:
        return [row.get(c.key) for c in self.columns]


@dataclass(slots=True)
class Report:
    title: str
    subtitle: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
