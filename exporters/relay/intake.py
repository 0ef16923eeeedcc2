"""From an accepted webhook to messages in the outbox: route, drop repeats, format, store atomically."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC

from collector.models import Platform
from exporters.relay.format import Formatter
from exporters.relay.outbox import Outbox
from exporters.relay.payloads import Alert, Webhook
from exporters.relay.routing import Destination, Router


@dataclass(frozen=True, slots=True)
class IntakeResult:
    alerts: int  # alerts in the webhook
    messages: int  # messages added to the outbox
    duplicates: int  # (alert, chat) pairs already accepted within the deduplication window
    undeliverable: tuple[str, ...]  # region keys (or "") of alerts no configured chat takes

    def as_dict(self) -> dict[str, object]:
        return {
            "alerts": self.alerts,
            "messages": self.messages,
            "duplicates": self.duplicates,
            "undeliverable": len(self.undeliverable),
        }


class Intake:
    def __init__(
        self, *, router: Router, formatter: Formatter, outbox: Outbox, text_limits: Mapping[Platform, int]
    ) -> None:
        self.router, self.formatter, self.outbox = router, formatter, outbox
        self.text_limits = dict(text_limits)

    def accept(self, webhook: Webhook, requested: str | None) -> IntakeResult:
        """Store the webhook's messages durably; blocking (SQLite + fsync), run it in a worker thread."""
        routed: dict[Destination, list[Alert]] = defaultdict(list)
        undeliverable = []
        for alert in webhook.alerts:
            region = alert.labels.get("region")
            destinations = self.router.resolve(requested, region)
            if not destinations:
                undeliverable.append(requested or region or "")
            for destination in destinations:
                routed[destination].append(alert)
        messages = duplicates = 0
        with self.outbox.batch() as batch:
            for destination in sorted(routed):
                keyed = {dedup_key(destination, alert): alert for alert in routed[destination]}
                fresh = batch.fresh(keyed)
                duplicates += len(routed[destination]) - len(fresh)
                kept = [alert for key, alert in keyed.items() if key in fresh]
                if not kept:
                    continue
                limit = self.text_limits[destination.platform]
                for text in self.formatter.messages(kept, limit, webhook.truncated_alerts):
                    batch.add(destination.platform.value, destination.chat_id, text)
                    messages += 1
        return IntakeResult(len(webhook.alerts), messages, duplicates, tuple(undeliverable))


def dedup_key(destination: Destination, alert: Alert) -> str:
    """Same alert, same state, same episode, same chat: firing → resolved (or a new start) is new."""
    started = alert.starts_at.astimezone(UTC).isoformat()
    parts = (destination.platform.value, destination.chat_id, alert.fingerprint, alert.status, started)
    return "|".join(parts)
