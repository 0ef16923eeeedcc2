"""Assembling and running the relay: outbox, senders, delivery loop and the HTTP server in one event loop.

async with Relay(config) as relay:   # listening on relay.url, delivering in the background
    ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx
from aiohttp import web

from collector.models import Platform
from collector.regions import Regions, load_regions
from collector.sources.http import base_url, build_client
from exporters.relay.delivery import Delivery
from exporters.relay.format import Formatter
from exporters.relay.intake import Intake
from exporters.relay.outbox import Outbox
from exporters.relay.routing import Router
from exporters.relay.senders import MaxSender, Sender, TelegramSender
from exporters.relay.server import build_app
from exporters.relay.settings import PlatformTarget, RelayConfig

log = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 15.0  # sends in flight get STOP_GRACE_SECONDS (10 s) of it


def _sender(platform: Platform, target: PlatformTarget, client: httpx.AsyncClient) -> Sender:
    url = base_url(target.settings)
    if platform is Platform.MAX:
        return MaxSender(client=client, base_url=url, token=target.token)
    return TelegramSender(client=client, base_url=url, token=target.token)


class Relay:
    def __init__(self, config: RelayConfig, *, regions: Regions | None = None) -> None:
        self.config = config
        self.regions = regions or load_regions()
        self.outbox = Outbox(config.outbox_path, dedup_window_seconds=config.dedup_window_seconds)
        self.url = ""
        self._clients: list[httpx.AsyncClient] = []
        self._runner: web.AppRunner | None = None
        self._delivery_task: asyncio.Task[None] | None = None
        self._delivery: Delivery | None = None

    async def start(self) -> str:
        senders = {}
        for platform, target in self.config.targets.items():
            client = build_client(target.settings)
            self._clients.append(client)
            senders[platform] = _sender(platform, target, client)
        delivery = self._delivery = Delivery(self.outbox, senders, self.config.delivery)
        await asyncio.to_thread(self.outbox.wake_all)
        self._delivery_task = asyncio.create_task(delivery.run())
        intake = Intake(
            router=Router({p: t.chats for p, t in self.config.targets.items()}, self.regions),
            formatter=Formatter(self.regions, self.config.dashboard_url),
            outbox=self.outbox,
            text_limits={p: s.text_limit for p, s in senders.items()},
        )
        app = build_app(
            intake=intake,
            bearer_token=self.config.bearer_token,
            on_accepted=delivery.wake,
            health=self._health,
        )
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.url = _bound_url(site, self.config.host)
        log.info(
            "notify relay listening on %s (platforms: %s)",
            self.url,
            ", ".join(p.value for p in self.config.targets),
        )
        return self.url

    def _health(self) -> dict[str, Any]:
        return {"outbox": self.outbox.counts(), "platforms": sorted(p.value for p in self.config.targets)}

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()  # stop accepting first
            self._runner = None
        if self._delivery is not None and self._delivery_task is not None:
            self._delivery.stop()
            try:
                async with asyncio.timeout(STOP_TIMEOUT_SECONDS):
                    await self._delivery_task
            except TimeoutError:
                self._delivery_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._delivery_task
            self._delivery_task = None
        for client in self._clients:
            await client.aclose()
        self._clients.clear()
        await asyncio.to_thread(self.outbox.close)

    async def __aenter__(self) -> Relay:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


def _bound_url(site: web.TCPSite, host: str) -> str:
    server = site._server  # the bound socket is the only place a port chosen by the kernel is known
    assert isinstance(server, asyncio.base_events.Server)
    port = server.sockets[0].getsockname()[1]
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}"


async def run_relay(config: RelayConfig, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then stop accepting, let sends in flight finish, close the outbox."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with Relay(config) as relay:
        if on_ready is not None:
            on_ready(relay.url)
        await stop.wait()
    log.info("notify relay stopped")
