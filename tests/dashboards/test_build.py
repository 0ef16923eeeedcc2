"""The generated dashboards: checked in, deterministic, and wired to the provisioned datasources."""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from collector.commands import dashboards_cmd
from collector.dashboards.build import generate

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "dashboards" / "generated"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    dashboards_cmd.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["dashboards", *argv])
    code: int = args.handler(args)
    return code


def test_checked_in_dashboards_are_up_to_date() -> None:
    assert cli("build", "--check", "--out", str(GENERATED)) == 0


def test_check_fails_on_changed_missing_or_extra_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "generated"
    assert cli("build", "--out", str(out)) == 0
    assert cli("build", "--check", "--out", str(out)) == 0
    edited = out / "prom" / "govpulse-overview-prom.json"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Каналов", "Каналы", 1), encoding="utf-8")
    assert cli("build", "--check", "--out", str(out)) == 1
    assert "differs" in capsys.readouterr().err
    edited.unlink()
    assert cli("build", "--check", "--out", str(out)) == 1
    assert cli("build", "--out", str(out)) == 0
    shutil.copy(out / "prom" / "govpulse-overview-prom.json", out / "prom" / "old.json")
    assert cli("build", "--check", "--out", str(out)) == 1
    assert cli("build", "--out", str(out)) == 0 and not (out / "prom" / "old.json").exists()


def test_output_is_deterministic_sorted_and_newline_terminated() -> None:
    first, second = generate(), generate()
    assert first == second and len(first) == 10
    for text in first.values():
        data = json.loads(text)
        assert text.endswith("}\n")
        assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_dashboards_use_the_provisioned_datasource_uids_and_stable_uids() -> None:
    datasources = yaml.safe_load((PROVISIONING / "datasources" / "govpulse.yaml").read_text(encoding="utf-8"))
    uids = {d["type"]: d["uid"] for d in datasources["datasources"]}
    assert uids["influxdb"] and datasources["datasources"][1]["jsonData"]["version"] == "InfluxQL"
    for flavour, plugin in (("prom", "prometheus"), ("influx", "influxdb")):
        boards = [
            json.loads(p.read_text(encoding="utf-8")) for p in sorted((GENERATED / flavour).glob("*.json"))
        ]
        assert {b["uid"] for b in boards} == {
            f"govpulse-{n}-{flavour}" for n in ("overview", "regions", "channel", "anomalies", "collector")
        }
        for board in boards:
            variable = next(v for v in board["templating"]["list"] if v["name"] == "datasource")
            assert (variable["query"], variable["current"]["value"]) == (plugin, uids[plugin])
            for panel in board["panels"]:
                assert panel["datasource"] == {"type": plugin, "uid": "${datasource}"}


def test_dashboard_provider_points_at_each_flavour_folder() -> None:
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "govpulse.yaml").read_text(encoding="utf-8"))
    paths = sorted(Path(p["options"]["path"]).name for p in providers["providers"])
    assert paths == sorted(d.name for d in GENERATED.iterdir() if d.is_dir())


def test_recorded_series_used_by_dashboards_exist_in_the_rule_file() -> None:
    rules = yaml.safe_load((ROOT / "alerts" / "govpulse.rules.yaml").read_text(encoding="utf-8"))
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    used: set[str] = set()
    for path in (GENERATED / "prom").glob("*.json"):
        used |= set(re.findall(r"\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b", path.read_text(encoding="utf-8")))
    assert used and used <= recorded, sorted(used - recorded)
