"""The PromQL functions the alert rules use, reimplemented over plain sample lists.

The analytics must flag exactly what `alerts/govpulse.alerts.yaml` flags given the same samples, so these
follow Prometheus 2.42 (Debian's package, the one the project tests against) to the letter:

* a range selector `x[w] offset o` evaluated at `t` holds the samples with `t-o-w <= ts <= t-o` (closed
  at both ends; Prometheus 3 makes the start open, which moves at most one boundary sample);
* `delta` is `extrapolatedRate(isCounter=false)`: last minus first, extrapolated towards the range
  boundaries when the first/last sample is within 1.1 average intervals of them, else by half an
  interval; fewer than two samples give no result;
* `quantile` interpolates linearly between the two nearest ranks.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence


def window(times: Sequence[float], start: float, end: float) -> tuple[int, int]:
    """Index range [lo, hi) of the samples with start <= ts <= end (times sorted ascending)."""
    return bisect_left(times, start), bisect_right(times, end)


def delta(
    times: Sequence[float], values: Sequence[float], at: float, range_s: float, offset_s: float = 0.0
) -> float | None:
    """`delta(x[range] offset offset)` evaluated at `at`, or None when the range holds < 2 samples."""
    range_start, range_end = at - offset_s - range_s, at - offset_s
    lo, hi = window(times, range_start, range_end)
    if hi - lo < 2:
        return None
    first_t, last_t = times[lo], times[hi - 1]
    result = float(values[hi - 1] - values[lo])
    sampled = last_t - first_t
    if sampled <= 0:
        return None  # cannot happen with distinct timestamps; guards a division by zero
    average = sampled / (hi - lo - 1)
    threshold = average * 1.1
    to_start, to_end = first_t - range_start, range_end - last_t
    extrapolated = sampled
    extrapolated += to_start if to_start < threshold else average / 2
    extrapolated += to_end if to_end < threshold else average / 2
    return result * (extrapolated / sampled)


def present(times: Sequence[float], start: float, end: float) -> bool:
    """`present_over_time` over [start, end]."""
    lo, hi = window(times, start, end)
    return hi > lo


def quantile(phi: float, values: Sequence[float]) -> float:
    """PromQL `quantile(phi, ...)` (linear interpolation); NaN for an empty set."""
    if not values:
        return math.nan
    if phi < 0:
        return -math.inf
    if phi > 1:
        return math.inf
    ordered = sorted(values)
    rank = phi * (len(ordered) - 1)
    lower = max(0, math.floor(rank))
    upper = min(len(ordered) - 1, lower + 1)
    weight = rank - math.floor(rank)
    return ordered[lower] * (1 - weight) + ordered[upper] * weight


def change_ratio(change: float, current: float) -> float:
    """`change / clamp_min(current - change, 1)`: the change relative to the window's start value.

    The divisor is at least 1, so a channel starting from 0 (or a perfectly flat one) never divides by 0.
    """
    return change / max(current - change, 1.0)
