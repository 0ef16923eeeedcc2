"""/metrics for 200,000 channels: our exposition vs the obvious prometheus-client approach.

The client approach is what the prometheus-client README suggests: labelled `Gauge`s in a private
`CollectorRegistry`, updated with `.labels(...).set(...)` and exposed with `generate_latest`. Both sides get
the same channels (every family of DESIGN 4.3 that has per-channel series, plus the region families) and
produce the same series (tests/exporters/test_prometheus_equivalence.py checks equivalence on small data).

Each approach is measured in fresh subprocesses, one run of this script side by side:
- render time: text format 0.0.4, `--repeat` renders, median (after one warm-up render);
- load time: `set_registry` + `observe` vs `.labels().set()` for every series, once;
- peak memory: tracemalloc peak above the baseline taken after the inputs are built (so the shared input
  data is not counted), covering loading the state and one render; and ru_maxrss of that process
  (includes the interpreter and the inputs). tracemalloc runs in its own process, away from the timings.

    python -m bench.exposition [--channels 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from collector.models import OK, Category, Channel, Platform, Reason, Sample
from collector.regions import load_regions
from exporters.prometheus import MetricsState, render

T0 = 1_764_000_000.0
PLATFORMS = (Platform.MAX, Platform.VK, Platform.TELEGRAM)
CATEGORIES = tuple(Category)
FAILED_EVERY = 50  # 2 % of channels failed their last attempt


def inputs(channels: int) -> tuple[list[Channel], list[Sample]]:
    """Deterministic, realistic channels: Cyrillic titles and orgs, links, 2 % failing."""
    codes = [r.code for r in load_regions()]
    registry, samples = [], []
    for n in range(channels):
        platform = PLATFORMS[n % 3]
        key = str(-70_000_000_000 - n) if platform is Platform.MAX else str(100_000 + n)
        region = codes[n % len(codes)]
        registry.append(
            Channel(
                platform,
                key,
                region,
                CATEGORIES[n % len(CATEGORIES)],
                org=f"Администрация муниципального образования № {n % 4000}",
                title=f"Официальный канал учреждения «Школа № {n}» ({region})",
                link=f"https://vk.com/club{100_000 + n}" if platform is Platform.VK else "",
            )
        )
        if n % FAILED_EVERY == 0:
            samples.append(Sample(platform, key, T0 + n % 600, Reason.TIMEOUT.value))
        else:
            samples.append(Sample(platform, key, T0 + n % 600 + 0.25, OK, 100 + n % 90_000))
    return registry, samples


def load_ours(registry: list[Channel], samples: list[Sample]) -> Callable[[], bytes]:
    state = MetricsState(regions=load_regions(), version="bench", platforms=PLATFORMS)
    state.set_registry(registry)
    state.observe(samples)
    return lambda: render(state, openmetrics=False)


def load_client(registry: list[Channel], samples: list[Sample]) -> Callable[[], bytes]:
    reg = CollectorRegistry()
    subscribers = Gauge(
        "govpulse_channel_subscribers", "h", ["platform", "channel", "region", "category"], registry=reg
    )
    last = Gauge(
        "govpulse_channel_last_success_timestamp_seconds", "h", ["platform", "channel"], registry=reg
    )
    info = Gauge("govpulse_channel_info", "h", ["platform", "channel", "title", "org", "link"], registry=reg)
    error = Gauge("govpulse_channel_error", "h", ["platform", "channel", "reason"], registry=reg)
    population = Gauge("govpulse_region_population", "h", ["region"], registry=reg)
    region_info = Gauge("govpulse_region_info", "h", ["region", "name", "federal_district"], registry=reg)
    for region in load_regions():
        region_info.labels(region.code, region.name_ru, region.federal_district).set(1)
        if region.population is not None:
            population.labels(region.code).set(region.population)
    by_key = {(c.platform.value, c.channel): c for c in registry}
    for c in registry:
        info.labels(c.platform.value, c.channel, c.title, c.org, c.link).set(1)
    for s in samples:
        c = by_key[s.platform.value, s.channel]
        if s.ok:
            subscribers.labels(c.platform.value, c.channel, c.region, c.category.value).set(
                s.subscribers or 0
            )
            last.labels(c.platform.value, c.channel).set(s.observed_at)
        else:
            error.labels(c.platform.value, c.channel, s.status).set(1)
    return lambda: generate_latest(reg)


LOADERS = {"ours": load_ours, "client": load_client}


def measure_time(approach: str, channels: int, repeat: int) -> dict[str, Any]:
    registry, samples = inputs(channels)
    started = time.perf_counter()
    renderer = LOADERS[approach](registry, samples)
    load_seconds = time.perf_counter() - started
    body = renderer()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        renderer()
        times.append(time.perf_counter() - started)
    lines = body.count(b"\n")
    return {
        "render_seconds": statistics.median(times),
        "load_seconds": load_seconds,
        "bytes": len(body),
        "lines": lines,
    }


def measure_memory(approach: str, channels: int) -> dict[str, Any]:
    registry, samples = inputs(channels)
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    renderer = LOADERS[approach](registry, samples)
    renderer()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "peak_bytes": peak - baseline,
        "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def _child(mode: str, approach: str, channels: int, repeat: int) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.exposition",
        "--child",
        mode,
        approach,
        "--channels",
        str(channels),
        "--repeat",
        str(repeat),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=1800)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run(channels: int = 200_000, repeat: int = 5) -> dict[str, Any]:
    """Both approaches, each in fresh subprocesses; figures and ratios (client / ours)."""
    result: dict[str, Any] = {"channels": channels, "repeat": repeat}
    for approach in LOADERS:
        result[approach] = {
            **_child("time", approach, channels, repeat),
            **_child("memory", approach, channels, repeat),
        }
    ours, client = result["ours"], result["client"]
    result["render_speedup"] = client["render_seconds"] / ours["render_seconds"]
    result["memory_ratio"] = ours["peak_bytes"] / client["peak_bytes"]
    result["maxrss_ratio"] = ours["maxrss_bytes"] / client["maxrss_bytes"]
    result["render_bar_met"] = result["render_speedup"] >= 10
    result["memory_bar_met"] = result["memory_ratio"] <= 1 / 3
    return result


def table(result: dict[str, Any]) -> str:
    ours, client = result["ours"], result["client"]
    mib = 1024 * 1024
    rows = [
        (
            "render, median (s)",
            client["render_seconds"],
            ours["render_seconds"],
            result["render_speedup"],
            "x faster",
        ),
        (
            "load state (s)",
            client["load_seconds"],
            ours["load_seconds"],
            client["load_seconds"] / ours["load_seconds"],
            "x faster",
        ),
        (
            "peak memory, tracemalloc (MiB)",
            client["peak_bytes"] / mib,
            ours["peak_bytes"] / mib,
            result["memory_ratio"],
            "of client",
        ),
        (
            "max RSS of process (MiB)",
            client["maxrss_bytes"] / mib,
            ours["maxrss_bytes"] / mib,
            result["maxrss_ratio"],
            "of client",
        ),
        (
            "exposition size (MiB)",
            client["bytes"] / mib,
            ours["bytes"] / mib,
            ours["bytes"] / client["bytes"],
            "of client",
        ),
    ]
    out = [
        f"{result['channels']:,} channels, {ours['lines']:,} lines (ours), "
        f"median of {result['repeat']} renders",
        f"{'':32}{'prometheus-client':>18}{'govpulse':>12}{'ratio':>10}",
    ]
    out += [f"{name:32}{a:>18.3f}{b:>12.3f}{r:>10.3f} {unit}" for name, a, b, r, unit in rows]
    out.append(
        f"bars: render >= 10x faster: {result['render_bar_met']}; "
        f"peak memory <= 1/3: {result['memory_bar_met']}"
    )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--channels", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "APPROACH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, approach = args.child
        measured = (
            measure_time(approach, args.channels, args.repeat)
            if mode == "time"
            else (measure_memory(approach, args.channels))
        )
        print(json.dumps(measured))
        return
    result = run(args.channels, args.repeat)
    print(json.dumps(result, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main()
