"""VictoriaMetrics single-node (Debian's 1.79) on loopback, tuned so fresh writes are readable at once.

Measured on 1.79: without a flush, new samples reach /api/v1/export and queries after about 10 s;
`/internal/force_flush` makes them visible to export immediately and to /api/v1/query about one
second later, so query-based checks should use `wait_for`. `-inmemoryDataFlushInterval` does not
exist in this version. `-search.disableCache` keeps the rollup cache from hiding backfilled samples,
`-search.latencyOffset=0s` lets queries see points up to "now".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.promql import PromQLServer

_WRITE_PATHS = {"v1": "/write", "v2": "/api/v2/write"}


class VictoriaMetricsServer(PromQLServer):
    def __init__(self, workdir: Path) -> None:
        super().__init__(
            "victoriametrics",
            "/usr/bin/victoria-metrics",
            workdir,
            ready_path="/health",
            args=(
                "-httpListenAddr={listen}",
                "-storageDataPath={workdir}/data",
                "-retentionPeriod=100y",
                "-search.latencyOffset=0s",
                "-search.disableCache",
                "-memory.allowedBytes=256MiB",
            ),
        )

    def write_lines(self, lines: str, api: str = "v1", precision: str = "s") -> None:
        """InfluxDB line protocol through VictoriaMetrics' /write ("v1") or /api/v2/write ("v2")."""
        # No `db` argument: VictoriaMetrics would turn it into a `db` label on every series.
        response = self.http.post(_WRITE_PATHS[api], params={"precision": precision}, content=lines)
        if response.status_code != 204:
            raise RuntimeError(f"{_WRITE_PATHS[api]} -> {response.status_code}: {response.text[:2000]}")

    def flush(self) -> None:
        """Make buffered samples searchable now instead of within ~10 s."""
        self.http.get("/internal/force_flush").raise_for_status()

    def export(self, match: str = '{__name__=~".+"}') -> list[dict[str, Any]]:
        """Raw samples of every series matching `match`, one dict per series (JSON lines format)."""
        response = self.http.get("/api/v1/export", params={"match[]": match})
        response.raise_for_status()
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]
