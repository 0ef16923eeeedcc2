"""Fixtures of the report tests: one filled store per module (read-only use)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reports.support import build_store


@pytest.fixture(scope="package")
def report_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("reports"))
