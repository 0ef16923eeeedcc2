"""One real server process on loopback: start, probe for readiness, stop, restart on the same port.

Servers come from Debian packages. A missing binary fails the test loudly (a skip would hide a broken
CI install step). Readiness is probed over HTTP in a bounded loop, never with a fixed sleep.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

INSTALL_HINT = (
    "run the CI install step: apt-get install -y prometheus prometheus-alertmanager influxdb "
    "victoria-metrics prometheus-pushgateway"
)
LOOPBACK = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
_PORT_ATTEMPTS = 3  # a freed port can be taken by someone else before the server binds it
_TAIL_BYTES = 256 * 1024

# Seconds each kind of server took to answer its readiness probe, for the end-of-session summary.
READINESS: defaultdict[str, list[float]] = defaultdict(list)
_live: set[ManagedServer] = set()


class ServerStartError(RuntimeError):
    """The server exited or did not become ready in time; the message carries its log tail."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it when binding port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def require_binary(name: str) -> str:
    """Absolute path of a server binary; fails (never skips) the current test when it is missing."""
    path = name if os.path.isabs(name) else shutil.which(name)
    if path is None or not os.access(path, os.X_OK):
        pytest.fail(f"binary {name!r} not found: {INSTALL_HINT}", pytrace=False)
    return path


def http_client(base_url: str = "", timeout: float = 10.0) -> httpx.Client:
    """A client that never goes through an environment proxy: all traffic here is loopback."""
    return httpx.Client(base_url=base_url, timeout=timeout, trust_env=False)


class ManagedServer:
    """A server process in its own work directory, its output in `log_path`.

    `args` may contain `{port}`, `{listen}` (127.0.0.1:PORT) and `{workdir}`; subclasses override
    `arguments()` and `prepare()` (write config files) which run before every start, so a restart
    reuses the same port and data directory.
    """

    def __init__(
        self,
        name: str,
        binary: str,
        workdir: Path,
        *,
        ready_path: str,
        ready_status: int = 200,
        args: Sequence[str] = (),
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.name = name
        self.binary = require_binary(binary)
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"{name}.log"
        self.ready_path = ready_path
        self.ready_status = ready_status
        self.start_timeout = start_timeout
        self.ready_seconds: float | None = None
        self.port = free_port()
        self._args = tuple(args)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._starts = 0
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.url} running={self.running}>"

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def listen(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def http(self) -> httpx.Client:
        """An HTTP client bound to this server's URL."""
        if self._client is None:
            self._client = http_client(self.url)
        return self._client

    def arguments(self) -> list[str]:
        values = {"{port}": str(self.port), "{listen}": self.listen, "{workdir}": str(self.workdir)}
        result = []
        for arg in self._args:
            for key, value in values.items():
                arg = arg.replace(key, value)
            result.append(arg)
        return result

    def prepare(self) -> None:
        """Write whatever files the next start needs (configs embedding the ports)."""

    def reassign_ports(self) -> None:
        """Pick new ports after a bind collision; only before the first successful start."""
        self.port = free_port()

    def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        # Once the server has been ready its port is part of the contract (restarts keep it).
        attempts = _PORT_ATTEMPTS if self.ready_seconds is None else 1
        for attempt in range(1, attempts + 1):
            log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            try:
                self._launch_and_wait()
                return
            except ServerStartError:
                if attempt == attempts or not self._lost_port_race(log_offset):
                    raise
                self.reassign_ports()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, then SIGKILL if the process outlives `timeout`. Safe to call when stopped."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT)
        self._release()

    def kill(self) -> None:
        """SIGKILL: a crash, no graceful shutdown."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(STOP_TIMEOUT)
        self._release()

    def log_tail(self, lines: int = 100) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - _TAIL_BYTES))
            text = fh.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def _launch_and_wait(self) -> None:
        self.prepare()
        command = [self.binary, *self.arguments()]
        self._starts += 1
        self._log = self.log_path.open("ab")
        self._log.write(f"==== start #{self._starts}: {' '.join(command)}\n".encode())
        self._log.flush()
        began = time.monotonic()
        self._proc = subprocess.Popen(
            command, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        _live.add(self)
        try:
            self._wait_ready(began + self.start_timeout)
        except BaseException:
            self.kill()
            raise
        self.ready_seconds = time.monotonic() - began
        READINESS[self.name].append(self.ready_seconds)

    def _wait_ready(self, deadline: float) -> None:
        delay = 0.02
        with http_client(self.url, timeout=1.0) as client:
            while True:
                assert self._proc is not None
                code = self._proc.poll()
                if code is not None:
                    raise self._start_error(f"exited with code {code} before becoming ready")
                if self._probe(client):
                    return
                if time.monotonic() >= deadline:
                    raise self._start_error(f"not ready after {self.start_timeout:.0f} s")
                time.sleep(delay)
                delay = min(delay * 1.5, 0.25)

    def _probe(self, client: httpx.Client) -> bool:
        try:
            return client.get(self.ready_path).status_code == self.ready_status
        except httpx.HTTPError:
            return False

    def _start_error(self, what: str) -> ServerStartError:
        return ServerStartError(
            f"{self.name} on {self.url} {what}; log {self.log_path}, last lines:\n{self.log_tail(60)}"
        )

    def _lost_port_race(self, log_offset: int) -> bool:
        with self.log_path.open("rb") as fh:
            fh.seek(log_offset)
            return b"address already in use" in fh.read()

    def _release(self) -> None:
        _live.discard(self)
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._log is not None:
            self._log.close()
            self._log = None


def _kill_leftovers() -> None:
    """Last resort if the test process exits without fixture teardown (e.g. a hard interrupt)."""
    for server in list(_live):
        server.kill()


atexit.register(_kill_leftovers)


def json_or_raise(response: httpx.Response) -> Any:
    """Decoded JSON body; raises with the body text on an HTTP error so failures say why."""
    if response.is_error:
        request = response.request
        raise httpx.HTTPStatusError(
            f"{request.method} {request.url} -> {response.status_code}: {response.text[:2000]}",
            request=response.request,
            response=response,
        )
    return response.json()
