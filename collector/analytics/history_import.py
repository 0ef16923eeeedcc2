"""Importing history: CSV exports (`govpulse import csv`) and an InfluxDB database (`govpulse import influx`).

CSV: a header row with the columns date, platform, channel, subscribers (Russian names and common
aliases accepted: дата, платформа, канал, подписчики, time, count, members...), optionally region and
category. Separators `,`, `;` or tab (detected from the header); UTF-8 with or without BOM; dates as
ISO 8601 (2025-12-01, 2025-12-01T10:00:00Z) or DD.MM.YYYY [HH:MM[:SS]]; a date without a time means
00:00 UTC of that day; counts may carry thousands separators ("12 345").

Every row is validated first; bad rows are reported with their line numbers. The import is all or
nothing: with any bad row nothing is written (exit status 2), unless `--skip-bad` is given, which writes
the good rows and reports the bad ones. The good rows are written in one store transaction, so a failure
while writing (disk full) leaves the store as it was. Re-importing the same file is harmless: an
identical sample is skipped by the store, a corrected one replaces the stored value.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collector.analytics.influx_source import InfluxClient, InfluxTarget
from collector.models import OK, Category, Channel, Platform, Sample
from collector.regions import load_regions
from collector.registry import normalize_channel
from exporters.store import Store

COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "дата", "time", "timestamp", "datetime", "день", "observed_at"),
    "platform": ("platform", "платформа", "сеть", "network"),
    "channel": ("channel", "канал", "channel_id", "id", "chat_id", "group_id", "key"),
    "subscribers": (
        "subscribers",
        "подписчики",
        "подписчиков",
        "count",
        "members",
        "members_count",
        "followers",
        "value",
    ),
    "region": ("region", "регион"),
    "category": ("category", "категория"),
}
REQUIRED = ("date", "platform", "channel", "subscribers")
_DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")
_SPACES = re.compile(r"[\s\u00a0\u202f']")


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    message: str

    def __str__(self) -> str:
        return f"строка {self.line}: {self.message}"


@dataclass(slots=True)
class Parsed:
    samples: list[Sample] = field(default_factory=list)
    channels: dict[str, Channel] = field(default_factory=dict)  # rows that named region and category
    bad: list[BadRow] = field(default_factory=list)
    rows: int = 0


class ImportRejected(Exception):
    """Bad rows were found and `skip_bad` was not given: nothing was imported."""

    def __init__(self, bad: list[BadRow]) -> None:
        super().__init__(f"{len(bad)} bad rows; nothing imported")
        self.bad = bad


def parse_time(text: str) -> float:
    value = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"дата «{value}» не распознана (2025-12-01, 2025-12-01T10:00:00Z или 01.12.2025)"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def parse_count(text: str) -> int:
    value = _SPACES.sub("", text)
    if value.endswith((".0", ",0")):
        value = value[:-2]
    if not value.isdigit():
        raise ValueError(f"число подписчиков «{text.strip()}» не целое неотрицательное число")
    return int(value)


def _header_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        clean = name.strip().strip('"').lower()
        for column, aliases in COLUMNS.items():
            if clean in aliases and column not in found:
                found[column] = index
    return found


def _dialect(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", "\t", ",")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def _row(values: list[str], columns: dict[str, int], line: int, parsed: Parsed) -> None:
    def get(name: str) -> str:
        index = columns.get(name)
        return values[index].strip() if index is not None and index < len(values) else ""

    try:
        platform = Platform(get("platform").lower())
    except ValueError:
        raise ValueError(f"платформа «{get('platform')}» не max, vk или telegram") from None
    try:
        channel = normalize_channel(platform, get("channel"))
    except Exception as exc:  # the registry's row error: its message says what is wrong
        raise ValueError(f"канал: {exc}") from None
    at, count = parse_time(get("date")), parse_count(get("subscribers"))
    parsed.samples.append(Sample(platform, channel, at, OK, count))
    region, category = get("region"), get("category")
    if region and category:
        canonical = load_regions().canonical(region)
        if canonical is None:
            raise ValueError(f"неизвестный регион «{region}»")
        parsed.channels[f"{platform.value}:{channel}"] = Channel(
            platform, channel, canonical, Category(category)
        )


def parse_csv_text(text: str) -> Parsed:
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=_dialect(first))
    parsed = Parsed()
    header = next(reader, None)
    if header is None:
        parsed.bad.append(BadRow(1, "файл пуст"))
        return parsed
    columns = _header_map(header)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        parsed.bad.append(BadRow(1, f"нет столбцов: {', '.join(missing)} (заголовок: {', '.join(header)})"))
        return parsed
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        parsed.rows += 1
        try:
            _row(values, columns, reader.line_num, parsed)
        except ValueError as exc:
            parsed.bad.append(BadRow(reader.line_num, str(exc)))
    return parsed


def parse_csv(path: Path) -> Parsed:
    try:
        return parse_csv_text(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return Parsed(bad=[BadRow(0, f"файл не в кодировке UTF-8 (байт {exc.start})")])


def write(store: Store, parsed: Parsed, *, skip_bad: bool = False) -> int:
    """Write the parsed samples; raise ImportRejected (writing nothing) on bad rows unless `skip_bad`.
    Returns the number of samples stored (new or corrected)."""
    if parsed.bad and not skip_bad:
        raise ImportRejected(parsed.bad)
    if parsed.channels:
        store.sync_registry(list(parsed.channels.values()), remove_missing=False)
    return store.write_samples(parsed.samples)


def _influx_rows(series: Iterable[dict[str, Any]], parsed: Parsed) -> None:
    for s in series:
        tags: dict[str, str] = s.get("tags", {})
        for t, v in s.get("values", []):
            parsed.rows += 1
            try:
                platform = Platform(str(tags.get("platform", "")))
                sample = Sample(platform, str(tags.get("channel", "")), float(t), OK, parse_count(str(v)))
            except ValueError as exc:
                parsed.bad.append(BadRow(parsed.rows, f"{tags}: {exc}"))
                continue
            parsed.samples.append(sample)
            _influx_channel(tags, platform, sample.channel, parsed)


def _influx_channel(tags: dict[str, str], platform: Platform, channel: str, parsed: Parsed) -> None:
    region = load_regions().canonical(tags.get("region", ""))
    category = tags.get("category", "")
    if region and category in Category._value2member_map_:
        parsed.channels[f"{platform.value}:{channel}"] = Channel(
            platform, channel, region, Category(category)
        )


def read_influx(target: InfluxTarget, start: float | None = None, end: float | None = None) -> Parsed:
    """Every `channel_subscribers` point (optionally within [start, end]); a row is bad when its count is
    not a non-negative integer or its platform tag is unknown (numbered in reading order)."""
    where = []
    if start is not None:
        where.append(f"time >= {int(start)}s")
    if end is not None:
        where.append(f"time <= {int(end)}s")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    query = (
        f'SELECT "subscribers" FROM "channel_subscribers"{clause}'
        " GROUP BY platform, channel, region, category"
    )
    client = InfluxClient(target)
    parsed = Parsed()
    try:
        _influx_rows(client.series(query), parsed)
    finally:
        client.close()
    return parsed
