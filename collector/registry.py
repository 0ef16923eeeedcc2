"""The channel registry (DESIGN 4.1): CSV and YAML loaders with row-level validation.

A bad row is reported with its file, line and field and skipped; every good row still loads, and nothing
is dropped without a problem naming it. A problem that makes the whole file unreadable (missing, wrong
encoding, empty, unknown columns) is a `RegistryProblem` with `fatal=True`.

Rows without region or category are classified from their title (`collector.classify`); a title that
names no region stays `unknown` / `unclassified` rather than being guessed.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from collector.classify import classify_title
from collector.models import UNKNOWN_REGION, Category, Channel, Platform
from collector.regions import Regions, load_regions

REQUIRED_COLUMNS = ("platform", "channel")
KNOWN_COLUMNS = ("platform", "channel", "region", "category", "org", "title", "expected", "link")

_TRUE = {"1", "true", "yes", "y", "да", "+"}
_FALSE = {"", "0", "false", "no", "n", "нет", "-"}
_VK_SCREEN_NAME = re.compile(r"^[a-z0-9_.]{2,64}$")
_VK_NUMERIC_ALIAS = re.compile(r"^(?:club|public|event)(\d+)$")
_TELEGRAM_USERNAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")
_INTEGER = re.compile(r"^-?\d+$")


@dataclass(frozen=True, slots=True)
class RegistryProblem:
    file: str
    line: int | None
    field: str
    reason: str
    fatal: bool = False

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        column = f" [{self.field}]" if self.field else ""
        return f"{where}{column}: {self.reason}"


@dataclass
class Registry:
    channels: list[Channel] = field(default_factory=list)
    problems: list[RegistryProblem] = field(default_factory=list)
    classified: int = 0  # rows whose region or category came from the title

    @property
    def fatal(self) -> bool:
        return any(p.fatal for p in self.problems)

    def summary(self) -> dict[str, Counter[str]]:
        return {
            "platform": Counter(c.platform.value for c in self.channels),
            "region": Counter(c.region for c in self.channels),
            "category": Counter(c.category.value for c in self.channels),
        }

    def by_key(self) -> dict[str, Channel]:
        return {c.key: c for c in self.channels}


class _RowError(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def normalize_channel(platform: Platform, raw: str) -> str:
    """The canonical channel key for a platform, or raise _RowError explaining what is wrong."""
    value = raw.strip()
    if not value:
        raise _RowError("channel", "empty")
    if platform is Platform.MAX:
        if not _INTEGER.match(value) or not value.startswith("-"):
            raise _RowError("channel", f"Max chat_id must be a negative integer, got {value!r}")
        return value
    if platform is Platform.VK:
        lowered = value.lower().removeprefix("https://vk.com/").removeprefix("vk.com/")
        if lowered.lstrip("-").isdigit():
            number = int(lowered.lstrip("-"))
            if number <= 0:
                raise _RowError("channel", f"VK group id must be positive, got {value!r}")
            return str(number)
        alias = _VK_NUMERIC_ALIAS.match(lowered)
        if alias:
            return alias.group(1)
        if _VK_SCREEN_NAME.match(lowered):
            return lowered
        raise _RowError("channel", f"not a VK group id or screen name: {value!r}")
    if _INTEGER.match(value):
        return value
    username = value.removeprefix("https://t.me/").removeprefix("t.me/")
    if not username.startswith("@"):
        username = "@" + username
    if _TELEGRAM_USERNAME.match(username):
        return username.lower()
    raise _RowError("channel", f"not a Telegram @username or numeric id: {value!r}")


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _RowError("expected", f"not a yes/no value: {value!r}")


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def build_channel(row: Mapping[str, Any], regions: Regions) -> tuple[Channel, bool]:
    """Validate one row; return the channel and whether the title classifier filled region or category."""
    platform_text = _text(row, "platform").lower()
    try:
        platform = Platform(platform_text)
    except ValueError:
        allowed = ", ".join(p.value for p in Platform)
        raise _RowError("platform", f"unknown platform {platform_text!r} (one of {allowed})") from None
    channel = normalize_channel(platform, _text(row, "channel"))
    title = _text(row, "title")

    region_text = _text(row, "region")
    region = regions.canonical(region_text) if region_text else None
    if region_text and region is None:
        raise _RowError("region", f"unknown region code {region_text!r} (ISO 3166-2:RU, e.g. RU-AST)")
    category_text = _text(row, "category").lower()
    category: Category | None = None
    if category_text:
        try:
            category = Category(category_text)
        except ValueError:
            raise _RowError("category", f"unknown category {category_text!r}") from None

    classified = False
    if (region is None or category is None) and title:
        guess = classify_title(title, regions)
        if region is None and guess.region is not None:
            region, classified = guess.region, True
        if category is None and guess.category is not None:
            category, classified = guess.category, True
    return (
        Channel(
            platform=platform,
            channel=channel,
            region=region or UNKNOWN_REGION,
            category=category or Category.UNCLASSIFIED,
            org=_text(row, "org"),
            title=title,
            expected=_parse_bool(row.get("expected")),
            link=_text(row, "link"),
        ),
        classified,
    )


def _unreadable(path: Path, problems: list[RegistryProblem]) -> bool:
    """Report a file that cannot be opened or holds nothing; True when there is nothing to read."""
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        problems.append(RegistryProblem(name, None, "", "file not found", fatal=True))
        return True
    except OSError as exc:
        problems.append(RegistryProblem(name, None, "", f"cannot read: {exc.strerror}", fatal=True))
        return True
    with path.open("rb") as f:
        head = f.read(4096)
    if size == 0 or (size <= len(head) and not head.decode("utf-8", "replace").strip("\ufeff \r\n\t")):
        problems.append(RegistryProblem(name, None, "", "the file is empty", fatal=True))
        return True
    return False


def _not_utf8(path: Path, exc: UnicodeDecodeError, problems: list[RegistryProblem]) -> None:
    raw = path.read_bytes()
    hint = ""
    try:
        raw.decode("cp1251")
        hint = "; it looks like Windows-1251 (a spreadsheet export): save it as «CSV UTF-8»"
    except UnicodeDecodeError:
        pass
    problems.append(RegistryProblem(str(path), None, "", f"not UTF-8 text{hint}", fatal=True))


def _csv_rows(path: Path, problems: list[RegistryProblem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of a CSV registry, read as a stream (a 200,000-row file is never held whole in memory)."""
    name = str(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            first_line = f.readline()
            f.seek(0)
            if first_line.startswith("\ufeff"):
                f.read(1)
            # Spreadsheets in a Russian locale export with semicolons.
            delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
            reader = csv.reader(f, delimiter=delimiter)
            header = [h.strip().lower() for h in next(reader)]
            if _bad_header(name, header, problems):
                return
            for values in reader:
                line = reader.line_num
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(header):
                    problems.append(
                        RegistryProblem(
                            name, line, "", f"{len(values)} fields where the header has {len(header)}"
                        )
                    )
                    continue
                yield line, dict(zip(header, values, strict=True))
    except UnicodeDecodeError as exc:
        _not_utf8(path, exc, problems)


def _bad_header(name: str, header: list[str], problems: list[RegistryProblem]) -> bool:
    unknown = [h for h in header if h not in KNOWN_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    duplicated = [h for h, n in Counter(header).items() if n > 1]
    parts = []
    if unknown:
        parts.append(f"unknown columns {unknown}")
    if missing:
        parts.append(f"missing columns {missing}")
    if duplicated:
        parts.append(f"repeated columns {duplicated}")
    if parts:
        expected = ", ".join(KNOWN_COLUMNS)
        problems.append(
            RegistryProblem(name, 1, "", f"bad header: {'; '.join(parts)} (columns: {expected})", fatal=True)
        )
    return bool(parts)


def _yaml_rows(path: Path, problems: list[RegistryProblem]) -> Iterator[tuple[int, dict[str, Any]]]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        _not_utf8(path, exc, problems)
        return
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problems.append(
            RegistryProblem(name, line, "", f"invalid YAML: {getattr(exc, 'problem', exc)}", fatal=True)
        )
        return
    items_node = node
    if (
        isinstance(data, dict)
        and isinstance(data.get("channels"), list)
        and isinstance(node, yaml.MappingNode)
    ):
        data = data["channels"]
        items_node = next(v for k, v in node.value if k.value == "channels")
    if not isinstance(data, list) or not isinstance(items_node, yaml.SequenceNode):
        problems.append(
            RegistryProblem(name, 1, "", "expected a list of channels (or a 'channels:' list)", fatal=True)
        )
        return
    for item, item_node in zip(data, items_node.value, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            problems.append(RegistryProblem(name, line, "", "each channel must be a mapping"))
            continue
        unknown = [str(k) for k in item if str(k) not in KNOWN_COLUMNS]
        if unknown:
            problems.append(RegistryProblem(name, line, unknown[0], f"unknown keys {unknown}"))
            continue
        yield line, {str(k): v for k, v in item.items()}


def load_file(path: Path, regions: Regions | None = None) -> Registry:
    """Load one registry file; duplicates within it are problems."""
    return load_files([path], regions)


def load_files(paths: Iterable[Path], regions: Regions | None = None) -> Registry:
    """Load several registry files into one registry; a channel listed twice (anywhere) is a problem."""
    regions = regions or load_regions()
    registry = Registry()
    first_seen: dict[str, str] = {}
    for path in paths:
        if _unreadable(path, registry.problems):
            continue
        _load_one(path, regions, registry, first_seen)
    return registry


def _load_one(path: Path, regions: Regions, registry: Registry, first_seen: dict[str, str]) -> None:
    name = str(path)
    problems: list[RegistryProblem] = []
    channels: list[Channel] = []
    classified = 0
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    for line, row in _yaml_rows(path, problems) if is_yaml else _csv_rows(path, problems):
        try:
            channel, from_title = build_channel(row, regions)
        except _RowError as exc:
            problems.append(RegistryProblem(name, line, exc.field, exc.reason))
            continue
        if channel.key in first_seen:
            where = first_seen[channel.key]
            problems.append(
                RegistryProblem(name, line, "channel", f"duplicate of {channel.key} first listed at {where}")
            )
            continue
        first_seen[channel.key] = f"{name}:{line}"
        channels.append(channel)
        classified += from_title
    registry.problems.extend(problems)
    if any(p.fatal for p in problems):  # half a file (cut by a decoding error) is not loaded
        for channel in channels:
            del first_seen[channel.key]
        return
    registry.channels.extend(channels)
    registry.classified += classified


def write_csv(channels: Sequence[Channel], out: io.TextIOBase | Any) -> None:
    """Write channels in the registry CSV format (the inverse of the CSV loader)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(KNOWN_COLUMNS)
    for c in channels:
        writer.writerow(
            [
                c.platform.value,
                c.channel,
                c.region,
                c.category.value,
                c.org,
                c.title,
                "true" if c.expected else "",
                c.link,
            ]
        )
