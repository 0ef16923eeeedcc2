"""Ground truth for scoring detection, and the registry export (DESIGN 4.1)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from collector.models import Platform
from collector.registry import write_csv
from collector.sandbox.clock import iso
from collector.sandbox.dynamics import PURGE_STATE_SECONDS, state, unit_hash
from collector.sandbox.model import Behaviour, SimChannel, State
from collector.sandbox.world import World

TRUTH_COLUMNS = (
    "platform",
    "channel",
    "title",
    "region",
    "category",
    "behaviour",
    "state",
    "subscribers",
    "created_at",
    "event",
    "event_at",
    "event_until",
    "magnitude",
)


def _event(world: World, ch: SimChannel) -> dict[str, Any] | None:
    b = ch.behaviour
    if b is Behaviour.GROWING:
        return None
    event: dict[str, Any] = {"type": b.value, "at": iso(ch.change_at)}
    if b in (Behaviour.DRIVE, Behaviour.SPIKE):
        event["until"] = iso(ch.change_at + ch.window)
        event["magnitude"] = round(ch.magnitude, 4)  # extra as a multiple of the level at `at`
    elif b is Behaviour.PURGE:
        event["until"] = iso(ch.change_at + PURGE_STATE_SECONDS)
        event["magnitude"] = round(ch.magnitude, 4)  # share of subscribers lost
    elif b is Behaviour.DECLINING:
        event["magnitude"] = round(ch.magnitude, 4)  # weekly loss share (plus 2 subscribers a week)
    elif b is Behaviour.DELETED and ch.platform is Platform.VK:
        event["deactivated"] = "deleted" if ch.variant == 0 else "banned"
    elif b is Behaviour.INACCESSIBLE and ch.platform is Platform.MAX:
        removed_200 = unit_hash(ch.seed, 7) < world.spec.max_removed_status_share
        event["answer"] = "status_removed" if removed_200 else "403_chat_denied"
    return event


def truth_entry(world: World, ch: SimChannel, at: float) -> dict[str, Any]:
    current = state(ch, at)
    gone = current in (State.NOT_YET_CREATED, State.DELETED, State.INACCESSIBLE)
    event = _event(world, ch)
    return {
        "platform": ch.platform.value,
        "channel": ch.key,
        "title": ch.title,
        "region": ch.region,
        "category": ch.category.value,
        "behaviour": ch.behaviour.value,
        "state": current.value,
        "subscribers": None if gone else world.count(ch, at),
        "created_at": iso(ch.created),
        "events": [event] if event else [],
    }


def truth(world: World, at: float, platforms: tuple[Platform, ...] = tuple(Platform)) -> list[dict[str, Any]]:
    return [truth_entry(world, ch, at) for p in platforms for ch in world.channels[p]]


def export_truth(
    world: World, path: Path, at: float, platforms: tuple[Platform, ...] = tuple(Platform)
) -> int:
    """Write the truth at `at` as JSON (.json) or CSV (anything else); return the number of channels."""
    entries = truth(world, at, platforms)
    if path.suffix.lower() == ".json":
        path.write_text(
            json.dumps({"at": iso(at), "channels": entries}, ensure_ascii=False), encoding="utf-8"
        )
        return len(entries)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        for e in entries:
            ev = e["events"][0] if e["events"] else {}
            writer.writerow(
                [
                    e["platform"],
                    e["channel"],
                    e["title"],
                    e["region"],
                    e["category"],
                    e["behaviour"],
                    e["state"],
                    "" if e["subscribers"] is None else e["subscribers"],
                    e["created_at"],
                    ev.get("type", ""),
                    ev.get("at", ""),
                    ev.get("until", ""),
                    ev.get("magnitude", ""),
                ]
            )
    return len(entries)


def registry_csv(world: World, at: float, platforms: tuple[Platform, ...] = tuple(Platform)) -> str:
    out = io.StringIO()
    write_csv(world.registry(at, platforms), out)
    return out.getvalue()


def export_registry(
    world: World, path: Path, at: float, platforms: tuple[Platform, ...] = tuple(Platform)
) -> int:
    """Write the registry of the channels created by `at`; return the number of rows."""
    rows = world.registry(at, platforms)
    with path.open("w", encoding="utf-8", newline="") as out:
        write_csv(rows, out)
    return len(rows)
