"""The simulated world: channels of Max, VK and Telegram, deterministic from `WorldSpec.seed`.

Calibration (DESIGN §1, tatar-inform 2025-12-04): on the start date the Max world has `max_channels`
channels with about `max_total_subscribers` subscribers in total; the regional governments of RU-MOW,
RU-AST, RU-KRS, RU-KO and RU-CHU have exactly 50,000, 13,000, 8,000, 7,800 and 1,200 subscribers and
every other regional government fewer than 1,200. Two governors' channels appear only after the start
(87 at the start). Later Max channels are created at an even pace up to `max_growth_until`.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from collector.models import Category, Channel, Platform
from collector.regions import load_regions
from collector.sandbox.catalogue import DEFAULT_CATEGORY_MIX, Catalogue, Org
from collector.sandbox.clock import DEFAULT_START
from collector.sandbox.dynamics import DAY, round_significant, subscribers
from collector.sandbox.model import Behaviour, SimChannel

CALIBRATED_GOVERNMENTS: Mapping[str, int] = {
    "RU-MOW": 50_000,
    "RU-AST": 13_000,
    "RU-KRS": 8_000,
    "RU-KO": 7_800,
    "RU-CHU": 1_200,
}
DEFAULT_BEHAVIOUR_SHARES: Mapping[Behaviour, float] = {
    Behaviour.GROWING: 0.70,
    Behaviour.STALLED: 0.08,
    Behaviour.DECLINING: 0.05,
    Behaviour.PURGE: 0.03,
    Behaviour.DRIVE: 0.04,
    Behaviour.SPIKE: 0.03,
    Behaviour.DELETED: 0.03,
    Behaviour.INACCESSIBLE: 0.04,
}
# Median subscribers on the start date and log-normal sigma, per category (Max; VK x4, Telegram x2).
CATEGORY_SIZE: Mapping[Category, tuple[float, float]] = {
    Category.GOVERNOR: (6000, 0.9),
    Category.REGIONAL_GOVERNMENT: (300, 0.6),
    Category.REGIONAL_PARLIAMENT: (200, 0.8),
    Category.REGIONAL_EXECUTIVE: (150, 1.0),
    Category.MUNICIPALITY: (200, 1.1),
    Category.FEDERAL_AGENCY: (150, 1.0),
    Category.SCHOOL: (40, 0.9),
    Category.UNIVERSITY: (300, 1.0),
    Category.CULTURE: (60, 1.0),
    Category.HEALTHCARE: (80, 1.0),
    Category.SOCIAL: (40, 0.9),
    Category.YOUTH: (80, 1.0),
    Category.OTHER: (50, 1.0),
}
_PLATFORM_SCALE = {Platform.MAX: 1.0, Platform.VK: 4.0, Platform.TELEGRAM: 2.0}
_HISTORY_FROM = {
    Platform.MAX: datetime(2025, 8, 1, tzinfo=UTC).timestamp(),
    Platform.VK: datetime(2012, 1, 1, tzinfo=UTC).timestamp(),
    Platform.TELEGRAM: datetime(2016, 1, 1, tzinfo=UTC).timestamp(),
}
_GOVERNORS_FROM = datetime(2025, 8, 14, tzinfo=UTC).timestamp()
_GOVERNORS_UNTIL = datetime(2025, 9, 2, tzinfo=UTC).timestamp()
LATE_GOVERNORS = 2  # 87 of 89 governors are on Max on the start date


@dataclass(frozen=True)
class WorldSpec:
    """Sizes, calibration and behaviour mix of a world; every field has the calibrated default."""

    seed: int = 1
    start: float = DEFAULT_START
    max_channels: int = 20_000  # Max channels existing on the start date
    max_future_channels: int = 20_000  # created after the start, evenly until max_growth_until
    max_growth_until: float = datetime(2026, 7, 1, tzinfo=UTC).timestamp()
    max_total_subscribers: int | None = None  # Max total on the start date; None = 100 per channel (2 M)
    vk_channels: int = 5_000  # up to 173,000 (the real count of VK госпаблики)
    telegram_channels: int = 2_000
    quarter_days: float = 91.0  # behaviour changes fall in [start, start + quarter)
    behaviour_shares: Mapping[Behaviour, float] = field(
        default_factory=lambda: dict(DEFAULT_BEHAVIOUR_SHARES)
    )
    category_mix: Mapping[Category, float] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_MIX))
    calibrated: Mapping[str, int] = field(default_factory=lambda: dict(CALIBRATED_GOVERNMENTS))
    round_large_counts: bool = False  # round counts >= round_threshold to round_digits significant digits
    round_threshold: int = 10_000
    round_digits: int = 2
    max_removed_status_share: float = 0.5  # bot-removed Max channels answering 200 status=removed (else 403)


class _Draw:
    """The random draws of one platform's channels, in a fixed order."""

    def __init__(self, spec: WorldSpec, platform: Platform) -> None:
        self.spec = spec
        self.platform = platform
        self.rng = random.Random(f"govpulse-sandbox:{spec.seed}:{platform.value}")
        shares = spec.behaviour_shares
        total = sum(shares.values())
        self.behaviours = list(shares)
        self.behaviour_cum = [sum(list(shares.values())[: i + 1]) / total for i in range(len(shares))]

    def behaviour(self) -> Behaviour:
        u = self.rng.random()
        return next(
            (b for b, edge in zip(self.behaviours, self.behaviour_cum, strict=True) if u <= edge),
            self.behaviours[-1],
        )

    def base(self, org: Org) -> float:
        median, sigma = CATEGORY_SIZE[org.category]
        population = org.region.population or 1_000_000
        factor = (population / 1_600_000) ** 0.35 * _PLATFORM_SCALE[self.platform]
        return max(1.0, self.rng.lognormvariate(math.log(median * factor), sigma))

    def created_before(self, start: float, org: Org) -> float:
        if self.platform is Platform.MAX and org.category is Category.GOVERNOR:
            return self.rng.uniform(_GOVERNORS_FROM, _GOVERNORS_UNTIL)
        origin = _HISTORY_FROM[self.platform]
        # Skewed toward the start: Max joined in a late-2025 wave.
        power = 2.0 if self.platform is Platform.MAX else 1.0
        skew: float = self.rng.random() ** power
        return start - (start - origin) * skew - 3600.0


