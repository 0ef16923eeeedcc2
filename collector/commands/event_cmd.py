"""`govpulse event add|list`: record known external causes (a platform purge, an outage, a campaign)
that reports then show next to the figures of their period."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from collector.analytics.events import EventError, parse_when, record_event
from collector.cli import EXIT_BAD_INPUT, EXIT_OK, add_config_option, settings_from
from collector.models import Platform
from collector.reports.text import when
from exporters.store import Store


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("event", help="record or list known external events")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="record an event")
    add_config_option(add)
    add.add_argument("--at", required=True, help="when: 2025-12-03, 2025-12-03T10:00 or 03.12.2025 (UTC)")
    add.add_argument("--platform", choices=[p.value for p in Platform])
    add.add_argument("--region", help="region code, e.g. RU-MOW")
    add.add_argument("--channel", help="channel key on the platform (needs --platform)")
    add.add_argument("--text", required=True, help="what happened (shown in reports)")
    add.add_argument("--kind", default="external", help="event kind (default: external)")
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list events")
    add_config_option(listing)
    listing.add_argument("--since", help="from (default: 90 days ago)")
    listing.add_argument("--until", help="to (default: now)")
    listing.add_argument("--platform", choices=[p.value for p in Platform])
    listing.add_argument("--region")
    listing.set_defaults(handler=run_list)


def run_add(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        at = parse_when(args.at)
        with Store.from_settings(settings.store) as store:
            event_id = record_event(
                store,
                at,
                args.text,
                platform=args.platform,
                region=args.region,
                channel=args.channel,
                kind=args.kind,
                influx=settings.sinks.influxdb,
            )
    except EventError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"событие {event_id} записано: {when(at)} — {args.text}")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        since = parse_when(args.since) if args.since else time.time() - 90 * 86_400
        until = parse_when(args.until) if args.until else time.time()
    except EventError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    if not settings.store.path.exists():
        print("событий нет (встроенное хранилище ещё не создано)")
        return EXIT_OK
    with Store.open(settings.store.path, readonly=True) as store:
        events = store.events(since, until, platform=args.platform, region=args.region)
    table = Table(title="События")
    for title in ("№", "Когда", "Вид", "Платформа", "Регион", "Канал", "Что случилось"):
        table.add_column(title)
    for e in events:
        table.add_row(
            str(e.id), when(e.at), e.kind, e.platform or "", e.region or "", e.channel or "", e.text
        )
    Console().print(table)
    print(f"{len(events)} событий")
    return EXIT_OK
