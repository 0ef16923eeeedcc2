"""`govpulse report rating|growth|stalled|coverage|forecast|html`: the analyst's weekly reports.

Common options: -c config, --as-of DATE, --period (7, 7d, 2w, 1m), --platform, --region, --district,
--source store|influx, --format table|csv|json|xlsx|md|html, --output FILE. `--format html` (or the kind
`html`) writes the whole self-contained HTML report. Exit codes: 0 ok, 1 failure, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from collector.analytics.influx_source import InfluxQueryError, InfluxSource, InfluxTarget
from collector.analytics.sources import Source, StoreSource
from collector.cli import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, add_config_option, settings_from
from collector.config import Settings
from collector.models import Platform
from collector.regions import load_regions
from collector.reports import compose
from collector.reports.html import render_html_report
from collector.reports.render import RENDERERS, Format, terminal
from collector.reports.xlsx import to_xlsx
from exporters.store import Store, StoreError

KINDS = (*compose.KINDS, "html")
_UNITS = {"d": 1, "w": 7, "m": 30}


def parse_period(text: str) -> int:
    """Days from `7`, `7d`, `2w` or `1m` (30 days)."""
    value = text.strip().lower()
    unit = value[-1] if value[-1:] in _UNITS else "d"
    number = value[:-1] if value[-1:] in _UNITS else value
    if not number.isdigit() or int(number) <= 0:
        raise argparse.ArgumentTypeError(f"период «{text}»: ожидается 7, 7d, 2w или 1m")
    return int(number) * _UNITS[unit]


def parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"дата «{text}»: ожидается 2025-12-01 или 01.12.2025")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)
    parser.add_argument("--as-of", type=parse_date, help="report date (default: today, UTC)")
    parser.add_argument(
        "--period", type=parse_period, default=7, help="period: 7, 7d, 2w, 1m (default 7 days)"
    )
    parser.add_argument("--platform", choices=[p.value for p in Platform])
    parser.add_argument("--region", help="region code, e.g. RU-MOW")
    parser.add_argument("--district", help="federal district, e.g. Южный")
    parser.add_argument(
        "--source",
        choices=["store", "influx"],
        default="store",
        help="read the embedded store (default) or InfluxDB (sinks.influxdb)",
    )
    parser.add_argument("--format", type=Format, choices=list(Format), default=Format.TABLE)
    parser.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("report", help="ratings, growth, stalled channels, coverage, forecasts")
    parser.add_argument("kind", choices=KINDS)
    add_common_options(parser)
    parser.set_defaults(handler=run)


def _check(args: argparse.Namespace) -> str | None:
    regions = load_regions()
    if args.region is not None:
        canonical = regions.canonical(args.region)
        if canonical is None:
            return f"неизвестный регион «{args.region}»"
        args.region = canonical
    if args.district is not None and args.district not in regions.federal_districts():
        return f"неизвестный федеральный округ «{args.district}» ({', '.join(regions.federal_districts())})"
    if args.format is Format.XLSX and args.output is None:
        return "для --format xlsx укажите файл: --output report.xlsx"
    return None


def _source(args: argparse.Namespace, settings: Settings, store: Store | None) -> Source:
    if args.source == "influx":
        return InfluxSource(InfluxTarget.from_settings(settings.sinks.influxdb))
    if store is None:
        raise StoreError(f"нет встроенного хранилища {settings.store.path}", settings.store.path)
    return StoreSource(store)


def _emit(data: str | bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(data if isinstance(data, str) else data.decode("utf-8"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        output.write_bytes(data)
    else:
        output.write_text(data, encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    problem = _check(args)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    options = compose.Options(
        args.as_of or datetime.now(UTC).date(), args.period, args.platform, args.region, args.district
    )
    try:
        store = Store.open(settings.store.path, readonly=True) if settings.store.path.exists() else None
        try:
            return _render(args, settings, options, store)
        finally:
            if store is not None:
                store.close()
    except (StoreError, InfluxQueryError) as exc:
        print(f"ошибка чтения данных: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT


def _render(
    args: argparse.Namespace, settings: Settings, options: compose.Options, store: Store | None
) -> int:
    if args.kind == "html" or args.format is Format.HTML:
        if store is None:
            raise StoreError(f"нет встроенного хранилища {settings.store.path}", settings.store.path)
        html = render_html_report(
            store,
            settings,
            options.as_of,
            period_days=options.period_days,
            platform=options.platform or "max",
        )
        _emit(html, args.output)
        return EXIT_OK
    source = _source(args, settings, store)
    try:
        report = compose.KINDS[args.kind](source, settings, options)
    finally:
        source.close()
    report.events = compose.events_for(store, options)
    if args.format is Format.XLSX:
        _emit(to_xlsx(report), args.output)
    elif args.format is Format.TABLE and args.output is None:
        # A pipe or a file gets wide lines: 80 columns would squeeze the rating's 14 columns into stubs.
        terminal(report, Console(width=None if sys.stdout.isatty() else 220))
    else:
        _emit(RENDERERS[args.format](report), args.output)
    return EXIT_OK
