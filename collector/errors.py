"""govpulse's error tree, and the mapping of every platform's errors onto DESIGN 4.3 `reason` values.

```
GovpulseError
  SourceError(platform, reason)          one failed API request; never carries a URL or a token
    TransientSourceError                 retried with backoff within the sweep
      Timeout                            reason timeout      (connect/read/write/pool timeout)
      NetworkError                       reason network      (reset, refused, truncated body)
      ServerError                        reason http_5xx     (5xx, Max internal.error, VK 10)
      UnparsableResponse                 reason bad_response (body is not JSON: usually cut off in transit)
      RateLimited(retry_after)           reason rate_limited (429, VK 6/9, Telegram retry_after)
    PermanentSourceError                 not retried; becomes the channel's outcome
      AuthError(detail)                  reason auth         (bad token: reported once per token)
      NotFound                           reason not_found
      LostAccess                         reason lost_access
      Deactivated                        reason deactivated
      BadResponse                        reason bad_response (valid JSON of the wrong shape or values)
      QuotaExhausted                     reason rate_limited (VK 29: per-method daily quota, hours away)
  SinkError(sink)                        a sink could not write (exporters)
```

Translation happens at the source boundary (`from_transport`, `from_status`, `from_max_error`,
`from_vk_error`, `from_telegram_error`); the pipeline only ever sees `Reason` values in samples.
"""

from __future__ import annotations

import re

import httpx

from collector.models import Platform, Reason

MAX_COUNT = 1_000_000_000
"""Larger subscriber counts are absurd for any channel (and near int32 overflow): bad_response."""


class GovpulseError(Exception):
    """Base of every error govpulse raises on purpose."""


class SourceError(GovpulseError):
    reason: Reason = Reason.BAD_RESPONSE
    transient = False
    code: int | None = None  # the platform's numeric error code (VK error_code), when it gave one

    def __init__(self, platform: Platform, message: str) -> None:
        self.platform = platform
        super().__init__(f"{platform.value}: {message}")


class TransientSourceError(SourceError):
    transient = True


class Timeout(TransientSourceError):
    reason = Reason.TIMEOUT


class NetworkError(TransientSourceError):
    reason = Reason.NETWORK


class ServerError(TransientSourceError):
    reason = Reason.HTTP_5XX


class UnparsableResponse(TransientSourceError):
    reason = Reason.BAD_RESPONSE


class RateLimited(TransientSourceError):
    reason = Reason.RATE_LIMITED

    def __init__(self, platform: Platform, message: str, retry_after: float | None = None) -> None:
        super().__init__(platform, message)
        self.retry_after = retry_after


class PermanentSourceError(SourceError):
    transient = False


class AuthError(PermanentSourceError):
    reason = Reason.AUTH

    def __init__(self, platform: Platform, detail: str) -> None:
        super().__init__(platform, f"token rejected ({detail})")
        self.detail = detail


class NotFound(PermanentSourceError):
    reason = Reason.NOT_FOUND


class LostAccess(PermanentSourceError):
    reason = Reason.LOST_ACCESS


class Deactivated(PermanentSourceError):
    reason = Reason.DEACTIVATED


class BadResponse(PermanentSourceError):
    reason = Reason.BAD_RESPONSE


class QuotaExhausted(PermanentSourceError):
    reason = Reason.RATE_LIMITED


class SinkError(GovpulseError):
    def __init__(self, sink: str, message: str) -> None:
        self.sink = sink
        super().__init__(f"{sink}: {message}")


def from_transport(platform: Platform, exc: httpx.TransportError) -> SourceError:
    """Map an httpx transport failure. Only the class name is kept: httpx messages may hold the URL."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(platform, name)
    return NetworkError(platform, name)


def from_status(platform: Platform, status: int, code: str = "") -> SourceError:
    """Generic HTTP status mapping; `code` is a short platform code for the message (never a body)."""
    detail = f"{status} {code}".strip()
    if status == 401:
        return AuthError(platform, detail)
    if status == 403:
        return LostAccess(platform, detail)
    if status == 404:
        return NotFound(platform, detail)
    if status == 429:
        return RateLimited(platform, detail)
    if status >= 500:
        return ServerError(platform, detail)
    return BadResponse(platform, f"unexpected HTTP {detail}")


_MAX_CODES: dict[str, type[SourceError]] = {
    "verify.token": AuthError,
    "chat.not.found": NotFound,
    "not.found": NotFound,
    "chat.denied": LostAccess,
    "access.denied": LostAccess,
    "internal.error": ServerError,
    "too.many.requests": RateLimited,
}


def from_max_error(status: int, code: str) -> SourceError:
    """Max answers errors as HTTP status + `{"code": "...", "message": "..."}`; the code wins when known."""
    code = safe_code(code)
    kind = _MAX_CODES.get(code)
    if kind is None:
        return from_status(Platform.MAX, status, code)
    if kind is AuthError:
        return AuthError(Platform.MAX, f"{status} {code}")
    return kind(Platform.MAX, f"{status} {code}")


_VK_CODES: dict[int, type[SourceError]] = {
    5: AuthError,
    27: AuthError,
    28: AuthError,
    6: RateLimited,
    9: RateLimited,
    10: ServerError,
    29: QuotaExhausted,
    15: LostAccess,
    203: LostAccess,
    100: NotFound,
    125: NotFound,
}


def from_vk_error(error_code: int) -> SourceError:
    """VK answers HTTP 200 with `{"error": {"error_code": N, ...}}`. Unknown codes: bad_response."""
    kind = _VK_CODES.get(error_code, BadResponse)
    detail = f"VK error {error_code}"
    error = AuthError(Platform.VK, detail) if kind is AuthError else kind(Platform.VK, detail)
    error.code = error_code
    return error


_TELEGRAM_NOT_FOUND = re.compile(r"not found|invalid|username", re.IGNORECASE)


def from_telegram_error(error_code: int, description: str, retry_after: float | None) -> SourceError:
    """Telegram's `error_code` mirrors the HTTP status; 400 "chat not found" means not_found."""
    platform = Platform.TELEGRAM
    if error_code == 429:
        return RateLimited(platform, "429", retry_after)
    if error_code == 400:
        if _TELEGRAM_NOT_FOUND.search(description):
            return NotFound(platform, "400 chat not found")
        return BadResponse(platform, "400 bad request")
    return from_status(platform, error_code)


def safe_code(code: object) -> str:
    """A platform error code fit for a log line: short, plain characters only (bodies never reach logs)."""
    if not isinstance(code, str):
        return ""
    return re.sub(r"[^A-Za-z0-9._-]", "", code)[:40]


def check_count(platform: Platform, value: object) -> int:
    """A subscriber count must be a plain, non-negative, plausible int; anything else is bad_response."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadResponse(platform, f"count is {type(value).__name__}, not int")
    if value < 0 or value > MAX_COUNT:
        raise BadResponse(platform, "count out of range")
    return value
