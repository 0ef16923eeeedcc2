"""SIGKILL a process while it spools, several times at random moments; then replay into a real InfluxDB.

Nothing acknowledged as spooled may be lost, the spool must open cleanly (no torn segment, no leftover
temp file) and InfluxDB must hold every point exactly once even though the batch in flight at each kill
is spooled twice (once before the kill, once again after the restart).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collector.config import InfluxSettings
from collector.regions import load_regions
from exporters.influx import InfluxSink
from exporters.influx_writer import RetryPolicy
from exporters.spool import Spool
from tests.support.servers import InfluxDB1Server

pytestmark = pytest.mark.servers

POINTS = 40
T0 = 1_764_000_000
KILLS = 5

CHILD = f"""
import sys
from pathlib import Path
from exporters import lineprotocol as lp
from exporters.spool import Spool

spool = Spool(Path(sys.argv[1]), max_bytes=1 << 30)
start = int(sys.argv[2])
prefixes = [lp.channel_subscribers_prefix("vk", str(j), "RU-MOW", "governor") for j in range({POINTS})]
for i in range(start, start + 100_000):
    spool.append([lp.channel_subscribers_line(p, i * 1000 + j, {T0} + i) for j, p in enumerate(prefixes)])
    print(i, flush=True)  # acknowledged: the segment is durable
"""


def spool_until_killed(directory: Path, start: int, rng: random.Random) -> list[int]:
    """Run the child, kill -9 it after a random number of acknowledgements plus a random instant."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(directory), str(start)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    acks = []
    for _ in range(rng.randint(1, 25)):
        line = proc.stdout.readline()
        if not line:
            break
        acks.append(int(line))
    time.sleep(rng.uniform(0, 0.004))  # land the kill anywhere inside the next append
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    acks += [int(line) for line in proc.stdout.read().split()]
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return acks


def test_sigkill_while_spooling_loses_nothing_acknowledged(
    influxdb1: InfluxDB1Server, tmp_path: Path
) -> None:
    directory = tmp_path / "spool" / "influxdb"
    rng = random.Random(20251201)
    acknowledged: set[int] = set()
    start = 0
    for _ in range(KILLS):
        acks = spool_until_killed(directory, start, rng)
        assert acks, "the child acknowledged nothing"
        acknowledged.update(acks)
        start = max(acks) + 1  # the batch in flight at the kill may already be on disk: sent again

    spool = Spool(directory, max_bytes=1 << 30)
    assert not list(directory.glob("*.tmp")) and not list(directory.glob("*.corrupt"))
    batches = [spool.read(segment) for segment in spool.segments()]
    spooled = {int(batch[0].rsplit(" ", 1)[1]) - T0 for batch in batches}
    assert acknowledged <= spooled
    assert all(len(batch) == POINTS for batch in batches)

    influxdb1.create_database("govpulse")
    settings = InfluxSettings(api="v1", url=influxdb1.url, database="govpulse")
    sink = InfluxSink(
        settings, spool, channels=lambda key: None, regions=load_regions(), retry=RetryPolicy(max_retries=0)
    )

    async def replay() -> None:
        await sink.replay()
        await sink.aclose()

    asyncio.run(replay())
    assert spool.points == 0 and not list(directory.glob("*.seg"))
    count = influxdb1.rows("SELECT count(subscribers) FROM channel_subscribers", "govpulse")[0]["count"]
    assert count == POINTS * len(spooled)  # duplicates overwrite: same series, same timestamp
    rows = influxdb1.rows("SELECT subscribers FROM channel_subscribers GROUP BY channel", "govpulse")
    assert {(r["time"] - T0, int(r["channel"])) for r in rows} == {
        (i, j) for i in spooled for j in range(POINTS)
    }
    assert all(r["subscribers"] == (r["time"] - T0) * 1000 + int(r["channel"]) for r in rows)
