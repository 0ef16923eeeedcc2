"""The commands of the `govpulse` command line, one module each (see collector.cli)."""

from __future__ import annotations

from types import ModuleType

from collector.commands import (
    alerts_cmd,
    collect_cmd,
    dashboards_cmd,
    demo_cmd,
    event_cmd,
    import_cmd,
    notify_cmd,
    regions_cmd,
    report_cmd,
    run_cmd,
    validate_cmd,
)
from collector.sandbox import cli as sandbox_cli

MODULES: list[ModuleType] = [
    run_cmd,
    collect_cmd,
    demo_cmd,
    report_cmd,
    import_cmd,
    event_cmd,
    validate_cmd,
    regions_cmd,
    alerts_cmd,
    dashboards_cmd,
    notify_cmd,
    sandbox_cli,
]
