"""Telegram Bot API source: `getChatMemberCount?chat_id=@name` per channel.

The bot token is part of the URL path, so no URL ever reaches a log line, an error or a sample: errors
are built from status codes only, and httpx exceptions are replaced (collector.sources.base). The
logging setup silences httpx's request log; in case it runs at INFO anyway, a filter on the `httpx`
logger masks the path segment that holds the token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from typing import Any

import httpx

from collector.config import PlatformSettings
from collector.errors import (
    BadResponse,
    RateLimited,
    SourceError,
    check_count,
    from_status,
    from_telegram_error,
)
from collector.models import OK, Channel, Platform, Sample
from collector.sources.base import (
    PerChannelSource,
    failure,
    json_body,
    retry_after,
)

PLATFORM = Platform.TELEGRAM
_TOKEN_IN_PATH = re.compile(r"/bot[^/\s]+/")


class MaskBotToken(logging.Filter):
    """Rewrites `/bot<token>/` to `/bot***/` in records of the logger it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/bot" in message:
            record.msg = _TOKEN_IN_PATH.sub("/bot***/", message)
            record.args = None
        return True


def _mask_httpx_log() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, MaskBotToken) for f in httpx_logger.filters):
        httpx_logger.addFilter(MaskBotToken())


def chat_id(channel: str) -> str:
    """`@username` or a numeric id, as Telegram expects it."""
    key = channel.strip()
    if key.startswith("@") or key.lstrip("-").isdigit():
        return key
    return f"@{key}"


def interpret(response: httpx.Response) -> int:
    """Map a `getChatMemberCount` answer to the count, or raise the matching SourceError."""
    try:
        body = json_body(PLATFORM, response)
    except SourceError:
        if response.status_code != 200:
            raise _status_error(response) from None
        raise
    if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
        if response.status_code != 200:
            raise _status_error(response)
        raise BadResponse(PLATFORM, "answer is not a Bot API envelope")
    if body["ok"]:
        return check_count(PLATFORM, body.get("result"))
    raise _api_error(body, response)


def _api_error(body: dict[str, object], response: httpx.Response) -> SourceError:
    code = body.get("error_code")
    if isinstance(code, bool) or not isinstance(code, int):
        code = response.status_code
    description = body.get("description")
    parameters = body.get("parameters")
    wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
    seconds = float(wait) if isinstance(wait, int | float) and not isinstance(wait, bool) else None
    return from_telegram_error(code, description if isinstance(description, str) else "", seconds)


def _status_error(response: httpx.Response) -> SourceError:
    error = from_status(PLATFORM, response.status_code)
    if isinstance(error, RateLimited):
        error.retry_after = retry_after(response)
    return error


class TelegramSource(PerChannelSource):
    platform = PLATFORM

    def __init__(self, settings: PlatformSettings, **options: Any) -> None:
        _mask_httpx_log()
        super().__init__(settings, **options)

    async def _sample(self, channel: Channel) -> Sample:
        params = {"chat_id": chat_id(channel.channel)}

        def send(token: str) -> Awaitable[httpx.Response]:
            return self._client.get(f"{self._base}/bot{token}/getChatMemberCount", params=params)

        try:
            count = await self.requester.call(send, interpret)
        except SourceError as error:
            return failure(channel, error.reason, self._now())
        return Sample(PLATFORM, channel.channel, self._now(), OK, count)
