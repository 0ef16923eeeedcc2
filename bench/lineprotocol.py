"""Line protocol: our serializer vs influxdb-client's Point, 200,000 `channel_subscribers` points.

Both produce identical bytes (checked here on every point, and by tests/exporters/test_lineprotocol.py).
The workload is realistic: 40,000 channels observed in 5 sweeps. "ours" is the steady state of the sink,
whose per-channel prefix cache lives as long as the process (built in its first sweep); "ours cold"
builds the cache inside the timing (the first sweep after a start).

    python -m bench.lineprotocol [--points 200000] [--channels 40000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from influxdb_client import Point, WritePrecision

from exporters import lineprotocol as lp

T0 = 1_764_000_000
CATEGORIES = ("governor", "regional_government", "municipality", "school", "culture")


def workload(points: int, channels: int) -> list[tuple[str, str, str, str, int, int]]:
    rows = []
    for n in range(points):
        c = n % channels
        sweep = n // channels
        channel, region = str(-70_000_000 - c), f"RU-{c % 89:02d}"
        rows.append(("max", channel, region, CATEGORIES[c % 5], 100 + c + sweep, T0 + sweep * 3600))
    return rows


def with_point(rows: list[tuple[str, str, str, str, int, int]]) -> list[str]:
    return [
        Point("channel_subscribers")
        .tag("platform", p)
        .tag("channel", ch)
        .tag("region", r)
        .tag("category", cat)
        .field("subscribers", n)
        .time(ts, WritePrecision.S)
        .to_line_protocol()
        for p, ch, r, cat, n, ts in rows
    ]


def with_ours(rows: list[tuple[str, str, str, str, int, int]], prefixes: lp.SeriesPrefixes) -> list[str]:
    line = lp.channel_subscribers_line
    get = prefixes.get
    return [line(get(p, ch, r, cat), n, ts) for p, ch, r, cat, n, ts in rows]


def warm_cache(rows: list[tuple[str, str, str, str, int, int]]) -> lp.SeriesPrefixes:
    """The sink's state after its first sweep: one prefix per channel, kept for the process lifetime."""
    prefixes = lp.SeriesPrefixes()
    for p, ch, r, cat, _, _ in rows:
        prefixes.get(p, ch, r, cat)
    return prefixes


def best_of(repeat: int, fn: Callable[[], list[str]]) -> tuple[float, list[str]]:
    best, result = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(points: int = 200_000, channels: int = 40_000, repeat: int = 3) -> dict[str, float | int | bool]:
    rows = workload(points, channels)
    point_seconds, reference = best_of(repeat, lambda: with_point(rows))
    cold_seconds, cold = best_of(repeat, lambda: with_ours(rows, lp.SeriesPrefixes()))
    cache = warm_cache(rows)
    ours_seconds, ours = best_of(repeat, lambda: with_ours(rows, cache))
    return {
        "points": points,
        "channels": channels,
        "point_seconds": round(point_seconds, 4),
        "ours_seconds": round(ours_seconds, 4),
        "ours_cold_cache_seconds": round(cold_seconds, 4),
        "ratio": round(point_seconds / ours_seconds, 1),
        "ratio_cold_cache": round(point_seconds / cold_seconds, 1),
        "ours_points_per_second": round(points / ours_seconds),
        "identical": ours == reference and cold == reference,
        "bar_ratio": 10,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--channels", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = run(args.points, args.channels, args.repeat)
    print(json.dumps(result, indent=2))
    print(
        f"Point {result['point_seconds']:.3f} s vs ours {result['ours_seconds']:.3f} s: {result['ratio']}x "
        f"(bar >= 10x; {result['ratio_cold_cache']}x with the prefix cache built inside the timing), "
        f"identical bytes: {result['identical']}"
    )


if __name__ == "__main__":
    main()
