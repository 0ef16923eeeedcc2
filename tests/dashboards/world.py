"""A small synthetic world with known behaviour, and the data both backends receive from it.

Eight channels in three regions (two federal districts), two platforms, 38 days of hourly sweeps ending
at END. Each channel does one thing: grows, spikes, stalls, declines, drops, goes stale, loses access.
Prometheus sees what the collector exports, scraped every 5 minutes (the last observed count held
between sweeps); InfluxDB gets one point per sweep (DESIGN §4.4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from collector.regions import load_regions

HOUR, DAY = 3600, 86400
END = 1764547200  # 2025-12-01T00:00:00Z, a Monday midnight
START = END - 38 * DAY
SCRAPE = 300
RECENT = END - 8 * DAY  # collector metrics and region aggregates start here


@dataclass(frozen=True)
class Channel:
    platform: str
    channel: str
    region: str
    category: str
    value: Callable[[int], int]  # subscribers observed at sweep time t
    last_sweep: int = END  # observations stop after this time (stale, lost access)
    error_from: int | None = None  # govpulse_channel_error{reason="lost_access"} from this time on

    @property
    def key(self) -> tuple[str, str]:
        return self.platform, self.channel


def _hours(t: int) -> int:
    return (t - START) // HOUR


def _spike(t: int) -> int:
    return 2000 + _hours(t) + (3000 if t >= END - 12 * HOUR else 0)


def _stalled(t: int) -> int:
    return 800 + min(_hours(t), _hours(END - 10 * DAY))


def _declining(t: int) -> int:
    return 3000 + min(_hours(t), 0) - max(0, (t - (END - 8 * DAY)) // HOUR)


def _dropped(t: int) -> int:
    return (1500 + _hours(t) // 2) * (6 if t >= END - 6 * HOUR else 10) // 10


CHANNELS = (
    Channel("max", "-1001", "RU-MOW", "governor", lambda t: 5000 + 2 * _hours(t)),
    Channel("max", "-1002", "RU-MOW", "regional_government", _spike),
    Channel("vk", "2001", "RU-MOW", "municipality", _stalled),
    Channel("max", "-1003", "RU-KRS", "governor", _declining),
    Channel("vk", "2002", "RU-KRS", "regional_government", _dropped),
    Channel("max", "-1004", "RU-AST", "governor", lambda t: 700 + 3 * _hours(t), last_sweep=END - 5 * HOUR),
    Channel(
        "vk",
        "2003",
        "RU-AST",
        "regional_government",
        lambda t: 400 + _hours(t),
        last_sweep=END - 2 * HOUR,
        error_from=END - 2 * HOUR + 1,
    ),
    Channel("vk", "2004", "RU-AST", "municipality", lambda t: 90 + _hours(t)),
)
ALERTS = (  # (alertname, channel, firing from): what Prometheus would have recorded
    ("GovpulseChannelSpike", CHANNELS[1], END - 11 * HOUR),
    ("GovpulseChannelLostAccess", CHANNELS[6], END - HOUR),
)
EVENTS = (
    (CHANNELS[1], END - 12 * HOUR, "Рекламная кампания"),
    (CHANNELS[6], END - 2 * HOUR, "Бот удалён из канала"),
)
SHARDS = 2


def sweeps(channel: Channel) -> list[int]:
    return list(range(START, channel.last_sweep + 1, HOUR))


def value_at(channel: Channel, t: int) -> int | None:
    """The last count observed at or before t (what the exporter shows at t)."""
    seen = last_seen(channel, t)
    return None if seen is None else channel.value(seen)


def last_seen(channel: Channel, t: int) -> int | None:
    if t < START:
        return None
    return min(START + (t - START) // HOUR * HOUR, channel.last_sweep)


def population(region: str) -> int:
    value = load_regions()[region].population
    assert value is not None
    return value


# --- collector self-metrics: simple known functions of time ---------------------------------------


def cycle_duration(platform: str, t: int) -> float:
    return (120.0 if platform == "max" else 300.0) + (t // HOUR) % 3 * 10


def cycle_last_success(t: int) -> int:
    return (t - 200) // HOUR * HOUR + 200


COUNTER_STEPS = {  # per scrape increments: (metric, labels) -> increment
    ("govpulse_api_requests_total", (("platform", "max"), ("code", "200"))): 30.0,
    ("govpulse_api_requests_total", (("platform", "vk"), ("code", "200"))): 12.0,
    ("govpulse_api_requests_total", (("platform", "vk"), ("code", "429"))): 1.0,
    ("govpulse_api_throttled_total", (("platform", "max"),)): 0.0,
    ("govpulse_api_throttled_total", (("platform", "vk"),)): 1.0,
    ("govpulse_ratelimit_wait_seconds_total", (("platform", "max"),)): 6.0,
    ("govpulse_ratelimit_wait_seconds_total", (("platform", "vk"),)): 30.0,
    ("govpulse_sink_points_total", (("sink", "influxdb"), ("outcome", "written"))): 9.0,
    ("govpulse_sink_points_total", (("sink", "influxdb"), ("outcome", "spooled"))): 3.0,
}


def spool_points(t: int) -> float:
    return float((t // SCRAPE) % 7)


def spool_age(t: int) -> float:
    return float((t // SCRAPE) % 5 * 60)


def cycle_outcome(platform: str, outcome: str) -> float:
    count = sum(c.platform == platform for c in CHANNELS)
    failed = 1.0 if platform == "vk" else 0.0
    return failed if outcome == "failed" else count - failed


def scrape_times(since: int = START) -> Iterator[int]:
    return iter(range(since, END + 1, SCRAPE))
