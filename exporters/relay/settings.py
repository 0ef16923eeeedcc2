"""The relay's configuration, taken from `Settings.notify` and the platforms' base URLs and tokens.

A platform sends when it has a token (`platforms.<p>.tokens`, the first is used) and a chat mapping
(`notify.max_chat_ids` / `notify.telegram_chat_ids`); `platforms.<p>.enabled` is about collection and is
not consulted. Tuning that has no configuration key yet lives in `DeliveryOptions` and `dedup_window_seconds`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from collector.config import PlatformSettings, Settings
from collector.logsetup import register_secret
from collector.models import Platform
from exporters.relay.delivery import DeliveryOptions

log = logging.getLogger(__name__)

SENDING_PLATFORMS = (Platform.MAX, Platform.TELEGRAM)
DEFAULT_DEDUP_WINDOW_SECONDS = 3600.0


class RelayConfigError(ValueError):
    """The configuration cannot run a relay (the message names the key)."""


@dataclass(frozen=True, slots=True)
class PlatformTarget:
    settings: PlatformSettings
    token: str
    chats: dict[str, str]


@dataclass(frozen=True, slots=True)
class RelayConfig:
    host: str
    port: int
    bearer_token: str
    outbox_path: Path
    dashboard_url: str = ""
    targets: dict[Platform, PlatformTarget] = field(default_factory=dict)
    dedup_window_seconds: float = DEFAULT_DEDUP_WINDOW_SECONDS
    delivery: DeliveryOptions = field(default_factory=DeliveryOptions)


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not port.isdigit() or int(port) > 65535:
        raise RelayConfigError(f"listen address {address!r}: expected HOST:PORT")
    return host.strip("[]") or "0.0.0.0", int(port)


def relay_config(settings: Settings, *, listen_address: str | None = None) -> RelayConfig:
    notify = settings.notify
    if notify.bearer_token is None or not notify.bearer_token.get_secret_value():
        raise RelayConfigError("notify.bearer_token: required, the relay accepts no unauthenticated webhook")
    bearer = notify.bearer_token.get_secret_value()
    register_secret(bearer)
    host, port = split_address(listen_address or notify.listen_address)
    mappings = {
        Platform.MAX: {k: str(v) for k, v in notify.max_chat_ids.items()},
        Platform.TELEGRAM: dict(notify.telegram_chat_ids),
    }
    targets = {}
    for platform in SENDING_PLATFORMS:
        platform_settings = settings.platforms.get(platform)
        target = _target(platform, platform_settings, mappings[platform])
        if target is not None:
            targets[platform] = target
    if not targets:
        raise RelayConfigError(
            "notify: no platform can send; configure notify.max_chat_ids with platforms.max.tokens "
            "and/or notify.telegram_chat_ids with platforms.telegram.tokens"
        )
    return RelayConfig(host, port, bearer, notify.outbox_path, notify.dashboard_url, targets)


def _target(platform: Platform, settings: PlatformSettings, chats: dict[str, str]) -> PlatformTarget | None:
    if not chats:
        return None
    if not settings.tokens:
        log.warning(
            "notify relay: %s chats are configured but platforms.%s.tokens is empty; not sending",
            platform.value,
            platform.value,
        )
        return None
    token = settings.tokens[0].get_secret_value()
    register_secret(token)
    return PlatformTarget(settings, token, chats)
