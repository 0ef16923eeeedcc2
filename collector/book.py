"""The channel book: the registry rows plus channels the Max bot discovered, restricted to this shard.

It is the one place that knows which channels this process collects. Discovery adds and removes channels
while the service runs; a channel that arrives unclassified is classified once the platform reports its
title. Readers get immutable snapshots (lists), so a sweep in flight is never affected by a change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from collector.classify import classify_title
from collector.models import UNKNOWN_REGION, Category, Channel, Platform, Sample
from collector.regions import Regions
from collector.sharding import shard_of

ChangeListener = Callable[[Sequence[Channel]], None]


class ChannelBook:
    def __init__(self, regions: Regions, *, shard: int = 0, shards: int = 1) -> None:
        self._regions = regions
        self._shard = shard
        self._shards = shards
        self._lock = threading.Lock()
        self._channels: dict[str, Channel] = {}
        self._listeners: list[ChangeListener] = []
        self._tried_titles: dict[str, str] = {}  # key -> title already classified without success
        self._discovered: set[str] = set()  # keys that came from discovery, not from a registry file

    def on_change(self, listener: ChangeListener) -> None:
        """Call `listener(all_channels)` after every change (metrics and store follow the book)."""
        self._listeners.append(listener)

    def owns(self, channel: Channel) -> bool:
        return self._shards == 1 or shard_of(channel.key, self._shards) == self._shard

    def load(self, channels: Iterable[Channel]) -> None:
        """Replace the registry part of the book (discovered channels are added with `add`)."""
        with self._lock:
            discovered = {key: self._channels[key] for key in self._discovered if key in self._channels}
            self._channels = {c.key: c for c in channels if self.owns(c)}
            for key, channel in discovered.items():  # a registry row for a discovered channel wins
                self._channels.setdefault(key, channel)
            self._discovered = {key for key in discovered if self._channels[key] is discovered[key]}
        self._notify()

    def add(self, channel: Channel) -> bool:
        """Add a discovered channel; return False when it was already known (registry rows win)."""
        if not self.owns(channel):
            return False
        with self._lock:
            if channel.key in self._channels:
                return False
            self._channels[channel.key] = channel
            self._discovered.add(channel.key)
        self._notify()
        return True

    def remove(self, key: str) -> bool:
        with self._lock:
            removed = self._channels.pop(key, None) is not None
            self._discovered.discard(key)
        if removed:
            self._notify()
        return removed

    def get(self, key: str) -> Channel | None:
        with self._lock:
            return self._channels.get(key)

    def channels(self, platform: Platform | None = None) -> list[Channel]:
        with self._lock:
            values = list(self._channels.values())
        return values if platform is None else [c for c in values if c.platform is platform]

    def registry_channels(self) -> list[Channel]:
        """The channels that came from registry files (discovered ones excluded)."""
        with self._lock:
            return [c for key, c in self._channels.items() if key not in self._discovered]

    def discovered_channels(self) -> list[Channel]:
        with self._lock:
            return [self._channels[key] for key in self._discovered if key in self._channels]

    def is_discovered(self, key: str) -> bool:
        with self._lock:
            return key in self._discovered

    def __len__(self) -> int:
        with self._lock:
            return len(self._channels)

    def learn_titles(self, samples: Sequence[Sample]) -> list[Channel]:
        """Classify unclassified channels from the titles the platform reported; return those updated."""
        updated = []
        for sample in samples:
            if not sample.title:
                continue
            with self._lock:
                channel = self._channels.get(f"{sample.platform.value}:{sample.channel}")
                if channel is None or not _needs_classification(channel):
                    continue
                if self._tried_titles.get(channel.key) == sample.title:
                    continue
                guess = classify_title(sample.title, self._regions)
                better = replace(
                    channel,
                    title=channel.title or sample.title,
                    region=guess.region
                    if channel.region == UNKNOWN_REGION and guess.region
                    else channel.region,
                    category=(
                        guess.category
                        if channel.category is Category.UNCLASSIFIED and guess.category
                        else channel.category
                    ),
                )
                if better == channel or _needs_classification(better):
                    self._tried_titles[channel.key] = sample.title
                if better == channel:
                    continue
                self._channels[channel.key] = better
            updated.append(better)
        if updated:
            self._notify()
        return updated

    def _notify(self) -> None:
        snapshot = self.channels()
        for listener in self._listeners:
            listener(snapshot)


def _needs_classification(channel: Channel) -> bool:
    return channel.region == UNKNOWN_REGION or channel.category is Category.UNCLASSIFIED or not channel.title
