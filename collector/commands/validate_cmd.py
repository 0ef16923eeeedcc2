"""`govpulse validate`: check the configuration and the channel registry; exit 2 on any problem."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from collector.cli import EXIT_BAD_INPUT, EXIT_OK, add_config_option, settings_from
from collector.regions import load_regions
from collector.registry import Registry, load_files


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("validate", help="check the configuration and the channel registry")
    add_config_option(parser)
    parser.add_argument(
        "--registry",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="registry file to check in addition to those in the configuration (repeatable)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    files = [*settings.registry.files, *args.registry]
    regions = load_regions().with_population_overrides(settings.regions.population_overrides)
    registry = load_files(files, regions)
    console = Console(stderr=False)
    print(f"configuration: ok ({args.config or 'defaults'})")
    if files:
        print_summary(console, registry)
    for problem in registry.problems:
        print(problem, file=sys.stderr)
    if registry.problems:
        print(f"{len(registry.problems)} problem(s) in the registry", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def print_summary(console: Console, registry: Registry) -> None:
    summary = registry.summary()
    print(
        f"registry: {len(registry.channels)} channels loaded, {len(registry.problems)} rejected, "
        f"{registry.classified} classified from titles"
    )
    for dimension, title in (("platform", "Площадка"), ("category", "Категория")):
        console.print(_counter_table(title, summary[dimension]))
    regions = summary["region"]
    console.print(_counter_table("Регион (первые 15)", Counter(dict(regions.most_common(15)))))


def _counter_table(title: str, counts: Counter[str]) -> Table:
    table = Table(title=title)
    table.add_column(title)
    table.add_column("Каналов", justify="right")
    for key, count in counts.most_common():
        table.add_row(key, str(count))
    return table
