"""Alerts about govpulse itself (component=pipeline, routed to the operators) and about regions."""

from __future__ import annotations

from collector.rulegen import templates as t
from collector.rulegen.model import Rule, RuleContext, alert
from collector.rulegen.promql import CYCLE_SUCCESS, duration, number

WARNING = "warning"
CRITICAL = "critical"
PIPELINE = "pipeline"


def collector_down(ctx: RuleContext) -> list[Rule]:
    p = ctx.pipeline
    up = f'up{{job="{p.job}"}}'
    return [
        alert(
            ctx,
            "GovpulseCollectorDown",
            f"{up} == 0",
            for_seconds=p.collector_down_for_seconds,
            severity=CRITICAL,
            component=PIPELINE,
            summary="Сборщик govpulse недоступен ({{ $labels.instance }})",
            description="Prometheus не может получить /metrics с {{ $labels.instance }}"
            f" уже {duration(p.collector_down_for_seconds)}: процесс остановлен или недоступен по сети.",
        ),
        alert(
            ctx,
            "GovpulseCollectorAbsent",
            f"absent({up})",
            for_seconds=p.collector_absent_for_seconds,
            severity=CRITICAL,
            component=PIPELINE,
            summary="Prometheus не опрашивает ни одного сборщика govpulse",
            description=f'Нет ни одной цели job="{p.job}" уже {duration(p.collector_absent_for_seconds)}:'
            " проверьте scrape_configs и обнаружение целей.",
        ),
    ]


def sweeps(ctx: RuleContext) -> list[Rule]:
    p, stale = ctx.pipeline, ctx.stale_seconds
    failed = (
        'govpulse_cycle_channels{outcome="failed"}'
        "\n/ ignoring(outcome) sum without(outcome) (govpulse_cycle_channels)"
        f"\n> {number(p.sweep_max_failed_ratio)}"
    )
    return [
        alert(
            ctx,
            "GovpulseSweepFailing",
            f"time() - {CYCLE_SUCCESS} > {number(stale)}",
            for_seconds=0,
            severity=CRITICAL,
            component=PIPELINE,
            summary="Опрос платформы {{ $labels.platform }} не завершается успешно",
            description=f"Последний успешный цикл опроса {{{{ $labels.platform }}}} был {t.DURATION} назад"
            f" (допустимо {duration(stale)}). Данные всех каналов платформы устаревают.",
        ),
        alert(
            ctx,
            "GovpulseSweepErrors",
            failed,
            for_seconds=2 * ctx.sweep_interval_seconds,
            severity=WARNING,
            component=PIPELINE,
            summary="Много ошибок при опросе {{ $labels.platform }}",
            description=f"В последнем цикле опроса {{{{ $labels.platform }}}} не удалось получить {t.PERCENT}"
            f" каналов (порог {number(p.sweep_max_failed_ratio * 100)}%).",
        ),
        alert(
            ctx,
            "GovpulseSweepOverrun",
            f"govpulse_cycle_duration_seconds > {number(ctx.sweep_interval_seconds)}",
            for_seconds=300,
            severity=WARNING,
            component=PIPELINE,
            summary="Цикл опроса {{ $labels.platform }} дольше интервала",
            description=f"Последний цикл опроса {{{{ $labels.platform }}}} длился {t.DURATION}, интервал"
            f" {duration(ctx.sweep_interval_seconds)}: добавьте токены или шарды, либо увеличьте интервал.",
        ),
    ]


def throttling(ctx: RuleContext) -> Rule:
    p = ctx.pipeline
    window = duration(p.throttled_window_seconds)
    by = "sum by (job, instance, platform)"
    expr = (
        f"{by} (rate(govpulse_api_throttled_total[{window}]))"
        f"\n/ {by} (rate(govpulse_api_requests_total[{window}]))"
        f"\n> {number(p.throttled_max_ratio)}"
    )
    return alert(
        ctx,
        "GovpulseApiThrottled",
        expr,
        for_seconds=2 * p.throttled_window_seconds,
        severity=WARNING,
        component=PIPELINE,
        summary="API {{ $labels.platform }} ограничивает частоту запросов",
        description=f"{t.PERCENT} запросов к API {{{{ $labels.platform }}}} получают отказ по лимиту"
        f" (429, VK 6/9/29) за {window}: снизьте rate_per_second или добавьте токены.",
    )


