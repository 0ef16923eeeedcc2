"""The Prometheus HTTP query API, shared by Prometheus and VictoriaMetrics."""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from typing import Any

from tests.support.process import ManagedServer, json_or_raise

Result = list[dict[str, Any]]


class PromQLServer(ManagedServer):
    def query(self, promql: str, time: float | None = None) -> Result:
        """Instant query; returns `data.result` (for a vector: [{"metric": {...}, "value": [t, "v"]}])."""
        params: dict[str, str | float] = {"query": promql}
        if time is not None:
            params["time"] = time
        body = json_or_raise(self.http.get("/api/v1/query", params=params))
        if body.get("status") != "success":
            raise RuntimeError(f"query {promql!r} failed: {body}")
        result: Result = body["data"]["result"]
        return result

    def wait_for(
        self,
        promql: str,
        predicate: Callable[[Result], bool] = bool,
        timeout: float = 30.0,
        interval: float = 0.2,
    ) -> Result:
        """Poll an instant query until `predicate(result)` holds; the default waits for a non-empty result."""
        deadline = _time.monotonic() + timeout
        while True:
            result = self.query(promql)
            if predicate(result):
                return result
            if _time.monotonic() >= deadline:
                raise AssertionError(
                    f"{self.name}: {promql!r} did not satisfy the predicate in {timeout} s; "
                    f"last result: {result}"
                )
            _time.sleep(interval)


def scalar_values(result: Result) -> list[float]:
    """The sample values of an instant-vector result, in result order."""
    return [float(item["value"][1]) for item in result]
