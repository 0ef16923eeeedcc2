"""Embedded store: write throughput for 40,000-channel sweeps, and report queries over a year of history.

What is generated (stated in the output too):
- `fresh`: sweeps of N channels written through `Store.write_sweep` into an empty store.
- history: N channels; the last `raw_days` days as hourly raw samples (2 % failures, spread over each
  hour) bulk-inserted with SQL (not through write_sweep, which would take about an hour for a year), their
  daily roll-ups aggregated from those raw rows by SQL; the `daily_days - raw_days` days before them as
  synthetic daily roll-ups (24 ok samples a day, steady growth). A full year of raw rows for 40,000 channels
  is 350 M rows (several GB): `--full` generates it (raw_days = daily_days = 365), the default keeps a
  30-day raw window that reports need beyond the daily roll-ups.
- `steady`: sweeps written through `Store.write_sweep` on top of that history (the realistic case: every
  sweep touches one leaf page per channel in `samples` and in `daily`).
Then the report queries are timed on the history.

    python -m bench.store [--channels 40000] [--raw-days 30] [--daily-days 365] [--sweeps 6]
                          [--pause 1.0] [--full] [--dir DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from collector.models import OK, Category, Channel, Platform, Reason, Sample, SweepResult
from collector.regions import load_regions
from exporters.store import Store
from exporters.store_records import SECONDS_PER_DAY, day_date

END_DAY = 20_423  # 2025-12-01: the history ends the day before, the steady sweeps are written on it
CATEGORIES = (
    Category.SCHOOL,
    Category.MUNICIPALITY,
    Category.CULTURE,
    Category.HEALTHCARE,
    Category.GOVERNOR,
)
# Deterministic world, shared by the SQL generator and the Python sweeps (c = channel id, n = hour index).
BASE = "(50 + (c.id * 7919) % 20000)"
GROWTH = "(c.id % 17)"
FAILED = "((c.id * 31 + {n} * 17) % 50 = 0)"


def registry(channels: int) -> list[Channel]:
    codes = [r.code for r in load_regions()]
    return [
        Channel(Platform.MAX, str(-70_000_000 - i), codes[i % len(codes)], CATEGORIES[i % len(CATEGORIES)])
        for i in range(channels)
    ]


def make_sweeps(store: Store, first_hour: int, count: int, start_ts: int) -> list[SweepResult]:
    ids = dict(store._conn.execute("SELECT channel, id FROM channels"))
    sweeps = []
    for n in range(first_hour, first_hour + count):
        samples = []
        for channel, cid in ids.items():
            at = start_ts + n * 3600 + cid % 1800
            if (cid * 31 + n * 17) % 50 == 0:
                samples.append(Sample(Platform.MAX, channel, at, Reason.TIMEOUT.value))
            else:
                subscribers = 50 + (cid * 7919) % 20000 + (cid % 17) * n // 24
                samples.append(Sample(Platform.MAX, channel, at, OK, subscribers))
        sweeps.append(
            SweepResult(Platform.MAX, 0, start_ts + n * 3600, start_ts + n * 3600 + 1800, tuple(samples))
        )
    return sweeps


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def write_sweeps(store: Store, sweeps: list[SweepResult], pause: float) -> dict[str, float]:
    """Time each write_sweep; `pause` between sweeps (untimed) stands for the hour between real sweeps, in
    which the background checkpoint copies the WAL into the database."""
    seconds = []
    for sweep in sweeps:
        seconds.append(timed(partial(store.write_sweep, sweep))[0])
        time.sleep(pause)
    samples = sum(len(s.samples) for s in sweeps)
    return {
        "sweep_median_s": statistics.median(seconds),
        "sweep_max_s": max(seconds),
        "samples_per_s": samples / sum(seconds),
    }


def generate_history(store: Store, raw_days: int, daily_days: int) -> dict[str, float]:
    conn = store._conn
    first_day = END_DAY - daily_days
    start_ts = first_day * SECONDS_PER_DAY
    synthetic_days = daily_days - raw_days
    # Bulk loading: build the per-channel index once at the end (sorted) rather than row by row.
    (index_sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'daily_by_channel'").fetchone()
    conn.execute("DROP INDEX daily_by_channel")
    conn.execute("BEGIN")
    seconds_daily, _ = timed(
        lambda: conn.execute(_SYNTHETIC_DAILY, {"days": synthetic_days, "start": start_ts})
    )
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    first_hour = synthetic_days * 24
    seconds_raw, _ = timed(
        lambda: conn.execute(_RAW, {"first": first_hour, "hours": raw_days * 24, "start": start_ts})
    )
    seconds_agg, _ = timed(lambda: conn.execute(_AGGREGATE, {"from": (END_DAY - raw_days) * SECONDS_PER_DAY}))
    conn.execute("COMMIT")
    seconds_index, _ = timed(lambda: conn.execute(index_sql))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store._load_caches()
    return {
        "synthetic_daily_s": seconds_daily,
        "daily_index_s": seconds_index,
        "raw_insert_s": seconds_raw,
        "raw_daily_aggregate_s": seconds_agg,
    }


_SYNTHETIC_DAILY = f"""
WITH RECURSIVE d(i) AS (SELECT 0 WHERE :days > 0 UNION ALL SELECT i + 1 FROM d WHERE i < :days - 1)
INSERT INTO daily
SELECT c.id, :start / 86400 + d.i,
       {BASE} + {GROWTH} * (d.i * 24) / 24, {BASE} + {GROWTH} * (d.i * 24 + 23) / 24,
       {BASE} + {GROWTH} * (d.i * 24) / 24, {BASE} + {GROWTH} * (d.i * 24 + 23) / 24,
       :start + d.i * 86400 + c.id % 1800, :start + d.i * 86400 + 23 * 3600 + c.id % 1800,
       24, 0, 0, :start + d.i * 86400 + 23 * 3600 + c.id % 1800
  FROM d CROSS JOIN channels c