def _hash_link(rng: random.Random) -> str:
    return hashlib.sha256(rng.getrandbits(128).to_bytes(16, "big")).hexdigest()[:22]


def _identity(platform: Platform, org: Org, k: int, rng: random.Random) -> tuple[str, int, str, str, bool]:
    """(registry key, numeric id, name, link, is_public) of org k's channel on a platform."""
    if platform is Platform.MAX:
        chat_id = -(70_000_000_000_000 + (k * 7919 + 1013) % 1_000_000_000)
        public = rng.random() < (0.85 if org.expected else 0.3)
        link = f"https://max.ru/{org.slug}" if public else f"https://max.ru/join/{_hash_link(rng)}"
        return str(chat_id), chat_id, org.slug if public else "", link, public
    if platform is Platform.VK:
        group_id = 10_000_000 + (k * 7919 + 4271) % 200_000_000
        name = org.slug if rng.random() < 0.6 else f"club{group_id}"
        return str(group_id), group_id, name, f"https://vk.com/{name}", True
    username = org.slug[:32] if len(org.slug) <= 32 else f"{org.slug[:24]}_{k}"
    chat_id = -(1_000_000_000_000 + (k * 7919 + 977) % 9_000_000_000)
    return f"@{username}", chat_id, username, f"https://t.me/{username}", True


def _behaviour_params(draw: _Draw, ch: SimChannel, behaviour: Behaviour) -> None:
    rng = draw.rng
    magnitude, window = {
        Behaviour.DECLINING: (rng.uniform(0.01, 0.05), DAY),
        Behaviour.PURGE: (rng.uniform(0.2, 0.8), DAY),
        Behaviour.DRIVE: (rng.uniform(0.5, 3.0), rng.uniform(6, 24) * 3600),
        Behaviour.SPIKE: (rng.uniform(1.0, 5.0), rng.uniform(1.0, 2.0) * DAY),
    }.get(behaviour, (0.0, DAY))
    ch.behaviour, ch.magnitude, ch.window = behaviour, magnitude, window


class World:
    """All simulated channels with lookup indexes. Build with `World.build(spec)`."""

    def __init__(self, spec: WorldSpec, channels: dict[Platform, list[SimChannel]]) -> None:
        self.spec = spec
        self.channels = channels
        self.max_by_id = {c.numeric_id: c for c in channels[Platform.MAX]}
        self.vk_by_id = {c.numeric_id: c for c in channels[Platform.VK]}
        self.vk_by_name = {c.name: c for c in channels[Platform.VK]}
        self.tg_by_name = {c.name.lower(): c for c in channels[Platform.TELEGRAM]}
        self.tg_by_id = {c.numeric_id: c for c in channels[Platform.TELEGRAM]}

    @classmethod
    def build(cls, spec: WorldSpec | None = None) -> World:
        spec = spec or WorldSpec()
        regions = list(load_regions())
        catalogue = Catalogue(spec.seed, regions, spec.category_mix)
        channels = {
            Platform.MAX: _build_max(spec, catalogue),
            Platform.VK: _build_simple(spec, catalogue, Platform.VK, spec.vk_channels),
            Platform.TELEGRAM: _build_simple(spec, catalogue, Platform.TELEGRAM, spec.telegram_channels),
        }
        return cls(spec, channels)

    def count(self, ch: SimChannel, t: float) -> int:
        """The subscriber count the platform reports at t (optionally rounded like large platforms do)."""
        n = subscribers(ch, t, self.spec.start)
        if self.spec.round_large_counts and n >= self.spec.round_threshold:
            return round_significant(n, self.spec.round_digits)
        return n

    def existing(self, platform: Platform, t: float) -> list[SimChannel]:
        return [c for c in self.channels[platform] if c.created <= t]

    def registry(self, t: float, platforms: tuple[Platform, ...] = tuple(Platform)) -> list[Channel]:
        """Registry rows (DESIGN 4.1) of the channels created by t."""
        return [
            Channel(
                platform=c.platform,
                channel=c.key,
                region=c.region,
                category=c.category,
                org=c.org,
                title=c.title,
                expected=c.expected,
                link=c.link,
            )
            for p in platforms
            for c in self.channels[p]
            if c.created <= t
        ]


