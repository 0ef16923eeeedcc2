"""One HTTP POST of a line-protocol body to InfluxDB, through the v2 or the v1 write API.

* `V2Transport`: `/api/v2/write?org=&bucket=&precision=s` with `Authorization: Token ...`, through
  influxdb-client's `InfluxDBClientAsync` + `WriteApiAsync.write()` (record = our pre-serialised bytes;
  the client gzips the body itself when `enable_gzip` is on). Works with InfluxDB 2.x, 3.x, 1.8+ and
  VictoriaMetrics. The async client posts once and raises `ApiException` (status, body, headers), which
  is all we need: retries and partial-write handling live in `influx_writer`.
* `V1Transport`: `/write?db=&rp=&precision=s` for InfluxDB 1.x over httpx; credentials go in a basic-auth
  header, never in the URL, so no error message or log line can carry them.

Both raise `HttpError` for a non-2xx answer and `NetworkError` when no answer came; neither message ever
contains the token or password (server text goes through `collector.logsetup.redact`).
"""

from __future__ import annotations

import email.utils
import gzip
import json
import time
from typing import Any, Protocol

import aiohttp
import httpx
from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException

from collector.config import InfluxApi, InfluxSettings
from collector.logsetup import redact

GZIP_LEVEL = 1  # line protocol compresses ~10x even at level 1; higher levels cost CPU for little gain
_MAX_MESSAGE = 4000  # keep error texts bounded in logs; a 1.x partial write may name many lines


class HttpError(Exception):
    """The server answered with a non-2xx status."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        self.status = status
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"HTTP {status}: {message[:_MAX_MESSAGE]}")


class NetworkError(Exception):
    """No answer: connection refused or reset, DNS, timeout."""


class Transport(Protocol):
    name: str

    async def post(self, body: bytes) -> None: ...

    async def aclose(self) -> None: ...


def server_message(body: bytes | str | None) -> str:
    """The error text of an InfluxDB answer: 1.x `{"error": ...}`, 2.x `{"message": ...}` or plain text."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        return redact(text.strip())
    if isinstance(data, dict):
        message = data.get("error") or data.get("message")
        if isinstance(message, str):
            return redact(message)
    return redact(text.strip())


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class V1Transport:
    """InfluxDB 1.x `/write` over httpx."""

    name = "v1"

    def __init__(self, settings: InfluxSettings, *, client: httpx.AsyncClient | None = None) -> None:
        self._gzip = settings.gzip
        self._url = str(settings.url).rstrip("/") + "/write"
        params = {"db": settings.database, "precision": "s"}
        if settings.retention_policy:
            params["rp"] = settings.retention_policy
        self._params = params
        auth = None
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else ""
            auth = httpx.BasicAuth(settings.username, password)
        verify: Any = str(settings.ca_bundle) if settings.ca_bundle else True
        self._client = client or httpx.AsyncClient(timeout=settings.timeout_seconds, verify=verify)
        self._auth = auth

    async def post(self, body: bytes) -> None:
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        if self._gzip:
            body = gzip.compress(body, compresslevel=GZIP_LEVEL)
            headers["Content-Encoding"] = "gzip"
        try:
            response = await self._client.post(
                self._url,
                params=self._params,
                content=body,
                headers=headers,
                auth=self._auth or httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException as exc:
            raise NetworkError(f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise NetworkError(redact(f"{type(exc).__name__}: {exc}")) from None
        if not response.is_success:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise HttpError(response.status_code, server_message(response.content), retry_after)

    async def aclose(self) -> None:
        await self._client.aclose()


class V2Transport:
    """`/api/v2/write` through influxdb-client's async API; the client is created inside the event loop."""

    name = "v2"

    def __init__(self, settings: InfluxSettings) -> None:
        self._settings = settings
        self._client: InfluxDBClientAsync | None = None

    def _write_api(self) -> Any:
        if self._client is None:
            s = self._settings
            self._client = InfluxDBClientAsync(
                url=str(s.url).rstrip("/"),
                token=s.token.get_secret_value() if s.token else "",  # "" sends no Authorization header
                org=s.org,
                timeout=int(s.timeout_seconds * 1000),  # the client counts milliseconds
                enable_gzip=s.gzip,
                ssl_ca_cert=str(s.ca_bundle) if s.ca_bundle else None,
            )
        return self._client.write_api()

    async def post(self, body: bytes) -> None:
        s = self._settings
        try:
            write_api = self._write_api()
            await write_api.write(bucket=s.bucket, org=s.org, record=body, write_precision=WritePrecision.S)
        except ApiException as exc:
            headers: Any = exc.headers or {}
            retry_after = parse_retry_after(headers.get("Retry-After"))
            raise HttpError(int(exc.status or 0), server_message(exc.body), retry_after) from None
        except TimeoutError:
            raise NetworkError("timeout") from None
        except aiohttp.ClientError as exc:
            raise NetworkError(redact(f"{type(exc).__name__}: {exc}")) from None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()  # type: ignore[no-untyped-call]
            self._client = None


def make_transport(settings: InfluxSettings) -> Transport:
    return V2Transport(settings) if settings.api is InfluxApi.V2 else V1Transport(settings)
