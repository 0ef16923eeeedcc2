"""Scale-out benchmark: a Max sweep of N channels by 4 shards (a token each) against 1 shard with 1 token.

    python -m bench.shards [--channels 2000] [--rate 50] [--shards 4]

The sandbox runs in its own process (`govpulse sandbox serve`) and enforces R requests/s per token, as Max
does; each shard is a `govpulse collect --once --shard I --shards K` process configured just below R. The
figure is the sharded sweep time (the slowest shard: they run side by side) over the single-shard sweep time,
each as the collector logs it; the wall time of the processes (start-up included) is printed beside it.
Bar: at most 0.3 x with 4 shards.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

BAR = 0.3
SWEEP_LINE = re.compile(r"max sweep: (\d+) ok, (\d+) failed in ([\d.]+)s")


def token(shard: int) -> str:
    return f"bench-max-shard-{shard}"


def start_sandbox(
    directory: Path, channels: int, rate: float, shards: int
) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "collector", "sandbox", "serve", "--port", "0", "--speed", "0"]
    command += ["--max-channels", str(channels), "--max-future-channels", "1", "--vk-channels", "1"]
    command += ["--telegram-channels", "1", "--rate-max", str(rate)]
    command += ["--export-registry", str(directory / "channels.csv")]
    command += [arg for i in range(shards) for arg in ("--token", f"max={token(i)}")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        raise RuntimeError("the sandbox did not start")
    return process, url


def write_config(directory: Path, url: str, rate: float) -> Path:
    config = {
        "registry": {"files": [str(directory / "channels.csv")]},
        "platforms": {
            "max": {
                "enabled": True,
                "base_url": url,
                "rate_per_second": rate,
                "spread": False,
                "max_retries": 1,
            }
        },
        "store": {"enabled": False},
        "spool": {"directory": str(directory / "spool")},
        "sinks": {"prometheus": {"enabled": False}},
    }
    path = directory / "govpulse.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def sweep(config: Path, shards: int) -> dict[str, Any]:
    """Run `shards` collect processes side by side; their sweep times and the wall time of the lot."""
    began = time.monotonic()
    processes = []
    for shard in range(shards):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPULSE_")}
        env["GOVPULSE_PLATFORMS__MAX__TOKENS"] = token(shard)
        command = [sys.executable, "-m", "collector", "collect", "--once", "--no-progress", "-c", str(config)]
        command += ["--shard", str(shard), "--shards", str(shards)]
        pipe = subprocess.PIPE
        processes.append(subprocess.Popen(command, env=env, text=True, stdout=pipe, stderr=pipe))
    outputs = [process.communicate(timeout=600) for process in processes]
    wall = time.monotonic() - began
    sweeps = []
    for process, (out, err) in zip(processes, outputs, strict=True):
        match = SWEEP_LINE.search(out + err)
        if process.returncode != 0 or match is None:
            raise RuntimeError(f"collect failed ({process.returncode}):\n{out}\n{err}")
        sweeps.append({"ok": int(match[1]), "failed": int(match[2]), "seconds": float(match[3])})
    return {
        "shards": shards,
        "sweeps": sweeps,
        "sweep_seconds": max(s["seconds"] for s in sweeps),
        "wall_seconds": wall,
    }


def run(channels: int = 2000, rate: float = 50.0, shards: int = 4) -> dict[str, Any]:
    """Measure both layouts against one sandbox; return the figures and whether the bar is met."""
    with tempfile.TemporaryDirectory(prefix="govpulse-bench-shards-") as tmp:
        directory = Path(tmp)
        sandbox, url = start_sandbox(directory, channels, rate, shards)
        try:
            config = write_config(directory, url, rate * 0.9)  # just below the limit: no 429 to retry
            single = sweep(config, 1)
            sharded = sweep(config, shards)
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)
    observed = [sum(s["ok"] + s["failed"] for s in case["sweeps"]) for case in (single, sharded)]
    ratio = sharded["sweep_seconds"] / single["sweep_seconds"]
    return {
        "channels": channels,
        "rate_per_token": rate,
        "observed": observed,
        "single": single,
        "sharded": sharded,
        "ratio": ratio,
        "wall_ratio": sharded["wall_seconds"] / single["wall_seconds"],
        "bar": BAR,
        "meets_bar": ratio <= BAR and observed[0] == observed[1],
    }


def print_table(result: dict[str, Any]) -> None:
    n, r = result["channels"], result["rate_per_token"]
    print(f"Max sweep of {n} channels, sandbox limit {r:.0f} requests/s per token (N/R = {n / r:.1f} s)")
    print(f"{'layout':<22} {'sweep, s':>9} {'wall, s':>8} {'channels':>9}")
    for name, case, seen in (("1 shard, 1 token", result["single"], result["observed"][0]),
                             (f"{result['sharded']['shards']} shards, 1 token each", result["sharded"],
                              result["observed"][1])):  # fmt: skip
        print(f"{name:<22} {case['sweep_seconds']:>9.1f} {case['wall_seconds']:>8.1f} {seen:>9}")
    verdict = "meets" if result["meets_bar"] else "MISSES"
    print(f"sharded / single sweep time: {result['ratio']:.2f} x (wall {result['wall_ratio']:.2f} x); "
          f"{verdict} the bar of {result['bar']} x")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="the sandbox's limit per Max token")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    result = run(args.channels, args.rate, args.shards)
    print_table(result)
    if args.json:
        print(json.dumps(result, indent=2))
    return 0 if result["meets_bar"] else 1


if __name__ == "__main__":
    sys.exit(main())
