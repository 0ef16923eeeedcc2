"""MetricsState behaviour, read back through prometheus-client's own parser."""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from collector.models import OK, UNKNOWN_REGION, Category, Channel, Platform, Reason, Sample, SweepResult
from collector.regions import load_regions
from exporters.prometheus import API_DURATION_BUCKETS, MetricsState, render

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]

MOW = Channel(Platform.MAX, "-1001", "RU-MOW", Category.GOVERNOR, org="Мэрия", title="Мэр Москвы")
AST = Channel(Platform.VK, "42", "RU-AST", Category.REGIONAL_GOVERNMENT, org="Правительство")
FOUND = Channel(Platform.MAX, "-2002", UNKNOWN_REGION, Category.UNCLASSIFIED)


def series(state: MetricsState) -> Series:
    text = render(state, openmetrics=False).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def named(state: MetricsState, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: value for (n, labels), value in series(state).items() if n == name}


def labels(**kv: str) -> frozenset[tuple[str, str]]:
    return frozenset(kv.items())


def new_state(**kwargs: object) -> MetricsState:
    options: dict[str, object] = {"version": "1.2.3", "platforms": [Platform.MAX, Platform.VK]}
    options.update(kwargs)
    return MetricsState(regions=load_regions(), **options)  # type: ignore[arg-type]


def ok(channel: Channel, count: int, at: float = 1_700_000_000.5, **extra: str) -> Sample:
    return Sample(channel.platform, channel.channel, at, OK, count, **extra)


def failed(channel: Channel, reason: Reason, at: float = 1_700_000_100.0) -> Sample:
    return Sample(channel.platform, channel.channel, at, reason.value)


def test_ok_sample_sets_count_and_last_success() -> None:
    state = new_state()
    state.set_registry([MOW, AST])
    state.observe([ok(MOW, 50_000)])
    assert named(state, "govpulse_channel_subscribers") == {
        labels(platform="max", channel="-1001", region="RU-MOW", category="governor"): 50_000
    }
    assert named(state, "govpulse_channel_last_success_timestamp_seconds") == {
        labels(platform="max", channel="-1001"): 1_700_000_000.5
    }


def test_failure_keeps_last_good_count_and_success_clears_error() -> None:
    state = new_state()
    state.set_registry([MOW])
    state.observe([ok(MOW, 100)])
    state.observe([failed(MOW, Reason.RATE_LIMITED)])
    assert named(state, "govpulse_channel_error") == {
        labels(platform="max", channel="-1001", reason="rate_limited"): 1
    }
    assert list(named(state, "govpulse_channel_subscribers").values()) == [100]
    assert list(named(state, "govpulse_channel_last_success_timestamp_seconds").values()) == [1_700_000_000.5]
    state.observe([ok(MOW, 120, at=1_700_000_200.0)])
    assert named(state, "govpulse_channel_error") == {}
    assert list(named(state, "govpulse_channel_subscribers").values()) == [120]


def test_failure_before_any_success_exposes_only_the_error() -> None:
    state = new_state()
    state.set_registry([AST])
    state.observe([failed(AST, Reason.NOT_FOUND)])
    assert named(state, "govpulse_channel_subscribers") == {}
    assert named(state, "govpulse_channel_error") == {
        labels(platform="vk", channel="42", reason="not_found"): 1
    }


def test_channel_leaving_registry_leaves_every_family() -> None:
    state = new_state()
    state.set_registry([MOW, AST])
    state.observe([ok(MOW, 1), failed(AST, Reason.AUTH)])
    state.set_registry([MOW])
    assert not [key for key in series(state) if ("channel", "42") in key[1]]
    assert named(state, "govpulse_registry_channels") == {labels(platform="max"): 1, labels(platform="vk"): 0}
    state.observe([ok(AST, 5)])  # a late sample of a removed channel does not bring it back
    assert not [key for key in series(state) if ("channel", "42") in key[1]]


