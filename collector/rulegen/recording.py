"""Recording rules: per-channel changes and the audience sums the dashboards and ratings read.

Channels in error: `govpulse_channel_subscribers` keeps a failing channel's last good count. The sums
carry that count forward (a timeout must not look like a region losing its audience), except for
channels that no longer exist (`not_found`, `deactivated`), which leave the sums at once. How many
carried-forward channels a sum holds is recorded beside it (`region_platform:govpulse_channel_error:count`).
"""

from __future__ import annotations

from collector.rulegen.model import DAY, Rule, record
from collector.rulegen.promql import DELETED_REASONS, ERROR, SUBS, change, duration, reasons

CHANNEL_MAX = f"channel:{SUBS}:max"
POPULATION = "region:govpulse_region_population:max"
WINDOWS_DAYS = (1, 7, 30)

# Aggregation level name -> the labels kept (level:metric:operation naming).
LEVELS: dict[str, tuple[str, ...]] = {
    "region": ("region",),
    "region_platform": ("region", "platform"),
    "category": ("category",),
    "category_platform": ("category", "platform"),
    "platform": ("platform",),
    "total": (),
}


def window_rules() -> list[Rule]:
    """Per-channel net change over 1, 7 and 30 days, absolute and relative to the window's start."""
    rules = []
    for window in WINDOWS_DAYS:
        delta_name = f"channel:{SUBS}:delta{window}d"
        # `and SUBS`: only channels exposed now; a range function would still answer for a vanished one.
        rules.append(record(delta_name, f"{change(window * DAY)} and {SUBS}"))
        rules.append(
            record(
                f"channel:{SUBS}:ratio_delta{window}d", f"{delta_name} / clamp_min({SUBS} - {delta_name}, 1)"
            )
        )
    return rules


def _by(labels: tuple[str, ...]) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def aggregate_rules() -> list[Rule]:
    """Deduplicated per-channel counts, then sums and counts at every level, then per-capita ratios."""
    deleted = f'{ERROR}{{reason=~"{reasons(DELETED_REASONS)}"}}'
    rules = [
        # max by: a channel exposed by two shards during a reshard is counted once.
        record(
            CHANNEL_MAX,
            f"max by (platform, channel, region, category) ({SUBS} unless on(platform, channel) {deleted})",
        ),
        record(POPULATION, "max by (region) (govpulse_region_population)"),
    ]
    for level, labels in LEVELS.items():
        rules.append(record(f"{level}:{SUBS}:sum", f"sum{_by(labels)} ({CHANNEL_MAX})"))
        rules.append(record(f"{level}:{SUBS}:count", f"count{_by(labels)} ({CHANNEL_MAX})"))
    rules += [
        # Numerator and denominator are aggregated separately: never an average of ratios.
        record(
            f"region_platform:{SUBS}_per_1000:ratio",
            f"region_platform:{SUBS}:sum * 1000 / on(region) group_left() {POPULATION}",
        ),
        record(f"region:{SUBS}_per_1000:ratio", f"region:{SUBS}:sum * 1000 / on(region) {POPULATION}"),
        record(
            f"region_platform:{ERROR}:count",
            f"count by (region, platform) ({CHANNEL_MAX} and on(platform, channel) {ERROR})",
        ),
    ]
    return rules


def recording_groups() -> list[dict[str, object]]:
    # Counts change once per sweep: evaluating 30-day windows every few minutes is plenty and cheap.
    return [
        {"name": "govpulse.channel.windows", "interval": duration(300), "rules": window_rules()},
        {"name": "govpulse.aggregates", "rules": aggregate_rules()},
    ]
