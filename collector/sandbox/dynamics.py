"""Closed-form subscriber curves: count(channel, t) is a pure O(1) function of the parameters and t.

Noise is a deterministic hash of (channel, simulated day), applied only from the day after the world
start, so every channel's count at the start is exactly its `base` (that is how the calibrated figures
hold exactly). Stalled and drive-flatline channels are exactly flat: no noise at all.
"""

from __future__ import annotations

import math

from collector.sandbox.model import Behaviour, SimChannel, State

DAY = 86400.0
WEEK = 7 * DAY
LOG_SCALE_DAYS = 30.0
PURGE_STATE_SECONDS = WEEK
_MASK = (1 << 64) - 1


def unit_hash(seed: int, n: int) -> float:
    """A deterministic value in [0, 1) from two integers (splitmix64 finaliser)."""
    z = (seed * 0x9E3779B97F4A7C15 + n * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    z ^= z >> 31
    return (z >> 11) / float(1 << 53)


def _after(ch: SimChannel, days: float) -> float:
    if ch.log_shape:
        return ch.growth * LOG_SCALE_DAYS * math.log1p(days / LOG_SCALE_DAYS)
    return ch.growth * days


def organic(ch: SimChannel, t: float, start: float) -> float:
    """The organic level: a concave ramp from creation to the start, then growth (`growth`/day)."""
    c = ch.created
    if c < start:
        if t < start:
            return ch.base * ((t - c) / (start - c)) ** 0.6 if t > c else 0.0
        return ch.base + _after(ch, (t - start) / DAY)
    days = (t - c) / DAY
    return ch.base * (1.0 - math.exp(-days / 3.0)) + _after(ch, days)


def raw_level(ch: SimChannel, t: float, start: float) -> float:
    """The noiseless level at t (valid for created channels)."""
    b = ch.behaviour
    if t < ch.change_at or b in (Behaviour.GROWING, Behaviour.INACCESSIBLE):
        return organic(ch, t, start)
    at_change = organic(ch, ch.change_at, start)
    elapsed = t - ch.change_at
    if b is Behaviour.STALLED or b is Behaviour.DELETED:
        return at_change
    if b is Behaviour.DECLINING:
        weeks = elapsed / WEEK
        kept: float = (1.0 - ch.magnitude) ** weeks
        return max(0.0, at_change * kept - 2.0 * weeks)
    if b is Behaviour.PURGE:
        return organic(ch, t, start) * (1.0 - ch.magnitude)
    if b is Behaviour.DRIVE:
        return at_change * (1.0 + ch.magnitude * min(1.0, elapsed / ch.window))
    # SPIKE: organic plus an extra that ramps in over the window and stays.
    return organic(ch, t, start) + ch.magnitude * at_change * min(1.0, elapsed / ch.window)


def _noisy(ch: SimChannel, t: float) -> bool:
    if ch.noise <= 0 or t < ch.change_at:
        return ch.noise > 0
    return ch.behaviour not in (Behaviour.STALLED, Behaviour.DRIVE, Behaviour.DELETED, Behaviour.DECLINING)


def subscribers(ch: SimChannel, t: float, start: float) -> int:
    """Subscribers at t; 0 before creation (callers check `state` for availability)."""
    if t < ch.created:
        return 0
    level = raw_level(ch, t, start)
    day = math.floor(t / DAY)
    if day > math.floor(start / DAY) and _noisy(ch, t):
        level += ch.noise * (2.0 * unit_hash(ch.seed, day) - 1.0)
    return max(0, int(level + 0.5))


def state(ch: SimChannel, t: float) -> State:
    """The ground-truth state at t."""
    if t < ch.created:
        return State.NOT_YET_CREATED
    b = ch.behaviour
    if t < ch.change_at or b is Behaviour.GROWING:
        return State.GROWING
    elapsed = t - ch.change_at
    if b is Behaviour.PURGE:
        return State.PURGED if elapsed < PURGE_STATE_SECONDS else State.GROWING
    if b is Behaviour.SPIKE:
        return State.SPIKING if elapsed < ch.window else State.GROWING
    if b is Behaviour.DRIVE:
        return State.DRIVE if elapsed < ch.window else State.DRIVE_FLATLINE
    return State(b.value)


def round_significant(n: int, digits: int) -> int:
    """Round to `digits` significant digits (12345 → 12000 for 2)."""
    if n <= 0:
        return n
    exponent = math.floor(math.log10(n)) - digits + 1
    if exponent <= 0:
        return n
    step: int = 10**exponent
    return round(n / step) * step
