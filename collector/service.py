"""The long-running service (`govpulse run`) and the one-shot sweep (`govpulse collect --once`).

`Service` assembles the parts from the configuration: the channel book (registry + discovered channels of
this shard), one source per enabled platform, the sinks (embedded store, InfluxDB with its spool), the
Prometheus snapshot and its HTTP endpoint, the scheduler and Max discovery. SIGTERM/SIGINT set `stop`:
no new sweep starts, chunks not yet started are skipped, requests in flight finish, and what was already
observed is delivered before the sinks close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from collector import __version__
from collector.book import ChannelBook
from collector.config import Settings
from collector.discovery import Discovery, start_discovery
from collector.discovery import prepare as prepare_discovery
from collector.models import Platform, SweepResult
from collector.pipeline import Pipeline, Sink
from collector.regions import Regions, load_regions
from collector.registry import load_files
from collector.reports.html import report_route
from collector.scheduler import add_periodic_job, add_platform_job, build_scheduler
from collector.sinks import build_sinks
from collector.sources import Source, build_source
from collector.sweep import Clock, ProgressCallback, run_sweep
from exporters.http import build_app, start_server
from exporters.metrics_state import MetricsState
from exporters.store import Store
from exporters.webconfig import load_web_config

log = logging.getLogger(__name__)

SPREAD_SHARE = 0.8
"""A spread sweep aims to finish within this share of its interval, leaving headroom before the next."""

CHUNK_SIZE = {Platform.MAX: 200, Platform.TELEGRAM: 100}
REPLAY_EVERY_SECONDS = 15.0
PRUNE_EVERY_SECONDS = 6 * 3600.0


class RegistryUnusable(Exception):
    """A registry file could not be read at all (missing, wrong encoding, bad header): exit 2."""


@dataclass
class Service:
    settings: Settings
    clock: Clock = time.time
    http_routes: list[web.RouteDef] = field(default_factory=list)
    regions: Regions = field(init=False)
    book: ChannelBook = field(init=False)
    metrics: MetricsState = field(init=False)
    sources: dict[Platform, Source] = field(init=False, default_factory=dict)
    sinks: list[Sink] = field(init=False, default_factory=list)
    pipeline: Pipeline = field(init=False)
    stop: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    url: str = field(init=False, default="")
    sweeps_completed: int = field(init=False, default=0)
    _inflight: set[asyncio.Task[Any]] = field(init=False, default_factory=set)
    _background: list[asyncio.Task[Any]] = field(init=False, default_factory=list)
    store: Store | None = field(init=False, default=None)  # the embedded store, when enabled
    _runner: web.AppRunner | None = field(init=False, default=None)
    _discovery: Discovery | None = field(init=False, default=None)
    _last_sweep: dict[str, float] = field(init=False, default_factory=dict)  # platform -> finished at
    _saved_resolved: dict[str, str] = field(init=False, default_factory=dict)

    # ----- assembly -------------------------------------------------------------------------------------

    def __post_init__(self) -> None:
        s = self.settings
        self.regions = load_regions().with_population_overrides(s.regions.population_overrides)
        self.book = ChannelBook(self.regions, shard=s.sharding.shard, shards=s.sharding.shards)
        self.metrics = MetricsState(
            regions=self.regions,
            shard=s.sharding.shard,
            shards=s.sharding.shards,
            version=__version__,
            platforms=s.platforms.enabled(),
            sinks=[
                name
                for name, on in (("store", s.store.enabled), ("influxdb", s.sinks.influxdb.enabled))
                if on
            ],
        )
        self.book.on_change(self.metrics.set_registry)

    def load_registry(self) -> None:
        registry = load_files(self.settings.registry.files, self.regions)
        for problem in registry.problems:
            log.warning("registry: %s", problem)
        if registry.fatal:
            raise RegistryUnusable("; ".join(str(p) for p in registry.problems if p.fatal))
        self.book.load(registry.channels)
        log.info(
            "registry: %d channels (%d on this shard), %d rejected rows",
            len(registry.channels),
            len(self.book),
            len(registry.problems),
        )

    async def open(self) -> None:
        """Build sinks and sources (inside the event loop: HTTP clients bind to it)."""
        self.load_registry()
        self.sinks, self.store = await build_sinks(self.settings, self.book, self.regions, self.metrics)
        resolved = await self._resolved_ids()
        for platform in self.settings.platforms.enabled():
            self.sources[platform] = build_source(
                platform,
                self.settings.platforms.get(platform),
                metrics=self.metrics,
                clock=self.clock,
                resolved=resolved if platform is Platform.VK else None,
            )
        self.pipeline = Pipeline(self.book, self.sinks, self.metrics)
        self._discovery = prepare_discovery(self)

    async def _resolved_ids(self) -> dict[str, str]:
        if self.store is None:
            return {}
        return {name: str(i) for name, i in (await asyncio.to_thread(self.store.resolved_ids)).items()}

    async def _remember_resolved(self, platform: Platform) -> None:
        """VK screen names resolved during the sweep are kept, so each is resolved only once ever."""
        resolved = getattr(self.sources[platform], "resolved", None)
        if self.store is not None and resolved and resolved != self._saved_resolved:
            await asyncio.to_thread(self.store.save_resolved_ids, resolved)
            self._saved_resolved = dict(resolved)

    async def aclose(self) -> None:
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        for source in self.sources.values():
            await source.aclose()
        await self.pipeline.aclose()
        if self._runner is not None:
            await self._runner.cleanup()

    # ----- sweeps ---------------------------------------------------------------------------------------

    async def sweep(
        self, platform: Platform, progress: ProgressCallback | None = None, *, spread: bool = True
    ) -> SweepResult:
        settings = self.settings.platforms.get(platform)
        channels = self.book.channels(platform)
        spread_seconds = (
            settings.interval_seconds * SPREAD_SHARE
            if spread and settings.spread and not settings.cron
            else 0.0
        )
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            result = await run_sweep(
                self.sources[platform],
                channels,
                shard=self.settings.sharding.shard,
                spread_seconds=spread_seconds,
                chunk_size=self._chunk_size(platform),
                stop=self.stop,
                progress=progress,
                on_chunk=self.pipeline.observe,
                clock=self.clock,
            )
            await self.pipeline.finish(result)
            if platform is Platform.VK:
                await self._remember_resolved(platform)
        finally:
            if task is not None:
                self._inflight.discard(task)
        self.sweeps_completed += 1
        self._last_sweep[platform.value] = result.finished_at
        log.info(
            "%s sweep: %d ok, %d failed in %.1fs",
            platform,
            result.ok_count,
            result.failed_count,
            result.duration_seconds,
        )
        return result

    def _chunk_size(self, platform: Platform) -> int:
        if platform is Platform.VK:
            vk = self.settings.platforms.vk
            return vk.batch_size * (vk.execute_calls if vk.use_execute else 1)
        return CHUNK_SIZE[platform]

    async def collect_once(
        self, progress: Callable[[Platform], ProgressCallback | None] | None = None
    ) -> list[SweepResult]:
        """One sweep per enabled platform, concurrently, without spreading."""
        platforms = list(self.sources)
        return list(
            await asyncio.gather(
                *(self.sweep(p, progress(p) if progress else None, spread=False) for p in platforms)
            )
        )

    # ----- the service ----------------------------------------------------------------------------------

    async def serve_http(self) -> str:
        prometheus = self.settings.sinks.prometheus
        web_config = load_web_config(prometheus.web_config_file) if prometheus.web_config_file else None
        routes = list(self.http_routes)
        if self.settings.store.enabled:  # the weekly HTML report, from a read-only view of the store
            report = report_route(self.settings.store.path, self.settings, self.clock)
            routes.append(web.get("/report", report))
        app = build_app(self.metrics, health=self.health, extra_routes=routes, web_config=web_config)
        self._runner, self.url = await start_server(app, prometheus.listen_address, web_config)
        log.info("serving /metrics at %s/metrics", self.url)
        return self.url

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Alive until stopping; the details say what was collected and when (staleness is for alerts)."""
        details: dict[str, Any] = {
            "channels": len(self.book),
            "sweeps_completed": self.sweeps_completed,
            "last_sweep_finished_at": dict(self._last_sweep),
            "time": self.clock(),
        }
        return (not self.stop.is_set(), details)

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.request_stop)

    def request_stop(self) -> None:
        if not self.stop.is_set():
            log.info("stopping: finishing requests in flight and writing what was observed")
            self.stop.set()

    async def run(self, ready: Callable[[Service], None] | None = None) -> None:
        """Run until `stop` is set; then shut down gracefully. `ready` is called once /metrics is served."""
        self.install_signal_handlers()
        if self.settings.sinks.prometheus.enabled:
            await self.serve_http()
        if ready is not None:
            ready(self)
        scheduler = build_scheduler()
        for platform in self.sources:
            add_platform_job(scheduler, platform, self.settings.platforms.get(platform), self._job(platform))
        add_periodic_job(scheduler, "sink-maintenance", REPLAY_EVERY_SECONDS, self._maintain_sinks)
        add_periodic_job(scheduler, "store-prune", PRUNE_EVERY_SECONDS, self._prune, start_now=True)
        self._start_discovery()
        scheduler.start()
        try:
            await self.stop.wait()
        finally:
            # Drain before shutting the scheduler down: its executor cancels the jobs still running.
            scheduler.pause()
            await self._drain_inflight()
            scheduler.shutdown(wait=False)

    def _job(self, platform: Platform) -> Callable[[], Any]:
        async def job() -> None:
            if self.stop.is_set():
                return
            try:
                await self.sweep(platform)
            except Exception:  # the scheduler must outlive any one sweep
                log.exception("%s sweep failed", platform)

        return job

    async def _drain_inflight(self, timeout_seconds: float = 60.0) -> None:
        tasks = list(self._inflight)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout_seconds)
            for task in pending:
                task.cancel()

    async def _maintain_sinks(self) -> None:
        """Sinks that buffer (InfluxDB) drain their spool once the server answers again."""
        for sink in self.sinks:
            replay = getattr(sink, "replay", None)
            if replay is not None:
                try:
                    await replay()
                except Exception as exc:
                    log.warning("sink %s could not replay its spool: %s", sink.name, exc)

    async def _prune(self) -> None:
        if self.store is not None:
            await asyncio.to_thread(self.store.prune, self.clock())

    def _start_discovery(self) -> None:
        task = start_discovery(self, self._discovery)
        if task is not None:
            self._background.append(task)


async def run_service(
    settings: Settings, *, clock: Clock = time.time, ready: Callable[[Service], None] | None = None
) -> None:
    service = Service(settings, clock=clock)
    await service.open()
    try:
        await service.run(ready)
    finally:
        await service.aclose()
