"""Deliver one batch of line-protocol points: retries with backoff, and partial writes resolved per point.

Retry policy (after influxdb-client's `WritesRetry`, in seconds): network errors, 429 and 5xx are retried
up to `max_retries` times with exponential backoff and jitter; a `Retry-After` header on 429/503 is
honoured as given; `max_total_seconds` caps the whole effort, after which `WriteFailed` is raised and the
caller spools the batch. Other 4xx answers are never retried.

A 400 that names bad points is resolved, not retried:

* InfluxDB 1.x writes the good points of a batch and answers `partial write: unable to parse '<line>':
  ... dropped=N`: the named points are reported and nothing is resent;
* a batch rejected as a whole for a parse error (InfluxDB 2.x `... line 3 ...`, or 1.x when every point
  was bad) has the named points removed and the rest resent; when the server names no point (1.6 rejects
  a whole batch with a `field type conflict` inside it), the batch is bisected until the bad points are
  isolated (a 413 "too large" is bisected the same way);
* any other 400 rejects the batch (resending cannot help); its points are reported as dropped.
Other non-retryable answers (401, 403, 404: wrong token, missing database) raise `WriteFailed`, so the
data stay in the spool until the operator fixes the configuration.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from exporters.influx_transport import HttpError, NetworkError, Transport

log = logging.getLogger(__name__)

_PARTIAL = "partial write"
_UNABLE = "unable to parse '"
_LINE_NUMBER = re.compile(r"\bline:? (\d+)\b")
_DROPPED = re.compile(r"dropped=(\d+)")
_RETRYABLE_4XX = frozenset({408, 429})


class WriteFailed(Exception):
    """The batch was not written and may be retried later (server down, overloaded or misconfigured)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Rejection:
    point: str | None  # the offending point, when the server named it
    message: str


@dataclass(slots=True)
class WriteReport:
    written: int = 0
    dropped: int = 0  # points the server refused (reported in `rejected`)
    rejected: list[Rejection] = field(default_factory=list)

    def add(self, other: WriteReport) -> None:
        self.written += other.written
        self.dropped += other.dropped
        self.rejected.extend(other.rejected)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 5
    base_seconds: float = 0.5
    max_seconds: float = 30.0
    max_total_seconds: float = 60.0

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Delay before retry number `attempt` (0-based); the server's Retry-After wins when given."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_seconds, self.base_seconds * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # jitter spreads retries of many writers


Sleep = Callable[[float], Awaitable[None]]


class InfluxWriter:
    """Writes batches through a transport; one instance per sink."""

    def __init__(
        self,
        transport: Transport,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock

    async def write_batch(self, points: Sequence[str]) -> WriteReport:
        """Write `points` as one request (split only to isolate bad points). Raises `WriteFailed`."""
        report = WriteReport()
        pending: deque[list[str]] = deque([list(points)] if points else [])
        while pending:
            chunk = pending.popleft()
            try:
                await self._post_with_retry(chunk)
            except HttpError as exc:
                outcome, resend = resolve_rejection(exc, chunk)
                report.add(outcome)
                pending.extendleft(reversed(resend))
            else:
                report.written += len(chunk)
        for rejection in report.rejected:
            log.error("InfluxDB (%s) rejected a point: %s; point: %r",
                      self.transport.name, rejection.message, rejection.point)
        return report

    async def _post_with_retry(self, chunk: list[str]) -> None:
        body = "\n".join(chunk).encode()
        started = self._clock()
        attempt = 0
        while True:
            try:
                await self.transport.post(body)
                return
            except HttpError as exc:
                if not _retryable(exc.status):
                    if exc.status in (400, 413, 422):
                        raise
                    raise WriteFailed(f"InfluxDB refused the write: {exc}", status=exc.status) from None
                error: Exception = exc
                retry_after = exc.retry_after if exc.status in (429, 503) else None
            except NetworkError as exc:
                error, retry_after = exc, None
            delay = self.retry.backoff(attempt, retry_after)
            spent = self._clock() - started
            if attempt >= self.retry.max_retries or spent + delay > self.retry.max_total_seconds:
                raise WriteFailed(f"InfluxDB write failed after {attempt + 1} attempt(s): {error}") from None
            log.warning("InfluxDB write failed (%s); retry %d in %.1f s", error, attempt + 1, delay)
            await self._sleep(delay)
            attempt += 1


def _retryable(status: int) -> bool:
    return status >= 500 or status in _RETRYABLE_4XX


def resolve_rejection(exc: HttpError, chunk: list[str]) -> tuple[WriteReport, list[list[str]]]:
    """What a 400/413/422 answer means for `chunk`: the outcome so far, and the sub-batches to resend."""
    message = exc.message
    if exc.status == 413 and len(chunk) > 1:
        return WriteReport(), _halves(chunk)
    bad = offending_points(message, chunk)
    if _PARTIAL in message or exc.status == 422:
        # The server already wrote the good points; only report the bad ones.
        match = _DROPPED.search(message)
        dropped = max(len(bad), int(match.group(1)) if match else 0)
        rejections = [Rejection(chunk[i], message) for i in sorted(bad)] or [Rejection(None, message)]
        return WriteReport(written=len(chunk) - dropped, dropped=dropped, rejected=rejections), []
    if bad:
        rest = [p for i, p in enumerate(chunk) if i not in bad]
        report = WriteReport(dropped=len(bad), rejected=[Rejection(chunk[i], message) for i in sorted(bad)])
        return report, [rest] if rest else []
    if len(chunk) > 1 and _names_a_point_problem(message):
        return WriteReport(), _halves(chunk)
    if len(chunk) == 1:
        return WriteReport(dropped=1, rejected=[Rejection(chunk[0], message)]), []
    return WriteReport(dropped=len(chunk), rejected=[Rejection(None, message)]), []


def _halves(chunk: list[str]) -> list[list[str]]:
    middle = len(chunk) // 2
    return [chunk[:middle], chunk[middle:]]


def _names_a_point_problem(message: str) -> bool:
    """A parse error or a field type conflict: some points are bad, the others would be accepted."""
    lowered = message.lower()
    return any(word in lowered for word in ("parse", "line", "invalid", "conflict"))


def offending_points(message: str, chunk: Sequence[str]) -> set[int]:
    """Indexes of the points of `chunk` that the server's message names, by quoted text or line number."""
    by_text: dict[str, int] = {}
    for i, point in enumerate(chunk):
        by_text.setdefault(point, i)
    found: set[int] = set()
    start = message.find(_UNABLE)
    while start >= 0:
        begin = start + len(_UNABLE)
        end = message.find("':", begin)
        while end >= 0 and message[begin:end] not in by_text:  # a point may itself contain "':"
            end = message.find("':", end + 1)
        if end >= 0:
            found.add(by_text[message[begin:end]])
        start = message.find(_UNABLE, begin)
    if found:
        return found
    return _by_line_number(message, chunk)


def _by_line_number(message: str, chunk: Sequence[str]) -> set[int]:
    """Map 1-based body line numbers to points (a point may span lines: raw newlines in string fields)."""
    numbers = {int(m.group(1)) for m in _LINE_NUMBER.finditer(message)}
    if not numbers:
        return set()
    found: set[int] = set()
    line = 1
    for i, point in enumerate(chunk):
        span = point.count("\n") + 1
        if any(line <= n < line + span for n in numbers):
            found.add(i)
        line += span
    return found
