"""The soak of bench/soak.py, shortened for CI: 800 Max channels, 10 sweeps over 10 simulated days.
Every sweep complete; after the warm-up, RSS within the allowed growth, no new open files, no new asyncio
tasks, sockets within the connection limit."""

from __future__ import annotations

from bench.soak import run


def test_soak_short() -> None:
    result = run(channels=800, days=10, sweeps_per_day=1, warmup=3)
    records = result["records"]
    assert len(records) == 10
    assert all(r["samples"] == r["channels"] > 750 for r in records)
    assert sum(r["ok"] for r in records) > 0.95 * sum(r["samples"] for r in records)
    assert result["checks"] == {
        "every_sweep_complete": True,
        "rss_less_sqlite_flat": True,
        "sqlite_within_cache_bound": True,
        "open_files_flat": True,
        "sockets_bounded": True,
        "tasks_flat": True,
        "python_objects_flat": True,
    }, result
