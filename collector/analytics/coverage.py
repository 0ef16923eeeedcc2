"""Coverage: which channels that must exist do, per region and category, and where each body's audience is.

Read from the embedded store (the registry with its `expected` flag, and each channel's last outcome):
* `ok` — last observed successfully;
* `missing` — expected but never observed successfully, or the platform says it is gone
  (`not_found`, `deactivated`);
* `inaccessible` — the platform refuses us (`lost_access`, `auth`);
* `failing` — the last attempt failed for a transient reason (timeouts, 5xx, ...);
* `unclassified` — a channel (discovered by the Max bot) without a region or category yet.
Per body (`org`): its channels on Max, VK and Telegram, their subscribers and each platform's share of
the body's audience, and the Max share at monthly points over the period ("migration to Max").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from collector.analytics.history import DELETED_REASONS, ChannelInfo
from collector.analytics.snapshot import counts_on, day_number
from collector.analytics.sources import StoreSource
from collector.models import OK, UNKNOWN_REGION, Category, Platform
from exporters.store_records import Outcome

OK_STATE, MISSING, INACCESSIBLE, FAILING, UNCLASSIFIED = (
    "ok",
    "missing",
    "inaccessible",
    "failing",
    "unclassified",
)
STATE_TITLES = {
    OK_STATE: "работает",
    MISSING: "отсутствует",
    INACCESSIBLE: "нет доступа",
    FAILING: "ошибки опроса",
    UNCLASSIFIED: "не классифицирован",
}
PLATFORMS = tuple(p.value for p in Platform)


@dataclass(frozen=True, slots=True)
class ChannelState:
    info: ChannelInfo
    state: str
    reason: str = ""


@dataclass(slots=True)
class CoverageCell:
    region: str
    category: str
    expected: int = 0
    ok: int = 0
    missing: int = 0
    inaccessible: int = 0
    failing: int = 0

    @property
    def share(self) -> float | None:
        return None if not self.expected else self.ok / self.expected


@dataclass(slots=True)
class OrgAudience:
    org: str
    region: str
    channels: dict[str, list[str]] = field(default_factory=dict)  # platform -> channel keys
    subscribers: dict[str, int] = field(default_factory=dict)  # platform -> total
    max_share_history: list[tuple[date, float | None]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.subscribers.values())

    def share(self, platform: str) -> float | None:
        return None if not self.total else self.subscribers.get(platform, 0) / self.total

    @property
    def missing_platforms(self) -> list[str]:
        return [p for p in PLATFORMS if p not in self.channels]


@dataclass(slots=True)
class Coverage:
    as_of: date
    channels: list[ChannelState] = field(default_factory=list)
    cells: list[CoverageCell] = field(default_factory=list)
    orgs: list[OrgAudience] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for c in self.channels if c.state == state)


def channel_state(info: ChannelInfo, outcome: Outcome | None) -> ChannelState:
    if info.region == UNKNOWN_REGION or info.category == Category.UNCLASSIFIED.value:
        return ChannelState(info, UNCLASSIFIED)
    if outcome is None or outcome.last_ok_at is None:
        return ChannelState(info, MISSING, outcome.status if outcome else "")
    if outcome.status == OK:
        return ChannelState(info, OK_STATE)
    if outcome.status in DELETED_REASONS:
        return ChannelState(info, MISSING, outcome.status)
    if outcome.status in ("lost_access", "auth"):
        return ChannelState(info, INACCESSIBLE, outcome.status)
    return ChannelState(info, FAILING, outcome.status)


def _cells(states: list[ChannelState]) -> list[CoverageCell]:
    cells: dict[tuple[str, str], CoverageCell] = {}
    for s in states:
        if not s.info.expected or s.state == UNCLASSIFIED:
            continue
        cell = cells.setdefault(
            (s.info.region, s.info.category), CoverageCell(s.info.region, s.info.category)
        )
        cell.expected += 1
        setattr(cell, s.state, getattr(cell, s.state) + 1)
    return sorted(cells.values(), key=lambda c: (c.region, c.category))


def _orgs(infos: list[ChannelInfo], counts: Mapping[str, int]) -> dict[tuple[str, str], OrgAudience]:
    orgs: dict[tuple[str, str], OrgAudience] = {}
    for info in infos:
        if not info.org:
            continue
        org = orgs.setdefault((info.org, info.region), OrgAudience(info.org, info.region))
        org.channels.setdefault(info.platform, []).append(info.key)
        if info.key in counts:  # a channel without a count (deleted, never observed) adds no audience
            org.subscribers[info.platform] = org.subscribers.get(info.platform, 0) + counts[info.key]
    return orgs


def build_coverage(
    source: StoreSource,
    as_of: date,
    *,
    region: str | None = None,
    platform: str | None = None,
    history_months: int = 6,
) -> Coverage:
    infos = [i for i in source.channels().values() if i.active and (region is None or i.region == region)]
    outcomes = source.store.last_outcomes(platform)
    scoped = [i for i in infos if platform is None or i.platform == platform]
    states = [channel_state(i, outcomes.get(i.key)) for i in scoped]
    coverage = Coverage(
        as_of, sorted(states, key=lambda s: (s.state, s.info.region, s.info.key)), _cells(states)
    )
    last = day_number(as_of)
    points = [last - 30 * k for k in range(history_months, -1, -1)]
    daily = source.daily(points[0] - 30, last)
    orgs = _orgs(infos, counts_on(daily, source.channels(), last))
    history: dict[tuple[str, str], list[tuple[date, float | None]]] = defaultdict(list)
    for day in points:
        counts = counts_on(daily, source.channels(), day)
        for key, org in _orgs(infos, counts).items():
            history[key].append((date.fromordinal(date(1970, 1, 1).toordinal() + day), org.share("max")))
    for key, org in orgs.items():
        org.max_share_history = history.get(key, [])
    coverage.orgs = sorted(orgs.values(), key=lambda o: (-o.total, o.org))
    return coverage
