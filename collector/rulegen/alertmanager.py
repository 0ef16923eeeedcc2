"""Alertmanager configuration generated from NotifySettings: one receiver per region chat, plus operators.

Relay contract (the relay is `govpulse notify serve`):
  POST {relay}/alertmanager?region=<key>  with the standard Alertmanager webhook JSON (version "4"),
  header `Authorization: Bearer <token>` (the token file holds NotifySettings.bearer_token).
  <key> is a key of NotifySettings.max_chat_ids / telegram_chat_ids: a region code, or "default" for the
  operators. The relay maps the key to chat ids from its own configuration (chat ids never appear here);
  an unknown key falls back to "default". It answers 2xx once the message is stored in its outbox, so
  Alertmanager retries only what was not accepted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from collector.config import NotifySettings

OPERATORS = "operators"
DEFAULT_KEY = "default"
TOKEN_FILE = "/etc/govpulse/notify-bearer-token"

# Trend alerts a lower-level explanation makes redundant.
_TRENDS = "GovpulseChannelStalled|GovpulseChannelDeclining|GovpulseChannelFlatlineAfterPush"
_CHANNEL_TRENDS = f"{_TRENDS}|GovpulseChannelSuddenDrop|GovpulseChannelSpike"


def relay_base_url(notify: NotifySettings) -> str:
    """The relay as Alertmanager reaches it: a wildcard listen address is reached over loopback."""
    host, _, port = notify.listen_address.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}/alertmanager"


def _receiver(name: str, key: str, base_url: str, token_file: str | None) -> dict[str, Any]:
    webhook: dict[str, Any] = {"url": f"{base_url}?region={quote(key)}", "send_resolved": True}
    if token_file is not None:
        webhook["http_config"] = {"authorization": {"type": "Bearer", "credentials_file": token_file}}
    webhook["max_alerts"] = 50
    return {"name": name, "webhook_configs": [webhook]}


def region_keys(notify: NotifySettings) -> list[str]:
    """Regions that have a chat of their own, in a stable order."""
    keys = set(notify.max_chat_ids) | set(notify.telegram_chat_ids)
    return sorted(keys - {DEFAULT_KEY})


def inhibit_rules() -> list[dict[str, Any]]:
    def rule(source: str, target: str, equal: list[str]) -> dict[str, Any]:
        return {"source_matchers": [source], "target_matchers": [target], "equal": equal}

    return [
        # A collector that is down explains every silence and flat line of its channels.
        rule('alertname="GovpulseCollectorDown"', 'component="channel"', ["job", "instance"]),
        rule('alertname="GovpulseCollectorAbsent"', 'component="channel"', []),
        rule('alertname="GovpulseSweepFailing"', 'alertname="GovpulseChannelStale"', ["platform"]),
        rule(
            'alertname=~"GovpulseChannelStale|GovpulseChannelLostAccess"',
            f'alertname=~"{_CHANNEL_TRENDS}"',
            ["platform", "channel"],
        ),
        rule(
            'alertname="GovpulseChannelLostAccess"',
            'alertname="GovpulseChannelStale"',
            ["platform", "channel"],
        ),
        rule(
            'alertname=~"GovpulseChannelDeclining|GovpulseChannelFlatlineAfterPush"',
            'alertname="GovpulseChannelStalled"',
            ["platform", "channel"],
        ),
        rule('alertname="GovpulseMassDrop"', 'alertname="GovpulseChannelSuddenDrop"', ["platform"]),
        # Warning/critical pairs under one name: the critical one is enough.
        rule('severity="critical"', 'severity="warning"', ["alertname", "job", "instance", "sink"]),
    ]


def build_alertmanager(notify: NotifySettings, *, token_file: str = TOKEN_FILE) -> dict[str, Any]:
    """The whole alertmanager.yml as a document."""
    base = relay_base_url(notify)
    token = token_file if notify.bearer_token is not None else None
    regions = region_keys(notify)
    routes: list[dict[str, Any]] = [
        {"receiver": OPERATORS, "matchers": ['component="pipeline"'], "group_by": ["alertname", "platform"]},
    ]
    routes += [{"receiver": f"region-{code}", "matchers": [f'region="{code}"']} for code in regions]
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": OPERATORS,
            "group_by": ["region", "alertname"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "12h",
            "routes": routes,
        },
        "inhibit_rules": inhibit_rules(),
        "receivers": [
            _receiver(OPERATORS, DEFAULT_KEY, base, token),
            *(_receiver(f"region-{code}", code, base, token) for code in regions),
        ],
    }
