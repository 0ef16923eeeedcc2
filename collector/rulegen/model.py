"""The inputs of the generator and the shape of one rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collector.config import DetectionSettings
from collector.rulegen.promql import duration

DAY = 86400.0
RUNBOOK = "alerts/runbook.md"

Rule = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PipelineThresholds:
    """Pipeline alert knobs that DetectionSettings does not carry (proposed as config keys, see README)."""

    job: str = "govpulse"
    collector_down_for_seconds: float = 300
    collector_absent_for_seconds: float = 900
    sweep_max_failed_ratio: float = 0.25
    throttled_max_ratio: float = 0.1
    throttled_window_seconds: float = 900
    sink_window_seconds: float = 900
    spool_growing_for_seconds: float = 1800
    shard_missing_for_seconds: float = 900
    region_lag_for_seconds: float = DAY


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule builder needs: thresholds, the sweep interval and where the runbook lives."""

    detection: DetectionSettings
    sweep_interval_seconds: float = 3600
    pipeline: PipelineThresholds = field(default_factory=PipelineThresholds)
    runbook_url: str = RUNBOOK

    @property
    def stale_seconds(self) -> float:
        """A channel or platform is stale after this many seconds without a successful observation."""
        return self.detection.stale_after_sweeps * self.sweep_interval_seconds

    @property
    def confirm_for(self) -> str:
        """`for:` of trend alerts: the condition must survive one more sweep (a glitch is fixed by it)."""
        return duration(self.sweep_interval_seconds)


def alert(
    ctx: RuleContext,
    name: str,
    expr: str,
    *,
    for_seconds: float | str,
    severity: str,
    component: str,
    summary: str,
    description: str,
) -> Rule:
    """One alerting rule with the house labels and annotations (severity, summary, runbook_url)."""
    for_text = for_seconds if isinstance(for_seconds, str) else duration(for_seconds)
    rule: Rule = {"alert": name, "expr": expr}
    if for_text != "0s":
        rule["for"] = for_text
    rule["labels"] = {"severity": severity, "component": component}
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": f"{ctx.runbook_url}#{name.lower()}",
    }
    return rule


def record(name: str, expr: str) -> Rule:
    return {"record": name, "expr": expr}
