"""Our exposition against prometheus-client's for the same data, and against promtool's linter.

The reference is built independently from the inputs with prometheus-client's metric families in a
private `CollectorRegistry`; both outputs are parsed by prometheus-client's text and OpenMetrics parsers
and must give equal sets of (name, labels, value) and the same family types.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from collector.models import OK, UNKNOWN_REGION, Category, Channel, Platform, Reason, Sample, SweepResult
from collector.regions import load_regions
from exporters.metric_families import ALL_FAMILIES, API_DURATION_BUCKETS, FamilySpec
from exporters.prometheus import MetricsState, render

PLATFORMS = (Platform.MAX, Platform.VK, Platform.TELEGRAM)
CHANNELS = [
    Channel(
        Platform.MAX, "-1001", "RU-MOW", Category.GOVERNOR, org="Мэрия", title='Мэр "Москвы"\\ и\nобласть'
    ),
    Channel(Platform.MAX, "-1002", UNKNOWN_REGION, Category.UNCLASSIFIED),
    Channel(
        Platform.VK,
        "42",
        "RU-AST",
        Category.REGIONAL_GOVERNMENT,
        org="Правительство",
        link="https://vk.com/club42",
    ),
    Channel(Platform.TELEGRAM, "@komi", "RU-KO", Category.REGIONAL_EXECUTIVE, title="Коми"),
]
SAMPLES = [
    Sample(Platform.MAX, "-1001", 1_764_000_000.25, OK, 50_123),
    Sample(Platform.MAX, "-1002", 1_764_000_001.0, OK, 7, title="Школа №5"),
    Sample(Platform.VK, "42", 1_764_000_002.0, OK, 13_000),
    Sample(Platform.VK, "42", 1_764_000_902.0, Reason.HTTP_5XX.value),
    Sample(Platform.TELEGRAM, "@komi", 1_764_000_003.0, Reason.NOT_FOUND.value),
]
REQUESTS = [(Platform.MAX, "200", 0.031), (Platform.MAX, "200", 2.0), (Platform.VK, "429", 0.004)]
SWEEP = SweepResult(Platform.VK, 0, 1_764_000_000.0, 1_764_000_030.5, tuple(SAMPLES[2:4]))


def build_state() -> MetricsState:
    state = MetricsState(
        regions=load_regions(), shard=1, shards=4, version="0.1.0", platforms=PLATFORMS, sinks=["influxdb"]
    )
    state.set_registry(CHANNELS)
    state.observe(SAMPLES)
    for platform, code, seconds in REQUESTS:
        state.api_request(platform, code, seconds)
    state.throttled(Platform.VK)
    state.ratelimit_wait(Platform.VK, 1.5)
    state.cycle_completed(SWEEP)
    state.sink_points("influxdb", "written", 120)
    state.spool("influxdb", 0, 0.0)
    return state


def gauge(spec: FamilySpec, rows: Iterable[tuple[dict[str, str], float]]) -> Metric:
    family = Metric(spec.name, spec.help, "gauge")
    for labels, value in rows:
        family.add_sample(spec.name, {k: v for k, v in labels.items() if v}, value)
    return family


class ReferenceCollector:
    """DESIGN 4.3 computed the obvious way from the same inputs."""

    def collect(self) -> Iterator[Metric]:
        specs = {spec.name: spec for spec in ALL_FAMILIES}
        registry = {(c.platform.value, c.channel): c for c in CHANNELS}
        good = {(s.platform.value, s.channel): s for s in SAMPLES if s.ok}
        last = {(s.platform.value, s.channel): s for s in SAMPLES}
        yield gauge(
            specs["govpulse_channel_subscribers"],
            [
                (
                    {
                        "platform": p,
                        "channel": c,
                        "region": registry[p, c].region,
                        "category": registry[p, c].category.value,
                    },
                    s.subscribers or 0,
                )
                for (p, c), s in good.items()
            ],
        )
        yield gauge(
            specs["govpulse_channel_last_success_timestamp_seconds"],
            [({"platform": p, "channel": c}, s.observed_at) for (p, c), s in good.items()],
        )
        yield gauge(
            specs["govpulse_channel_info"],
            [
                (
                    {
                        "platform": p,
                        "channel": c,
                        "title": (good.get((p, c)) and good[p, c].title) or ch.title,
                        "org": ch.org,
                        "link": ch.link,
                    },
                    1,
                )
                for (p, c), ch in registry.items()
            ],
        )
        yield gauge(
            specs["govpulse_channel_error"],
            [
                ({"platform": p, "channel": c, "reason": s.status}, 1)
                for (p, c), s in last.items()
                if not s.ok
            ],
        )
        yield from self._regions(specs)
        yield from self._self_metrics(specs)

    @staticmethod
    def _regions(specs: dict[str, FamilySpec]) -> Iterator[Metric]:
        regions = list(load_regions())
        yield gauge(
            specs["govpulse_region_population"],
            [({"region": r.code}, r.population) for r in regions if r.population is not None],
        )
        yield gauge(
            specs["govpulse_region_info"],
            [
                ({"region": r.code, "name": r.name_ru, "federal_district": r.federal_district}, 1)
                for r in regions
            ],
        )

    @staticmethod
    def _self_metrics(specs: dict[str, FamilySpec]) -> Iterator[Metric]:
        platforms = [p.value for p in PLATFORMS]
        yield gauge(specs["govpulse_cycle_duration_seconds"], [({"platform": "vk"}, 30.5)])
        yield gauge(
            specs["govpulse_cycle_last_success_timestamp_seconds"],
            [({"platform": p}, SWEEP.finished_at if p == "vk" else 0) for p in platforms],
        )
        yield gauge(
            specs["govpulse_cycle_channels"],
            [
                ({"platform": p, "outcome": o}, (1 if p == "vk" else 0))
                for p in platforms
                for o in ("ok", "failed")
            ],
        )
        requests = CounterMetricFamily(
            "govpulse_api_requests", specs["govpulse_api_requests"].help, labels=["platform", "code"]
        )
        for p in platforms:
            requests.add_metric([p, "200"], sum(1 for q in REQUESTS if q[0].value == p and q[1] == "200"))
        requests.add_metric(["vk", "429"], 1)
        yield requests
        histogram = HistogramMetricFamily(
            "govpulse_api_request_duration_seconds",
            specs["govpulse_api_request_duration_seconds"].help,
            labels=["platform"],
        )
        for p in platforms:
            seconds = [q[2] for q in REQUESTS if q[0].value == p]
            buckets = [(str(b), sum(1 for s in seconds if s <= b)) for b in API_DURATION_BUCKETS]
            histogram.add_metric([p], [*buckets, ("+Inf", len(seconds))], sum(seconds))
        yield histogram
        for name, values in (
            ("govpulse_api_throttled", {"vk": 1}),
            ("govpulse_ratelimit_wait_seconds", {"vk": 1.5}),
        ):
            counter = CounterMetricFamily(name, specs[name].help, labels=["platform"])
            for p in platforms:
                counter.add_metric([p], values.get(p, 0))
            yield counter
        sink = CounterMetricFamily(
            "govpulse_sink_points", specs["govpulse_sink_points"].help, labels=["sink", "outcome"]
        )
        for outcome in ("written", "spooled", "dropped"):
            sink.add_metric(["influxdb", outcome], 120 if outcome == "written" else 0)
        yield sink
        yield gauge(specs["govpulse_spool_points"], [({"sink": "influxdb"}, 0)])
        yield gauge(specs["govpulse_spool_oldest_age_seconds"], [({"sink": "influxdb"}, 0)])
        yield gauge(
            specs["govpulse_registry_channels"],
            [({"platform": "max"}, 2), ({"platform": "vk"}, 1), ({"platform": "telegram"}, 1)],
        )
        yield GaugeMetricFamily("govpulse_shard_ordinal", specs["govpulse_shard_ordinal"].help, value=1)
        yield GaugeMetricFamily("govpulse_shards", specs["govpulse_shards"].help, value=4)
        yield gauge(specs["govpulse_build_info"], [({"version": "0.1.0"}, 1)])


def reference_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReferenceCollector())
    return registry


def parsed(
    families: Iterable[Metric],
) -> tuple[set[tuple[str, str]], set[tuple[str, frozenset[tuple[str, str]], float]]]:
    families = list(families)
    types = {(f.name, f.type) for f in families}
    samples = {(s.name, frozenset(s.labels.items()), float(s.value)) for f in families for s in f.samples}
    return types, samples


def test_text_format_equals_prometheus_client() -> None:
    ours = parsed(parse_text(render(build_state(), openmetrics=False).decode()))
    theirs = parsed(parse_text(generate_latest(reference_registry()).decode()))
    assert ours == theirs
    assert len(ours[1]) > 150  # regions, channels, histogram buckets: the comparison is not vacuous


def test_openmetrics_equals_prometheus_client() -> None:
    body = render(build_state(), openmetrics=True).decode()
    assert body.endswith("\n# EOF\n")
    ours = parsed(parse_openmetrics(body))  # type: ignore[no-untyped-call]
    reference = generate_openmetrics(reference_registry())  # type: ignore[no-untyped-call]
    theirs = parsed(parse_openmetrics(reference.decode()))  # type: ignore[no-untyped-call]
    assert ours == theirs


def test_output_is_consistent_line_by_line() -> None:
    """Every family has HELP and TYPE before its samples, nothing is timestamped, and names are unique."""
    text = render(build_state(), openmetrics=False).decode()
    seen: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert name not in seen
            seen.add(name)
        elif not line.startswith("#"):
            assert len(line.rsplit("} ", 1)[-1].split(" ")) <= 2  # name/labels and value only, no timestamp
    assert len(seen) == len(ALL_FAMILIES)


def test_promtool_check_metrics_reports_nothing() -> None:
    # DESIGN 4.3 named the shard count govpulse_shard_total, which promtool flags (a gauge ending in
    # _total); the bar is a clean lint, so the gauge is govpulse_shards.
    body = render(build_state(), openmetrics=False)
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=body, capture_output=True, timeout=60, check=False
    )
    findings = {
        line.strip() for line in (result.stdout + result.stderr).decode().splitlines() if line.strip()
    }
    assert findings == set()
