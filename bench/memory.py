"""Memory per channel of the collector process: the service assembled for N channels and one sweep delivered.

Each size runs in a fresh child process that does nothing else. The child writes a registry CSV of N
channels (a third each on Max, VK and Telegram; Cyrillic titles and orgs), then builds the real `Service`
from a configuration (embedded store on, InfluxDB off, /metrics state on, all three sources built but never
called), opens it (registry load, store sync), streams one sweep of N samples through the pipeline in
chunks of 200 (store + snapshot; 2 % failed) and renders /metrics once. Figures: RSS after the imports
(baseline), after opening, after the sweep and the render; the steady RSS above the baseline per channel;
and the peak (VmHWM) of the process.

    python -m bench.memory [--channels 40000 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PLATFORMS = ("max", "vk", "telegram")
CATEGORIES = ("school", "municipality", "culture", "healthcare", "governor", "social")
T0 = 1_764_547_200.0
CHUNK = 200


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _rss_mib() -> float:
    gc.collect()
    return _status_kib("VmRSS") / 1024


def _key(platform: str, n: int) -> str:
    return {"max": str(-70_000_000_000 - n), "vk": str(100_000 + n), "telegram": f"@gov_channel_{n}"}[
        platform
    ]


def write_registry(path: Path, channels: int, codes: list[str]) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("platform,channel,region,category,org,title,expected,link\n")
        for n in range(channels):
            platform, region = PLATFORMS[n % 3], codes[n % len(codes)]
            out.write(
                f"{platform},{_key(platform, n)},{region},{CATEGORIES[n % len(CATEGORIES)]},"
                f"Администрация округа № {n % 4000},Официальный канал учреждения № {n},,\n"
            )


def _settings(workdir: Path, registry: Path) -> Any:
    from collector.config import Settings

    platform = {"enabled": True, "tokens": ["bench-memory-token"], "base_url": "http://127.0.0.1:9"}
    return Settings.model_validate(
        {
            "registry": {"files": [registry]},
            "platforms": {"max": platform, "vk": platform, "telegram": platform},
            "store": {"path": workdir / "store.sqlite3"},
            "spool": {"directory": workdir / "spool"},
            "sinks": {"prometheus": {"listen_address": "127.0.0.1:0"}},
        }
    )


async def _measure(workdir: Path, channels: int) -> dict[str, Any]:
    from collector.models import OK, Platform, Reason, Sample
    from collector.regions import load_regions
    from collector.service import Service
    from exporters.prometheus import render

    registry = workdir / "channels.csv"
    write_registry(registry, channels, [r.code for r in load_regions()])
    baseline = _rss_mib()
    service = Service(_settings(workdir, registry))
    await service.open()
    opened = _rss_mib()
    rows = [(Platform(PLATFORMS[n % 3]), _key(PLATFORMS[n % 3], n), n) for n in range(channels)]
    for start in range(0, channels, CHUNK):
        await service.pipeline.observe(
            [
                Sample(p, key, T0 + n, Reason.TIMEOUT.value)
                if n % 50 == 0
                else Sample(p, key, T0 + n, OK, 100 + n % 90_000)
                for p, key, n in rows[start : start + CHUNK]
            ]
        )
    del rows
    body = render(service.metrics, openmetrics=False)
    swept = _rss_mib()
    result = {
        "channels": channels,
        "baseline_mib": round(baseline, 1),
        "opened_mib": round(opened, 1),
        "swept_mib": round(swept, 1),
        "peak_mib": round(_status_kib("VmHWM") / 1024, 1),
        "exposition_mib": round(len(body) / 2**20, 1),
        "bytes_per_channel": round((swept - baseline) * 2**20 / channels),
    }
    await service.aclose()
    return result


def _child(channels: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="govpulse-memory-") as tmp:
        return asyncio.run(_measure(Path(tmp), channels))


def run(sizes: tuple[int, ...] = (40_000, 200_000)) -> dict[str, Any]:
    """One fresh process per size; each returns its RSS figures."""
    results = []
    for channels in sizes:
        command = [sys.executable, "-m", "bench.memory", "--child", str(channels)]
        done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=1200)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {"sizes": results}


def table(result: dict[str, Any]) -> str:
    out = [f"{'channels':>9} {'base MiB':>9} {'opened':>8} {'swept':>8} {'peak':>8} {'B/channel':>10}"]
    for r in result["sizes"]:
        out.append(
            f"{r['channels']:>9,} {r['baseline_mib']:>9.1f} {r['opened_mib']:>8.1f} {r['swept_mib']:>8.1f} "
            f"{r['peak_mib']:>8.1f} {r['bytes_per_channel']:>10,}"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--channels", type=int, nargs="+", default=[40_000, 200_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child)))
        return
    result = run(tuple(args.channels))
    print(json.dumps(result, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main()