"""

_RAW = f"""
WITH RECURSIVE h(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM h WHERE n < :first + :hours - 1)
INSERT INTO samples
SELECT c.id, :start + h.n * 3600 + c.id % 1800,
       CASE WHEN {FAILED.format(n="h.n")} THEN 6 ELSE 0 END,
       CASE WHEN {FAILED.format(n="h.n")} THEN NULL ELSE {BASE} + {GROWTH} * h.n / 24 END
  FROM channels c CROSS JOIN h
"""

_AGGREGATE = """
INSERT INTO daily
SELECT g.channel_id, g.day,
       (SELECT subscribers FROM samples s WHERE s.channel_id = g.channel_id AND s.observed_at = g.first_at),
       (SELECT subscribers FROM samples s WHERE s.channel_id = g.channel_id AND s.observed_at = g.last_at),
       g.mn, g.mx, g.first_at, g.last_at, g.ok, g.failed,
       (SELECT status FROM samples s WHERE s.channel_id = g.channel_id AND s.observed_at = g.lsa), g.lsa
  FROM (SELECT channel_id, observed_at / 86400 AS day,
               min(CASE WHEN status = 0 THEN observed_at END) AS first_at,
               max(CASE WHEN status = 0 THEN observed_at END) AS last_at,
               min(CASE WHEN status = 0 THEN subscribers END) AS mn,
               max(CASE WHEN status = 0 THEN subscribers END) AS mx,
               sum(status = 0) AS ok, sum(status != 0) AS failed, max(observed_at) AS lsa
          FROM samples WHERE observed_at >= :from GROUP BY channel_id, day) AS g
 ORDER BY g.day, g.channel_id
