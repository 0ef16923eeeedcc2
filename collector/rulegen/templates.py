"""Go-template fragments for Russian alert annotations (rendered by Prometheus, and by promtool in tests).

They look up live figures with `query`, so a notification names the channel's current count and the
region's Russian name without adding them as alert labels (labels are identity: a changed count must
not make a new alert).
"""

from __future__ import annotations

CHANNEL = "{{ with $labels.title }}«{{ . }}» {{ end }}({{ $labels.platform }}:{{ $labels.channel }})"

REGION = (
    "{{ if $labels.region }}"
    "{{ with printf \"govpulse_region_info{region='%s'}\" $labels.region | query }}"
    '{{ . | first | label "name" }} ({{ $labels.region }})'
    "{{ else }}{{ $labels.region }}{{ end }}"
    "{{ else }}не указан{{ end }}"
)

SUBSCRIBERS_NOW = (
    "{{ with printf \"govpulse_channel_subscribers{platform='%s',channel='%s'}\""
    " $labels.platform $labels.channel | query }}{{ . | first | value | humanize }}"
    "{{ else }}нет данных{{ end }}"
)

VALUE = "{{ $value | humanize }}"
PERCENT = "{{ $value | humanizePercentage }}"
DURATION = "{{ $value | humanizeDuration }}"


def channel_line() -> str:
    """`Канал «Title» (vk:1), регион Name (RU-AST)` as the opening of a description."""
    return f"Канал {CHANNEL}, регион {REGION}"
