"""APScheduler 3.x wiring: one job per platform, plus housekeeping jobs.

Each platform job runs with `max_instances=1` (a sweep never overlaps the next), `coalesce=True` (missed
runs collapse into one) and a misfire grace of half the interval. The first sweep starts at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from collector.config import PlatformSettings
from collector.models import Platform

Job = Callable[[], Awaitable[None]]


def trigger_for(settings: PlatformSettings) -> BaseTrigger:
    if settings.cron:
        return CronTrigger.from_crontab(settings.cron, timezone=UTC)
    return IntervalTrigger(seconds=settings.interval_seconds, timezone=UTC)


def build_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(timezone=UTC, job_defaults={"max_instances": 1, "coalesce": True})


def add_platform_job(
    scheduler: AsyncIOScheduler, platform: Platform, settings: PlatformSettings, job: Job
) -> None:
    scheduler.add_job(
        job,
        trigger=trigger_for(settings),
        id=f"sweep-{platform.value}",
        name=f"{platform.value} sweep",
        misfire_grace_time=max(1, int(settings.interval_seconds / 2)),
        next_run_time=datetime.now(UTC),
    )


def add_periodic_job(
    scheduler: AsyncIOScheduler, name: str, seconds: float, job: Job, *, start_now: bool = False
) -> None:
    scheduler.add_job(
        job,
        trigger=IntervalTrigger(seconds=seconds, timezone=UTC),
        id=name,
        name=name,
        misfire_grace_time=max(1, int(seconds)),
        next_run_time=datetime.now(UTC) if start_now else None,
    )
