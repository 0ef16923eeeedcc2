"""VK source: `groups.getById` in batches of up to 500 ids, optionally 25 batches per `execute` request.

Screen names are sent once, resolved to numeric ids from the answer and remembered in `resolved`
(the pipeline persists it and passes it back in). A VK error 100/125 on a batch means an invalid id
inside it: the batch is bisected, within a bounded number of extra requests, to isolate it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from collector.config import PlatformSettings, VkSettings
from collector.errors import NotFound, SourceError, from_vk_error
from collector.models import Channel, Platform, Reason, Sample
from collector.ratelimit import TokenPool
from collector.sources.base import NullMetrics, Requester, SourceMetrics, bounded, build_pool
from collector.sources.http import base_url, build_client
from collector.sources.vk_api import (
    FIELDS,
    ExecuteParser,
    GroupOutcome,
    execute_code,
    get_by_id,
    match,
    query_key,
)

logger = logging.getLogger(__name__)

PLATFORM = Platform.VK


@dataclass
class _Sweep:
    """Outcomes of one fetch, keyed by the `group_ids` entry that was asked for."""

    outcomes: dict[str, tuple[GroupOutcome, float]] = field(default_factory=dict)

    def record(self, outcomes: Mapping[str, GroupOutcome], observed_at: float) -> None:
        for key, value in outcomes.items():
            self.outcomes[key] = (value, observed_at)

    def fail(self, keys: Sequence[str], reason: Reason, observed_at: float) -> None:
        self.record({key: GroupOutcome(reason.value) for key in keys}, observed_at)


class VkSource:
    platform = PLATFORM

    def __init__(
        self,
        settings: PlatformSettings,
        *,
        metrics: SourceMetrics | None = None,
        client: httpx.AsyncClient | None = None,
        pool: TokenPool | None = None,
        resolved: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        metrics = metrics or NullMetrics()
        if not isinstance(settings, VkSettings):
            settings = VkSettings.model_validate(settings.model_dump())
        self._settings = settings
        self._owns_client = client is None
        self._client = client or build_client(settings)
        self._base = base_url(settings)
        self._now = wall_clock
        self.resolved: dict[str, str] = dict(resolved or {})
        """Screen name → numeric group id, as learnt from VK's answers."""
        self.requester = Requester(
            PLATFORM, settings, pool=pool or build_pool(PLATFORM, settings, metrics),
            metrics=metrics, rng=rng, sleep=sleep,
        )

    async def fetch(self, channels: Sequence[Channel]) -> list[Sample]:
        keys = [query_key(c.channel, self.resolved) for c in channels]
        unique = list(dict.fromkeys(k for k in keys if k is not None))
        size = self._settings.batch_size
        batches = [unique[i : i + size] for i in range(0, len(unique), size)]
        per_request = self._settings.execute_calls if self._settings.use_execute else 1
        units = [batches[i : i + per_request] for i in range(0, len(batches), per_request)]
        sweep = _Sweep()
        await bounded(units, self._settings.concurrency, lambda unit: self._unit(sweep, unit))
        return [self._sample(c, k, sweep) for c, k in zip(channels, keys, strict=True)]

    def _sample(self, channel: Channel, key: str | None, sweep: _Sweep) -> Sample:
        found = sweep.outcomes.get(key) if key is not None else None
        if found is None:  # a malformed key never left the collector
            return Sample(PLATFORM, channel.channel, self._now(), Reason.NOT_FOUND.value)
        result, observed_at = found
        return Sample(
            PLATFORM, channel.channel, observed_at, result.status, result.count, result.title, result.link
        )

    async def _unit(self, sweep: _Sweep, batches: Sequence[Sequence[str]]) -> None:
        if not self._settings.use_execute:
            await self._batch(sweep, batches[0], _budget(len(batches[0])))
            return
        try:
            results = await self.requester.call(
                self._post("execute", {"code": execute_code(batches)}), ExecuteParser(len(batches))
            )
        except NotFound:  # an invalid id failed the whole script: isolate batch by batch
            results = [None] * len(batches)
        except SourceError as error:
            sweep.fail([k for batch in batches for k in batch], error.reason, self._now())
            return
        observed_at = self._now()
        for batch, found in zip(batches, results, strict=True):
            if isinstance(found, list):
                sweep.record(match(batch, found, self.resolved), observed_at)
            elif found is not None and (settled := _settled(batch, found)) is not None:
                sweep.fail(batch, settled, observed_at)
            else:
                await self._batch(sweep, batch, _budget(len(batch)))

    async def _batch(self, sweep: _Sweep, keys: Sequence[str], budget: list[int]) -> None:
        """One `groups.getById`; on VK 100/125 split in halves while the request budget lasts."""
        params = {"group_ids": ",".join(keys), "fields": FIELDS}
        try:
            found = await self.requester.call(self._post("groups.getById", params), get_by_id)
        except NotFound as error:
            settled = _settled(keys, error.code)
            if settled is not None:
                sweep.fail(keys, settled, self._now())
            elif budget[0] >= 2:
                budget[0] -= 2
                half = len(keys) // 2
                await self._batch(sweep, keys[:half], budget)
                await self._batch(sweep, keys[half:], budget)
            else:
                logger.warning("vk: %d ids left unchecked: too many invalid ids in one batch", len(keys))
                sweep.fail(keys, Reason.BAD_RESPONSE, self._now())
            return
        except SourceError as error:
            sweep.fail(keys, error.reason, self._now())
            return
        sweep.record(match(keys, found, self.resolved), self._now())

    def _post(self, method: str, params: dict[str, str]) -> Callable[[str], Awaitable[httpx.Response]]:
        url = f"{self._base}/{method}"
        data = {**params, "v": self._settings.api_version}

        def send(token: str) -> Awaitable[httpx.Response]:
            return self._client.post(url, data={**data, "access_token": token})

        return send

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _settled(keys: Sequence[str], code: int | None) -> Reason | None:
    """The outcome of every key when a failed call already tells it; None when it needs isolating.

    VK error 100 on ids that are all numeric means none of them exists (a number is never malformed),
    and an error on a single id is that id's own outcome.
    """
    if code is None:
        return None
    if code == 100 and all(key.isdigit() for key in keys):
        return Reason.NOT_FOUND
    if len(keys) == 1:
        return from_vk_error(code).reason
    return None


def _budget(size: int) -> list[int]:
    """Extra requests allowed to bisect one batch: enough to isolate about four invalid ids."""
    return [8 * max(1, math.ceil(math.log2(max(size, 2))))]
