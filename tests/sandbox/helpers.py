"""Small helpers shared by the sandbox tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from collector.models import Platform
from collector.sandbox import Behaviour, SimChannel, World


def pick(
    world: World, platform: Platform, behaviour: Behaviour, *, before: float | None = None, skip: int = 0
) -> SimChannel:
    """The `skip`-th channel of a behaviour (created before `before` when given)."""
    found = [
        c
        for c in world.channels[platform]
        if c.behaviour is behaviour and (before is None or c.created < before)
    ]
    return found[skip]


class Receiver:
    """A loopback HTTP server that records POSTed JSON bodies and their headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], Any]] = []
        self.lock = threading.Lock()
        self.fail_first = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    if receiver.fail_first > 0:
                        receiver.fail_first -= 1
                        self.send_response(500)
                        self.end_headers()
                        return
                    receiver.requests.append((dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def bodies(self) -> list[Any]:
        with self.lock:
            return [b for _, b in self.requests]


@contextmanager
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()
