"""The notification relay (`govpulse notify serve`): Alertmanager and Grafana webhooks → Max, Telegram chats.

Modules by concern: payloads (webhook JSON → Alert), routing (alert → configured chats), format (Russian
text, split to the platform's limit), outbox (durable SQLite queue and deduplication), intake (webhook →
outbox), senders (Max and Telegram clients), pacing and delivery (the sender loop), server (aiohttp),
settings (configuration) and service (assembly).
"""

from exporters.relay.service import Relay, run_relay
from exporters.relay.settings import RelayConfig, RelayConfigError, relay_config

__all__ = ["Relay", "RelayConfig", "RelayConfigError", "relay_config", "run_relay"]
