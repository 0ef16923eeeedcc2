"""Every benchmark side by side in one run: one table of ratios and absolute figures, with the machine.

Each benchmark runs in its own fresh Python process (its `run(...)` with the sizes below, the result sent
back as JSON), one after the other, so they never compete for the two cores and the memory of one never
inflates another. Sizes smaller than a benchmark's own default are marked in the table's "size" column.
The report is printed and written to bench/results/latest.md.

    bench/run [--quick] [--only NAME ...] [--output bench/results/latest.md]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import machine, report

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "results" / "latest.md"
TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class Bench:
    name: str
    module: str
    kwargs: dict[str, Any]
    quick: dict[str, Any] = field(default_factory=dict)
    note: str = ""


BENCHES = (
    Bench("exposition", "bench.exposition", {"channels": 200_000, "repeat": 3}, {"channels": 20_000}),
    Bench("lineprotocol", "bench.lineprotocol", {"points": 200_000, "channels": 40_000}, {"points": 20_000}),
    Bench("influx_write", "bench.influx_write", {"points": 200_000, "channels": 40_000}, {"points": 20_000}),
    Bench(
        "sweep",
        "bench.sweep",
        {"channels": 3000, "rate": 100.0, "vk_pages": 173_000, "registered": 200_000},
        {"channels": 300, "vk_pages": 5000, "registered": 20_000},
    ),
    Bench("shards", "bench.shards", {"channels": 2000, "rate": 50.0, "shards": 4}, {"channels": 200}),
    Bench("sandbox", "bench.sandbox_throughput", {"requests": 20_000, "concurrency": 64}, {"requests": 2000}),
    Bench("memory", "bench.memory", {"sizes": (40_000, 200_000)}, {"sizes": (4000,)}),
    Bench(
        "store",
        "bench.store",
        {"channels": 40_000, "raw_days": 30, "daily_days": 365, "sweeps": 3, "pause": 1.0},
        {"channels": 2000, "raw_days": 3, "daily_days": 30, "sweeps": 2, "pause": 0.2},
        note="raw window 30 days of hourly samples (28.8 M rows) + 335 days of daily roll-ups; "
        "`python -m bench.store --full` generates the whole year raw (350 M rows, several GB)",
    ),
)

_RUN_ONE = """
import importlib, json, sys
module = importlib.import_module(sys.argv[1])
result = module.run(**json.loads(sys.argv[2]))
print("\\n@@result@@" + json.dumps(result, default=str))
"""


def run_module(bench: Bench, kwargs: dict[str, Any]) -> dict[str, Any]:
    """`module.run(**kwargs)` in a fresh interpreter; the figures come back as JSON."""
    command = [sys.executable, "-c", _RUN_ONE, bench.module, json.dumps(kwargs)]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=TIMEOUT_SECONDS, check=False
    )
    marker = done.stdout.rfind("@@result@@")
    if done.returncode != 0 or marker < 0:
        raise RuntimeError(f"exit {done.returncode}: {done.stderr.strip()[-1500:]}")
    result: dict[str, Any] = json.loads(done.stdout[marker + len("@@result@@") :])
    return result


def run_sandbox(bench: Bench, kwargs: dict[str, Any]) -> dict[str, Any]:
    """bench/sandbox_throughput.py has no `run()`: its printed lines are the result."""
    command = [sys.executable, "bench/sandbox_throughput.py", *_flags(kwargs)]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=TIMEOUT_SECONDS, check=False
    )
    if not done.stdout.strip():
        raise RuntimeError(f"exit {done.returncode}: {done.stderr.strip()[-1500:]}")
    return {
        "requests": kwargs["requests"],
        "exit": done.returncode,
        "lines": done.stdout.strip().splitlines(),
    }


def _flags(kwargs: dict[str, Any]) -> list[str]:
    return [part for key, value in kwargs.items() for part in (f"--{key.replace('_', '-')}", str(value))]


RUNNERS: dict[str, Callable[[Bench, dict[str, Any]], dict[str, Any]]] = {"sandbox": run_sandbox}


def measure(bench: Bench, quick: bool) -> dict[str, Any]:
    kwargs = {**bench.kwargs, **(bench.quick if quick else {})}
    entry: dict[str, Any] = {"name": bench.name, "kwargs": kwargs, "note": bench.note}
    if not (ROOT / Path(*bench.module.split("."))).with_suffix(".py").exists():
        entry["skipped"] = f"{bench.module.replace('.', '/')}.py does not exist yet"
        return entry
    started = time.monotonic()
    try:
        entry["result"] = RUNNERS.get(bench.name, run_module)(bench, kwargs)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        entry["error"] = str(exc)
    entry["seconds"] = round(time.monotonic() - started, 1)
    return entry


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness, not the speed")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHES], help="run only these")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    host = machine.describe()
    started = time.monotonic()
    entries = []
    for bench in BENCHES:
        if args.only and bench.name not in args.only:
            continue
        print(f"running {bench.name} ...", file=sys.stderr, flush=True)
        entries.append(measure(bench, args.quick))
        print(f"  {bench.name}: {entries[-1].get('seconds', 0)} s", file=sys.stderr, flush=True)
    text = report.render(host, entries, time.monotonic() - started, quick=args.quick)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.output}", file=sys.stderr)
    return 1 if any("error" in e for e in entries) else 0


if __name__ == "__main__":
    sys.exit(main())
