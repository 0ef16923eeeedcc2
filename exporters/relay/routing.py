"""Which configured chats an alert goes to. Chat ids come only from configuration, never from a payload.

The key is the webhook's `?chat=` (or `?region=`, as alerts/alertmanager.yml writes it) when given, else
the alert's `region` label. A key matches a configured entry exactly, or as a region code (case and
aliases as in collector.regions: `ru-mow`, `RU-DON` → `RU-DPR`); anything else falls back to
"default". A platform whose mapping has neither gets nothing; an alert no platform takes is undeliverable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from collector.models import Platform
from collector.regions import Regions

DEFAULT_KEY = "default"


@dataclass(frozen=True, slots=True, order=True)
class Destination:
    platform: Platform
    chat_id: str
    key: str  # the configuration key that chose the chat (region code, name or "default")


class Router:
    def __init__(self, chats: Mapping[Platform, Mapping[str, str]], regions: Regions) -> None:
        self._chats = {platform: dict(mapping) for platform, mapping in chats.items() if mapping}
        self._regions = regions

    @property
    def platforms(self) -> list[Platform]:
        return sorted(self._chats)

    def resolve(self, requested: str | None, region_label: str | None) -> list[Destination]:
        wanted = requested if requested else region_label
        destinations = []
        for platform, mapping in sorted(self._chats.items()):
            key = self._match(wanted, mapping)
            if key is not None:
                destinations.append(Destination(platform, mapping[key], key))
        return destinations

    def _match(self, wanted: str | None, mapping: Mapping[str, str]) -> str | None:
        if wanted:
            if wanted in mapping:
                return wanted
            code = self._regions.canonical(wanted)
            if code is not None and code in mapping:
                return code
            # Configuration keys may be written in lower case or as aliases too.
            for key in mapping:
                if key != DEFAULT_KEY and code is not None and self._regions.canonical(key) == code:
                    return key
        return DEFAULT_KEY if DEFAULT_KEY in mapping else None
