"""PromQL building blocks shared by the recording and alerting rules.

Every selector of the metric contract (DESIGN 4.3) is spelt here once, so a renamed metric is one edit.
"""

from __future__ import annotations

SUBS = "govpulse_channel_subscribers"
LAST_SUCCESS = "govpulse_channel_last_success_timestamp_seconds"
INFO = "govpulse_channel_info"
ERROR = "govpulse_channel_error"
CYCLE_SUCCESS = "govpulse_cycle_last_success_timestamp_seconds"

# Reasons after which the channel is gone or out of reach: its cached count is no longer news.
GONE_REASONS = ("lost_access", "not_found", "deactivated")
# Reasons after which the channel no longer exists: it leaves the audience sums.
DELETED_REASONS = ("not_found", "deactivated")
CHANNEL_KEY = "platform, channel"

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def duration(seconds: float) -> str:
    """A Prometheus duration such as `7d`, `1h30m` or `0s`, rounded to whole seconds."""
    remaining = round(seconds)
    parts = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def days(value: float) -> str:
    """A number of days as text for Russian annotations: `7`, `0.5`."""
    return f"{value:g}"


def period_ru(value_days: float) -> str:
    """A window for Russian annotations: `7 дн.`; windows under a day (compressed tests) in hours,
    minutes or seconds rather than `0.000347 дн.`."""
    seconds = value_days * 86400
    for unit_seconds, unit in ((86400, "дн."), (3600, "ч"), (60, "мин")):
        if seconds >= unit_seconds:
            return f"{seconds / unit_seconds:.3g} {unit}"
    return f"{seconds:.3g} с"


def number(value: float) -> str:
    """A threshold as PromQL text without a spurious `.0`."""
    return f"{value:g}"


def reasons(values: tuple[str, ...]) -> str:
    return "|".join(values)


def gone_errors() -> str:
    return f'{ERROR}{{reason=~"{reasons(GONE_REASONS)}"}}'


def change(window_s: float, offset_s: float = 0) -> str:
    """Net change of the gauge over a window (first to last sample, `delta` extrapolates only a little).

    `delta` works on gauges with gaps and on channels younger than the window (it then gives the change
    since the channel was first seen), where `x - x offset w` would return nothing.
    """
    offset = f" offset {duration(offset_s)}" if offset_s else ""
    return f"delta({SUBS}[{duration(window_s)}]{offset})"


def change_ratio(window_s: float) -> str:
    """Net change relative to the value at the start of the window; a start at 0 counts as 1."""
    delta = change(window_s)
    return f"({delta} / clamp_min({SUBS} - {delta}, 1))"


def unreliable(stale_s: float) -> str:
    """Channels whose count is not current news: out of reach, or not observed for too long."""
    return f"({gone_errors()} or on({CHANNEL_KEY}) (time() - {LAST_SUCCESS} > {number(stale_s)}))"


def old_enough(min_age_s: float) -> str:
    """Channels already seen `min_age` ago: present at some point in the day that ended then."""
    return f"present_over_time({SUBS}[1d] offset {duration(min_age_s)})"


def _known_channels() -> str:
    """One series per channel the collector knows, even one never observed successfully."""
    return f"group by ({CHANNEL_KEY}) ({LAST_SUCCESS} or {ERROR})"


def _one_per_channel(labels: str, metric: str) -> str:
    """Value 1 per channel with its descriptive labels; `topk` keeps one when two shards overlap."""
    return (
        f"topk by ({CHANNEL_KEY}) (1, group by ({CHANNEL_KEY}, {labels}) ({metric})"
        f" or on({CHANNEL_KEY}) {_known_channels()})"
    )


def with_title(expr: str) -> str:
    """Add the channel's `title` (from govpulse_channel_info); a channel without info keeps its alert."""
    return f"({expr})\n* on({CHANNEL_KEY}) group_left(title)\n{_one_per_channel('title', INFO)}"


def with_region(expr: str) -> str:
    """Add `region` and `category` (from the subscriber gauge) to a series keyed by platform and channel."""
    return (
        f"({expr})\n* on({CHANNEL_KEY}) group_left(region, category)\n"
        f"{_one_per_channel('region, category', SUBS)}"
    )