def test_registry_change_relabels_with_the_kept_value() -> None:
    state = new_state()
    state.set_registry([FOUND])
    state.observe([ok(FOUND, 77)])
    classified = Channel(Platform.MAX, "-2002", "RU-KDA", Category.SCHOOL, org="Школа №1")
    state.set_registry([classified])
    assert named(state, "govpulse_channel_subscribers") == {
        labels(platform="max", channel="-2002", region="RU-KDA", category="school"): 77
    }
    assert named(state, "govpulse_channel_info") == {
        labels(platform="max", channel="-2002", org="Школа №1"): 1
    }


def test_discovered_unclassified_channel_is_exposed() -> None:
    state = new_state()
    state.set_registry([FOUND])
    state.observe([ok(FOUND, 3)])
    assert named(state, "govpulse_channel_subscribers") == {
        labels(platform="max", channel="-2002", region="unknown", category="unclassified"): 3
    }


def test_info_drops_empty_labels_and_takes_title_from_platform() -> None:
    state = new_state()
    state.set_registry([MOW, AST])
    assert named(state, "govpulse_channel_info") == {
        labels(platform="max", channel="-1001", title="Мэр Москвы", org="Мэрия"): 1,
        labels(platform="vk", channel="42", org="Правительство"): 1,
    }
    state.observe([ok(AST, 10, title="Правительство Астраханской области", link="https://vk.com/club42")])
    state.set_registry([MOW, AST])  # a reload of the same registry keeps what the platform reported
    assert labels(
        platform="vk",
        channel="42",
        org="Правительство",
        title="Правительство Астраханской области",
        link="https://vk.com/club42",
    ) in named(state, "govpulse_channel_info")


def test_regions_without_population_are_left_out() -> None:
    state = new_state()
    population = named(state, "govpulse_region_population")
    regions = list(load_regions())
    assert len(population) == sum(1 for r in regions if r.population is not None) < len(regions)
    assert labels(region="RU-DPR") not in population and 0 not in population.values()
    assert (
        named(state, "govpulse_region_population")[labels(region="RU-AST")]
        == load_regions()["RU-AST"].population
    )
    info = named(state, "govpulse_region_info")
    assert len(info) == len(regions)
    assert labels(region="RU-AST", name="Астраханская область", federal_district="Южный") in info


def test_self_metrics_exist_at_zero_from_start() -> None:
    found = series(new_state(shard=2, shards=3, sinks=["influxdb"]))
    for platform in ("max", "vk"):
        assert found[("govpulse_api_requests_total", labels(platform=platform, code="200"))] == 0
        assert found[("govpulse_api_throttled_total", labels(platform=platform))] == 0
        assert found[("govpulse_ratelimit_wait_seconds_total", labels(platform=platform))] == 0
        assert found[("govpulse_api_request_duration_seconds_count", labels(platform=platform))] == 0
        assert found[("govpulse_cycle_channels", labels(platform=platform, outcome="failed"))] == 0
        assert found[("govpulse_cycle_last_success_timestamp_seconds", labels(platform=platform))] == 0
    for outcome in ("written", "spooled", "dropped"):
        assert found[("govpulse_sink_points_total", labels(sink="influxdb", outcome=outcome))] == 0
    assert found[("govpulse_shard_ordinal", frozenset())] == 2
    assert found[("govpulse_shards", frozenset())] == 3
    assert found[("govpulse_build_info", labels(version="1.2.3"))] == 1
    assert not [name for name, _ in found if name == "govpulse_cycle_duration_seconds"]


def test_cycle_and_counters() -> None:
    state = new_state()
    sweep = SweepResult(Platform.VK, 0, 100.0, 112.5, (ok(AST, 1), failed(MOW, Reason.TIMEOUT)))
    state.cycle_completed(sweep)
    state.throttled(Platform.VK)
    state.throttled(Platform.VK)
    state.ratelimit_wait(Platform.VK, 0.25)
    state.sink_points("influxdb", "spooled", 40)
    state.spool("influxdb", 40, 12.5)
    found = series(state)
    assert found[("govpulse_cycle_duration_seconds", labels(platform="vk"))] == 12.5
    assert found[("govpulse_cycle_channels", labels(platform="vk", outcome="ok"))] == 1
    assert found[("govpulse_cycle_channels", labels(platform="vk", outcome="failed"))] == 1
    assert found[("govpulse_cycle_last_success_timestamp_seconds", labels(platform="vk"))] == 112.5
    assert found[("govpulse_api_throttled_total", labels(platform="vk"))] == 2
    assert found[("govpulse_ratelimit_wait_seconds_total", labels(platform="vk"))] == 0.25
    assert found[("govpulse_sink_points_total", labels(sink="influxdb", outcome="spooled"))] == 40
    assert found[("govpulse_spool_points", labels(sink="influxdb"))] == 40
    assert found[("govpulse_spool_oldest_age_seconds", labels(sink="influxdb"))] == 12.5


