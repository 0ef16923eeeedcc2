"""Edge behaviour shared with the rules: perfectly flat series, zero counts, rounded counts, and the
PromQL arithmetic itself (delta's extrapolation, quantile)."""

from __future__ import annotations

import math

import pytest

from collector.analytics.detection import Detector, Kind, rounding_step
from collector.analytics.forecast import fit_series, theil_sen
from collector.analytics.history import ChannelInfo, History
from collector.analytics.promql_math import change_ratio, delta, quantile
from collector.config import DetectionSettings
from collector.models import OK
from collector.sandbox.dynamics import round_significant

HOUR, DAY = 3600.0, 86_400.0


def _history(name: str, values: list[int], step: float = HOUR) -> History:
    history = History(ChannelInfo("vk", name, "RU-AST", "culture"))
    for i, value in enumerate(values):
        history.add(i * step, OK, value)
    return history


@pytest.mark.parametrize("level", [0, 1, 1000])
def test_flat_series_is_stalled_and_nothing_else(level: int) -> None:
    hours = 20 * 24
    histories = {"vk:flat": _history("flat", [level] * (hours + 1))}
    detection = Detector(DetectionSettings()).evaluate(histories, hours * HOUR)
    assert [f.kind for f in detection.findings] == [Kind.STALLED]
    assert detection.findings[0].value == 0


def test_ratios_never_divide_by_zero() -> None:
    assert change_ratio(0.0, 0.0) == 0.0
    assert change_ratio(5.0, 5.0) == 5.0  # from 0 to 5: the divisor is clamped to 1
    assert change_ratio(-3.0, 0.0) == -1.0


def test_delta_extrapolates_like_prometheus() -> None:
    times = [600.0, 1200.0, 1800.0]
    values = [10.0, 20.0, 30.0]
    # Range [0, 2400]: first sample 600 s after the start (< 1.1 x 600 s average): extrapolate all the way.
    assert delta(times, values, 2400, 2400) == pytest.approx(20 * 2400 / 1200)
    # A single sample gives no result; the closed range includes its boundaries.
    assert delta(times, values, 600, 0.0) is None
    assert delta(times, values, 1800, 1200) == pytest.approx(20.0)


def test_quantile_interpolates() -> None:
    assert quantile(0.5, [1.0, 2.0, 3.0, 4.0]) == 2.5
    assert math.isnan(quantile(0.5, []))


def test_rounded_flat_count_is_stalled_with_its_rounding_step() -> None:
    histories = {"vk:r": _history("r", [12_000] * (20 * 24 + 1))}
    found = Detector(DetectionSettings()).evaluate(histories, 20 * 24 * HOUR).findings
    assert [(f.kind, f.rounding_step) for f in found] == [(Kind.STALLED, 1000)]
    assert rounding_step(12_345) == 0 and rounding_step(9_000) == 0 and rounding_step(120_000) == 10_000


def test_growth_below_the_rounding_step_is_stalled_only_between_steps() -> None:
    """A 12,000 channel growing 40 a day shows a new rounded count every 25 days. The rules (and so the
    analytics) call it stalled while the shown count does not move for a whole window, marked with the
    rounding step; within a window of each visible step it is not stalled, so it is never stalled for
    good."""
    days = 120
    values = [round_significant(int(11_600 + 40 * h / 24), 2) for h in range(days * 24 + 1)]
    histories = {"vk:g": _history("g", values)}
    detector = Detector(DetectionSettings())
    verdicts = {}
    for day in range(20, days):
        found = detector.evaluate(histories, day * DAY).findings
        verdicts[day] = [f for f in found if f.kind is Kind.STALLED]
    stalled_days = [d for d, f in verdicts.items() if f]
    assert stalled_days and len(stalled_days) < len(verdicts)
    assert all(f[0].rounding_step == 1000 for f in verdicts.values() if f)
    steps = [h // 24 for h in range(1, len(values)) if values[h] != values[h - 1]]
    for step_day in steps:
        window = range(step_day + 1, step_day + 7)
        assert not any(verdicts.get(d) for d in window), f"stalled right after the step on day {step_day}"
    # Never more than the time between visible steps minus the window in a row.
    run, longest = 0, 0
    for day in sorted(verdicts):
        run = run + 1 if verdicts[day] else 0
        longest = max(longest, run)
    assert longest <= 25 - 7 + 1


def test_theil_sen_on_flat_and_linear_series() -> None:
    flat = fit_series([100] * 28)
    assert flat is not None and flat.slope == 0 and flat.sigma == 0
    assert flat.band(30) == (100.0, 100.0)
    line = theil_sen([(float(x), 2.0 * x + 5) for x in range(10)] + [(10.0, 500.0)])  # one outlier
    assert line is not None and line.slope == pytest.approx(2.0) and line.intercept == pytest.approx(5.0)
    assert fit_series([None] * 20 + [1, 2]) is None
