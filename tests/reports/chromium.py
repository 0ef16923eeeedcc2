"""Headless Chromium driven over the Chrome DevTools protocol (aiohttp's websocket client): open a page,
collect console errors and exceptions, evaluate JavaScript in it, take a PNG screenshot.

Chromium is Debian's `chromium` package; it is started on loopback with its own profile directory and
every background service that could reach the network switched off.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from tests.support.process import free_port

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
)
START_TIMEOUT = 30.0
LOAD_TIMEOUT = 30.0


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        # Failing, not skipping: a skipped browser test would let CI pass without ever rendering the report.
        pytest.fail("chromium is not installed: scripts/test installs it (apt-get install -y chromium)")
    return found


class Chromium:
    def __init__(self, profile: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                chromium_binary(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--remote-debugging-port={self.port}",
                "--remote-debugging-address=127.0.0.1",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def page_websocket(self) -> str:
        """The websocket URL of the first page target, waiting (bounded) for the browser to listen."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.process.returncode}")
            try:
                targets = httpx.get(f"http://127.0.0.1:{self.port}/json/list", timeout=2).json()
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        raise RuntimeError("chromium did not open its debugging port")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class Page:
    """One CDP session on a page target."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.errors: list[str] = []
        self.loaded = asyncio.Event()

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        await self.ws.send_str(json.dumps({"id": call_id, "method": method, "params": params}))
        async with asyncio.timeout(LOAD_TIMEOUT):
            while True:
                message = json.loads((await self.ws.receive()).data)
                if message.get("id") == call_id:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return dict(message.get("result", {}))
                self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Page.loadEventFired":
            self.loaded.set()
        elif method == "Runtime.exceptionThrown":
            self.errors.append(str(params.get("exceptionDetails", {}).get("text")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(json.dumps(params.get("args", []), ensure_ascii=False))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append(str(params["entry"].get("text")) + " " + str(params["entry"].get("url", "")))

    async def open(self, url: str) -> None:
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            await self.call(domain)
        await self.call("Page.navigate", url=url)
        async with asyncio.timeout(LOAD_TIMEOUT):
            while not self.loaded.is_set():
                self._event(json.loads((await self.ws.receive()).data))

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def screenshot(self, path: Path) -> None:
        await self.call(
            "Emulation.setDeviceMetricsOverride", width=1200, height=900, deviceScaleFactor=1, mobile=False
        )
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))


async def inspect(
    websocket_url: str, url: str, checks: dict[str, str], screenshot: Path
) -> tuple[dict[str, Any], list[str]]:
    """Open `url`, evaluate each JavaScript expression of `checks`, take a screenshot; return the values
    and the console errors."""
    async with aiohttp.ClientSession() as session, session.ws_connect(websocket_url, max_msg_size=0) as ws:
        page = Page(ws)
        await page.open(url)
        values = {name: await page.evaluate(expression) for name, expression in checks.items()}
        await page.screenshot(screenshot)
        await asyncio.sleep(0.2)  # let late console messages arrive
        return values, page.errors
