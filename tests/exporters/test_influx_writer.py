"""The writers' HTTP behaviour against a tiny real server on loopback, and the partial-write resolution."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from collector.config import InfluxSettings
from collector.logsetup import register_secret
from exporters.influx_transport import HttpError, V1Transport, V2Transport, make_transport, parse_retry_after
from exporters.influx_writer import (
    InfluxWriter,
    RetryPolicy,
    WriteFailed,
    offending_points,
    resolve_rejection,
)

TOKEN = "tok-3f9a1c77e2"
PASSWORD = "pw-a81b22c0"


@dataclass
class Answer:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorder:
    answers: list[Answer]
    requests: list[web.Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        self.bodies.append(await request.read())  # aiohttp has already undone Content-Encoding: gzip
        answer = self.answers.pop(0) if self.answers else Answer(204)
        return web.Response(status=answer.status, text=answer.body or None, headers=answer.headers)


@asynccontextmanager
async def server(answers: list[Answer]) -> AsyncIterator[tuple[str, Recorder]]:
    recorder = Recorder(list(answers))
    app = web.Application()
    app.router.add_post("/write", recorder.handle)
    app.router.add_post("/api/v2/write", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", recorder
    finally:
        await runner.cleanup()


def settings(url: str, api: str, **extra: object) -> InfluxSettings:
    base: dict[str, object] = {"url": url, "api": api, "org": "o", "bucket": "b", "database": "db"}
    return InfluxSettings.model_validate({**base, **extra})


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def run(coro_factory: Callable[[], object]) -> None:
    asyncio.run(coro_factory())  # type: ignore[arg-type]


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_retry_after_is_honoured_then_the_batch_is_written(api: str) -> None:
    async def scenario() -> None:
        answers = [
            Answer(429, '{"error":"slow down"}', {"Retry-After": "2"}),
            Answer(503, "", {"Retry-After": "1"}),
            Answer(204),
        ]
        async with server(answers) as (url, recorder):
            sleeps = Sleeps()
            writer = InfluxWriter(
                make_transport(settings(url, api)), sleep=sleeps, retry=RetryPolicy(max_retries=3)
            )
            report = await writer.write_batch(["m v=1i 1", "m v=2i 2"])
            await writer.transport.aclose()
        assert sleeps.delays == [2.0, 1.0]
        assert report.written == 2
        assert recorder.bodies == [b"m v=1i 1\nm v=2i 2"] * 3
        request = recorder.requests[-1]
        assert request.headers["Content-Encoding"] == "gzip"
        if api == "v2":
            assert request.path == "/api/v2/write"
            assert dict(request.query) == {"org": "o", "bucket": "b", "precision": "s"}
        else:
            assert request.path == "/write"
            assert dict(request.query) == {"db": "db", "precision": "s"}

    run(scenario)


def test_exponential_backoff_with_jitter_then_give_up() -> None:
    async def scenario() -> None:
        async with server([Answer(500, "boom")] * 4) as (url, recorder):
            sleeps = Sleeps()
            policy = RetryPolicy(max_retries=3, base_seconds=1.0, max_seconds=3.0)
            writer = InfluxWriter(make_transport(settings(url, "v1")), sleep=sleeps, retry=policy)
            with pytest.raises(WriteFailed, match="after 4 attempt"):
                await writer.write_batch(["m v=1i 1"])
            await writer.transport.aclose()
        assert len(recorder.requests) == 4
        for delay, ceiling in zip(sleeps.delays, [1.0, 2.0, 3.0], strict=True):
            assert ceiling / 2 <= delay <= ceiling

    run(scenario)


def test_total_retry_time_is_capped() -> None:
    async def scenario() -> None:
        async with server([Answer(429, "", {"Retry-After": "3600"})]) as (url, recorder):
            writer = InfluxWriter(make_transport(settings(url, "v1")), sleep=Sleeps(), retry=RetryPolicy())
            with pytest.raises(WriteFailed):
                await writer.write_batch(["m v=1i 1"])
            await writer.transport.aclose()
        assert len(recorder.requests) == 1  # an hour's Retry-After exceeds the budget: spool instead

    run(scenario)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_no_retry_on_other_4xx_and_no_secret_in_the_error(status: int) -> None:
    register_secret(TOKEN)
    register_secret(PASSWORD)

    async def scenario() -> None:
        echo = json.dumps({"error": f"credentials {TOKEN} / {PASSWORD} refused"})
        for api in ("v1", "v2"):
            async with server([Answer(status, echo)]) as (url, recorder):
                s = settings(url, api, token=TOKEN, username="writer", password=PASSWORD)
                writer = InfluxWriter(make_transport(s), sleep=Sleeps())
                with pytest.raises(WriteFailed) as caught:
                    await writer.write_batch(["m v=1i 1"])
                await writer.transport.aclose()
            assert len(recorder.requests) == 1
            assert caught.value.status == status
            assert TOKEN not in str(caught.value) and PASSWORD not in str(caught.value)
            request = recorder.requests[0]
            assert PASSWORD not in str(request.url) and TOKEN not in str(request.url)
            if api == "v2":
                assert request.headers["Authorization"] == f"Token {TOKEN}"
            else:
                expected = base64.b64encode(f"writer:{PASSWORD}".encode()).decode()
                assert request.headers["Authorization"] == f"Basic {expected}"

    run(scenario)


def test_network_error_is_retried_then_fails() -> None:
    async def scenario() -> None:
        async with server([]) as (url, _):
            pass  # the port is closed again: connection refused
        for api in ("v1", "v2"):
            sleeps = Sleeps()
            writer = InfluxWriter(
                make_transport(settings(url, api)), sleep=sleeps, retry=RetryPolicy(max_retries=2)
            )
            with pytest.raises(WriteFailed):
                await writer.write_batch(["m v=1i 1"])
            await writer.transport.aclose()
            assert len(sleeps.delays) == 2

    run(scenario)


def test_whole_batch_parse_error_drops_the_named_line_and_resends_the_rest() -> None:
    async def scenario() -> None:
        answers = [Answer(400, '{"code":"invalid","message":"unable to parse \'bad\': missing fields"}')]
        async with server(answers) as (url, recorder):
            writer = InfluxWriter(V2Transport(settings(url, "v2")), sleep=Sleeps())
            report = await writer.write_batch(["m v=1i 1", "bad", "m v=3i 3"])
            await writer.transport.aclose()
        assert (report.written, report.dropped) == (2, 1)
        assert [r.point for r in report.rejected] == ["bad"]
        assert recorder.bodies[1] == b"m v=1i 1\nm v=3i 3"

    run(scenario)


def test_unnamed_bad_line_is_found_by_bisection() -> None:
    async def scenario() -> None:
        points = [f"m v={i}i {i}" for i in range(8)]
        points[5] = "m v=oops 5"

        async def handle(request: web.Request) -> web.Response:
            body = (await request.read()).decode()
            if "oops" in body:
                return web.Response(status=400, text='{"error":"invalid field format"}')
            written.extend(body.split("\n"))
            return web.Response(status=204)

        written: list[str] = []
        app = web.Application()
        app.router.add_post("/write", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        writer = InfluxWriter(V1Transport(settings(url, "v1")), sleep=Sleeps())
        report = await writer.write_batch(points)
        await writer.transport.aclose()
        await runner.cleanup()
        assert sorted(written) == sorted(p for p in points if "oops" not in p)
        assert [r.point for r in report.rejected] == ["m v=oops 5"]
        assert (report.written, report.dropped) == (7, 1)

    run(scenario)


def test_offending_points_by_quote_and_by_line_number() -> None:
    chunk = ["a v=1i 1", 'b s="x\ny" 2', "c v=': 3", "d v=4i 4"]
    message = "partial write: unable to parse 'c v=': 3': invalid number\nunable to parse 'zzz': x dropped=0"
    assert offending_points(message, chunk) == {2}
    # Line numbers count physical lines: point 1 spans lines 2-3, so line 4 is point 2.
    assert offending_points(
        "failed to parse line protocol: errors encountered on line(s): line 4: bad", chunk
    ) == {2}
    assert offending_points("something else", chunk) == set()


def test_partial_write_reports_without_resending() -> None:
    chunk = ["a v=1i 1", "b v=2.5 2", "c v=3i 3"]
    error = HttpError(400, 'partial write: field type conflict: input field "v" ... dropped=1')
    report, resend = resolve_rejection(error, chunk)
    assert (report.written, report.dropped, resend) == (2, 1, [])
    assert report.rejected[0].point is None and "conflict" in report.rejected[0].message


def test_too_large_is_split() -> None:
    report, resend = resolve_rejection(HttpError(413, "request entity too large"), ["a", "b", "c"])
    assert (report.written, resend) == (0, [["a"], ["b", "c"]])


def test_retry_after_parsing() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