def test_sweep_where_everything_failed_is_not_a_success() -> None:
    state = new_state()
    state.cycle_completed(SweepResult(Platform.MAX, 0, 10.0, 20.0, (failed(MOW, Reason.AUTH),)))
    assert named(state, "govpulse_cycle_last_success_timestamp_seconds")[labels(platform="max")] == 0


def test_histogram_is_cumulative_with_inclusive_bounds() -> None:
    state = new_state()
    for seconds in (0.005, 0.2, 0.2, 31.0):
        state.api_request(Platform.MAX, "200", seconds)
    state.api_request(Platform.MAX, "429", 0.01)
    buckets = {
        dict(k)["le"]: v
        for k, v in named(state, "govpulse_api_request_duration_seconds_bucket").items()
        if ("platform", "max") in k
    }
    assert buckets["0.005"] == 1 and buckets["0.1"] == 2 and buckets["0.25"] == 4
    assert buckets["30.0"] == 4 and buckets["+Inf"] == 5
    assert len(buckets) == len(API_DURATION_BUCKETS) + 1
    found = series(state)
    assert found[("govpulse_api_request_duration_seconds_count", labels(platform="max"))] == 5
    assert math.isclose(found[("govpulse_api_request_duration_seconds_sum", labels(platform="max"))], 31.415)
    assert found[("govpulse_api_requests_total", labels(platform="max", code="429"))] == 1


def test_invalid_samples_are_reported_after_valid_ones_apply() -> None:
    state = new_state()
    state.set_registry([MOW, AST])
    bad_reason = Sample(Platform.VK, "42", 1.0, "exploded")
    no_count = Sample(Platform.MAX, "-1001", 1.0, OK)
    with pytest.raises(ValueError, match="2 invalid sample"):
        state.observe([bad_reason, ok(AST, 9), no_count])
    assert list(named(state, "govpulse_channel_subscribers").values()) == [9]


def test_invalid_arguments_are_refused() -> None:
    state = new_state()
    with pytest.raises(ValueError):
        state.ratelimit_wait(Platform.MAX, -1.0)
    with pytest.raises(ValueError):
        state.sink_points("influxdb", "lost", 1)
    with pytest.raises(ValueError):
        new_state(shard=3, shards=3)


_SHARED = new_state(platforms=[])


@given(st.text(min_size=1, max_size=40))
def test_any_title_round_trips_through_the_parser(title: str) -> None:
    state = _SHARED
    state.set_registry([Channel(Platform.TELEGRAM, "@chan", "RU-MOW", Category.OTHER, title=title)])
    expected = title.encode("utf-8", "replace").decode()  # lone surrogates cannot be sent
    assert named(state, "govpulse_channel_info") == {
        labels(platform="telegram", channel="@chan", title=expected): 1
    }


def test_scrapes_see_each_observed_batch_whole() -> None:
    state = new_state()
    registry = [Channel(Platform.VK, str(n), "RU-AST", Category.SCHOOL) for n in range(300)]
    state.set_registry(registry)
    state.observe([ok(c, 0) for c in registry])

    def writer() -> None:
        for round_ in range(1, 150):
            state.observe([ok(c, round_) for c in registry])

    thread = threading.Thread(target=writer)
    thread.start()
    seen = []
    for _ in range(30):
        values = set(named(state, "govpulse_channel_subscribers").values())
        assert len(values) == 1  # never half of one batch and half of another
        seen.append(values.pop())
    thread.join(timeout=60)
    assert seen == sorted(seen) and named(state, "govpulse_channel_subscribers") and not thread.is_alive()
