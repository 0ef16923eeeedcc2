"""The records of the simulated world: behaviours, states and one simulated channel."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from collector.models import Category, Platform


class Behaviour(StrEnum):
    """What a channel does after its change time `change_at` (before it, every channel grows)."""

    GROWING = "growing"
    STALLED = "stalled"  # exactly flat from change_at on (no noise at all)
    DECLINING = "declining"  # steady net loss, `magnitude` = weekly fraction (1-5 %) plus 2 subscribers/week
    PURGE = "purge"  # loses `magnitude` (20-80 %) at change_at, then keeps growing from the lower level
    DRIVE = "drive"  # mandated drive: +`magnitude` x over `window` seconds, then exactly flat
    SPIKE = "spike"  # inflation: +`magnitude` x the level at change_at over `window` (1-2 days), then organic
    DELETED = "deleted"  # gone from change_at: Max 404, VK deactivated, Telegram 400
    INACCESSIBLE = "inaccessible"  # bot removed (Max status removed / 403), Telegram 403; VK error 203


class State(StrEnum):
    """Ground truth of a channel at one moment."""

    GROWING = "growing"
    STALLED = "stalled"
    DECLINING = "declining"
    PURGED = "purged"  # within a week after a purge
    SPIKING = "spiking"  # inside the inflation window
    DRIVE = "drive"  # inside the mandated-drive jump
    DRIVE_FLATLINE = "drive_flatline"  # flat after a drive
    DELETED = "deleted"
    INACCESSIBLE = "inaccessible"
    NOT_YET_CREATED = "not_yet_created"


@dataclass(slots=True)
class SimChannel:
    """One channel of one platform with the parameters of its closed-form subscriber curve."""

    platform: Platform
    key: str  # registry key: Max chat_id, VK numeric id, Telegram @username
    numeric_id: int  # Max chat_id, VK group id, Telegram chat id (-100...)
    name: str  # Max public link name / VK screen name / Telegram username (no @)
    title: str
    org: str
    region: str
    category: Category
    expected: bool
    link: str
    is_public: bool
    created: float  # Unix seconds
    base: float  # subscribers at the world start (or the plateau of the first days for later channels)
    growth: float  # subscribers per day after the start (or after creation)
    log_shape: bool  # log-ish instead of linear growth
    behaviour: Behaviour
    change_at: float  # when the behaviour takes effect
    magnitude: float
    window: float  # seconds (spike window, drive duration)
    noise: float  # amplitude of the daily noise, subscribers
    variant: (
        int  # per-channel choice: Max inaccessible → 0 = 200 status removed, 1 = 403; VK 0 deleted / 1 banned
    )
    posts_per_day: float
    seed: int  # per-channel hash seed for noise
