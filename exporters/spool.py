"""A durable on-disk spool of line-protocol batches for a sink that is down, replayed in order later.

Layout: one directory per sink (mode 0700); one file per batch, `<sequence>.seg` (mode 0600), holding a
JSON header line (`points`, `created`, `crc32` of the body) and a JSON list of the batch's points as body
(a point may contain raw newlines inside a quoted string field, so points are never split on newlines).

Crash safety: a segment is written to `<sequence>.tmp`, fsynced, renamed to `.seg` and the directory is
fsynced, so after a SIGKILL a segment is either whole or absent. Temp files left by a crash are removed
on start; a segment that fails its checksum is renamed to `.corrupt` and skipped, never replayed.

Bounds: `max_bytes` over all segments, with `full_policy` `drop_oldest` (delete the oldest segments until
the new one fits) or `refuse_new` (drop the new batch). Dropped points are returned to the caller, who
counts them.

Replay is idempotent by construction: a segment is deleted only after the sink wrote it, and re-sending a
segment after a crash writes the same series and timestamps again, which InfluxDB treats as an overwrite.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from collector.config import SpoolFullPolicy, SpoolSettings
from exporters.files import make_private_dirs

log = logging.getLogger(__name__)

_SEGMENT_SUFFIX = ".seg"
_TEMP_SUFFIX = ".tmp"
_CORRUPT_SUFFIX = ".corrupt"
_FORMAT = 1


class SpoolCorrupt(Exception):
    """A segment could not be read back (bad header, checksum or body)."""


@dataclass(frozen=True, slots=True)
class Segment:
    sequence: int
    path: Path
    points: int
    created: float
    size: int


@dataclass(frozen=True, slots=True)
class AppendResult:
    stored: int  # points of the new batch now in the spool
    dropped: int  # points lost to the size bound (old segments under drop_oldest, or the new batch)


class Spool:
    """Thread-safe: the sink calls it from worker threads so fsync never blocks the event loop."""

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        full_policy: SpoolFullPolicy = SpoolFullPolicy.DROP_OLDEST,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.full_policy = full_policy
        self._clock = clock
        self._lock = threading.Lock()
        self._segments: list[Segment] = []
        self._open()

    @classmethod
    def for_sink(cls, settings: SpoolSettings, sink: str) -> Spool:
        return cls(settings.directory / sink, max_bytes=settings.max_bytes, full_policy=settings.full_policy)

    # -- state -------------------------------------------------------------------------------------------

    @property
    def points(self) -> int:
        with self._lock:
            return sum(s.points for s in self._segments)

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return sum(s.size for s in self._segments)

    def __len__(self) -> int:
        with self._lock:
            return len(self._segments)

    def oldest_age_seconds(self) -> float:
        with self._lock:
            return max(0.0, self._clock() - self._segments[0].created) if self._segments else 0.0

    def segments(self) -> list[Segment]:
        """The pending segments, oldest first."""
        with self._lock:
            return list(self._segments)

    # -- operations --------------------------------------------------------------------------------------

    def append(self, points: Sequence[str]) -> AppendResult:
        """Store one batch durably behind the others; returns what was stored and what the bound dropped."""
        if not points:
            return AppendResult(0, 0)
        data = self._encode(points)
        with self._lock:
            fits, dropped = self._make_room(len(data))
            if not fits:
                return AppendResult(0, len(points))
            sequence = self._segments[-1].sequence + 1 if self._segments else 1
            path = self._write_atomically(sequence, data)
            self._segments.append(Segment(sequence, path, len(points), self._clock(), len(data)))
            return AppendResult(len(points), dropped)

    def read(self, segment: Segment) -> list[str]:
        try:
            raw = segment.path.read_bytes()
        except OSError as exc:
            raise SpoolCorrupt(f"{segment.path.name}: {exc.strerror}") from None
        return _decode(raw, segment.path.name)[1]

    def remove(self, segment: Segment) -> None:
        with self._lock:
            self._segments = [s for s in self._segments if s.sequence != segment.sequence]
            segment.path.unlink(missing_ok=True)
            _fsync_directory(self.directory)

    def quarantine(self, segment: Segment) -> None:
        """Move an unreadable segment aside (kept for a human, never replayed)."""
        with self._lock:
            self._segments = [s for s in self._segments if s.sequence != segment.sequence]
            with contextlib.suppress(FileNotFoundError):
                segment.path.rename(segment.path.with_suffix(_CORRUPT_SUFFIX))
            _fsync_directory(self.directory)

    # -- internals ---------------------------------------------------------------------------------------

    def _open(self) -> None:
        make_private_dirs(self.directory)
        os.chmod(self.directory, 0o700)
        for temp in self.directory.glob(f"*{_TEMP_SUFFIX}"):
            log.info("removing an incomplete spool file left by a crash: %s", temp.name)
            temp.unlink(missing_ok=True)
        for path in sorted(self.directory.glob(f"*{_SEGMENT_SUFFIX}")):
            segment = self._load_header(path)
            if segment is not None:
                self._segments.append(segment)
        self._segments.sort(key=lambda s: s.sequence)

    def _load_header(self, path: Path) -> Segment | None:
        try:
            raw = path.read_bytes()
            header, points = _decode(raw, path.name)
            return Segment(int(path.stem), path, len(points), float(header["created"]), len(raw))
        except (SpoolCorrupt, ValueError, OSError) as exc:
            log.error("spool segment %s is unreadable, moved aside: %s", path.name, exc)
            with contextlib.suppress(OSError):
                path.rename(path.with_suffix(_CORRUPT_SUFFIX))
            return None

    def _encode(self, points: Sequence[str]) -> bytes:
        body = json.dumps(list(points), ensure_ascii=False).encode()
        crc = zlib.crc32(body)
        header = {"format": _FORMAT, "points": len(points), "created": self._clock(), "crc32": crc}
        return json.dumps(header).encode() + b"\n" + body

    def _make_room(self, needed: int) -> tuple[bool, int]:
        """Apply the full policy: whether the new segment may be stored, and how many old points went."""
        used = sum(s.size for s in self._segments)
        if used + needed <= self.max_bytes:
            return True, 0
        if self.full_policy is SpoolFullPolicy.REFUSE_NEW or needed > self.max_bytes:
            return False, 0
        dropped = 0
        while self._segments and used + needed > self.max_bytes:
            oldest = self._segments.pop(0)
            oldest.path.unlink(missing_ok=True)
            used -= oldest.size
            dropped += oldest.points
        _fsync_directory(self.directory)
        return True, dropped

    def _write_atomically(self, sequence: int, data: bytes) -> Path:
        final = self.directory / f"{sequence:020d}{_SEGMENT_SUFFIX}"
        temp = final.with_suffix(_TEMP_SUFFIX)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_directory(self.directory)
        return final


def _decode(raw: bytes, name: str) -> tuple[dict[str, float], list[str]]:
    head, sep, body = raw.partition(b"\n")
    if not sep:
        raise SpoolCorrupt(f"{name}: no header")
    try:
        header = json.loads(head)
        points = json.loads(body) if zlib.crc32(body) == header["crc32"] else None
    except (ValueError, KeyError, TypeError) as exc:
        raise SpoolCorrupt(f"{name}: {exc}") from None
    if points is None or not isinstance(points, list) or len(points) != header.get("points"):
        raise SpoolCorrupt(f"{name}: checksum or point count mismatch")
    if not all(isinstance(p, str) for p in points):
        raise SpoolCorrupt(f"{name}: body is not a list of points")
    return header, points


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
