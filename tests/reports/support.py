"""A store filled from the small sandbox world (60 days of sweeps) and a command line with the report,
import and event commands, for the report tests."""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

from collector.commands import event_cmd, import_cmd, report_cmd
from collector.models import Platform
from collector.sandbox.clock import DEFAULT_START
from tests.analytics.stores import world_store
from tests.support.sandbox import SMALL_SPEC, cached_world

DAY = 86_400.0
DAYS = 60
SWEEP = 8 * 3600.0


def build_store(directory: Path) -> Path:
    """60 days of 8-hourly sweeps from the world start, plus two events; returns the config file."""
    world = cached_world(SMALL_SPEC)
    times = [DEFAULT_START + i * SWEEP for i in range(int(DAYS * DAY / SWEEP) + 1)]
    path = directory / "govpulse.sqlite3"
    store = world_store(path, world, times, tuple(Platform))
    store.add_event(DEFAULT_START + 55 * DAY, "external", "VK удалил ботов из сообществ", platform="vk")
    store.add_event(DEFAULT_START + 10 * DAY, "external", "Старт кампании в Москве", region="RU-MOW")
    store.close()
    config = directory / "govpulse.yaml"
    config.write_text(
        f"store:\n  path: {path}\nplatforms:\n  max:\n    interval_seconds: {SWEEP:g}\n"
        f"  vk:\n    interval_seconds: {SWEEP:g}\n  telegram:\n    interval_seconds: {SWEEP:g}\n",
        encoding="utf-8",
    )
    return config


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="govpulse")
    sub = main.add_subparsers(dest="command", required=True)
    for module in (report_cmd, import_cmd, event_cmd):
        module.add_parser(sub)
    return main


def run(*argv: str) -> tuple[int, str, str]:
    """Run a command in-process; return (exit code, stdout, stderr)."""
    args = parser().parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = args.handler(args)
    return code, out.getvalue(), err.getvalue()