def _new_channel(draw: _Draw, org: Org, k: int, created: float, base: float) -> SimChannel:
    rng = draw.rng
    key, numeric_id, name, link, public = _identity(draw.platform, org, k, rng)
    growth = base * rng.lognormvariate(math.log(0.004), 0.7) + rng.uniform(0.3, 1.0)
    ch = SimChannel(
        platform=draw.platform,
        key=key,
        numeric_id=numeric_id,
        name=name,
        title=org.name,
        org=org.name,
        region=org.region.code,
        category=org.category,
        expected=org.expected,
        link=link,
        is_public=public,
        created=created,
        base=base,
        growth=growth,
        log_shape=rng.random() < 0.4,
        behaviour=Behaviour.GROWING,
        change_at=0.0,
        magnitude=0.0,
        window=DAY,
        noise=0.3 * growth,
        variant=rng.randrange(2),
        posts_per_day=rng.uniform(0.3, 6.0),
        seed=rng.getrandbits(62),
    )
    _behaviour_params(draw, ch, draw.behaviour())
    origin = max(created, draw.spec.start)
    ch.change_at = (
        origin + (7 * DAY if created > draw.spec.start else 0.0) + rng.random() * draw.spec.quarter_days * DAY
    )
    if draw.platform is Platform.VK and ch.behaviour is Behaviour.INACCESSIBLE:
        ch.variant = rng.randrange(2)
    return ch


def _build_simple(spec: WorldSpec, catalogue: Catalogue, platform: Platform, size: int) -> list[SimChannel]:
    draw = _Draw(spec, platform)
    out = []
    for k in range(size):
        org = catalogue.get(k)
        out.append(_new_channel(draw, org, k, draw.created_before(spec.start, org), draw.base(org)))
    return out


def _build_max(spec: WorldSpec, catalogue: Catalogue) -> list[SimChannel]:
    draw = _Draw(spec, Platform.MAX)
    n_regions = len(load_regions())
    late = (
        set(draw.rng.sample(range(n_regions, 2 * n_regions), LATE_GOVERNORS))
        if spec.max_channels > 2 * n_regions
        else set()
    )
    total = spec.max_channels + spec.max_future_channels
    existing_left = spec.max_channels
    out: list[SimChannel] = []
    span = spec.max_growth_until - spec.start
    future_seen = 0
    for k in range(total):
        org = catalogue.get(k)
        base = draw.base(org)
        if existing_left > 0 and k not in late:
            created = draw.created_before(spec.start, org)
            existing_left -= 1
        else:
            future_seen += 1
            created = spec.start + span * future_seen / (spec.max_future_channels + 1)
        out.append(_new_channel(draw, org, k, created, base))
    _calibrate(spec, out)
    return out


def _calibrate(spec: WorldSpec, channels: list[SimChannel]) -> None:
    """Pin the five rated regional governments, keep the others below the fifth, scale to the total."""
    floor = min(spec.calibrated.values(), default=1_200)
    fixed = 0.0
    for ch in channels:
        if ch.category is Category.REGIONAL_GOVERNMENT:
            if ch.region in spec.calibrated:
                ch.base = float(spec.calibrated[ch.region])
                ch.behaviour = Behaviour.GROWING
                ch.created = min(ch.created, spec.start - 30 * DAY)
            else:
                ch.base = float(min(round(ch.base), floor - 60))
            if ch.created <= spec.start:
                fixed += ch.base
    scalable = sum(
        c.base for c in channels if c.created <= spec.start and c.category is not Category.REGIONAL_GOVERNMENT
    )
    if scalable <= 0:
        return
    target = spec.max_total_subscribers if spec.max_total_subscribers is not None else 100 * spec.max_channels
    factor = max(0.0, target - fixed) / scalable
    for ch in channels:
        if ch.category is not Category.REGIONAL_GOVERNMENT:
            ch.base = max(1.0, float(round(ch.base * factor)))
            ch.growth = max(0.3, ch.growth * factor)
            ch.noise = 0.3 * ch.growth
