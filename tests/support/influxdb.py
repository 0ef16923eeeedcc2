"""InfluxDB 1.x (Debian's influxd 1.6) on loopback with a generated config.

OSS 1.6 listens on exactly two TCP ports: `[http] bind-address` and the top-level `bind-address` (the
backup/restore RPC service, 127.0.0.1:8088 by default: the port two instances collide on). `[meta]` has
no listener in OSS, and graphite/collectd/opentsdb/udp/ifql are disabled by default; the config still
says so explicitly so a changed package default cannot open a fixed port.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.process import ManagedServer, free_port, json_or_raise

_CONFIG = """\
reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{workdir}/meta"
  retention-autocreate = true
  logging-enabled = true

[data]
  dir = "{workdir}/data"
  wal-dir = "{workdir}/wal"
  index-version = "inmem"
  wal-fsync-delay = "0s"
  query-log-enabled = true

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = false
  log-enabled = true
  pprof-enabled = false
  unix-socket-enabled = false

[logging]
  suppress-logo = true

[ifql]
  enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false
"""


class InfluxQLError(RuntimeError):
    """InfluxDB answered 200 but a statement failed (InfluxQL reports errors inside the results)."""


class InfluxDB1Server(ManagedServer):
    def __init__(self, workdir: Path) -> None:
        super().__init__("influxdb1", "/usr/bin/influxd", workdir, ready_path="/ping", ready_status=204)
        self.rpc_port = free_port()
        self.config_path = workdir / "influxdb.conf"

    def prepare(self) -> None:
        text = _CONFIG.format(rpc_port=self.rpc_port, http_port=self.port, workdir=self.workdir)
        self.config_path.write_text(text, encoding="utf-8")

    def arguments(self) -> list[str]:
        return ["run", "-config", str(self.config_path)]

    def reassign_ports(self) -> None:
        super().reassign_ports()
        self.rpc_port = free_port()

    def query(self, q: str, db: str = "") -> dict[str, Any]:
        """InfluxQL read over GET /query with second-precision epochs; statement errors raise."""
        params = {"q": q, "epoch": "s"}
        if db:
            params["db"] = db
        return _checked(json_or_raise(self.http.get("/query", params=params)))

    def execute(self, q: str, db: str = "") -> dict[str, Any]:
        """InfluxQL that changes state (CREATE, DROP, ...): InfluxDB 1.x wants those as POST."""
        params = {"q": q}
        if db:
            params["db"] = db
        return _checked(json_or_raise(self.http.post("/query", params=params)))

    def create_database(self, name: str) -> None:
        self.execute(f'CREATE DATABASE "{name}"')

    def write(self, lines: str, db: str, precision: str = "s") -> None:
        """Line protocol through the v1 /write endpoint (204 on success)."""
        response = self.http.post("/write", params={"db": db, "precision": precision}, content=lines)
        if response.status_code != 204:
            raise InfluxQLError(f"/write -> {response.status_code}: {response.text[:2000]}")

    def rows(self, q: str, db: str) -> list[dict[str, Any]]:
        """Every row of every series of the first statement, as dicts with the series tags merged in."""
        result = self.query(q, db)["results"][0]
        rows: list[dict[str, Any]] = []
        for series in result.get("series", []):
            tags = series.get("tags", {})
            columns = series["columns"]
            for values in series.get("values", []):  # absent when a SHOW finds nothing
                rows.append({**tags, **dict(zip(columns, values, strict=True))})
        return rows


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    errors = [body["error"]] if "error" in body else []
    errors += [r["error"] for r in body.get("results", []) if "error" in r]
    if errors:
        raise InfluxQLError("; ".join(errors))
    return body
