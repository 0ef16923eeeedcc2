"""Secrets never leave the process: a full `govpulse run` (subprocess, JSON logs at debug level) against the
sandbox with distinctive tokens for Max, VK and Telegram (a good and a rejected one each for Max and
Telegram, whose token travels in the URL path), an InfluxDB token (the server refuses the v2 API, so errors
are logged and points spooled) and the relay's bearer token. It is then crashed with SIGABRT (faulthandler
on), and run once more into a forced exception. Every byte it produced is searched for every secret:
stdout, stderr, /metrics, /healthz, the store's files, the spool's files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from collector.models import Platform
from collector.registry import write_csv
from collector.sandbox import SandboxServer, WorldSpec
from tests.support.influxdb import InfluxDB1Server
from tests.support.sandbox import SandboxFactory

MAX_GOOD, MAX_BAD = "max-good-Q7xv31kLmZ", "max-bad-R8yw42mNpA"
VK_GOOD = "vk-good-S9zx53nOqB"
TG_GOOD, TG_BAD = "7770001:TGgoodT0ay64oPrC", "7770002:TGbadU1bz75pQsD"
INFLUX_TOKEN, BEARER = "influx-V2cA86qRtE", "relay-bearer-W3dB97rSuF"
WEBHOOK_SECRET = "max-webhook-X4eC08sTvG"
SECRETS = (MAX_GOOD, MAX_BAD, VK_GOOD, TG_GOOD, TG_BAD, INFLUX_TOKEN, BEARER, WEBHOOK_SECRET)
SPEC = WorldSpec(seed=7, max_channels=120, max_future_channels=0, vk_channels=120, telegram_channels=40)


def config(sandbox: SandboxServer, influx: InfluxDB1Server, tmp_path: Path, store: Path) -> Path:
    registry = tmp_path / "channels.csv"
    with registry.open("w", encoding="utf-8") as out:
        write_csv(sandbox.world.registry(sandbox.now()), out)
    common: dict[str, Any] = {"enabled": True, "spread": False, "max_retries": 1, "retry_base_seconds": 0.05}
    data = {
        "registry": {"files": [str(registry)]},
        "platforms": {
            "max": {
                **common,
                "base_url": sandbox.url,
                "rate_per_second": 500,
                "discovery": "webhook",
                "webhook_secret": WEBHOOK_SECRET,
            },
            "vk": {**common, "base_url": f"{sandbox.url}/method", "rate_per_second": 50, "tokens": [VK_GOOD]},
            "telegram": {
                **common,
                "base_url": sandbox.url,
                "rate_per_second": 500,
                "tokens": [TG_BAD, TG_GOOD],
            },
        },
        "store": {"path": str(store)},
        "spool": {"directory": str(tmp_path / "spool")},
        "sinks": {
            "prometheus": {"listen_address": "127.0.0.1:0"},
            "influxdb": {
                "enabled": True,
                "api": "v2",
                "url": influx.url,
                "org": "gov",
                "token": INFLUX_TOKEN,
                "max_retries": 0,
            },
        },
        "logging": {"level": "debug", "format": "json"},
        "notify": {"bearer_token": BEARER},
    }
    path = tmp_path / f"govpulse-{store.name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def start(config_path: Path, out: Path, err: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GOVPULSE_PLATFORMS__MAX__TOKENS": f"{MAX_BAD},{MAX_GOOD}",
        "PYTHONFAULTHANDLER": "1",
    }
    with out.open("wb") as stdout, err.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "collector", "run", "-c", str(config_path)],
            stdout=stdout,
            stderr=stderr,
            env=env,
        )


def wait_for_metrics_url(process: subprocess.Popen[bytes], err: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in err.read_text(encoding="utf-8", errors="replace").splitlines():
            if "serving /metrics at " in line:
                return line.split("serving /metrics at ", 1)[1].split('"')[0].strip()
        assert process.poll() is None, err.read_text(encoding="utf-8", errors="replace")
        time.sleep(0.05)
    raise AssertionError("the service did not serve /metrics")


def stored_platforms(store: Path) -> set[str]:
    if not store.exists():
        return set()
    conn = sqlite3.connect(store)
    try:
        rows = conn.execute(
            "SELECT DISTINCT c.platform FROM samples s JOIN channels c ON c.id = s.channel_id"
        )
        return {platform for (platform,) in rows}
    except sqlite3.Error:
        return set()
    finally:
        conn.close()


def test_no_secret_in_any_output(
    sandbox_factory: SandboxFactory, influxdb1: InfluxDB1Server, tmp_path: Path
) -> None:
    tokens = {Platform.MAX: [MAX_GOOD], Platform.VK: [VK_GOOD], Platform.TELEGRAM: [TG_GOOD]}
    sandbox = sandbox_factory(SPEC, tokens=tokens, rates={p: 1000.0 for p in Platform}, speed=0.0)
    store = tmp_path / "store.sqlite3"
    out, err = tmp_path / "run.out", tmp_path / "run.err"
    process = start(config(sandbox, influxdb1, tmp_path, store), out, err)
    try:
        url = wait_for_metrics_url(process, err)
        deadline = time.monotonic() + 40
        while stored_platforms(store) != {"max", "vk", "telegram"} and time.monotonic() < deadline:
            time.sleep(0.2)
        exposition = httpx.get(url, timeout=10).content
        health = httpx.get(url.replace("/metrics", "/healthz"), timeout=10).content
        webhook = httpx.post(url.replace("/metrics", "/max/webhook"), json={}, timeout=10).content
    finally:
        process.send_signal(signal.SIGABRT)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGABRT
    assert stored_platforms(store) == {"max", "vk", "telegram"}

    # A forced exception: the store path is a directory, so opening it fails at start-up.
    crash_out, crash_err = tmp_path / "crash.out", tmp_path / "crash.err"
    (tmp_path / "not-a-file").mkdir()
    crashed = start(config(sandbox, influxdb1, tmp_path, tmp_path / "not-a-file"), crash_out, crash_err)
    assert crashed.wait(timeout=60) != 0
    assert b"not-a-file" in crash_err.read_bytes()  # it failed on the store, and said where

    logs = err.read_bytes()
    assert b"Fatal Python error: Aborted" in logs  # the crash dump is part of what was searched
    assert b'"level": "debug"' in logs and b"rejected" in logs  # debug logs, and the bad tokens were tried
    spooled = [p for p in (tmp_path / "spool").rglob("*") if p.is_file()]
    assert spooled, "the refused InfluxDB writes should have been spooled"
    outputs: dict[str, bytes] = {
        "stdout": out.read_bytes(), "stderr": logs, "/metrics": exposition, "/healthz": health,
        "webhook answer": webhook, "crash stdout": crash_out.read_bytes(),
        "crash stderr": crash_err.read_bytes(),
    }  # fmt: skip
    for path in [*tmp_path.glob("store.sqlite3*"), *spooled]:
        outputs[str(path.relative_to(tmp_path))] = path.read_bytes()
    for name, data in outputs.items():
        for secret in SECRETS:
            for form in {secret, secret.split(":")[-1]}:
                assert form.encode() not in data, f"{secret!r} found in {name}"
