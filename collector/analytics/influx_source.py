"""Reading `channel_subscribers` and `channel_meta` back from InfluxDB with InfluxQL (GET /query).

Works with InfluxDB 1.x (database, optional user/password) and with 2.x/3.x through their v1-compatible
`/query` endpoint (DBRP mapping, token). Results are requested `chunked` so a long history streams in
pieces instead of one huge JSON document (and is not cut at a server's max-row-limit).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from collector.analytics.history import ChannelInfo, History
from collector.analytics.queries import DayValue
from collector.config import InfluxApi, InfluxSettings
from collector.models import OK

SECONDS_PER_DAY = 86_400
CHUNK_SIZE = 10_000


class InfluxQueryError(Exception):
    """The server refused a query or answered something that is not an InfluxQL result."""


@dataclass(frozen=True, slots=True)
class InfluxTarget:
    url: str
    database: str
    retention_policy: str = ""
    username: str = ""
    password: str = ""
    token: str = ""
    timeout_seconds: float = 30.0

    @classmethod
    def from_settings(cls, s: InfluxSettings) -> InfluxTarget:
        token = s.token.get_secret_value() if s.token and s.api is InfluxApi.V2 else ""
        database = s.bucket if s.api is InfluxApi.V2 else s.database
        password = s.password.get_secret_value() if s.password else ""
        return cls(
            str(s.url).rstrip("/"),
            database,
            s.retention_policy,
            s.username,
            password,
            token,
            s.timeout_seconds,
        )


def quote_ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class InfluxClient:
    def __init__(self, target: InfluxTarget) -> None:
        self.target = target
        headers = {"Authorization": f"Token {target.token}"} if target.token else {}
        auth = httpx.BasicAuth(target.username, target.password) if target.username else None
        self._http = httpx.Client(timeout=target.timeout_seconds, headers=headers, auth=auth)

    def close(self) -> None:
        self._http.close()

    def series(self, query: str) -> Iterator[dict[str, Any]]:
        """Every series of every chunk of the (single-statement) query's result."""
        params = {
            "db": self.target.database,
            "q": query,
            "epoch": "s",
            "chunked": "true",
            "chunk_size": str(CHUNK_SIZE),
        }
        if self.target.retention_policy:
            params["rp"] = self.target.retention_policy
        try:
            with self._http.stream("GET", f"{self.target.url}/query", params=params) as response:
                if response.status_code != 200:
                    raise InfluxQueryError(
                        f"InfluxDB /query -> HTTP {response.status_code}: {response.read()[:300]!r}"
                    )
                for line in response.iter_lines():
                    if line.strip():
                        yield from _chunk_series(line)
        except httpx.HTTPError as exc:
            raise InfluxQueryError(f"InfluxDB {self.target.url}: {type(exc).__name__}: {exc}") from None


def _chunk_series(line: str) -> Iterator[dict[str, Any]]:
    try:
        body = json.loads(line)
    except ValueError:
        raise InfluxQueryError(f"not an InfluxQL result: {line[:200]!r}") from None
    if "error" in body:
        raise InfluxQueryError(str(body["error"]))
    for result in body.get("results", []):
        if "error" in result:
            raise InfluxQueryError(str(result["error"]))
        yield from result.get("series", [])


def _info(tags: dict[str, str], meta: dict[str, tuple[str, str]]) -> ChannelInfo:
    platform, channel = tags.get("platform", ""), tags.get("channel", "")
    title, org = meta.get(f"{platform}:{channel}", ("", ""))
    return ChannelInfo(platform, channel, tags.get("region", ""), tags.get("category", ""), title, org)


def _time_filter(start: float, end: float, platform: str | None) -> str:
    where = f"time >= {int(start)}s AND time <= {int(end)}s"
    return where + (f" AND platform = {quote_string(platform)}" if platform else "")


class InfluxSource:
    """InfluxQL reads of the DESIGN 4.4 schema. A channel whose region or category tag changed is merged
    under its latest tags."""

    name = "influx"

    def __init__(self, target: InfluxTarget) -> None:
        self.client = InfluxClient(target)
        self._meta: dict[str, tuple[str, str]] | None = None
        self._channels: dict[str, ChannelInfo] = {}

    def close(self) -> None:
        self.client.close()

    def _titles(self) -> dict[str, tuple[str, str]]:
        if self._meta is None:
            query = (
                'SELECT last("title") AS title, last("org") AS org FROM "channel_meta"'
                " GROUP BY platform, channel"
            )
            self._meta = {}
            for s in self.client.series(query):
                tags, row = s.get("tags", {}), dict(zip(s["columns"], s["values"][-1], strict=True))
                self._meta[f"{tags.get('platform')}:{tags.get('channel')}"] = (
                    row.get("title") or "",
                    row.get("org") or "",
                )
        return self._meta

    def channels(self) -> dict[str, ChannelInfo]:
        return dict(self._channels)

    def histories(self, start: float, end: float, platform: str | None = None) -> dict[str, History]:
        query = (
            f'SELECT "subscribers" FROM "channel_subscribers" WHERE {_time_filter(start, end, platform)}'
            " GROUP BY platform, channel, region, category"
        )
        points: dict[str, list[tuple[float, int]]] = {}
        meta = self._titles()
        for s in self.client.series(query):
            info = _info(s.get("tags", {}), meta)
            points.setdefault(info.key, []).extend(
                (float(t), int(v)) for t, v in s["values"] if v is not None
            )
            self._channels[info.key] = info
        histories: dict[str, History] = {}
        for key, rows in points.items():
            history = histories[key] = History(self._channels[key])
            for at, subscribers in sorted(rows):
                history.add(at, OK, subscribers)
        return histories

    def daily(self, start_day: int, end_day: int, platform: str | None = None) -> dict[str, list[DayValue]]:
        start, end = start_day * SECONDS_PER_DAY, (end_day + 1) * SECONDS_PER_DAY - 1
        query = (
            'SELECT last("subscribers") FROM "channel_subscribers"'
            f" WHERE {_time_filter(start, end, platform)}"
            " GROUP BY time(1d), platform, channel, region, category fill(none)"
        )
        result: dict[str, dict[int, DayValue]] = {}
        meta = self._titles()
        for s in self.client.series(query):
            info = _info(s.get("tags", {}), meta)
            self._channels[info.key] = info
            days = result.setdefault(info.key, {})
            for t, v in s["values"]:
                if v is not None:
                    day = int(t) // SECONDS_PER_DAY
                    days[day] = DayValue(day, int(v), OK)
        return {key: [days[d] for d in sorted(days)] for key, days in result.items()}
