"""End to end into a real InfluxDB 1.x: 200,000 points serialised, gzipped and POSTed through the v1 API.

Starts Debian's influxd on loopback (the test suite's server class), then times what the sink does per
sweep: build the line protocol, split into `batch_size` batches, gzip and POST each, sequentially.
Verifies the count with InfluxQL afterwards (outside the timing).

    python -m bench.influx_write [--points 200000] [--batch-size 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from collector.config import InfluxSettings
from exporters import lineprotocol as lp
from exporters.influx_transport import make_transport
from exporters.influx_writer import InfluxWriter
from tests.support.influxdb import InfluxDB1Server

T0 = 1_764_000_000
DB = "bench"


async def write_all(url: str, points: int, channels: int, batch_size: int) -> tuple[float, int]:
    settings = InfluxSettings(api="v1", url=url, database=DB, batch_size=batch_size)
    writer = InfluxWriter(make_transport(settings))
    prefixes = lp.SeriesPrefixes()
    started = time.perf_counter()
    line, prefix = lp.channel_subscribers_line, prefixes.get
    lines = [
        line(
            prefix("max", str(-70_000_000 - n % channels), "RU-MOW", "governor"),
            100 + n,
            T0 + (n // channels) * 3600,
        )
        for n in range(points)
    ]
    written = 0
    for i in range(0, len(lines), batch_size):
        written += (await writer.write_batch(lines[i : i + batch_size])).written
    elapsed = time.perf_counter() - started
    await writer.transport.aclose()
    return elapsed, written


def run(points: int = 200_000, channels: int = 40_000, batch_size: int = 5000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="govpulse-bench-") as workdir:
        server = InfluxDB1Server(Path(workdir) / "influxdb1")
        server.start()
        try:
            server.create_database(DB)
            seconds, written = asyncio.run(write_all(server.url, points, channels, batch_size))
            stored = server.rows("SELECT count(subscribers) FROM channel_subscribers", DB)[0]["count"]
        finally:
            server.stop()
    return {
        "points": points,
        "batch_size": batch_size,
        "seconds": round(seconds, 3),
        "points_per_second": round(points / seconds),
        "written": written,
        "stored": stored,
        "bar_seconds": 3.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--channels", type=int, default=40_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    result = run(args.points, args.channels, args.batch_size)
    print(json.dumps(result, indent=2))
    print(
        f"{result['points']:,} points in {result['seconds']:.2f} s "
        f"({result['points_per_second']:,} points/s; bar < 3 s), stored {result['stored']:,}"
    )


if __name__ == "__main__":
    main()
