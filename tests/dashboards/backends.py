"""Load the world into a real Prometheus (backfilled blocks, recording rules backfilled in dependency
order) and a real InfluxDB 1.x."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from tests.dashboards import load
from tests.dashboards import world as w
from tests.support.servers import InfluxDB1Server, PrometheusServer, ServerFleet, run_promtool

RULES = Path(__file__).resolve().parents[2] / "alerts" / "govpulse.rules.yaml"
CONFIG = "global:\n  evaluation_interval: 1m\nrule_files:\n  - '{rules_dir}/*.yaml'\n"
DATABASE = "govpulse"
# promtool re-reads its whole input for every block it writes (2 h by default): one block per run
# instead turns minutes into seconds. The flag is hidden but present in 2.42.
BLOCKS = "--max-block-duration=2000h"


def _check(result: Any, what: str) -> None:
    if result.returncode != 0:
        raise AssertionError(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def rules_by_depth(text: str) -> list[dict[str, Any]]:
    """The rule file split into files of rules whose inputs are all raw or in earlier files.

    `promtool tsdb create-blocks-from rules` evaluates against what the server holds, so a rule over a
    recorded series can only be backfilled once that series has been backfilled and loaded.
    """
    groups = yaml.safe_load(text)["groups"]
    rules = [(group, rule) for group in groups for rule in group.get("rules", []) if "record" in rule]
    names = {rule["record"] for _, rule in rules}
    depth: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in depth:
            expr = next(rule["expr"] for _, rule in rules if rule["record"] == name)
            uses = [n for n in names if n != name and re.search(rf"(?<![\w:]){re.escape(n)}(?![\w:])", expr)]
            depth[name] = 1 + max((level(n) for n in uses), default=0)
        return depth[name]

    files: list[dict[str, Any]] = []
    for d in range(1, max(level(n) for n in names) + 1):
        out_groups = []
        for group in groups:
            chosen = [r for r in group.get("rules", []) if "record" in r and level(r["record"]) == d]
            if chosen:
                out_groups.append({**{k: v for k, v in group.items() if k != "rules"}, "rules": chosen})
        files.append({"groups": out_groups})
    return files


def start_prometheus(fleet: ServerFleet, base: Path) -> PrometheusServer:
    workdir = base / "prometheus"
    data = workdir / "data"
    data.mkdir(parents=True)
    openmetrics = base / "world.om"
    load.write_openmetrics(openmetrics)
    _check(
        run_promtool("tsdb", "create-blocks-from", BLOCKS, "openmetrics", str(openmetrics), str(data)),
        "backfill",
    )
    server = fleet.launch(
        PrometheusServer(workdir, CONFIG, None, ["--storage.tsdb.retention.time=100y", "--log.level=warn"])
    )
    # One path for every pass: a group's evaluation phase hashes its file and name, and rules that
    # read each other within a group must share it, as they do when Prometheus evaluates them live.
    path = base / RULES.name
    for number, rules in enumerate(rules_by_depth(RULES.read_text(encoding="utf-8")), start=1):
        out = base / f"blocks-{number}"
        path.write_text(yaml.safe_dump(rules), encoding="utf-8")
        _check(
            run_promtool(
                "tsdb",
                "create-blocks-from",
                BLOCKS,
                "rules",
                f"--url={server.url}",
                f"--start={w.RECENT}",
                f"--end={w.END}",
                "--eval-interval=5m",
                f"--output-dir={out}",
                "--quiet",
                str(path),
                timeout=120,
            ),
            f"rules backfill {number}",
        )
        for block in out.iterdir():
            shutil.move(str(block), data / block.name)
        server.stop()
        server.start()
    server.reload(rule_files={"govpulse.rules.yaml": RULES.read_text(encoding="utf-8")})
    return server


def start_influxdb(server: InfluxDB1Server) -> InfluxDB1Server:
    server.create_database(DATABASE)
    server.write(load.line_protocol(), db=DATABASE)
    return server
