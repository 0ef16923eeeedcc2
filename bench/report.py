"""The Markdown report of bench/suite.py: the machine, one summary table, then every benchmark's figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Row = tuple[str, str, str, str, str]  # figure, govpulse, reference, ratio, bar
MIB = 2**20


def _f(value: float, digits: int = 3) -> str:
    return f"{value:,.{digits}f}"


def exposition(r: dict[str, Any]) -> list[Row]:
    ours, client = r["ours"], r["client"]
    return [
        (
            "/metrics render, median (s)",
            _f(ours["render_seconds"]),
            f"prometheus-client {_f(client['render_seconds'])}",
            f"{r['render_speedup']:.1f}x faster",
            f">= 10x: {'met' if r['render_bar_met'] else 'NOT met'}",
        ),
        (
            "peak memory, state + render (MiB)",
            _f(ours["peak_bytes"] / MIB, 1),
            f"prometheus-client {_f(client['peak_bytes'] / MIB, 1)}",
            f"{r['memory_ratio']:.3f} of client",
            f"<= 1/3: {'met' if r['memory_bar_met'] else 'NOT met'}",
        ),
        (
            "load state (s)",
            _f(ours["load_seconds"]),
            f"prometheus-client {_f(client['load_seconds'])}",
            f"{client['load_seconds'] / ours['load_seconds']:.1f}x faster",
            "",
        ),
    ]


def lineprotocol(r: dict[str, Any]) -> list[Row]:
    return [
        (
            f"line protocol, {r['points']:,} points (s)",
            _f(r["ours_seconds"]),
            f"influxdb-client Point {_f(r['point_seconds'])}",
            f"{r['ratio']}x faster ({r['ratio_cold_cache']}x cold cache)",
            f">= {r['bar_ratio']}x; identical bytes: {r['identical']}",
        )
    ]


def influx_write(r: dict[str, Any]) -> list[Row]:
    return [
        (
            f"into real InfluxDB 1.x, {r['points']:,} points (s)",
            f"{_f(r['seconds'])} ({r['points_per_second']:,} points/s)",
            f"stored {r['stored']:,}",
            "",
            f"<= {r['bar_seconds']} s: {'met' if r['seconds'] <= r['bar_seconds'] else 'NOT met'}",
        )
    ]


def sweep(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for case in r["max"]:
        rows.append(
            (
                f"Max sweep, N={case['channels']:,} R={case['rate']:.0f}/s, {case['case']} (s)",
                _f(case["seconds"], 1),
                f"N/R = {_f(case['ideal_seconds'], 1)}",
                f"{case['ratio']:.3f} of N/R",
                f"429s {100 * case['throttled_share']:.2f} %, ok {case['ok']:,}",
            )
        )
    vk, mem = r["vk"], r["memory"]
    rows.append(
        (
            f"VK sweep with execute, {vk['pages']:,} pages (requests)",
            f"{vk['requests']:,} in {vk['seconds']} s",
            f"bound {vk['bound']:,}",
            "",
            "",
        )
    )
    rows.append(
        (
            f"peak RSS, {mem['registered']:,} registered VK channels swept (MB)",
            str(mem["peak_rss_mb"]),
            f"plain csv rows: {r['memory_sources_only']['peak_rss_mb']}",
            "",
            "",
        )
    )
    return rows


def shards(r: dict[str, Any]) -> list[Row]:
    single, sharded = r["single"], r["sharded"]
    return [
        (
            f"Max sweep, N={r['channels']:,} at {r['rate_per_token']:.0f}/s per token, "
            f"{sharded['shards']} shards vs 1 (s)",
            f"{sharded['sweep_seconds']:.1f} (wall {sharded['wall_seconds']:.1f})",
            f"1 shard {single['sweep_seconds']:.1f} (wall {single['wall_seconds']:.1f})",
            f"{r['ratio']:.2f} x",
            f"<= {r['bar']} x: {'met' if r['meets_bar'] else 'NOT met'}; channels {r['observed']}",
        )
    ]


def sandbox(r: dict[str, Any]) -> list[Row]:
    last = r["lines"][-1] if r["lines"] else ""
    return [(f"sandbox, {r['requests']:,} Max requests, one core", last.split(": ", 1)[-1], "", "", "")]


def memory(r: dict[str, Any]) -> list[Row]:
    return [
        (
            f"collector memory per channel, {m['channels']:,} channels (bytes)",
            f"{m['bytes_per_channel']:,}",
            f"RSS {m['swept_mib']} MiB (base {m['baseline_mib']}, peak {m['peak_mib']})",
            "",
            "",
        )
        for m in r["sizes"]
    ]


def store(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = [
        (
            f"store write_sweep, {r['channels']:,} channels, {case} (s)",
            _f(r[case]["sweep_median_s"]),
            f"max {_f(r[case]['sweep_max_s'])}",
            f"{r[case]['samples_per_s']:,.0f} samples/s",
            "",
        )
        for case in ("fresh", "steady")
    ]
    for name, (seconds, count) in r["queries"].items():
        rows.append((f"store query: {name} (s)", _f(seconds), f"{count:,} rows", "", ""))
    return rows


def generic(r: dict[str, Any]) -> list[Row]:
    """A benchmark without a formatter here: its scalar figures, one row each."""
    return [
        (key, json.dumps(value, default=str), "", "", "")
        for key, value in r.items()
        if isinstance(value, int | float | str | bool)
    ]


FORMATTERS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "exposition": exposition,
    "lineprotocol": lineprotocol,
    "influx_write": influx_write,
    "sweep": sweep,
    "shards": shards,
    "sandbox": sandbox,
    "memory": memory,
    "store": store,
}


def _rows(entry: dict[str, Any]) -> list[Row]:
    if "skipped" in entry:
        return [("skipped", entry["skipped"], "", "", "")]
    if "error" in entry:
        return [("FAILED", entry["error"].replace("\n", " ")[:300], "", "", "")]
    try:
        return FORMATTERS.get(entry["name"], generic)(entry["result"])
    except (KeyError, TypeError, ZeroDivisionError) as exc:
        return [(f"unexpected result shape ({exc!r})", "see the figures below", "", "", "")]


def _size(entry: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in entry["kwargs"].items())


def render(host: dict[str, str], entries: list[dict[str, Any]], seconds: float, *, quick: bool) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"# govpulse benchmarks ({now})", "", "Generated by `bench/run`; do not edit by hand.", ""]
    if quick:
        out += ["**Quick mode: tiny sizes, the figures say nothing about speed.**", ""]
    out += ["| machine | |", "|---|---|", *(f"| {k} | {v} |" for k, v in host.items()), ""]
    out.append(
        f"Whole run: {seconds / 60:.1f} min. Each benchmark ran in its own fresh process, one after another; "
        "anything else running on the machine shows in the load average above."
    )
    out += [
        "",
        "| benchmark | figure | govpulse | reference | ratio | bar / check |",
        "|---|---|---|---|---|---|",
    ]
    for entry in entries:
        for figure, ours, ref, ratio, bar in _rows(entry):
            out.append(f"| {entry['name']} | {figure} | {ours} | {ref} | {ratio} | {bar} |")
    out += ["", "## Sizes and notes", "", "| benchmark | run with | seconds | note |", "|---|---|---|---|"]
    for entry in entries:
        out.append(f"| {entry['name']} | {_size(entry)} | {entry.get('seconds', '')} | {entry['note']} |")
    out += ["", "## All figures", ""]
    for entry in entries:
        body = entry.get("result", entry.get("error", entry.get("skipped")))
        out += [f"### {entry['name']}", "", "```", json.dumps(body, indent=1, default=str), "```", ""]
    return "\n".join(out)