"""


def time_queries(store: Store, raw_days: int, daily_days: int) -> dict[str, tuple[float, int]]:
    end_ts = END_DAY * SECONDS_PER_DAY
    end = day_date(END_DAY - 1)
    key = store.channels()[123].key
    queries: dict[str, Callable[[], Any]] = {
        f"latest as of {raw_days // 2} days ago (raw), all channels": lambda: store.latest(
            end_ts - raw_days // 2 * SECONDS_PER_DAY
        ),
        f"latest as of {daily_days - 30} days ago (daily), all": lambda: store.latest(
            end_ts - (daily_days - 30) * SECONDS_PER_DAY
        ),
        "per-region daily totals, 90 days": lambda: store.daily_totals(end - timedelta(days=89), end),
        "per-region daily totals, 90 days, no carry": lambda: store.daily_totals(
            end - timedelta(days=89), end, carry_days=0
        ),
        "one channel's raw series, a year": lambda: store.series(key, end_ts - 365 * SECONDS_PER_DAY, end_ts),
        "one channel's daily series, a year": lambda: store.daily_series(key, end - timedelta(days=364), end),
        "last outcomes, all channels": store.last_outcomes,
    }
    return {name: _time_rows(query) for name, query in queries.items()}


def _time_rows(query: Callable[[], Any]) -> tuple[float, int]:
    seconds, result = timed(query)
    return seconds, len(result)


def file_sizes(path: Path) -> dict[str, int]:
    return {
        suffix or "db": Path(f"{path}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    }


def run(
    channels: int = 40_000,
    raw_days: int = 30,
    daily_days: int = 365,
    sweeps: int = 6,
    directory: Path | None = None,
    pause: float = 1.0,
) -> dict[str, Any]:
    """Run the benchmark; return its figures (seconds, rows, bytes)."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        world = registry(channels)
        results: dict[str, Any] = {
            "channels": channels,
            "raw_days": raw_days,
            "daily_days": daily_days,
            "pause_s": pause,
        }
        with Store.open(Path(tmp) / "fresh.sqlite3") as fresh:
            results["registry_sync_s"], _ = timed(
                lambda: fresh.sync_registry(world, at=END_DAY * SECONDS_PER_DAY)
            )
            batch = make_sweeps(fresh, 0, sweeps, END_DAY * SECONDS_PER_DAY)
            results["fresh"] = write_sweeps(fresh, batch, pause)
        path = Path(tmp) / "year.sqlite3"
        with Store.open(path, raw_retention_days=raw_days) as store:
            store.sync_registry(world, at=(END_DAY - daily_days) * SECONDS_PER_DAY)
            results["generate"] = generate_history(store, raw_days, daily_days)
            results["rows"] = _row_counts(store)
            results["history_bytes"] = file_sizes(path)
            results["queries"] = time_queries(store, raw_days, daily_days)
            batch = make_sweeps(store, daily_days * 24, sweeps, (END_DAY - daily_days) * SECONDS_PER_DAY)
            results["steady"] = write_sweeps(store, batch, pause)
            store.raw_retention_days = raw_days - 1
            results["prune_one_day_s"], results["prune_rows"] = timed(
                lambda: store.prune(END_DAY * SECONDS_PER_DAY + 3600)
            )
            results["final_bytes"] = file_sizes(path)
        return results


def _row_counts(store: Store) -> dict[str, int]:
    conn = store._conn
    return {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("samples", "daily")
    }


def print_table(results: dict[str, Any]) -> None:
    mb = 1024 * 1024
    lines = [
        f"channels {results['channels']:,}; raw {results['raw_days']} days hourly,"
        f" daily {results['daily_days']} days",
        f"registry sync (insert {results['channels']:,} channels)  {results['registry_sync_s']:.2f} s",
    ]
    for case in ("fresh", "steady"):
        r = results[case]
        lines.append(
            f"write_sweep {case:6} (pause {results['pause_s']} s)  median {r['sweep_median_s']:.3f} s"
            f"  max {r['sweep_max_s']:.3f} s"
            f"  {r['samples_per_s']:,.0f} samples/s"
        )
    g, rows = results["generate"], results["rows"]
    lines.append(
        f"generated: raw {rows['samples']:,} rows in {g['raw_insert_s']:.1f} s; daily {rows['daily']:,} rows"
        f" ({g['synthetic_daily_s']:.1f} s synthetic + {g['raw_daily_aggregate_s']:.1f} s aggregated"
        f" + {g['daily_index_s']:.1f} s index)"
    )
    sizes = results["history_bytes"]
    per_row = sizes["db"] / max(rows["samples"] + rows["daily"], 1)
    lines.append(f"file: {sizes['db'] / mb:,.0f} MiB ({per_row:.1f} B/row)")
    lines.append(f"{'query':48} {'seconds':>8} {'rows':>8}")
    for name, (seconds, count) in results["queries"].items():
        lines.append(f"{name:48} {seconds:8.3f} {count:8,}")
    lines.append(f"prune one day of raw ({results['prune_rows']:,} rows)  {results['prune_one_day_s']:.2f} s")
    lines.append(f"final file {results['final_bytes']['db'] / mb:,.0f} MiB")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=40_000)
    parser.add_argument("--raw-days", type=int, default=30)
    parser.add_argument("--daily-days", type=int, default=365)
    parser.add_argument("--sweeps", type=int, default=6)
    parser.add_argument("--pause", type=float, default=1.0, help="untimed seconds between sweeps")
    parser.add_argument("--full", action="store_true", help="a full year of hourly raw samples (350 M rows)")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the temporary databases")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    raw_days = args.daily_days if args.full else args.raw_days
    results = run(args.channels, raw_days, args.daily_days, args.sweeps, args.dir, args.pause)
    print(json.dumps(results, indent=2) if args.json else "", end="")
    print_table(results)


if __name__ == "__main__":
    main()
