"""The regions reference: 89 federal subjects with names, federal district and Rosstat population.

Data: `collector/data/regions.csv`, built from the project's shared reference (population «Росстат»,
1 January 2025). Four subjects have no Rosstat estimate; their population is None (per-capita figures
are then unavailable, never zero) unless the operator supplies one in configuration.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

# Codes seen in the wild for the subjects that ISO 3166-2:RU does not list.
ALIASES: Mapping[str, str] = {
    "RU-DON": "RU-DPR",
    "RU-LUG": "RU-LPR",
    "RU-ZP": "RU-ZAP",
    "RU-HR": "RU-KHE",
    "UA-43": "RU-CR",
    "UA-40": "RU-SEV",
}


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name_ru: str
    name_en: str
    federal_district: str
    population: int | None
    population_date: str
    capital: str
    source: str


class Regions:
    """An immutable lookup of regions by code (aliases accepted)."""

    def __init__(self, regions: list[Region]) -> None:
        self._by_code = {r.code: r for r in regions}

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.canonical(code) is not None

    def canonical(self, code: str) -> str | None:
        """The project's code for `code` (case-insensitive, aliases resolved), or None if unknown."""
        normalized = code.strip().upper()
        region = self._by_code.get(ALIASES.get(normalized, normalized))
        return region.code if region else None  # the shared string: 200,000 channels, 89 code objects

    def get(self, code: str) -> Region | None:
        canonical = self.canonical(code)
        return self._by_code[canonical] if canonical else None

    def __getitem__(self, code: str) -> Region:
        region = self.get(code)
        if region is None:
            raise KeyError(code)
        return region

    def with_population_overrides(self, overrides: Mapping[str, int]) -> Regions:
        """A copy where operator-supplied figures replace (or fill in) the population of some regions."""
        regions = []
        for region in self:
            if region.code in overrides:
                region = replace(
                    region,
                    population=overrides[region.code],
                    population_date="",
                    source="operator configuration",
                )
            regions.append(region)
        return Regions(regions)

    def federal_districts(self) -> list[str]:
        return sorted({r.federal_district for r in self if r.federal_district})


@cache
def load_regions() -> Regions:
    """The shipped reference (read once per process)."""
    text = resources.files("collector").joinpath("data/regions.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    regions = [
        Region(
            code=row["code"],
            name_ru=row["name_ru"],
            name_en=row["name_en"],
            federal_district=row["federal_district"],
            population=int(row["population"]) if row["population"] else None,
            population_date=row["population_date"],
            capital=row["capital"],
            source=row["source"],
        )
        for row in rows
    ]
    return Regions(regions)
