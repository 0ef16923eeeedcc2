"""Property: whatever sweeps arrive (replays, corrections, late and out-of-order samples, failures), the
raw samples hold the last word for each (channel, second) and the daily roll-ups equal a recomputation
from them."""

from __future__ import annotations

import sqlite3
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.models import OK, Platform, Reason, Sample, SweepResult
from exporters.store import Store
from exporters.store_schema import STATUS_CODES

T0 = 1_764_547_200
DAY = 86_400
STATUSES = [OK, OK, OK, Reason.TIMEOUT.value, Reason.LOST_ACCESS.value]

Raw = tuple[int, int, int, int | None]  # channel_id, observed_at, status code, subscribers


def naive_daily(raw: list[Raw]) -> dict[tuple[int, int], tuple[object, ...]]:
    """Daily roll-ups recomputed from scratch, written independently of the store's fold."""
    groups: dict[tuple[int, int], list[Raw]] = defaultdict(list)
    for row in raw:
        groups[(row[0], row[1] // DAY)].append(row)
    result: dict[tuple[int, int], tuple[object, ...]] = {}
    for key, rows in groups.items():
        rows.sort(key=lambda r: r[1])
        ok = [r for r in rows if r[2] == 0 and r[3] is not None]
        counts = [r[3] for r in ok if r[3] is not None]
        stats = (ok[0][3], ok[-1][3], min(counts), max(counts), ok[0][1], ok[-1][1]) if ok else (None,) * 6
        result[key] = (*stats, len(ok), len(rows) - len(ok), rows[-1][2], rows[-1][1])
    return result


def stored_daily(conn: sqlite3.Connection) -> dict[tuple[int, int], tuple[object, ...]]:
    rows = conn.execute(
        "SELECT channel_id, day, first, last, min, max, first_at, last_at, ok_count, failed_count,"
        " last_status, last_status_at FROM daily"
    )
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def stored_raw(conn: sqlite3.Connection) -> list[Raw]:
    return list(conn.execute("SELECT channel_id, observed_at, status, subscribers FROM samples"))


sample_strategy = st.tuples(
    st.integers(0, 4),  # channel
    st.integers(0, 72),  # hour
    st.sampled_from([0, 1, 1799]),  # second within the hour: collisions make replays and corrections
    st.sampled_from(STATUSES),
    st.integers(0, 1_000_000),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(sample_strategy, min_size=1, max_size=12), min_size=1, max_size=8))
def test_daily_rollups_equal_recomputation(sweeps: list[list[tuple[int, int, int, str, int]]]) -> None:
    model: dict[tuple[str, int], tuple[int, int | None]] = {}
    with tempfile.TemporaryDirectory() as directory:
        store = Store.open(Path(directory) / "p.sqlite3")
        try:
            for drawn in sweeps:
                samples = []
                for ch, hour, second, status, subscribers in drawn:
                    at = T0 + hour * 3600 + second
                    subs = subscribers if status == OK else None
                    samples.append(Sample(Platform.MAX, f"-{ch}", at, status, subs))
                    model[(f"-{ch}", at)] = (STATUS_CODES[status], subs)
                store.write_sweep(SweepResult(Platform.MAX, 0, T0, T0, tuple(samples)))
            conn = store._conn
            ids = {channel: cid for cid, channel in conn.execute("SELECT id, channel FROM channels")}
            expected_raw = sorted((ids[ch], at, code, subs) for (ch, at), (code, subs) in model.items())
            assert sorted(stored_raw(conn)) == expected_raw
            assert stored_daily(conn) == naive_daily(expected_raw)
        finally:
            store.close()
