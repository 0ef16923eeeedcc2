"""`govpulse import csv FILE` and `govpulse import influx --url ... --db ...`: load subscriber history.

All or nothing: every row is validated first; with any bad row nothing is written and the command exits 2
listing the bad rows by line number, unless `--skip-bad` writes the good rows (and still lists the bad).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from collector.analytics.history_import import ImportRejected, Parsed, parse_csv, read_influx, write
from collector.analytics.influx_source import InfluxQueryError, InfluxTarget
from collector.analytics.snapshot import end_of_day
from collector.cli import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, add_config_option, settings_from
from collector.commands.report_cmd import parse_date
from exporters.store import Store, StoreError

MAX_LISTED = 50


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("import", help="import subscriber history (CSV export or InfluxDB)")
    sources = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    from_csv = sources.add_parser("csv", help="a CSV export: date, platform, channel, subscribers")
    add_config_option(from_csv)
    from_csv.add_argument("file", type=Path)
    from_csv.add_argument("--skip-bad", action="store_true", help="import the good rows even if some are bad")
    from_csv.set_defaults(handler=run_csv)
    from_influx = sources.add_parser(
        "influx", help="channel_subscribers from an InfluxDB database (InfluxQL)"
    )
    add_config_option(from_influx)
    from_influx.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8086")
    from_influx.add_argument("--db", required=True, help="database (InfluxDB 2.x/3.x: the DBRP-mapped name)")
    from_influx.add_argument("--rp", default="", help="retention policy")
    from_influx.add_argument("--user", default="", help="user (password from GOVPULSE_IMPORT_PASSWORD)")
    from_influx.add_argument("--since", type=parse_date)
    from_influx.add_argument("--until", type=parse_date)
    from_influx.add_argument("--skip-bad", action="store_true")
    from_influx.set_defaults(handler=run_influx)


def _finish(args: argparse.Namespace, parsed: Parsed) -> int:
    settings = settings_from(args)
    for bad in parsed.bad[:MAX_LISTED]:
        print(f"{getattr(args, 'file', 'influx')}: {bad}", file=sys.stderr)
    if len(parsed.bad) > MAX_LISTED:
        print(f"... и ещё {len(parsed.bad) - MAX_LISTED} ошибочных строк", file=sys.stderr)
    try:
        with Store.from_settings(settings.store) as store:
            stored = write(store, parsed, skip_bad=args.skip_bad)
    except ImportRejected as exc:
        print(
            f"{len(exc.bad)} ошибочных строк из {parsed.rows}: ничего не импортировано "
            "(исправьте файл или укажите --skip-bad)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except StoreError as exc:
        print(f"не удалось записать: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    skipped = f", пропущено ошибочных: {len(parsed.bad)}" if parsed.bad else ""
    print(f"прочитано строк: {parsed.rows}, записано наблюдений: {stored}{skipped}")
    return EXIT_OK


def run_csv(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        print(f"{args.file}: файл не найден", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _finish(args, parse_csv(args.file))


def run_influx(args: argparse.Namespace) -> int:
    target = InfluxTarget(
        args.url.rstrip("/"),
        args.db,
        args.rp,
        args.user,
        os.environ.get("GOVPULSE_IMPORT_PASSWORD", ""),
        os.environ.get("GOVPULSE_IMPORT_TOKEN", ""),
    )
    since = end_of_day(args.since) - 86_399 if args.since else None
    until = end_of_day(args.until) if args.until else None
    try:
        parsed = read_influx(target, since, until)
    except InfluxQueryError as exc:
        print(f"InfluxDB: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return _finish(args, parsed)
