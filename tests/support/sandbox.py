"""pytest fixtures for the platform sandbox: `sandbox_factory` starts in-process sandboxes on loopback.

    def test_x(sandbox_factory):
        sandbox = sandbox_factory(WorldSpec(max_channels=500), rates={Platform.MAX: 1000})
        httpx.get(f"{sandbox.url}/chats/...", headers={"Authorization": sandbox.tokens["max"][0]})

Worlds are cached per spec for the session (building the default world takes about a second).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from collector.sandbox import SandboxConfig, SandboxServer, World, WorldSpec

SMALL_SPEC = WorldSpec(max_channels=600, max_future_channels=200, vk_channels=400, telegram_channels=300)
_WORLDS: dict[str, World] = {}

SandboxFactory = Callable[..., SandboxServer]


def cached_world(spec: WorldSpec) -> World:
    key = repr(spec)
    if key not in _WORLDS:
        _WORLDS[key] = World.build(spec)
    return _WORLDS[key]


@pytest.fixture
def sandbox_factory() -> Iterator[SandboxFactory]:
    """`(spec=SMALL_SPEC, **SandboxConfig fields) -> running SandboxServer`; all stop at teardown."""
    started: list[SandboxServer] = []

    def make(spec: WorldSpec | None = None, **config: Any) -> SandboxServer:
        spec = spec or SMALL_SPEC
        server = SandboxServer(SandboxConfig(spec=spec, **config), world=cached_world(spec))
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> SandboxServer:
    """A small sandbox with default knobs."""
    return sandbox_factory()


def start_cli_sandbox(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Run `sandbox serve` in a subprocess (loopback, free port); return it and the URL it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "collector.sandbox.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise RuntimeError(f"sandbox did not start: {err}")
    return process, url
