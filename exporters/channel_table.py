"""The per-channel part of the exposition, kept as finished sample lines.

With 200,000 channels a scrape must be little more than a copy, so every sample line is built (escaped,
encoded) when its value changes and kept in the channel's row; a scrape gathers the lines of each family
in registry order. The escaped `platform`/`channel` label pair is built once per channel, the
`region`/`category` pair is shared between channels. Rows use slots and hold the lines themselves (not
four dicts of lines): about 150 bytes less per channel.

Not thread-safe on its own: `MetricsState` serialises every call with its lock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from collector.models import Channel, Platform, Reason, Sample
from exporters.textformat import encode, format_value, label_pairs

Key = tuple[str, str]  # (platform, channel)

_REASONS = frozenset(r.value for r in Reason)


@dataclass(slots=True)
class _Row:
    channel: Channel  # the registry entry
    pc: bytes  # escaped 'platform="..",channel=".."'
    info: bytes  # the govpulse_channel_info line
    subscribers: int | None = None
    title: str | None = None  # as the platform last reported it
    link: str | None = None
    subscribers_line: bytes | None = None
    last_success_line: bytes | None = None
    error_line: bytes | None = None  # present while the last attempt failed


def _key(platform: str, channel: str) -> Key:
    return (str(platform), channel)


class ChannelTable:
    def __init__(self) -> None:
        self._rows: dict[Key, _Row] = {}
        self._counts: Counter[str] = Counter()
        self._rc_cache: dict[tuple[str, str], bytes] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def platform_counts(self) -> Counter[str]:
        return self._counts

    def platform_summary(self) -> dict[Platform, tuple[int, int, int, int]]:
        """Per platform: channels, channels with a count, their subscribers, channels in error."""
        totals: dict[Platform, list[int]] = {}
        for row in self._rows.values():
            entry = totals.setdefault(row.channel.platform, [0, 0, 0, 0])
            entry[0] += 1
            if row.subscribers is not None:
                entry[1] += 1
                entry[2] += row.subscribers
            entry[3] += row.error_line is not None
        return {platform: (a, b, c, d) for platform, (a, b, c, d) in sorted(totals.items())}

    def lines(self) -> tuple[list[bytes], list[bytes], list[bytes], list[bytes]]:
        """Lines of subscribers, last-success, info and error, in registry order."""
        rows = self._rows.values()
        return (
            [r.subscribers_line for r in rows if r.subscribers_line is not None],
            [r.last_success_line for r in rows if r.last_success_line is not None],
            [r.info for r in rows],
            [r.error_line for r in rows if r.error_line is not None],
        )

    def replace(self, channels: Iterable[Channel]) -> None:
        """Make `channels` the registry; kept channels keep their values, others leave every family."""
        rows: dict[Key, _Row] = {}
        for channel in channels:
            key = _key(channel.platform, channel.channel)
            row = self._rows.get(key)
            if row is None:
                pc = encode(label_pairs((("platform", key[0]), ("channel", key[1]))))
                row = _Row(channel, pc, b"")
            elif row.channel == channel:
                rows[key] = row
                continue
            row.channel = channel
            row.info = self._info_line(row)
            if row.subscribers is not None:
                row.subscribers_line = self._subscribers_line(row, row.subscribers)
            rows[key] = row
        self._rows = rows
        self._counts = Counter(platform for platform, _ in rows)

    def observe(self, sample: Sample) -> bool:
        """Apply one sample; False when its channel is not in the registry (then nothing changes).

        Raises ValueError for a sample that breaks the `Sample` contract.
        """
        if sample.ok and sample.subscribers is None:
            raise ValueError(f"{sample.platform}:{sample.channel}: status ok without a subscriber count")
        if not sample.ok and sample.status not in _REASONS:
            raise ValueError(f"{sample.platform}:{sample.channel}: unknown status {sample.status!r}")
        row = self._rows.get(_key(sample.platform, sample.channel))
        if row is None:
            return False
        self._update_descriptive(row, sample)
        if sample.subscribers is not None and sample.ok:
            row.subscribers = sample.subscribers
            row.subscribers_line = self._subscribers_line(row, sample.subscribers)
            row.last_success_line = b"govpulse_channel_last_success_timestamp_seconds{%s} %s\n" % (
                row.pc,
                format_value(sample.observed_at).encode(),
            )
            row.error_line = None
        else:
            row.error_line = b'govpulse_channel_error{%s,reason="%s"} 1\n' % (row.pc, sample.status.encode())
        return True

    def _update_descriptive(self, row: _Row, sample: Sample) -> None:
        title = sample.title or row.title
        link = sample.link or row.link
        if title != row.title or link != row.link:
            row.title, row.link = title, link
            row.info = self._info_line(row)

    def _subscribers_line(self, row: _Row, count: int) -> bytes:
        channel = row.channel
        pair = (channel.region, str(channel.category))
        rc = self._rc_cache.get(pair)
        if rc is None:
            text = label_pairs((("region", pair[0]), ("category", pair[1])))
            rc = self._rc_cache[pair] = encode("," + text if text else "")
        return b"govpulse_channel_subscribers{%s%s} %d\n" % (row.pc, rc, count)

    @staticmethod
    def _info_line(row: _Row) -> bytes:
        channel = row.channel
        rest = label_pairs(
            (
                ("title", row.title or channel.title),
                ("org", channel.org),
                ("link", row.link or channel.link),
            )
        )
        return b"govpulse_channel_info{%s%s} 1\n" % (row.pc, encode("," + rest if rest else ""))
