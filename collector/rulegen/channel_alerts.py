"""Per-channel alerts: stalled, declining, sudden drop, mass drop, spike, flatline after a push, stale, lost.

Trend alerts skip channels whose count is not current news (`promql.unreliable`: out of reach, or not
observed for `stale_after_sweeps` sweeps): those raise GovpulseChannelStale / GovpulseChannelLostAccess
instead. A transient error (timeout, 5xx) does not skip a channel: its cached count is at most a few
sweeps old, which does not change a 7-day verdict, and skipping it would make the alert flap.
"""

from __future__ import annotations

from collector.rulegen import templates as t
from collector.rulegen.model import DAY, Rule, RuleContext, alert
from collector.rulegen.promql import (
    CHANNEL_KEY,
    CYCLE_SUCCESS,
    LAST_SUCCESS,
    SUBS,
    change,
    change_ratio,
    days,
    gone_errors,
    number,
    old_enough,
    period_ru,
    unreliable,
    with_region,
    with_title,
)

WARNING = "warning"
CRITICAL = "critical"
INFO = "info"


def _declining_condition(ctx: RuleContext) -> str:
    d = ctx.detection
    return f"{change_ratio(d.declining_window_days * DAY)} < -{number(d.declining_min_loss_ratio)}"


def stalled(ctx: RuleContext) -> Rule:
    d = ctx.detection
    expr = f"{change(d.stalled_window_days * DAY)} <= 0 and {SUBS}"
    if d.min_age_days > 0:
        expr += f"\nand on({CHANNEL_KEY}) {old_enough(d.min_age_days * DAY)}"
    expr += f"\nunless on({CHANNEL_KEY}) ({_declining_condition(ctx)})"
    expr += f"\nunless on({CHANNEL_KEY}) {unreliable(ctx.stale_seconds)}"
    return alert(
        ctx,
        "GovpulseChannelStalled",
        with_title(expr),
        for_seconds=ctx.sweep_interval_seconds,
        severity=WARNING,
        component="channel",
        summary=f"Канал {t.CHANNEL} не растёт {period_ru(d.stalled_window_days)}",
        description=(
            f"{t.channel_line()}: за {period_ru(d.stalled_window_days)} чистый прирост {t.VALUE}"
            f" подписчиков, сейчас {t.SUBSCRIBERS_NOW} подписчиков."
        ),
    )


def declining(ctx: RuleContext) -> Rule:
    d = ctx.detection
    expr = f"{_declining_condition(ctx)}\nunless on({CHANNEL_KEY}) {unreliable(ctx.stale_seconds)}"
    return alert(
        ctx,
        "GovpulseChannelDeclining",
        with_title(expr),
        for_seconds=ctx.sweep_interval_seconds,
        severity=WARNING,
        component="channel",
        summary=f"Канал {t.CHANNEL} теряет подписчиков",
        description=(
            f"{t.channel_line()}: за {period_ru(d.declining_window_days)} изменение {t.PERCENT}"
            f" (порог −{number(d.declining_min_loss_ratio * 100)}%), сейчас {t.SUBSCRIBERS_NOW} подписчиков."
        ),
    )


def _drop_condition(ctx: RuleContext) -> str:
    d = ctx.detection
    return (
        f"{change_ratio(d.drop_window_days * DAY)} < -{number(d.drop_min_loss_ratio)}"
        f"\nunless on({CHANNEL_KEY}) {gone_errors()}"
    )


def sudden_drop(ctx: RuleContext) -> Rule:
    d = ctx.detection
    return alert(
        ctx,
        "GovpulseChannelSuddenDrop",
        with_title(_drop_condition(ctx)),
        for_seconds=ctx.sweep_interval_seconds,
        severity=WARNING,
        component="channel",
        summary=f"Резкая потеря подписчиков: канал {t.CHANNEL}",
        description=(
            f"{t.channel_line()}: за {period_ru(d.drop_window_days)} изменение {t.PERCENT}"
            f" (порог −{number(d.drop_min_loss_ratio * 100)}%), сейчас {t.SUBSCRIBERS_NOW} подписчиков."
            " Возможна чистка ботов платформой или блокировка."
        ),
    )


def mass_drop(ctx: RuleContext) -> Rule:
    d = ctx.detection
    expr = f"count by (platform) (\n{_drop_condition(ctx)}\n) >= {d.mass_drop_min_channels}"
    return alert(
        ctx,
        "GovpulseMassDrop",
        expr,
        for_seconds=ctx.sweep_interval_seconds,
        severity=CRITICAL,
        component="channel",
        summary="Массовая потеря подписчиков на платформе {{ $labels.platform }}",
        description=(
            f"{t.VALUE} каналов платформы {{{{ $labels.platform }}}} потеряли больше"
            f" {number(d.drop_min_loss_ratio * 100)}% подписчиков за {period_ru(d.drop_window_days)}"
            " Вероятна чистка платформы или ошибка сбора; отдельные оповещения о падении подавлены."
        ),
    )


