"""Prometheus, Alertmanager and Pushgateway (Debian's packages) on loopback, plus promtool/amtool runners."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.support.process import ManagedServer, json_or_raise, require_binary
from tests.support.promql import PromQLServer

TOOL_TIMEOUT = 60.0


class PrometheusServer(PromQLServer):
    """Prometheus with lifecycle API enabled. In the config text `{rules_dir}` becomes the rule files'
    directory and `{listen}` this server's own host:port (to scrape itself). Note: Prometheus 2.42 hands
    the first targets to the scraper about 5 s after start (discovery updates are throttled)."""

    def __init__(
        self,
        workdir: Path,
        config_yaml: str,
        rule_files: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        super().__init__("prometheus", "/usr/bin/prometheus", workdir, ready_path="/-/ready")
        self.config_path = workdir / "prometheus.yml"
        self.rules_dir = workdir / "rules"
        self.config_yaml = config_yaml
        self.extra_args = tuple(extra_args)
        self.rules_dir.mkdir(exist_ok=True)
        self._write_rules(rule_files or {})

    def _write_rules(self, rule_files: Mapping[str, str]) -> None:
        for name, text in rule_files.items():
            (self.rules_dir / name).write_text(text, encoding="utf-8")

    def prepare(self) -> None:
        text = self.config_yaml.replace("{rules_dir}", str(self.rules_dir)).replace("{listen}", self.listen)
        self.config_path.write_text(text, encoding="utf-8")

    def arguments(self) -> list[str]:
        return [
            f"--config.file={self.config_path}",
            f"--web.listen-address={self.listen}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            "--web.enable-lifecycle",
            *self.extra_args,
        ]

    def reload(self, config_yaml: str | None = None, rule_files: Mapping[str, str] | None = None) -> None:
        """Rewrite the config and rule files given, then make Prometheus re-read them (POST /-/reload)."""
        if config_yaml is not None:
            self.config_yaml = config_yaml
        self._write_rules(rule_files or {})
        self.prepare()
        response = self.http.post("/-/reload")
        if response.is_error:
            raise RuntimeError(f"reload failed ({response.status_code}): {response.text}")

    def rule_groups(self) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = json_or_raise(self.http.get("/api/v1/rules"))["data"]["groups"]
        return groups

    def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts as Prometheus itself sees them (GET /api/v1/alerts)."""
        alerts: list[dict[str, Any]] = json_or_raise(self.http.get("/api/v1/alerts"))["data"]["alerts"]
        return alerts


class AlertmanagerServer(ManagedServer):
    """Alertmanager without clustering: an empty --cluster.listen-address turns gossip (port 9094) off."""

    def __init__(self, workdir: Path, config_yaml: str) -> None:
        super().__init__("alertmanager", "/usr/bin/prometheus-alertmanager", workdir, ready_path="/-/ready")
        self.config_path = workdir / "alertmanager.yml"
        self.config_path.write_text(config_yaml, encoding="utf-8")

    def arguments(self) -> list[str]:
        return [
            f"--config.file={self.config_path}",
            f"--web.listen-address={self.listen}",
            "--cluster.listen-address=",
            f"--storage.path={self.workdir / 'data'}",
        ]

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        response = self.http.post("/api/v2/alerts", json=list(alerts))
        if response.is_error:
            raise RuntimeError(f"POST /api/v2/alerts -> {response.status_code}: {response.text}")

    def alerts(self) -> list[dict[str, Any]]:
        """Alerts Alertmanager holds (GET /api/v2/alerts)."""
        alerts: list[dict[str, Any]] = json_or_raise(self.http.get("/api/v2/alerts"))
        return alerts


class PushgatewayServer(ManagedServer):
    """Pushgateway persisting to its work dir (Debian's default file is /var/lib/prometheus/...)."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(
            "pushgateway",
            "/usr/bin/prometheus-pushgateway",
            workdir,
            ready_path="/-/ready",
            args=("--web.listen-address={listen}", "--persistence.file={workdir}/pushgateway.data"),
        )

    def push(self, job: str, text: str, grouping: Mapping[str, str] | None = None) -> None:
        """Replace the job's group with `text` (exposition format; must end with a newline)."""
        path = f"/metrics/job/{quote(job, safe='')}"
        for key, value in (grouping or {}).items():
            path += f"/{quote(key, safe='')}/{quote(value, safe='')}"
        response = self.http.put(path, content=text)
        if response.is_error:
            raise RuntimeError(f"push to {path} -> {response.status_code}: {response.text}")

    def metrics_text(self) -> str:
        response = self.http.get("/metrics")
        response.raise_for_status()
        return response.text


Completed = subprocess.CompletedProcess[str]


def _run_tool(binary: str, args: Sequence[str], stdin: str | None, timeout: float) -> Completed:
    return subprocess.run(
        [require_binary(binary), *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_promtool(*args: str, stdin: str | None = None, timeout: float = TOOL_TIMEOUT) -> Completed:
    """promtool with captured text output, e.g. run_promtool("check", "metrics", stdin=text)."""
    return _run_tool("/usr/bin/promtool", args, stdin, timeout)


def run_amtool(*args: str, stdin: str | None = None, timeout: float = TOOL_TIMEOUT) -> Completed:
    """amtool with captured text output, e.g. run_amtool("check-config", path)."""
    return _run_tool("/usr/bin/amtool", args, stdin, timeout)
