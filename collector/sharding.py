"""Stable assignment of channels to shards (DESIGN 4.7): `hash(platform:channel) mod shards`.

The hash is the first 8 bytes of BLAKE2b: stable across processes, Python versions and machines,
unlike the salted built-in `hash`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from collector.models import Channel


def shard_of(key: str, shards: int) -> int:
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def select_shard(channels: Iterable[Channel], shard: int, shards: int) -> list[Channel]:
    if shards == 1:
        return list(channels)
    return [c for c in channels if shard_of(c.key, shards) == shard]
