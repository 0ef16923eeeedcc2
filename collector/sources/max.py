"""Max Bot API source: `GET /chats/{chatId}` per channel, `participants_count` as the count.

The bot sees only chats it has been added to; its own `status` in the chat other than `active`
(removed, left, closed, suspended), 403 and 404 are outcomes (lost_access, not_found), never a count.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from collector.errors import BadResponse, LostAccess, RateLimited, SourceError, check_count, from_max_error
from collector.models import OK, Channel, Platform, Sample
from collector.sources.base import (
    PerChannelSource,
    failure,
    json_body,
    retry_after,
)

PLATFORM = Platform.MAX


@dataclass(frozen=True, slots=True)
class MaxChat:
    count: int
    title: str | None
    link: str | None


def interpret(response: httpx.Response) -> MaxChat:
    """Map one `GET /chats/{id}` answer to a chat, or raise the matching SourceError."""
    if response.status_code != 200:
        raise _error(response)
    body = json_body(PLATFORM, response)
    if not isinstance(body, dict):
        raise BadResponse(PLATFORM, "chat is not an object")
    status = body.get("status", "active")
    if status != "active":
        raise LostAccess(PLATFORM, "bot is not an active member of the chat")
    count = check_count(PLATFORM, body.get("participants_count"))
    return MaxChat(count, _text(body.get("title")), _text(body.get("link")))


def _error(response: httpx.Response) -> SourceError:
    code = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            code = body.get("code", "")
    except (ValueError, RecursionError):
        pass  # an error page that is not JSON: the status alone decides
    error = from_max_error(response.status_code, code)
    if isinstance(error, RateLimited):
        error.retry_after = retry_after(response)
    return error


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class MaxSource(PerChannelSource):
    platform = PLATFORM

    async def _sample(self, channel: Channel) -> Sample:
        url = f"{self._base}/chats/{quote(channel.channel, safe='-')}"

        def send(token: str) -> Awaitable[httpx.Response]:
            return self._client.get(url, headers={"Authorization": token})

        try:
            chat = await self.requester.call(send, interpret)
        except SourceError as error:
            return failure(channel, error.reason, self._now())
        return Sample(PLATFORM, channel.channel, self._now(), OK, chat.count, chat.title, chat.link)
