"""Synthetic channel histories with every alert shape plus seeded random walks (borderline cases), as
collector attempts: hourly sweeps from t=0 (promtool's time origin), each ok with a count or failed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from collector.analytics.history import ChannelInfo, History
from collector.models import OK, Platform, Sample

HOUR, DAY = 3600.0, 86_400.0
HOURS = 20 * 24  # 20 days of hourly sweeps (the rules look back at most 15 days)

Shape = Callable[[float], tuple[str, int | None] | None]  # t -> (status, count), None = not yet created


@dataclass(frozen=True, slots=True)
class SynthChannel:
    info: ChannelInfo
    shape: Shape

    def attempts(self) -> list[tuple[float, str, int | None]]:
        out = []
        for i in range(HOURS + 1):
            t = i * HOUR
            got = self.shape(t)
            if got is not None:
                out.append((t, got[0], got[1]))
        return out


def _ok(value: float) -> tuple[str, int | None]:
    return OK, max(0, round(value))


def _named(platform: str, n: int, category: str, shape: Shape, region: str = "RU-AST") -> SynthChannel:
    return SynthChannel(ChannelInfo(platform, str(n), region, category, title=f"Канал {n}"), shape)


def _fixed_shapes() -> list[SynthChannel]:
    def flat(t: float) -> tuple[str, int | None]:
        return _ok(1000)

    def growing(t: float) -> tuple[str, int | None]:
        return _ok(500 + t / HOUR)

    def declining(t: float) -> tuple[str, int | None]:
        return _ok(4000 * 0.995 ** (t / DAY))

    def drop(t: float) -> tuple[str, int | None]:
        return _ok((2000 + t / HOUR) * (0.7 if t >= 18.5 * DAY else 1.0))

    def spike(t: float) -> tuple[str, int | None]:
        extra = 0.5 * 1000 * min(1.0, max(0.0, (t - 18.8 * DAY) / (8 * HOUR)))
        return _ok(1000 + 10 * t / DAY + extra)

    def push(t: float) -> tuple[str, int | None]:
        base = 800 + 2 * min(t, 6 * DAY) / DAY
        return _ok(base * (1 + 0.3 * min(1.0, max(0.0, (t - 7 * DAY) / (5 * DAY)))))

    def stale(t: float) -> tuple[str, int | None]:
        return _ok(300 + t / DAY) if t < 17 * DAY else ("timeout", None)

    def lost(t: float) -> tuple[str, int | None]:
        return _ok(700) if t < 17.5 * DAY else ("lost_access", None)

    def young(t: float) -> tuple[str, int | None] | None:
        return None if t < 10 * DAY else _ok(50)

    def zero(t: float) -> tuple[str, int | None]:
        return _ok(0)

    def deleted(t: float) -> tuple[str, int | None]:
        return _ok(900 + t / DAY) if t < 18 * DAY else ("not_found", None)

    def platform_down(t: float) -> tuple[str, int | None]:
        return _ok(100) if t < 16 * DAY else ("network", None)

    shapes: list[tuple[str, str, Shape]] = [
        ("vk", "municipality", flat),
        ("vk", "municipality", growing),
        ("vk", "municipality", declining),
        ("vk", "municipality", drop),
        ("vk", "municipality", spike),
        ("vk", "municipality", push),
        ("vk", "school", stale),
        ("vk", "school", lost),
        ("vk", "school", young),
        ("vk", "school", zero),
        ("vk", "school", deleted),
    ]
    out = [_named(p, i + 1, c, s) for i, (p, c, s) in enumerate(shapes)]
    out += [_named("max", -(100 + i), "school", platform_down) for i in range(3)]
    return out


def _walk(seed: int) -> Shape:
    """A random walk with drift, occasional jumps and failures: values near every threshold."""
    rng = random.Random(seed)
    level = rng.choice([3, 40, 800, 15_000])
    drift = rng.uniform(-0.01, 0.012) * level / 24
    steps: dict[int, tuple[str, int | None]] = {}
    value = float(level)
    for i in range(HOURS + 1):
        value = max(0.0, value + drift + rng.gauss(0, 0.001 * level))
        if rng.random() < 0.004:
            value *= rng.choice([0.6, 0.78, 0.82, 1.12, 1.5, 3.0])
        failed = rng.random() < 0.03
        steps[i] = ("timeout", None) if failed else _ok(value)

    def shape(t: float) -> tuple[str, int | None]:
        return steps[int(t // HOUR)]

    return shape


def _mass_drop(n: int) -> Shape:
    def shape(t: float) -> tuple[str, int | None]:
        level = 300 + 17 * n + t / DAY
        return _ok(level * (0.6 if t >= 19 * DAY else 1.0))

    return shape


def scenario(walks: int = 40) -> list[SynthChannel]:
    channels = _fixed_shapes()
    categories = ["culture", "healthcare"]
    for i in range(walks):
        channels.append(_named("vk", 1000 + i, categories[i % 2], _walk(i)))
    for i in range(22):
        channels.append(_named("telegram", 2000 + i, "school", _mass_drop(i), region="RU-KRS"))
    return channels


def histories(channels: list[SynthChannel]) -> dict[str, History]:
    result: dict[str, History] = {}
    for ch in channels:
        history = result[ch.info.key] = History(ch.info)
        for at, status, subscribers in ch.attempts():
            history.add(at, status, subscribers)
    return result


def samples(channels: list[SynthChannel], offset: float = 0.0) -> list[Sample]:
    return [
        Sample(Platform(ch.info.platform), ch.info.channel, at + offset, status, subscribers)
        for ch in channels
        for at, status, subscribers in ch.attempts()
    ]
