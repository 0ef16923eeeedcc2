"""Running the sandbox: in-process on a background thread with its own event loop, or in the foreground.

with SandboxServer(SandboxConfig()) as sandbox:
    httpx.get(f"{sandbox.url}/chats/-70000000001013", headers={"Authorization": sandbox.tokens["max"][0]})
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from collector.models import Platform
from collector.sandbox.clock import parse_time
from collector.sandbox.control import apply_faults, clock_info
from collector.sandbox.server import build_app
from collector.sandbox.state import SandboxConfig, SandboxState
from collector.sandbox.truth import export_registry, export_truth
from collector.sandbox.world import World

T = TypeVar("T")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def start_site(state: SandboxState, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Start the app on host:port (0 = a free port); return the runner and the base URL."""
    runner = web.AppRunner(build_app(state), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    server = site._server  # the bound socket is the only place the chosen port is known
    assert server is not None and isinstance(server, asyncio.base_events.Server)
    bound_port = server.sockets[0].getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown}:{bound_port}"


class SandboxServer:
    """The sandbox on a daemon thread. Control methods are safe to call from any thread."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        world: World | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the in-process sandbox listens on loopback only, not {host}")
        self.config = config or SandboxConfig()
        self.state = SandboxState(self.config, world)
        self._host, self._port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def world(self) -> World:
        return self.state.world

    @property
    def tokens(self) -> dict[str, list[str]]:
        return {p.value: list(self.config.tokens.get(p, [])) for p in Platform}

    @property
    def max_url(self) -> str:
        return self.url

    @property
    def vk_url(self) -> str:
        return f"{self.url}/method"

    @property
    def telegram_url(self) -> str:
        return self.url

    def start(self) -> str:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._runner, self.url = loop.run_until_complete(
                    start_site(self.state, self._host, self._port)
                )
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="govpulse-sandbox", daemon=True)
        self._thread.start()
        ready.wait(timeout=60)
        if failure:
            raise failure[0]
        if not self.url:
            raise RuntimeError("the sandbox did not start within 60 s")
        return self.url

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the server's loop (so it never races a request) and return its result."""
        if self._loop is None or not self._loop.is_running():
            return fn()

        async def wrapped() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout=30)

    def stats(self) -> dict[str, Any]:
        return self.call(self.state.stats.as_dict)

    def reset_stats(self) -> None:
        self.call(self.state.stats.reset)

    def set_clock(self, now: str | float | None = None, speed: float | None = None) -> dict[str, Any]:
        moment = None if now is None else parse_time(now)
        self.call(lambda: self.state.clock.set(moment, speed))
        return clock_info(self.state)

    def now(self) -> float:
        return self.state.clock.now()

    def set_faults(self, platform: str = "all", **knobs: Any) -> dict[str, Any]:
        return self.call(lambda: apply_faults(self.state, {platform: knobs}))

    def clear_faults(self) -> None:
        self.call(self.state.faults.clear)

    def set_rate(self, platform: str, rate: float) -> None:
        self.call(lambda: self.state.limiter.rates.__setitem__(Platform(platform), float(rate)))

    def export_registry(self, path: Path, at: float | None = None) -> int:
        """Write the registry CSV of the channels existing at `at` (default: the simulated now)."""
        return export_registry(self.world, path, self.now() if at is None else at)

    def export_truth(self, path: Path, at: float | None = None) -> int:
        """Write the ground truth at `at` (default: now) as JSON (.json) or CSV."""
        return export_truth(self.world, path, self.now() if at is None else at)

    def messages(self, chat_id: str | int, platform: str | None = None) -> list[dict[str, Any]]:
        p = Platform(platform) if platform else None
        return self.call(lambda: self.state.sent(str(chat_id), p))


def serve_forever(
    config: SandboxConfig, host: str, port: int, on_ready: Callable[[str], None], world: World | None = None
) -> None:
    """Run in the foreground until interrupted; `on_ready(url)` is called once the port is bound."""

    async def main() -> None:
        runner, url = await start_site(SandboxState(config, world), host, port)
        on_ready(url)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())
