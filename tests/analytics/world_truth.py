"""Scoring detection against the sandbox's ground truth.

The series are generated from the world's closed-form dynamics (`World.count` at every sweep), not over
HTTP: the HTTP path is covered by the source tests; here only the numbers matter, and generating them
directly keeps a simulated quarter of thousands of channels within seconds. A deleted channel answers
`not_found` (Max, Telegram) or `deactivated` (VK), a bot-removed one `lost_access`, as the sources map them.

How the truth maps to a class at an evaluation moment T (a sweep time; W = the class's window and thr its
threshold, both from DetectionSettings). The true change over [T − W, T] is read off the world's
noiseless curve (`raw_level`, the sandbox's own dynamics before noise and integer rounding). What a
platform shows can differ from it by at most `band` = max(10 % of the threshold's subscribers,
2 × the channel's noise amplitude + 1 for integer rounding); a channel whose true change lies within
`band` of the threshold is borderline and not scored for that class; the test prints how many flagged
channels were not scored, and why.

* drop: a purge (`purged` state) that happened in (T − W, T] and whose true loss over the window is at
  least thr + band. Any other channel whose true loss stays below thr − band is negative.
* spike: a sudden jump, inflation (`spiking`) or mandated drive (`drive`), that began in (T − W, T] with
  a true gain over the window of at least thr + band. The detector cannot tell an inflation from a
  mandated drive by the count, so both are the class. A jump that began before the window but still
  runs into it is not scored (the rule flags a jump's first day, its own pace then includes the jump).
  Channels younger than spike_baseline_days + spike_window_days are not scored: by the runbook the rule
  does not judge a channel without a baseline (the generated rule does; see the report).
* declining: the true net change over the declining window is a loss of at least thr + band (a steady
  decline, or a purge within the window).
* stalled: the true net change over the stalled window is at most 0 (a stalled channel, a flat phase
  after a drive, a decline too slow to count as declining); negative when the true gain is at least
  `band` (the count must then have moved). Channels younger than min_age_days are not scored (the rule
  does not judge them).
Channels that are gone (deleted, bot removed) are negative for every trend class.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum

from collector.config import DetectionSettings
from collector.models import OK, Platform, Sample
from collector.sandbox import World
from collector.sandbox.dynamics import organic, raw_level
from collector.sandbox.model import Behaviour, SimChannel

DAY = 86_400.0
MARGIN = 0.1  # borderline band around a threshold, as a share of it


class Label(Enum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    # Not scored:
    BORDERLINE = "borderline"  # the true change is within `band` of the threshold
    YOUNG = "young"  # younger than the rule's minimum age (or the spike baseline)
    ONGOING = "ongoing"  # an event that began before the window, or a large change of another cause

    @property
    def scored(self) -> bool:
        return self in (Label.POSITIVE, Label.NEGATIVE)


def attempts(world: World, ch: SimChannel, times: list[float]) -> Iterator[Sample]:
    gone = {Platform.MAX: "not_found", Platform.VK: "deactivated", Platform.TELEGRAM: "not_found"}
    for t in times:
        if t < ch.created:
            continue
        past = t >= ch.change_at
        if past and ch.behaviour is Behaviour.DELETED:
            yield Sample(ch.platform, ch.key, t, gone[ch.platform])
        elif past and ch.behaviour is Behaviour.INACCESSIBLE:
            yield Sample(ch.platform, ch.key, t, "lost_access")
        else:
            yield Sample(ch.platform, ch.key, t, OK, world.count(ch, t))


def _noisy(ch: SimChannel, t: float, start: float) -> bool:
    """Whether the sandbox adds daily noise at t (as collector.sandbox.dynamics does: from the day after
    the world start, not in flat or declining phases)."""
    if ch.noise <= 0 or t < ch.created or math.floor(t / DAY) <= math.floor(start / DAY):
        return False
    if t < ch.change_at:
        return True
    return ch.behaviour not in (Behaviour.STALLED, Behaviour.DRIVE, Behaviour.DELETED, Behaviour.DECLINING)


@dataclass
class Truth:
    world: World
    s: DetectionSettings

    def _true(self, ch: SimChannel, at: float, window_days: float) -> tuple[float, float]:
        """(true change over the window, true level at its start) from the noiseless curve."""
        start = self.world.spec.start
        begin = at - window_days * DAY
        before = raw_level(ch, begin, start) if begin >= ch.created else 0.0
        return raw_level(ch, at, start) - before, before

    def _band(self, ch: SimChannel, at: float, window_days: float, change: float, threshold: float) -> float:
        """How far the observed change can be from the true one: the noise at both ends of the window
        (none where the curve is noiseless, e.g. flat phases) plus 1 for integer rounding (none when the
        curve did not move, its rounded count then does not move either); at least MARGIN of the
        threshold, so borderline cases are not scored."""
        begin = at - window_days * DAY
        noise = sum(ch.noise for t in (begin, at) if _noisy(ch, t, self.world.spec.start))
        rounding = 1.0 if change != 0 else 0.0
        return max(MARGIN * threshold, noise + rounding)

    def _gone(self, ch: SimChannel, at: float) -> bool:
        return ch.behaviour in (Behaviour.DELETED, Behaviour.INACCESSIBLE) and ch.change_at <= at - 3 * DAY

    def _by_change(self, ch: SimChannel, at: float, window_days: float, thr: float, loss: bool) -> Label:
        """POSITIVE when the true change passes thr (a loss or a gain) by the band, NEGATIVE when it stays
        short of it by the band, else BORDERLINE."""
        change, level = self._true(ch, at, window_days)
        limit = thr * max(level, 1.0)
        band = self._band(ch, at, window_days, change, limit)
        amount = -change if loss else change
        if amount >= limit + band:
            return Label.POSITIVE
        return Label.NEGATIVE if amount <= limit - band else Label.BORDERLINE

    def drop(self, ch: SimChannel, at: float) -> Label:
        if self._gone(ch, at):
            return Label.NEGATIVE
        label = self._by_change(ch, at, self.s.drop_window_days, self.s.drop_min_loss_ratio, loss=True)
        w = self.s.drop_window_days * DAY
        purge = ch.behaviour is Behaviour.PURGE and at - w < ch.change_at <= at
        return label if purge or label is not Label.POSITIVE else Label.ONGOING

    def spike(self, ch: SimChannel, at: float) -> Label:
        s = self.s
        if self._gone(ch, at):
            return Label.NEGATIVE
        if ch.created > at - (s.spike_baseline_days + s.spike_window_days) * DAY:
            return Label.YOUNG
        w = s.spike_window_days * DAY
        jump = ch.behaviour in (Behaviour.SPIKE, Behaviour.DRIVE)
        if jump and at - w - ch.window < ch.change_at <= at - w:
            return Label.ONGOING  # the jump began before the window and runs into it
        label = self._by_change(ch, at, s.spike_window_days, s.spike_min_gain_ratio, loss=False)
        began_inside = jump and at - w < ch.change_at <= at
        return label if began_inside or label is not Label.POSITIVE else Label.ONGOING

    def declining(self, ch: SimChannel, at: float) -> Label:
        if self._gone(ch, at):
            return Label.NEGATIVE
        return self._by_change(
            ch, at, self.s.declining_window_days, self.s.declining_min_loss_ratio, loss=True
        )

    def stalled(self, ch: SimChannel, at: float) -> Label:
        if self._gone(ch, at):
            return Label.NEGATIVE
        if ch.created > at - self.s.min_age_days * DAY:
            return Label.YOUNG
        change, _ = self._true(ch, at, self.s.stalled_window_days)
        if change <= 0:
            # Not growing; a loss beyond the declining threshold is the class "declining" instead.
            return Label.POSITIVE if self.declining(ch, at) is Label.NEGATIVE else Label.BORDERLINE
        band = self._band(ch, at, self.s.stalled_window_days, change, 0.0)
        return Label.NEGATIVE if change >= band else Label.BORDERLINE


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    ignored_flags: Counter[str] = field(default_factory=Counter)
    fp_examples: list[str] = field(default_factory=list)
    fn_examples: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, label: Label, flagged: bool, what: str) -> None:
        if not label.scored:
            self.ignored_flags[label.value] += flagged
        elif label is Label.POSITIVE and flagged:
            self.tp += 1
        elif label is Label.POSITIVE:
            self.fn += 1
            if len(self.fn_examples) < 5:
                self.fn_examples.append(what)
        elif flagged:
            self.fp += 1
            if len(self.fp_examples) < 5:
                self.fp_examples.append(what)


def describe(ch: SimChannel, at: float, start: float) -> str:
    return (
        f"{ch.platform.value}:{ch.key} {ch.behaviour.value} change={(ch.change_at - at) / DAY:+.2f}d "
        f"mag={ch.magnitude:.3f} base={ch.base:.0f} growth={ch.growth:.2f} "
        f"organic={organic(ch, at, start):.1f}"
    )
