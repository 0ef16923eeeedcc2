"""The catalogue of organisations behind the channels, generated in a fixed order from the seed.

Organisation k is the same whatever the world size, so platforms share bodies: the first N orgs have
Max channels, the first M have VK pages, and so on. Orgs 0-266 are the 89 regional governments, the
89 governors and the 89 parliaments; the rest follow the category mix, placed by region population.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from collector.models import Category
from collector.regions import Region
from collector.sandbox import names

FIXED_CATEGORIES = (Category.REGIONAL_GOVERNMENT, Category.GOVERNOR, Category.REGIONAL_PARLIAMENT)
DEFAULT_CATEGORY_MIX: Mapping[Category, float] = {
    Category.REGIONAL_EXECUTIVE: 0.12,
    Category.MUNICIPALITY: 0.11,
    Category.FEDERAL_AGENCY: 0.05,
    Category.SCHOOL: 0.36,
    Category.UNIVERSITY: 0.04,
    Category.CULTURE: 0.10,
    Category.HEALTHCARE: 0.09,
    Category.SOCIAL: 0.06,
    Category.YOUTH: 0.03,
    Category.OTHER: 0.04,
}
_CATEGORY_SLUG = {
    Category.REGIONAL_GOVERNMENT: "pravitelstvo",
    Category.GOVERNOR: "glava",
    Category.REGIONAL_PARLIAMENT: "parlament",
}


@dataclass(frozen=True, slots=True)
class Org:
    index: int
    region: Region
    category: Category
    name: str
    slug: str  # Latin, [a-z][a-z0-9_]*, unique across the catalogue
    expected: bool


@dataclass
class _RegionState:
    counters: dict[str, int] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def next_number(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]


class Catalogue:
    """Generates orgs lazily and in order; `get(k)` extends the catalogue as needed."""

    def __init__(self, seed: int, regions: list[Region], mix: Mapping[Category, float]) -> None:
        self._rng = random.Random(f"govpulse-sandbox:{seed}:orgs")
        self._regions = regions
        weights = [float(r.population or 1_000_000) ** 0.9 for r in regions]
        self._cum = [sum(weights[: i + 1]) for i in range(len(weights))]
        self._mix_categories = list(mix)
        total = sum(mix.values())
        self._mix_cum = [sum(list(mix.values())[: i + 1]) / total for i in range(len(mix))]
        self._state: dict[str, _RegionState] = {r.code: _RegionState() for r in regions}
        self._slugs: set[str] = set()
        self._orgs: list[Org] = []

    def get(self, k: int) -> Org:
        while len(self._orgs) <= k:
            self._orgs.append(self._make(len(self._orgs)))
        return self._orgs[k]

    def _unique_slug(self, slug: str, index: int) -> str:
        slug = slug if slug[:1].isalpha() else "g" + slug
        if slug in self._slugs:
            slug = f"{slug}_{index}"
        self._slugs.add(slug)
        return slug

    def _make(self, k: int) -> Org:
        n_regions = len(self._regions)
        if k < len(FIXED_CATEGORIES) * n_regions:
            category = FIXED_CATEGORIES[k // n_regions]
            region = self._regions[k % n_regions]
            name = {
                Category.REGIONAL_GOVERNMENT: names.government_title,
                Category.GOVERNOR: names.governor_title,
                Category.REGIONAL_PARLIAMENT: names.parliament_title,
            }[category](region)
            slug = f"{_CATEGORY_SLUG[category]}_{region.code[3:].lower()}"
            return Org(
                k,
                region,
                category,
                name,
                self._unique_slug(slug, k),
                category is not Category.REGIONAL_PARLIAMENT,
            )
        region = self._rng.choices(self._regions, cum_weights=self._cum)[0]
        u = self._rng.random()
        category = next(c for c, edge in zip(self._mix_categories, self._mix_cum, strict=True) if u <= edge)
        name, slug, expected = self._named(region, category)
        return Org(
            k, region, category, name, self._unique_slug(f"{slug}_{region.code[3:].lower()}", k), expected
        )

    def _named(self, region: Region, category: Category) -> tuple[str, str, bool]:
        state = self._state[region.code]
        if category is Category.REGIONAL_EXECUTIVE:
            return self._listed(region, state, names.EXECUTIVE_BODIES, dative=False)
        if category is Category.FEDERAL_AGENCY:
            return self._listed(region, state, names.FEDERAL_BODIES, dative=True)
        if category is Category.MUNICIPALITY:
            return self._municipality(region, state)
        return self._templated(region, state, category)

    def _listed(
        self, region: Region, state: _RegionState, bodies: tuple[tuple[str, str], ...], dative: bool
    ) -> tuple[str, str, bool]:
        """A named body of the region not used yet; numbered subordinate offices once all are used."""
        where = names.region_dative(region) if dative else names.region_genitive(region)
        free = [b for b in bodies if b[0] not in state.used]
        if free:
            body, slug = self._rng.choice(free)
            state.used.add(body)
            return f"{body} {where}", slug, not dative
        n = state.next_number("office" if not dative else "ifns")
        if dative:
            return f"Межрайонная ИФНС России №{n} по {where}", f"mifns{n}", False
        return f"Территориальный отдел социальной защиты №{n} {where}", f"uszn{n}", False

    def _municipality(self, region: Region, state: _RegionState) -> tuple[str, str, bool]:
        city = names.city_genitive(region.capital)
        gen = names.region_genitive(region)
        if "capital" not in state.used:
            state.used.add("capital")
            return f"Администрация г. {city}", "adm_" + names.translit(region.capital).replace("-", ""), True
        for _ in range(6):
            stem, stem2 = self._rng.choice(names.DISTRICT_STEMS), self._rng.choice(names.DISTRICT_STEMS)
            d, d2 = names.district_adjective(stem, "gen"), names.district_adjective(stem2, "gen")
            ds, ds2 = names.translit(stem), names.translit(stem2)
            title, slug = self._rng.choice(
                (
                    (f"Администрация {d} района г. {city}", f"adm_{ds}_r"),
                    (f"Администрация {d} муниципального района {gen}", f"{ds}_mr"),
                    (f"Администрация {d} муниципального округа {gen}", f"{ds}_mo"),
                    (f"Администрация {d2} сельского поселения {d} района {gen}", f"{ds2}_sp_{ds}"),
                )
            )
            if title not in state.used:
                state.used.add(title)
                return title, slug, False
        n = state.next_number("settlement")
        return f"Администрация сельского поселения №{n} {gen}", f"sp{n}", False

    def _templated(self, region: Region, state: _RegionState, category: Category) -> tuple[str, str, bool]:
        title_t, slug_t = self._rng.choice(names.simple_templates(category))
        for _ in range(6):
            stem = self._rng.choice(names.DISTRICT_STEMS)
            n = state.next_number(title_t) if "{n}" in title_t else 0
            title = title_t.format(
                n=n,
                city=names.city_genitive(region.capital),
                region=names.region_genitive(region),
                dgen=names.district_adjective(stem, "gen"),
                dfem=names.district_adjective(stem, "fem"),
            )
            if title not in state.used:
                state.used.add(title)
                return title, slug_t.format(n=n, d=names.translit(stem)), False
        n = state.next_number("branch:" + title_t)
        return f"{title} (филиал №{n})", f"{slug_t.format(n=n, d='x')}_f{n}", False
