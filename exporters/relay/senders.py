"""Sending one message to Max or Telegram, and what the answer means for the outbox.

Max: `POST {base}/messages?chat_id=<id>` with header `Authorization: <token>` and `{"text", "format": "html"}`
(4000 characters). Telegram: `POST {base}/bot<token>/sendMessage` with `{"chat_id", "text", "parse_mode":
"HTML"}` (4096 characters).

Outcomes: 2xx → SENT (whatever the body says: the platform has the message, sending again would repeat
it); 429, 5xx, timeouts and network errors → RETRY (with `retry_after` when the platform gives one);
any other 4xx → REFUSED with the platform's own explanation. Reasons never contain a URL or a token:
Telegram's URL carries the token, so transport errors are reported by their class name only.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from collector.logsetup import redact
from collector.models import Platform

MAX_TEXT_LIMIT = 4000
TELEGRAM_TEXT_LIMIT = 4096
_REASON_CHARS = 300


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    reason: str = ""
    retry_after: float | None = None


class Sender(Protocol):
    platform: Platform
    text_limit: int

    async def send(self, chat_id: str, text: str) -> SendResult: ...


class MaxSender:
    platform = Platform.MAX
    text_limit = MAX_TEXT_LIMIT

    def __init__(self, *, client: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._client, self._url, self._token = client, f"{base_url.rstrip('/')}/messages", token

    async def send(self, chat_id: str, text: str) -> SendResult:
        return await _post(
            self._client,
            self._url,
            params={"chat_id": chat_id},
            headers={"Authorization": self._token},
            body={"text": text, "format": "html"},
        )


class TelegramSender:
    platform = Platform.TELEGRAM
    text_limit = TELEGRAM_TEXT_LIMIT

    def __init__(self, *, client: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._client, self._url = client, f"{base_url.rstrip('/')}/bot{token}/sendMessage"

    async def send(self, chat_id: str, text: str) -> SendResult:
        body = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        return await _post(self._client, self._url, params={}, headers={}, body=body)


async def _post(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: dict[str, str],
    headers: dict[str, str],
    body: dict[str, Any],
) -> SendResult:
    try:
        response = await client.post(url, params=params, headers=headers, json=body)
    except httpx.TimeoutException as exc:
        return SendResult(Outcome.RETRY, f"timeout ({type(exc).__name__})")
    except httpx.TransportError as exc:
        return SendResult(Outcome.RETRY, f"network error ({type(exc).__name__})")
    return classify(response.status_code, response.headers.get("Retry-After"), response.content)


def classify(status: int, retry_after_header: str | None, content: bytes) -> SendResult:
    if 200 <= status < 300:
        return SendResult(Outcome.SENT)
    payload = _json(content)
    reason = f"HTTP {status}: {_explanation(payload, content)}"
    if status == 429:
        return SendResult(Outcome.RETRY, reason, _retry_after(payload, retry_after_header))
    if status >= 500:
        return SendResult(Outcome.RETRY, reason)
    return SendResult(Outcome.REFUSED, reason)


def _json(content: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(content)
    except (ValueError, RecursionError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _explanation(payload: dict[str, Any], content: bytes) -> str:
    """Max says `{code, message}`, Telegram `{description}`; otherwise the start of the body."""
    parts = [str(payload[k]) for k in ("code", "message", "description") if payload.get(k)]
    text = " ".join(parts) if parts else content[:_REASON_CHARS].decode("utf-8", "replace").strip()
    return redact(text)[:_REASON_CHARS] or "no explanation"


def _retry_after(payload: dict[str, Any], header: str | None) -> float | None:
    parameters = payload.get("parameters")
    candidates = [parameters.get("retry_after") if isinstance(parameters, dict) else None, header]
    for value in candidates:
        try:
            seconds = float(value) if value is not None else None
        except (TypeError, ValueError):
            continue
        if seconds is not None and 0 <= seconds <= 86400:
            return seconds
    return None
