"""Channel findings with the definitions of the Prometheus alert rules (collector/rulegen/channel_alerts.py).

Same windows and thresholds (`DetectionSettings`), same arithmetic (`promql_math`), same exclusions:
trends are not judged for channels that are gone or stale, a drop is not judged for gone channels, a
stale channel is not reported while its whole platform is stale. Given the samples Prometheus holds,
`Detector.evaluate(histories, at)` returns the channels whose alert condition holds at `at`; the alert
itself also waits `for:` one sweep before firing (a condition that survives the next sweep).

Behaviour at the edges, shared with the rules:
* perfectly flat series: change 0, ratio 0 (the divisor is clamped to 1), so "stalled" and never a drop,
  decline or spike; nothing divides by zero;
* rounded counts (a platform showing 12 000 for anything between 11 500 and 12 499): a count that does
  not move over the stalled window *is* reported stalled, even if the channel grows below the rounding
  step. The rule cannot know better from the count it sees; `rounding_step` marks such findings so a
  report can say "рост ниже шага округления платформы" instead of "канал не растёт".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from collector.analytics.history import GONE_REASONS, ChannelInfo, History
from collector.analytics.promql_math import change_ratio, delta, present, quantile
from collector.config import DetectionSettings

DAY = 86_400.0


class Kind(StrEnum):
    STALLED = "stalled"
    DECLINING = "declining"
    DROP = "drop"
    SPIKE = "spike"
    FLATLINE = "flatline_after_push"
    STALE = "stale"
    LOST_ACCESS = "lost_access"


ALERT_NAMES: Mapping[Kind, str] = {
    Kind.STALLED: "GovpulseChannelStalled",
    Kind.DECLINING: "GovpulseChannelDeclining",
    Kind.DROP: "GovpulseChannelSuddenDrop",
    Kind.SPIKE: "GovpulseChannelSpike",
    Kind.FLATLINE: "GovpulseChannelFlatlineAfterPush",
    Kind.STALE: "GovpulseChannelStale",
    Kind.LOST_ACCESS: "GovpulseChannelLostAccess",
}

KIND_TITLES: Mapping[Kind, str] = {
    Kind.STALLED: "не растёт",
    Kind.DECLINING: "теряет подписчиков",
    Kind.DROP: "резкая потеря",
    Kind.SPIKE: "подозрительный рост",
    Kind.FLATLINE: "рост остановился после рывка",
    Kind.STALE: "нет свежих данных",
    Kind.LOST_ACCESS: "нет доступа",
}


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    info: ChannelInfo
    value: float  # the alert's value: change, ratio or seconds, as in the rule
    subscribers: int | None
    reason: str = ""  # the error reason (lost access)
    rounding_step: int = 0  # > 0: the count looks rounded to this step (see the module docstring)


@dataclass(frozen=True, slots=True)
class Detection:
    at: float
    findings: list[Finding]
    mass_drops: dict[str, int]  # platform -> channels dropping at once (GovpulseMassDrop), when >= threshold

    def keys(self, kind: Kind) -> set[str]:
        return {f.info.key for f in self.findings if f.kind is kind}


@dataclass(slots=True)
class _Signals:
    """Per-channel quantities of one evaluation, computed once."""

    history: History
    current: int
    error: str | None
    unreliable: bool
    d_spike: float | None
    r_spike: float | None


def rounding_step(value: int, threshold: int = 10_000, digits: int = 2) -> int:
    """The rounding step a count of this size would have if the platform rounds large counts (else 0)."""
    if value < threshold or value <= 0:
        return 0
    step = 10 ** (math.floor(math.log10(value)) - digits + 1)
    return step if value % step == 0 else 0


class Detector:
    """Evaluates the channel alert conditions at a moment over a set of histories."""

    def __init__(self, settings: DetectionSettings, sweep_interval_seconds: float = 3600.0) -> None:
        self.s = settings
        self.stale_seconds = settings.stale_after_sweeps * sweep_interval_seconds

    def evaluate(self, histories: Mapping[str, History], at: float) -> Detection:
        signals = [sig for h in histories.values() if (sig := self._signals(h, at)) is not None]
        cycle_ok = _platform_last_ok(histories.values(), at)
        medians = self._peer_medians(signals)
        findings: list[Finding] = []
        drops: dict[str, int] = defaultdict(int)
        for sig in signals:
            found = self._trends(sig, at, medians)
            findings.extend(found)
            drops[sig.history.info.platform] += sum(f.kind is Kind.DROP for f in found)
        for history in histories.values():
            findings.extend(self._health(history, at, cycle_ok))
        findings.sort(key=lambda f: (f.kind.value, f.info.key))
        mass = {p: n for p, n in drops.items() if n >= self.s.mass_drop_min_channels}
        return Detection(at, findings, mass)

    def _signals(self, history: History, at: float) -> _Signals | None:
        current = history.current(at)
        if current is None or not history.info.active:
            return None
        error = history.error_at(at)
        last_ok = history.last_ok_at(at)
        unreliable = error in GONE_REASONS or (last_ok is not None and at - last_ok > self.stale_seconds)
        d = delta(history.gauge_times, history.gauge_values, at, self.s.spike_window_days * DAY)
        r = None if d is None else change_ratio(d, current)
        return _Signals(history, current, error, unreliable, d, r)

    def _peer_medians(self, signals: list[_Signals]) -> dict[tuple[str, str], float]:
        groups: dict[tuple[str, str], list[float]] = defaultdict(list)
        for sig in signals:
            if sig.r_spike is not None:
                groups[(sig.history.info.platform, sig.history.info.category)].append(sig.r_spike)
        return {group: quantile(0.5, values) for group, values in groups.items()}

    def _trends(self, sig: _Signals, at: float, medians: Mapping[tuple[str, str], float]) -> list[Finding]:
        checks = (
            (Kind.STALLED, self._stalled(sig, at)),
            (Kind.DECLINING, None if sig.unreliable else self._declining_ratio(sig, at)),
            (Kind.DROP, self._drop(sig, at)),
            (Kind.SPIKE, self._spike(sig, at, medians)),
            (Kind.FLATLINE, self._flatline(sig, at)),
        )
        info, step = sig.history.info, rounding_step(sig.current)
        return [
            Finding(kind, info, value, sig.current, rounding_step=step if kind is Kind.STALLED else 0)
            for kind, value in checks
            if value is not None
        ]

    def _delta(self, sig: _Signals, at: float, days: float, offset_days: float = 0.0) -> float | None:
        h = sig.history
        return delta(h.gauge_times, h.gauge_values, at, days * DAY, offset_days * DAY)

    def _declining_ratio(self, sig: _Signals, at: float) -> float | None:
        d = self._delta(sig, at, self.s.declining_window_days)
        if d is None:
            return None
        ratio = change_ratio(d, sig.current)
        return ratio if ratio < -self.s.declining_min_loss_ratio else None

    def _stalled(self, sig: _Signals, at: float) -> float | None:
        if sig.unreliable:
            return None
        d = self._delta(sig, at, self.s.stalled_window_days)
        if d is None or d > 0:
            return None
        age = self.s.min_age_days * DAY
        if age > 0 and not present(sig.history.gauge_times, at - age - DAY, at - age):
            return None
        return None if self._declining_ratio(sig, at) is not None else d

    def _drop(self, sig: _Signals, at: float) -> float | None:
        if sig.error in GONE_REASONS:
            return None
        d = self._delta(sig, at, self.s.drop_window_days)
        if d is None:
            return None
        ratio = change_ratio(d, sig.current)
        return ratio if ratio < -self.s.drop_min_loss_ratio else None

    def _spike(self, sig: _Signals, at: float, medians: Mapping[tuple[str, str], float]) -> float | None:
        s = self.s
        if (
            sig.unreliable
            or sig.d_spike is None
            or sig.r_spike is None
            or sig.r_spike < s.spike_min_gain_ratio
        ):
            return None
        baseline = self._delta(sig, at, s.spike_baseline_days, s.spike_window_days)
        if baseline is None:
            return None
        age = (s.spike_baseline_days + s.spike_window_days) * DAY  # as the rule: a whole baseline seen
        if not present(sig.history.gauge_times, at - age - DAY, at - age):
            return None
        own_pace = max(baseline, 0.0) * s.spike_window_days / s.spike_baseline_days
        if not sig.d_spike > s.spike_min_factor * own_pace:
            return None
        median = medians[(sig.history.info.platform, sig.history.info.category)]
        return sig.r_spike if sig.r_spike > s.spike_min_factor * max(median, 0.0) else None

    def _flatline(self, sig: _Signals, at: float) -> float | None:
        if sig.unreliable:
            return None
        w = self.s.flatline_after_push_days
        push, whole, last = (
            self._delta(sig, at, w, w),
            self._delta(sig, at, 2 * w),
            self._delta(sig, at, w),
        )
        if push is None or whole is None or last is None or last > 0:
            return None
        ratio = push / max(sig.current - whole, 1.0)
        return ratio if ratio >= self.s.spike_min_gain_ratio else None

    def _health(self, history: History, at: float, cycle_ok: Mapping[str, float]) -> list[Finding]:
        info = history.info
        if not info.active or not history.times or history.times[0] > at:
            return []
        error = history.error_at(at)
        current = history.current(at)
        if error in GONE_REASONS:
            return [Finding(Kind.LOST_ACCESS, info, 1.0, current, reason=error or "")]
        last_ok = history.last_ok_at(at)
        if last_ok is None or at - last_ok <= self.stale_seconds:
            return []
        platform_ok = cycle_ok.get(info.platform)
        if platform_ok is None or at - platform_ok > self.stale_seconds:
            return []  # the whole platform is stale: GovpulseSweepFailing says so once
        return [Finding(Kind.STALE, info, at - last_ok, current)]


def _platform_last_ok(histories: Iterable[History], at: float) -> dict[str, float]:
    """Per platform the last successful observation of any channel (the sweep's last success)."""
    result: dict[str, float] = {}
    for history in histories:
        last = history.last_ok_at(at)
        if last is not None and last > result.get(history.info.platform, -math.inf):
            result[history.info.platform] = last
    return result
