"""`govpulse dashboards push` against a small fake of the Grafana HTTP API on loopback (aiohttp)."""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from collector.commands import dashboards_cmd
from tests.support.process import free_port

GENERATED = Path(__file__).resolve().parents[2] / "dashboards" / "generated"


class FakeGrafana:
    """Folders and dashboards in memory; every request recorded as (method, path, auth, body)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str, Any]] = []
        self.folders: list[dict[str, Any]] = []
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._runner: web.AppRunner | None = None

    async def _record(self, request: web.Request) -> Any:
        body = await request.json() if request.can_read_body else None
        self.requests.append((request.method, request.path, request.headers.get("Authorization", ""), body))
        return body

    async def list_folders(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.json_response(self.folders)

    async def create_folder(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        folder = {"id": len(self.folders) + 1, "uid": f"f{len(self.folders) + 1}", "title": body["title"]}
        self.folders.append(folder)
        return web.json_response(folder)

    async def save_dashboard(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        uid = body["dashboard"]["uid"]
        if uid in self.dashboards and not body.get("overwrite"):
            return web.json_response({"status": "version-mismatch"}, status=412)
        self.dashboards[uid] = body
        return web.json_response({"status": "success", "uid": uid, "url": f"/d/{uid}", "version": 1})

    def start(self) -> None:
        app = web.Application()
        app.add_routes(
            [
                web.get("/api/folders", self.list_folders),
                web.post("/api/folders", self.create_folder),
                web.post("/api/dashboards/db", self.save_dashboard),
            ]
        )
        threading.Thread(target=self._serve, args=(app,), daemon=True).start()
        assert self._ready.wait(10), "fake Grafana did not start"

    def _serve(self, app: web.Application) -> None:
        asyncio.set_event_loop(self._loop)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    fake = FakeGrafana()
    fake.start()
    yield fake
    fake.stop()


def push(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    dashboards_cmd.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["dashboards", "push", *argv])
    code: int = args.handler(args)
    return code


def test_push_creates_the_folder_once_and_overwrites_by_uid(grafana: FakeGrafana) -> None:
    url = f"http://127.0.0.1:{grafana.port}"
    assert push("--url", url, "--token", "secret-token", "--folder", "Госпаблики") == 0
    assert push("--url", url, "--token", "secret-token", "--folder", "Госпаблики") == 0

    creates = [r for r in grafana.requests if r[:2] == ("POST", "/api/folders")]
    assert [body for *_, body in creates] == [{"title": "Госпаблики"}]
    saves = [r for r in grafana.requests if r[:2] == ("POST", "/api/dashboards/db")]
    files = sorted(GENERATED.glob("*/*.json"))
    assert len(saves) == 2 * len(files) == 20
    assert all(auth == "Bearer secret-token" for _, _, auth, _ in grafana.requests)
    expected = {json.loads(p.read_text(encoding="utf-8"))["uid"]: p for p in files}
    assert set(grafana.dashboards) == set(expected)
    for uid, body in grafana.dashboards.items():
        assert body["overwrite"] is True and body["folderUid"] == "f1"
        assert body["dashboard"] == json.loads(expected[uid].read_text(encoding="utf-8"))


def test_push_with_basic_auth_and_without_credentials(grafana: FakeGrafana) -> None:
    url = f"http://127.0.0.1:{grafana.port}"
    assert push("--url", url) == 2
    assert grafana.requests == []
    assert push("--url", url, "--user", "admin", "--password", "pw", "--folder", "Другая") == 0
    assert grafana.requests[0][2].startswith("Basic ")
    assert [f["title"] for f in grafana.folders] == ["Другая"]