def spike(ctx: RuleContext) -> Rule:
    d = ctx.detection
    window, baseline = d.spike_window_days * DAY, d.spike_baseline_days * DAY
    ratio, factor = change_ratio(window), number(d.spike_min_factor)
    # The channel's own pace: its average gain per spike window over the baseline before the spike.
    own_pace = (
        f"clamp_min({change(baseline, offset_s=window)}, 0)"
        f" * {days(d.spike_window_days)} / {days(d.spike_baseline_days)}"
    )
    peers = f"quantile by (platform, category) (0.5, {ratio})"
    expr = (
        f"{ratio} >= {number(d.spike_min_gain_ratio)}"
        f"\nand {change(window)} > {factor} * {own_pace}"
        f"\nand {ratio} > on(platform, category) group_left() ({factor} * clamp_min({peers}, 0))"
        # A channel without a whole baseline has no pace of its own yet: its first ramp is not a spike.
        f"\nand on({CHANNEL_KEY}) {old_enough(window + baseline)}"
        f"\nunless on({CHANNEL_KEY}) {unreliable(ctx.stale_seconds)}"
    )
    return alert(
        ctx,
        "GovpulseChannelSpike",
        with_title(expr),
        for_seconds=ctx.sweep_interval_seconds,
        severity=WARNING,
        component="channel",
        summary=f"Подозрительный рост: канал {t.CHANNEL}",
        description=(
            f"{t.channel_line()}: за {period_ru(d.spike_window_days)} прирост {t.PERCENT}, больше чем в"
            f" {factor} раз выше собственного темпа за {period_ru(d.spike_baseline_days)} и медианы"
            f" каналов той же категории. Сейчас {t.SUBSCRIBERS_NOW} подписчиков. Проверьте на накрутку."
        ),
    )


def flatline_after_push(ctx: RuleContext) -> Rule:
    d = ctx.detection
    window = d.flatline_after_push_days * DAY
    push = f"{change(window, offset_s=window)} / clamp_min({SUBS} - {change(2 * window)}, 1)"
    expr = (
        f"{push} >= {number(d.spike_min_gain_ratio)}"
        f"\nand {change(window)} <= 0"
        f"\nunless on({CHANNEL_KEY}) {unreliable(ctx.stale_seconds)}"
    )
    return alert(
        ctx,
        "GovpulseChannelFlatlineAfterPush",
        with_title(expr),
        for_seconds=ctx.sweep_interval_seconds,
        severity=WARNING,
        component="channel",
        summary=f"После рывка рост остановился: канал {t.CHANNEL}",
        description=(
            f"{t.channel_line()}: прирост {t.PERCENT} за {period_ru(d.flatline_after_push_days)} до этого,"
            f" затем {period_ru(d.flatline_after_push_days)} без роста;"
            f" сейчас {t.SUBSCRIBERS_NOW} подписчиков."
        ),
    )


def stale(ctx: RuleContext) -> Rule:
    platform_stale = f"(time() - {CYCLE_SUCCESS} > {number(ctx.stale_seconds)})"
    expr = (
        f"time() - {LAST_SUCCESS} > {number(ctx.stale_seconds)}"
        f"\nunless on({CHANNEL_KEY}) {gone_errors()}"
        f"\nunless on(platform) {platform_stale}"
    )
    return alert(
        ctx,
        "GovpulseChannelStale",
        with_title(with_region(expr)),
        for_seconds=0,
        severity=WARNING,
        component="channel",
        summary=f"Нет свежих данных по каналу {t.CHANNEL}",
        description=(
            f"{t.channel_line()}: последнее успешное наблюдение {t.DURATION} назад"
            f" (больше {ctx.detection.stale_after_sweeps} циклов опроса). Последнее известное число"
            f" подписчиков: {t.SUBSCRIBERS_NOW}."
        ),
    )


def lost_access(ctx: RuleContext) -> Rule:
    return alert(
        ctx,
        "GovpulseChannelLostAccess",
        with_title(with_region(gone_errors())),
        for_seconds=ctx.sweep_interval_seconds,
        severity=WARNING,
        component="channel",
        summary=f"Нет доступа к каналу {t.CHANNEL}",
        description=(
            f"{t.channel_line()}: платформа отвечает «{{{{ $labels.reason }}}}»"
            " (lost_access — бот или токен лишился доступа, not_found — канал не найден,"
            " deactivated — канал удалён или заблокирован)."
        ),
    )


def channel_alerts(ctx: RuleContext) -> list[Rule]:
    builders = (stalled, declining, sudden_drop, mass_drop, spike, flatline_after_push, stale, lost_access)
    return [build(ctx) for build in builders]
