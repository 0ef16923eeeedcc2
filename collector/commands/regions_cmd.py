"""`govpulse regions`: print the regions reference as a table."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from collector.cli import add_config_option, settings_from
from collector.regions import load_regions


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("regions", help="print the regions reference (89 federal subjects)")
    add_config_option(parser)
    parser.add_argument("--district", help="only this federal district (e.g. Южный)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    regions = load_regions().with_population_overrides(settings.regions.population_overrides)
    table = Table(
        title="Субъекты Российской Федерации", caption="Численность населения: «Росстат», 1 января 2025"
    )
    for column in ("Код", "Субъект", "Region", "Федеральный округ", "Население", "Дата", "Источник"):
        table.add_column(column, justify="right" if column == "Население" else "left")
    shown = 0
    for region in regions:
        if args.district and region.federal_district != args.district:
            continue
        population = f"{region.population:,}".replace(",", " ") if region.population else "нет данных"
        source = _short_source(region.source)
        table.add_row(
            region.code,
            region.name_ru,
            region.name_en,
            region.federal_district or "—",
            population,
            region.population_date or "—",
            source,
        )
        shown += 1
    Console().print(table)
    print(f"{shown} regions")
    return 0


def _short_source(source: str) -> str:
    if source.startswith("Rosstat"):
        return "Росстат"
    if source.startswith("no Rosstat"):
        return "оценки Росстата нет"
    return "конфигурация" if source == "operator configuration" else source
