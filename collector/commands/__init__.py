"""The commands of the `govpulse` command line, one module each (see collector.cli)."""

from __future__ import annotations

from types import ModuleType

from collector.commands import (
    alerts_cmd,
    collect_cmd,
    dashboards_cmd,
    demo_cmd,
    notify_cmd,
    regions_cmd,
    run_cmd,
    validate_cmd,
)
from collector.sandbox import cli as sandbox_cli

MODULES: list[ModuleType] = [
    run_cmd,
    collect_cmd,
    demo_cmd,
    sandbox_cli,
    validate_cmd,
    regions_cmd,
    alerts_cmd,
    notify_cmd,
    dashboards_cmd,
]
