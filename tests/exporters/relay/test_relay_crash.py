"""`python -m collector notify serve` in a subprocess: SIGKILL after accepting, restart, sent exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from collector.sandbox import SandboxServer
from tests.exporters.relay.helpers import BEARER, MAX_CHATS, TELEGRAM_CHATS, am_alert, am_payload, wait_for
from tests.support.sandbox import SandboxFactory

AST = MAX_CHATS["RU-AST"]


def write_config(tmp_path: Path, sandbox: SandboxServer, bearer: str | None = BEARER) -> Path:
    notify: dict[str, object] = {
        "listen_address": "127.0.0.1:0",
        "outbox_path": str(tmp_path / "outbox.sqlite3"),
        "max_chat_ids": MAX_CHATS,
        "telegram_chat_ids": TELEGRAM_CHATS,
    }
    if bearer is not None:
        notify["bearer_token"] = bearer
    config = {
        "platforms": {
            "max": {"base_url": sandbox.url, "tokens": [sandbox.tokens["max"][0]]},
            "telegram": {"base_url": sandbox.url, "tokens": [sandbox.tokens["telegram"][0]]},
        },
        "notify": notify,
    }
    path = tmp_path / "govpulse.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def clean_env() -> dict[str, str]:
    drop = ("GOVPULSE_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def start(config: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "collector", "--log.level", "debug", "notify", "serve", "-c", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(),
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()  # printed once the port is bound; EOF if it died
    if not url.startswith("http://"):
        process.kill()
        raise AssertionError(f"the relay did not start: {process.communicate(timeout=10)[1]}")
    return process, url


def post(url: str, payload: object) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=10) as client:
        return client.post(f"{url}/alertmanager", json=payload, headers={"Authorization": f"Bearer {BEARER}"})


def outbox_counts(url: str) -> dict[str, int]:
    with httpx.Client(trust_env=False, timeout=10) as client:
        counts: dict[str, int] = client.get(f"{url}/healthz").json()["outbox"]
        return counts


def test_accepted_alert_survives_sigkill_and_is_delivered_exactly_once(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = sandbox_factory()
    sandbox.set_faults("all", error_rate=1.0)  # the first process cannot deliver before it dies
    config = write_config(tmp_path, sandbox)
    payload = am_payload([am_alert(summary="Пережило SIGKILL")])
    first, url = start(config)
    try:
        assert post(url, payload).status_code == 200
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
    assert sandbox.messages(AST) == [] and sandbox.messages(TELEGRAM_CHATS["RU-AST"]) == []
    sandbox.clear_faults()
    second, url = start(config)
    try:
        wait_for(lambda: outbox_counts(url)["sent"] == 2, message="delivery after the restart")
        assert post(url, payload).json()["duplicates"] == 2  # Alertmanager's retry of the same webhook
        assert outbox_counts(url) == {"pending": 0, "sent": 2, "failed": 0}
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = second.communicate(timeout=20)
    assert second.returncode == 0, stderr
    (message,) = sandbox.messages(AST, "max")
    (telegram,) = sandbox.messages(TELEGRAM_CHATS["RU-AST"], "telegram")
    assert "Пережило SIGKILL" in message["text"] and telegram["text"] == message["text"]
    assert "message 1 sent to max chat" in stderr  # debug logging was on; still no secret in it
    for secret in (sandbox.tokens["max"][0], sandbox.tokens["telegram"][0], BEARER):
        assert secret not in stderr


def test_serve_refuses_to_start_without_a_bearer_token(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    config = write_config(tmp_path, sandbox_factory(), bearer=None)
    done = subprocess.run(
        [sys.executable, "-m", "collector", "notify", "serve", "-c", str(config)],
        capture_output=True, text=True, env=clean_env(), timeout=60,
    )
    assert done.returncode == 2 and "notify.bearer_token" in done.stderr
