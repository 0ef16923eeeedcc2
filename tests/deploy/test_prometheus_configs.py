"""promtool and amtool (Debian's packages) on every Prometheus and Alertmanager file the deployment ships.

Rule paths in the configs are where the deployments put the rules (/etc/prometheus/rules/...); for the check
they are pointed at the repository's alerts/, so promtool also checks the rules each config loads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import COMPOSE_DIR, DEPLOY, REPO, load_yaml
from tests.support.prometheus import run_amtool, run_promtool

RULES_MOUNT = "/etc/prometheus/rules/"
PROMETHEUS_FILES = sorted([*DEPLOY.glob("prometheus/*.yml"), COMPOSE_DIR / "prometheus.yml"])
ALERTMANAGER_FILES = sorted([REPO / "alerts" / "alertmanager.yml", *DEPLOY.rglob("alertmanager.yml")])


def _localised(config: Path, tmp_path: Path) -> Path:
    text = config.read_text(encoding="utf-8")
    assert RULES_MOUNT in text, f"{config.name} loads no govpulse rules"
    out = tmp_path / config.name
    out.write_text(text.replace(RULES_MOUNT, f"{REPO / 'alerts'}/"), encoding="utf-8")
    return out


@pytest.mark.parametrize("config", PROMETHEUS_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_promtool_accepts_the_config_and_its_rules(config: Path, tmp_path: Path) -> None:
    result = run_promtool("check", "config", str(_localised(config, tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 2 rule files found" in result.stdout
    assert "govpulse.alerts.yaml" in result.stdout and "govpulse.rules.yaml" in result.stdout


def test_promtool_catches_a_broken_config(tmp_path: Path) -> None:
    """The check above can fail: a scrape job without a name is rejected."""
    config = load_yaml(COMPOSE_DIR / "prometheus.yml")
    config["rule_files"] = []
    del config["scrape_configs"][0]["job_name"]
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(config), encoding="utf-8")
    assert run_promtool("check", "config", str(broken)).returncode != 0


@pytest.mark.parametrize("config", PROMETHEUS_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_configs_scrape_govpulse_and_send_to_alertmanager(config: Path) -> None:
    document = load_yaml(config)
    assert "govpulse" in [job["job_name"] for job in document["scrape_configs"]]  # the rules expect this job
    assert document["alerting"]["alertmanagers"]
    assert sorted(Path(f).name for f in document["rule_files"]) == [
        "govpulse.alerts.yaml",
        "govpulse.rules.yaml",
    ]


@pytest.mark.parametrize("config", ALERTMANAGER_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_amtool_accepts_the_alertmanager_config(config: Path) -> None:
    result = run_amtool("check-config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_compose_alertmanager_is_generated_from_the_compose_config(tmp_path: Path) -> None:
    """deploy/compose/alertmanager.yml is `govpulse alerts build` output for deploy/compose/govpulse.yaml."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPULSE_")}
    env |= {f"GOVPULSE_PLATFORMS__{p}__ENABLED": "false" for p in ("MAX", "VK", "TELEGRAM")}
    command = [
        sys.executable,
        "-m",
        "collector",
        "alerts",
        "build",
        "-c",
        str(COMPOSE_DIR / "govpulse.yaml"),
        "-o",
        str(tmp_path),
    ]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    expected = (tmp_path / "alertmanager.yml").read_text(encoding="utf-8")
    assert (COMPOSE_DIR / "alertmanager.yml").read_text(encoding="utf-8") == expected
    urls = [
        w["url"]
        for r in load_yaml(COMPOSE_DIR / "alertmanager.yml")["receivers"]
        for w in r["webhook_configs"]
    ]
    assert urls and all(url.startswith("http://notify:9878/alertmanager?") for url in urls)
