"""Kill safety: a writer subprocess commits sweeps in a loop and is SIGKILLed at random moments; after each
kill the database is intact, every sweep it reported is fully there, no sweep is partly there, and the
daily roll-ups match the raw samples."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from exporters.store import Store
from tests.exporters.test_store_property import naive_daily, stored_daily, stored_raw

CHANNELS = 1500
T0 = 1_764_547_200
STEP = 1800  # half-hourly sweeps, so days roll over within a run
KILLS = 12

WRITER = """
import sys
from collector.models import OK, Category, Channel, Platform, Sample, SweepResult
from exporters.store import Store

path, channels, t0, step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
registry = [Channel(Platform.MAX, f"-{i}", "RU-MOW", Category.SCHOOL) for i in range(channels)]
store = Store.open(path)
store.sync_registry(registry, at=t0)
print("ready", flush=True)
done = store._conn.execute("SELECT max(observed_at) FROM samples").fetchone()[0]
start = 1 if done is None else (done - t0) // step + 1
for number in range(start, start + 100_000):
    at = t0 + number * step
    samples = tuple(
        Sample(Platform.MAX, c.channel, at, OK, number * 7 + i)
        if (number + i) % 5 else Sample(Platform.MAX, c.channel, at, "timeout")
        for i, c in enumerate(registry)
    )
    store.write_sweep(SweepResult(Platform.MAX, 0, at, at, samples))
    print(number, flush=True)
"""


def expected_sweep(number: int) -> list[tuple[int, int | None]]:
    """(status code, subscribers) of channel i in sweep `number`, i = 0..CHANNELS-1."""
    return [(0, number * 7 + i) if (number + i) % 5 else (6, None) for i in range(CHANNELS)]


def run_and_kill(path: Path, delay: float, after_ready: bool) -> int:
    """Start the writer, SIGKILL it `delay` seconds after it started (or after it said it is ready to write
    sweeps, so a slow start on a busy machine does not eat the delay); return the last sweep it reported
    committed."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(CHANNELS), str(T0), str(STEP)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    guard = threading.Timer(120, writer.kill)  # bounds the wait for "ready"
    guard.start()
    first = b""
    try:
        if after_ready:
            first = writer.stdout.readline() if writer.stdout else b""
            assert first == b"ready\n", writer.stderr.read().decode() if writer.stderr else first
        time.sleep(delay)
    finally:
        guard.cancel()
        writer.send_signal(signal.SIGKILL)
        out, err = writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL, err.decode()
    reported = [int(line) for line in (first + out).decode().split() if line != "ready"]
    return reported[-1] if reported else 0


def check(path: Path, reported: int) -> int:
    """Verify the database after a kill; `reported` is the last sweep known committed (printed now or held
    before). Return the number of sweeps it holds."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        ids = {int(channel[1:]): cid for cid, channel in conn.execute("SELECT id, channel FROM channels")}
        stored: dict[int, dict[int, tuple[int, int | None]]] = {}
        for cid, at, code, subs in stored_raw(conn):
            stored.setdefault((at - T0) // STEP, {})[cid] = (code, subs)
        present = sorted(stored)
        # Every reported sweep is there; at most one more (committed, killed before it could print).
        assert present == list(range(1, len(present) + 1))
        assert reported <= len(present) <= reported + 1
        for number, rows in stored.items():
            assert len(rows) == CHANNELS, f"sweep {number} is partly stored: {len(rows)} of {CHANNELS}"
            assert [rows[ids[i]] for i in range(CHANNELS)] == expected_sweep(number), f"sweep {number}"
        assert stored_daily(conn) == naive_daily(stored_raw(conn))
        return len(present)
    finally:
        conn.close()


def test_sigkill_at_random_moments_never_leaves_a_partial_sweep(tmp_path: Path) -> None:
    path = tmp_path / "kill.sqlite3"
    rng = random.Random(20251201)
    held = 0
    # Most kills land among the sweeps; some land in start-up (creating, migrating, syncing the registry).
    plan = [(rng.uniform(0.0, 0.6), True) for _ in range(KILLS - 3)]
    plan += [(rng.uniform(0.05, 0.5), False) for _ in range(3)]
    rng.shuffle(plan)
    for delay, after_ready in plan:
        reported = run_and_kill(path, delay, after_ready)
        if path.exists():
            count = check(path, max(reported, held))
            assert count >= held  # nothing committed earlier was lost
            held = count
    assert held > 0, "the writer never committed a sweep: the delays are too short for this machine"
    with Store.open(path) as reopened:  # and the collector can carry on
        assert len(reopened.latest()) == CHANNELS
