"""Write the world as OpenMetrics (for `promtool tsdb create-blocks-from openmetrics`) and as InfluxDB
line protocol in the DESIGN §4.4 schema."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from collector.regions import load_regions
from tests.dashboards import world as w

Labels = tuple[tuple[str, str], ...]


def _labels(labels: Labels) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels)


def _family(
    name: str, kind: str, series: Iterable[tuple[Labels, Iterable[tuple[int, float]]]]
) -> Iterator[str]:
    """One metric family; values in full precision (a 6-digit %g would round Unix timestamps)."""
    yield f"# TYPE {name} {kind}"
    suffix = "_total" if kind == "counter" and not name.endswith("_total") else ""
    for labels, samples in series:
        head = f"{name}{suffix}{{{_labels(labels)}}}"
        for t, value in samples:
            yield f"{head} {value!r} {t}"


def _channel_labels(c: w.Channel) -> Labels:
    return (
        ("job", "govpulse"),
        ("instance", "shard-0"),
        ("platform", c.platform),
        ("channel", c.channel),
        ("region", c.region),
        ("category", c.category),
    )


def _instance(*labels: tuple[str, str]) -> Labels:
    return (("job", "govpulse"), ("instance", "shard-0"), *labels)


def _channel_families() -> Iterator[str]:
    def subs(c: w.Channel) -> Iterator[tuple[int, float]]:
        return ((t, float(w.value_at(c, t) or 0)) for t in w.scrape_times())

    def seen(c: w.Channel) -> Iterator[tuple[int, float]]:
        return ((t, float(w.last_seen(c, t) or 0)) for t in w.scrape_times())

    yield from _family(
        "govpulse_channel_subscribers", "gauge", ((_channel_labels(c), subs(c)) for c in w.CHANNELS)
    )
    yield from _family(
        "govpulse_channel_last_success_timestamp_seconds",
        "gauge",
        ((_instance(("platform", c.platform), ("channel", c.channel)), seen(c)) for c in w.CHANNELS),
    )
    failing = [c for c in w.CHANNELS if c.error_from is not None]
    yield from _family(
        "govpulse_channel_error",
        "gauge",
        (
            (
                _instance(("platform", c.platform), ("channel", c.channel), ("reason", "lost_access")),
                ((t, 1.0) for t in w.scrape_times() if t >= (c.error_from or w.END)),
            )
            for c in failing
        ),
    )
    yield from _family(
        "govpulse_channel_info",
        "gauge",
        (
            (
                _instance(("platform", c.platform), ("channel", c.channel), ("title", f"Канал {c.channel}")),
                ((t, 1.0) for t in w.scrape_times(w.RECENT)),
            )
            for c in w.CHANNELS
        ),
    )


def _region_families() -> Iterator[str]:
    regions = list(load_regions())
    yield from _family(
        "govpulse_region_info",
        "gauge",
        (
            (
                _instance(("region", r.code), ("name", r.name_ru), ("federal_district", r.federal_district)),
                ((t, 1.0) for t in w.scrape_times(w.RECENT)),
            )
            for r in regions
        ),
    )
    yield from _family(
        "govpulse_region_population",
        "gauge",
        (
            (_instance(("region", r.code)), ((t, float(r.population or 0)) for t in w.scrape_times(w.RECENT)))
            for r in regions
            if r.population
        ),
    )


def _collector_families() -> Iterator[str]:
    times = list(w.scrape_times(w.RECENT))
    platforms = ("max", "vk")
    yield from _family(
        "govpulse_cycle_duration_seconds",
        "gauge",
        ((_instance(("platform", p)), ((t, w.cycle_duration(p, t)) for t in times)) for p in platforms),
    )
    yield from _family(
        "govpulse_cycle_last_success_timestamp_seconds",
        "gauge",
        (
            (_instance(("platform", p)), ((t, float(w.cycle_last_success(t))) for t in times))
            for p in platforms
        ),
    )
    yield from _family(
        "govpulse_cycle_channels",
        "gauge",
        (
            (_instance(("platform", p), ("outcome", o)), ((t, w.cycle_outcome(p, o)) for t in times))
            for p in platforms
            for o in ("ok", "failed")
        ),
    )
    by_metric: dict[str, list[tuple[Labels, float]]] = {}
    for (metric, labels), step in w.COUNTER_STEPS.items():
        by_metric.setdefault(metric, []).append((labels, step))
    for metric, series in by_metric.items():
        base = metric.removesuffix("_total")
        yield from _family(
            base,
            "counter",
            ((_instance(*labels), ((t, step * i) for i, t in enumerate(times))) for labels, step in series),
        )
    yield from _family(
        "govpulse_spool_points",
        "gauge",
        [(_instance(("sink", "influxdb")), ((t, w.spool_points(t)) for t in times))],
    )
    yield from _family(
        "govpulse_spool_oldest_age_seconds",
        "gauge",
        [(_instance(("sink", "influxdb")), ((t, w.spool_age(t)) for t in times))],
    )
    yield from _family(
        "govpulse_registry_channels",
        "gauge",
        (
            (
                _instance(("platform", p)),
                ((t, float(sum(c.platform == p for c in w.CHANNELS))) for t in times),
            )
            for p in platforms
        ),
    )
    shards = [(("job", "govpulse"), ("instance", f"shard-{i}")) for i in range(w.SHARDS)]
    yield from _family(
        "govpulse_shard_ordinal",
        "gauge",
        ((labels, ((t, float(i)) for t in times)) for i, labels in enumerate(shards)),
    )
    yield from _family(
        "govpulse_shards",
        "gauge",
        ((labels, ((t, float(w.SHARDS)) for t in times)) for labels in shards),
    )


def _alert_family() -> Iterator[str]:
    series = []
    for name, c, since in w.ALERTS:
        labels = (
            ("alertname", name),
            ("alertstate", "firing"),
            ("platform", c.platform),
            ("channel", c.channel),
            ("severity", "warning"),
        )
        series.append((labels, ((t, 1.0) for t in w.scrape_times(since))))
    yield from _family("ALERTS", "gauge", series)


def write_openmetrics(path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for family in (_channel_families(), _region_families(), _collector_families(), _alert_family()):
            for line in family:
                out.write(line + "\n")
        out.write("# EOF\n")


def _tags(**tags: str) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(tags.items()))


def line_protocol() -> str:
    lines = []
    for c in w.CHANNELS:
        tags = _tags(platform=c.platform, channel=c.channel, region=c.region, category=c.category)
        lines += [f"channel_subscribers,{tags} subscribers={c.value(t)}i {t}" for t in w.sweeps(c)]
    groups = sorted({(c.region, c.platform) for c in w.CHANNELS})
    for t in range(w.RECENT, w.END + 1, w.HOUR):
        for region, platform in groups:
            members = [c for c in w.CHANNELS if (c.region, c.platform) == (region, platform)]
            total = sum(w.value_at(c, t) or 0 for c in members)
            pop = w.population(region)
            lines.append(
                f"region_audience,{_tags(region=region, platform=platform)} subscribers={total}i,"
                f"channels={len(members)}i,population={pop}i,per_1000={total * 1000 / pop!r} {t}"
            )
        for platform in ("max", "vk"):
            ok, failed = int(w.cycle_outcome(platform, "ok")), int(w.cycle_outcome(platform, "failed"))
            lines.append(
                f"collector_cycle,{_tags(platform=platform, shard='0')} "
                f"duration_seconds={w.cycle_duration(platform, t)!r},"
                f"channels_ok={ok}i,channels_failed={failed}i {t}"
            )
    for c, t, text in w.EVENTS:
        tags = _tags(platform=c.platform, channel=c.channel, region=c.region)
        lines.append(f'events,{tags} text="{text}" {t}')
    return "\n".join(lines) + "\n"
