"""Embedded stores filled from a sandbox world (closed-form counts at given sweep times, no HTTP)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from collector.models import Platform
from collector.sandbox import World
from exporters.store import Store
from tests.analytics.world_truth import attempts


def world_store(
    path: Path, world: World, times: Sequence[float], platforms: Sequence[Platform] = tuple(Platform)
) -> Store:
    """A store holding the world's registry (as of the last sweep) and every sweep's samples."""
    store = Store.open(path)
    store.sync_registry(world.registry(times[-1], tuple(platforms)), at=times[0])
    batch = [s for p in platforms for ch in world.channels[p] for s in attempts(world, ch, list(times))]
    store.write_samples(batch)
    return store
