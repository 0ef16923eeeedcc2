"""The commands of the `govpulse` command line, one module each (see collector.cli)."""

from __future__ import annotations

from types import ModuleType

from collector.commands import regions_cmd, validate_cmd

MODULES: list[ModuleType] = [validate_cmd, regions_cmd]
