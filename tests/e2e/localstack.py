"""Driving `deploy/local/stack` from tests: the real command line up and down, the recorded URLs and PIDs."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest

from tests.support.process import http_client

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "local" / "stack"
T = TypeVar("T")


def stack_module() -> ModuleType:
    """deploy/local/stack.py imported by path (deploy/ is not a package)."""
    spec = importlib.util.spec_from_file_location("govpulse_local_stack", STACK.with_suffix(".py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def run_stack(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """The executable wrapper, with this interpreter (the one the project is installed in)."""
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(
        [str(STACK), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass
class RunningStack:
    directory: Path
    urls: dict[str, str]
    pids: dict[str, int]
    up_output: str

    def log_tails(self, lines: int = 40) -> str:
        parts = []
        for log in sorted((self.directory / "logs").glob("*.log")):
            text = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            parts.append(f"---- {log.name}\n" + "\n".join(text))
        return "\n".join(parts)


@contextmanager
def local_stack(
    directory: Path, args: Sequence[str], request: pytest.FixtureRequest
) -> Iterator[RunningStack]:
    """`stack up` with `args`; `stack down` afterwards whatever happens, logs printed if the test failed."""
    up = run_stack("up", "--dir", str(directory), *args)
    if up.returncode != 0:
        run_stack("down", "--dir", str(directory))
        pytest.fail(f"stack up failed ({up.returncode}):\n{up.stdout}\n{up.stderr}", pytrace=False)
    components = list(stack_module().components_of(directory))
    stack = RunningStack(
        directory,
        {c.name: c.url for c in components},
        {c.name: c.pid for c in components},
        up.stdout,
    )
    try:
        yield stack
    except BaseException:
        print(stack.log_tails())
        raise
    finally:
        down = run_stack("down", "--dir", str(directory))
        assert down.returncode == 0, down.stdout + down.stderr


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 0.5) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(every)


def get_json(url: str, **params: Any) -> Any:
    with http_client(timeout=10) as client:
        response = client.get(url, params=params)
        response.raise_for_status()
        return response.json()


def promql(prometheus_url: str, query: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = get_json(f"{prometheus_url}/api/v1/query", query=query)["data"]["result"]
    return result