def sinks(ctx: RuleContext) -> list[Rule]:
    window = duration(ctx.pipeline.sink_window_seconds)
    rules = []
    for outcome, severity, for_seconds, what in (
        ("spooled", WARNING, ctx.pipeline.sink_window_seconds, "откладываются в спул"),
        ("dropped", CRITICAL, 0, "теряются"),
    ):
        rules.append(
            alert(
                ctx,
                "GovpulseSinkFailing",
                f'increase(govpulse_sink_points_total{{outcome="{outcome}"}}[{window}]) > 0',
                for_seconds=for_seconds,
                severity=severity,
                component=PIPELINE,
                summary=f"Хранилище {{{{ $labels.sink }}}} не принимает данные: точки {what}",
                description=f"За {window} {t.VALUE} точек для {{{{ $labels.sink }}}} {what}"
                " ({{ $labels.instance }}).",
            )
        )
    return rules


def spool(ctx: RuleContext) -> list[Rule]:
    p, stale = ctx.pipeline, ctx.stale_seconds
    window = duration(p.spool_growing_for_seconds)
    return [
        alert(
            ctx,
            "GovpulseSpoolGrowing",
            f"deriv(govpulse_spool_points[{window}]) > 0 and govpulse_spool_points > 0",
            for_seconds=p.spool_growing_for_seconds,
            severity=WARNING,
            component=PIPELINE,
            summary="Растёт спул хранилища {{ $labels.sink }}",
            description=f"Спул {{{{ $labels.sink }}}} растёт уже {window}: хранилище недоступно или не"
            " успевает принимать запись.",
        ),
        alert(
            ctx,
            "GovpulseSpoolOld",
            f"govpulse_spool_oldest_age_seconds > {number(stale)}",
            for_seconds=0,
            severity=CRITICAL,
            component=PIPELINE,
            summary="Данные в спуле {{ $labels.sink }} не доставлены слишком долго",
            description=f"Самой старой точке в спуле {{{{ $labels.sink }}}} {t.DURATION}"
            f" (допустимо {duration(stale)}): графики по этому хранилищу отстают.",
        ),
    ]


def shard_missing(ctx: RuleContext) -> Rule:
    p = ctx.pipeline
    # count_values: distinct ordinals, so two processes claiming one shard do not hide a missing one.
    expr = (
        'count by (job) (count_values by (job) ("ordinal", govpulse_shard_ordinal))'
        "\n< max by (job) (govpulse_shards)"
    )
    return alert(
        ctx,
        "GovpulseShardMissing",
        expr,
        for_seconds=p.shard_missing_for_seconds,
        severity=CRITICAL,
        component=PIPELINE,
        summary="Работают не все шарды govpulse",
        description=f"Видно {t.VALUE} шардов из"
        " {{ with printf \"max(govpulse_shards{job='%s'})\" $labels.job | query }}"
        "{{ . | first | value }}{{ end }}: каналы пропавших шардов не опрашиваются.",
    )


def region_lag(ctx: RuleContext) -> list[Rule]:
    target = ctx.detection.per_1000_target
    if target <= 0:
        return []
    return [
        alert(
            ctx,
            "GovpulseRegionBelowTarget",
            f"region_platform:govpulse_channel_subscribers_per_1000:ratio < {number(target)}",
            for_seconds=ctx.pipeline.region_lag_for_seconds,
            severity="info",
            component="region",
            summary=f"Регион {t.REGION}: аудитория {{{{ $labels.platform }}}} ниже цели",
            description=f"Регион {t.REGION}, платформа {{{{ $labels.platform }}}}:"
            ' {{ $value | printf "%.2f" }}'
            f" подписчиков на 1000 жителей при цели {number(target)}.",
        )
    ]


def pipeline_alerts(ctx: RuleContext) -> list[Rule]:
    return [
        *collector_down(ctx),
        *sweeps(ctx),
        throttling(ctx),
        *sinks(ctx),
        *spool(ctx),
        shard_missing(ctx),
    ]
