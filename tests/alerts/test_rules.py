"""Prometheus rules: promtool check + unit tests, coverage of every rule, drift of the generated files."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.config import DetectionSettings, Settings
from collector.rulegen import (
    ALERTING_FILE,
    ALERTMANAGER_FILE,
    GRAFANA_FILE,
    RECORDING_FILE,
    build_alerting_rules,
    build_rules,
    example_settings,
    write_rules,
)
from tests.support.servers import run_promtool

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "alerts"
GRAFANA_DIR = ROOT / "deploy" / "grafana" / "provisioning" / "alerting"
RULE_FILES = [ALERTS / RECORDING_FILE, ALERTS / ALERTING_FILE]
TEST_FILES = sorted((ALERTS / "tests").glob("*.test.yaml"))


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _rules(kind: str) -> list[dict[str, Any]]:
    return [rule for path in RULE_FILES for g in _load(path)["groups"] for rule in g["rules"] if kind in rule]


def _tests() -> list[dict[str, Any]]:
    return [test for path in TEST_FILES for test in _load(path)["tests"]]


@pytest.fixture(scope="module")
def promtool_results() -> dict[str, tuple[int, str]]:
    """Run every unit-test file at once (one promtool each, in parallel): the slowest bounds the wait."""

    def run(path: Path) -> tuple[int, str]:
        # promtool resolves `rule_files` relative to the test file.
        done = run_promtool("test", "rules", str(path), timeout=180)
        return done.returncode, done.stdout + done.stderr

    with ThreadPoolExecutor(max_workers=len(TEST_FILES)) as pool:
        return dict(zip((p.name for p in TEST_FILES), pool.map(run, TEST_FILES), strict=True))


def test_check_rules_is_clean() -> None:
    done = run_promtool("check", "rules", *map(str, RULE_FILES))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "warning" not in output.lower(), output


@pytest.mark.parametrize("test_file", [p.name for p in TEST_FILES])
def test_promtool_unit_tests(promtool_results: dict[str, tuple[int, str]], test_file: str) -> None:
    code, output = promtool_results[test_file]
    assert code == 0, output


def test_there_are_unit_test_files() -> None:
    assert len(TEST_FILES) >= 5


def test_every_alert_has_a_firing_test() -> None:
    fired = {
        case["alertname"]
        for test in _tests()
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    missing = {rule["alert"] for rule in _rules("alert")} - fired
    assert not missing, f"alerts never shown firing in alerts/tests: {sorted(missing)}"


def test_every_alert_with_for_is_tested_just_before() -> None:
    """Both sides of `for:`: some evaluation of the alert must expect nothing (pending or not yet true)."""
    quiet = {
        case["alertname"]
        for test in _tests()
        for case in test.get("alert_rule_test", [])
        if not case.get("exp_alerts")
    }
    missing = {rule["alert"] for rule in _rules("alert") if "for" in rule} - quiet
    assert not missing, f"alerts without a 'not yet' case: {sorted(missing)}"


def test_every_recording_rule_is_tested() -> None:
    exprs = " ".join(
        case["expr"]
        for test in _tests()
        for case in test.get("promql_expr_test", [])
        if case.get("exp_samples")
    )
    used = set(re.findall(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", exprs))
    missing = {rule["record"] for rule in _rules("record")} - used
    assert not missing, f"recording rules without a promql_expr_test: {sorted(missing)}"


def test_every_alert_has_the_house_labels_and_annotations() -> None:
    for rule in _rules("alert"):
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["labels"]["component"] in {"channel", "pipeline", "region"}, rule["alert"]
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"]), rule["alert"]


def test_runbook_has_a_section_for_every_alert() -> None:
    runbook = (ALERTS / "runbook.md").read_text(encoding="utf-8")
    anchors = {line[3:].strip().lower() for line in runbook.splitlines() if line.startswith("## ")}
    for rule in _rules("alert"):
        page, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert page == "alerts/runbook.md"
        assert anchor in anchors, f"{rule['alert']}: no '## {rule['alert']}' section in the runbook"


def test_checked_in_files_match_the_generator(tmp_path: Path) -> None:
    written = write_rules(example_settings(), tmp_path, grafana_dir=tmp_path / "grafana")
    expected = {
        RECORDING_FILE: ALERTS / RECORDING_FILE,
        ALERTING_FILE: ALERTS / ALERTING_FILE,
        ALERTMANAGER_FILE: ALERTS / ALERTMANAGER_FILE,
        GRAFANA_FILE: GRAFANA_DIR / GRAFANA_FILE,
    }
    assert sorted(p.name for p in written) == sorted(expected)
    for path in written:
        assert path.read_text(encoding="utf-8") == expected[path.name].read_text(encoding="utf-8"), (
            f"{expected[path.name]} is stale: run `govpulse alerts build` (collector.rulegen.write_rules)"
        )


def test_thresholds_come_from_the_configuration(tmp_path: Path) -> None:
    detection = DetectionSettings(
        stalled_window_days=3,
        min_age_days=0,
        declining_min_loss_ratio=0.05,
        stale_after_sweeps=2,
        mass_drop_min_channels=7,
        per_1000_target=0,
    )
    groups = build_alerting_rules(detection, sweep_interval_seconds=1800)["groups"]
    rules = {r["alert"]: r for g in groups for r in g["rules"]}
    assert "delta(govpulse_channel_subscribers[3d]) <= 0" in rules["GovpulseChannelStalled"]["expr"]
    assert "present_over_time" not in rules["GovpulseChannelStalled"]["expr"]  # min_age 0: no age gate
    assert "< -0.05" in rules["GovpulseChannelDeclining"]["expr"]
    assert "> 3600" in rules["GovpulseChannelStale"]["expr"]  # 2 sweeps of 30 minutes
    assert rules["GovpulseChannelStalled"]["for"] == "30m"
    assert rules["GovpulseMassDrop"]["expr"].endswith(">= 7")
    assert "GovpulseRegionBelowTarget" not in rules  # a target of 0 disables the rule
    # Whatever the thresholds, the output is a valid rule file.
    settings = Settings(detection=detection)
    paths = write_rules(settings, tmp_path)
    done = run_promtool("check", "rules", str(paths[0]), str(paths[1]))
    assert done.returncode == 0, done.stdout + done.stderr


def test_build_rules_is_one_valid_rule_file(tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump(build_rules(DetectionSettings()), allow_unicode=True), encoding="utf-8")
    done = run_promtool("check", "rules", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    checked_in = len(_rules("record")) + len(_rules("alert"))
    assert f"{checked_in} rules found" in done.stdout
