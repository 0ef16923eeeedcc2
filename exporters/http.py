"""The service's HTTP endpoint (aiohttp): `/metrics`, `/healthz`, a landing page, and optional extra routes.

`/metrics` negotiates text format 0.0.4 or OpenMetrics and gzip like prometheus-client; a large exposition
is rendered (and compressed) in a worker thread so the event loop keeps serving. TLS and basic auth come
from an exporter-toolkit web configuration file (exporters/webconfig.py) and cover every route.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiohttp import web

from exporters.basicauth import BasicAuth, parse_basic
from exporters.exposition import choose_encoding, compress, gzip_accepted, render
from exporters.metrics_state import MetricsState
from exporters.webconfig import WebConfig

log = logging.getLogger(__name__)

Health = Callable[[], tuple[bool, dict[str, Any]]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Above this many channels the exposition is built in a worker thread (a few ms of CPU and more).
RENDER_IN_THREAD_CHANNELS = 2_000


def build_app(
    state: MetricsState,
    *,
    health: Health | None = None,
    extra_routes: Sequence[web.RouteDef] = (),
    web_config: WebConfig | None = None,
) -> web.Application:
    middlewares = []
    config = web_config or WebConfig()
    auth = config.authenticator()
    if auth is not None:
        middlewares.append(_basic_auth(auth))
    if config.headers:
        middlewares.append(_extra_headers(config.headers))
    app = web.Application(middlewares=middlewares)
    has_report = any(route.path.rstrip("/") == "/report" for route in extra_routes)
    app.router.add_get("/metrics", _metrics_handler(state))
    app.router.add_get("/healthz", _health_handler(health))
    app.router.add_get("/", _landing_handler(state.version, has_report))
    app.add_routes(extra_routes)
    return app


def _metrics_handler(state: MetricsState) -> Handler:
    async def metrics(request: web.Request) -> web.Response:
        encoding = choose_encoding(request.headers.get("Accept"))
        gzipped = gzip_accepted(request.headers.get("Accept-Encoding"))

        def produce() -> bytes:
            body = render(state, openmetrics=encoding.openmetrics)
            return compress(body) if gzipped else body

        if state.channel_count >= RENDER_IN_THREAD_CHANNELS:
            body = await asyncio.get_running_loop().run_in_executor(None, produce)
        else:
            body = produce()
        headers = {"Content-Type": encoding.content_type, "Vary": "Accept, Accept-Encoding"}
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, headers=headers)

    return metrics


def _health_handler(health: Health | None) -> Handler:
    async def healthz(request: web.Request) -> web.Response:
        try:
            healthy, checks = health() if health is not None else (True, {})
        except Exception as error:  # the edge: a failing check means unhealthy, not a 500
            log.exception("health check failed")
            healthy, checks = False, {"error": type(error).__name__}
        body = {"status": "ok" if healthy else "unhealthy", "checks": checks}
        return web.json_response(body, status=200 if healthy else 503)

    return healthz


_LANDING = """<!DOCTYPE html>
<html lang="ru">
<head><meta charset="utf-8"><title>govpulse</title>
<style>body {{ font-family: sans-serif; margin: 2em; }} li {{ margin: .3em 0; }}</style></head>
<body>
<h1>govpulse</h1>
<p>Мониторинг официальных каналов органов власти (Max, VK, Telegram). Версия {version}.</p>
<p>Monitoring of official government channels. Version {version}.</p>
<ul>
<li><a href="metrics">/metrics</a> — метрики Prometheus / Prometheus metrics</li>
<li><a href="healthz">/healthz</a> — состояние сервиса / health</li>
{report}</ul>
</body>
</html>
"""


def _landing_handler(version: str, has_report: bool) -> Handler:
    report = '<li><a href="report">/report</a> — отчёт / report</li>\n' if has_report else ""
    page = _LANDING.format(version=html.escape(version), report=report)

    async def landing(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    return landing


def _basic_auth(auth: BasicAuth) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        credentials = parse_basic(request.headers.get("Authorization"))
        if credentials is not None:
            if auth.cached(*credentials):
                return await handler(request)
            if await asyncio.get_running_loop().run_in_executor(None, auth.verify, *credentials):
                return await handler(request)
        return web.Response(status=401, text="Unauthorized\n", headers={"WWW-Authenticate": "Basic"})

    return middleware


def _extra_headers(headers: Mapping[str, str]) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers.update(headers)
        return response

    return middleware


def parse_listen_address(address: str) -> tuple[str, int]:
    """`host:port`, `[v6]:port` or `:port` (all interfaces) to (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"listen address {address!r} is not host:port")
    return host.strip("[]"), int(port)


def _bind(host: str, port: int) -> socket.socket:
    if not host and socket.has_dualstack_ipv6():
        return socket.create_server(("", port), family=socket.AF_INET6, dualstack_ipv6=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host  # a host name


async def start_server(
    app: web.Application, listen_address: str, web_config: WebConfig | None = None
) -> tuple[web.AppRunner, str]:
    """Serve `app` on `listen_address` (port 0 picks a free port); returns the runner and the real URL.

    For a wildcard address the URL names the loopback interface. Stop with `await runner.cleanup()`."""
    host, port = parse_listen_address(listen_address)
    context = web_config.ssl_context if web_config else None
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        sock = _bind(host, port)
    except OSError as error:
        await runner.cleanup()
        raise OSError(error.errno, f"cannot listen on {listen_address}: {error.strerror}") from error
    await web.SockSite(runner, sock, ssl_context=context).start()
    scheme = "https" if context else "http"
    return runner, f"{scheme}://{_url_host(host)}:{sock.getsockname()[1]}"
