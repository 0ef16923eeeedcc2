"""The alert path for real: sandbox → govpulse → Prometheus rules → Alertmanager → relay → a Max chat.

The stack from deploy/local/stack runs with time compressed through the thresholds: rules generated from a
DetectionSettings whose windows are seconds (30 s "stall" window, judged after 20 s of history), sweeps every
2 s, Prometheus scraping and evaluating every second, Alertmanager grouping within 1–2 s.

The channel: a Max channel of the sandbox world that is exactly flat for days before a mandated drive or an
inflation spike starts (its closed-form count is checked here, with the world the sandbox builds). It stalls
for real: the platform reports the same count on every sweep, so GovpulseChannelStalled fires and the message
reaches the chat of the channel's region. Then the sandbox's clock moves on to the start of the drive: the
platform reports growth again, the alert resolves, and the resolution reaches the chat too. (A
Behaviour.STALLED channel would do for the first half, but it never grows again, so it cannot resolve.)
A steadily growing VK community in the same registry is the control: it must never alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.models import Platform
from collector.registry import write_csv
from collector.sandbox.clock import iso
from collector.sandbox.model import Behaviour, SimChannel
from collector.sandbox.world import World
from tests.e2e.localstack import RunningStack, get_json, local_stack, promql, stack_module, wait_for
from tests.support.process import http_client

pytestmark = [pytest.mark.servers, pytest.mark.slow]

DAY = 86400.0
WORLD_CHANNELS = 1000
SPEED = 3600.0  # one simulated hour per second: the control channel gains subscribers every few seconds
FLAT_BEFORE_REAL_S = 110.0  # the stalled channel stays flat this long unless the clock is moved on
WINDOW_S = 30.0
MIN_AGE_S = 20.0
REGION_CHAT = -70000000000777
DEFAULT_CHAT = -70000000000001


@dataclass(frozen=True)
class Scenario:
    world: World
    stalled: SimChannel
    control: SimChannel
    start: float  # the sandbox's simulated moment at `stack up`

    @property
    def drive_starts(self) -> float:
        return self.stalled.change_at


def flat(world: World, ch: SimChannel, begin: float, end: float, step: float = 60.0) -> bool:
    first = world.count(ch, begin)
    return all(world.count(ch, begin + k * step) == first for k in range(int((end - begin) / step) + 1))


def grows_on(world: World, ch: SimChannel, begin: float, end: float) -> bool:
    """The count rises over every MIN_AGE_S - 2 real seconds at SPEED: every window the rule judges (at least
    MIN_AGE_S of history) sees growth, even across a simulated midnight where the daily noise steps down."""
    gap, step = (MIN_AGE_S - 2) * SPEED, 600.0
    return all(
        world.count(ch, begin + k * step + gap) > world.count(ch, begin + k * step)
        for k in range(int((end - begin) / step) + 1)
    )


def stalled_candidates(world: World) -> Iterator[tuple[SimChannel, float]]:
    """Max channels flat for FLAT_BEFORE_REAL_S (at SPEED) before a drive/spike that lifts them at once."""
    flat_s = FLAT_BEFORE_REAL_S * SPEED
    for ch in world.channels[Platform.MAX]:
        if ch.behaviour not in (Behaviour.DRIVE, Behaviour.SPIKE) or ch.created >= world.spec.start:
            continue
        start, level = ch.change_at - flat_s, world.count(ch, ch.change_at - 1)
        if (
            level >= 5
            and flat(world, ch, start, ch.change_at - 1)
            and world.count(ch, ch.change_at + 3 * SPEED) > level
        ):
            yield ch, start


def pick_control(world: World, stalled: SimChannel, start: float) -> SimChannel:
    """A growing VK community of another region (VK governors gain hundreds a day) that grows through both
    phases and whose audience the clock's move forward changes by under 5 % (no spike)."""
    end = stalled.change_at + 120 * SPEED
    for ch in world.channels[Platform.VK]:
        if (
            ch.behaviour is Behaviour.GROWING
            and ch.created < world.spec.start
            and ch.region != stalled.region
            and world.count(ch, stalled.change_at) < 1.05 * world.count(ch, start)
            and grows_on(world, ch, start, start + 150 * SPEED)
            and grows_on(world, ch, stalled.change_at - 10 * SPEED, end)
        ):
            return ch
    raise AssertionError("the world has no growing control channel")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    world = World.build(stack_module().world_spec(WORLD_CHANNELS))
    # The longest drive/spike keeps the channel growing longest after the clock is moved on.
    stalled, start = max(stalled_candidates(world), key=lambda pair: pair[0].window)
    return Scenario(world, stalled, pick_control(world, stalled, start), start)


def write_inputs(scenario: Scenario, directory: Path) -> tuple[Path, Path]:
    registry = directory / "channels.csv"
    keys = {scenario.stalled.key, scenario.control.key}
    rows = [c for c in scenario.world.registry(scenario.start) if c.channel in keys]
    with registry.open("w", encoding="utf-8") as out:
        write_csv(rows, out)
    overlay = directory / "overlay.yaml"
    overlay.write_text(yaml.safe_dump(compressed_config(scenario.stalled.region)), encoding="utf-8")
    return registry, overlay


def compressed_config(region: str) -> dict[str, Any]:
    """Detection windows of seconds (in days, as the configuration takes them) and 2-second sweeps."""
    window = WINDOW_S / DAY
    return {
        "platforms": {
            "max": {"interval_seconds": 2},
            "vk": {"interval_seconds": 2},
            "telegram": {"enabled": False},
        },
        "detection": {
            "stalled_window_days": window,
            "min_age_days": MIN_AGE_S / DAY,
            "declining_window_days": window,
            "drop_window_days": window,
            "spike_window_days": window,
            "spike_baseline_days": 2 * window,
            "flatline_after_push_days": window,
            "stale_after_sweeps": 10,
        },
        "notify": {"max_chat_ids": {"default": DEFAULT_CHAT, region: REGION_CHAT}},
    }


def chat(stack: RunningStack, chat_id: int) -> list[str]:
    return [m["text"] for m in get_json(f"{stack.urls['sandbox']}/sandbox/messages", chat_id=str(chat_id))]


def message(stack: RunningStack, chat_id: int, *needles: str) -> str | None:
    return next((text for text in chat(stack, chat_id) if all(n in text for n in needles)), None)


def alerts_for(stack: RunningStack, channel: str) -> list[dict[str, Any]]:
    """Every alert state Prometheus recorded for the channel in the last 10 minutes (pending included)."""
    return promql(stack.urls["prometheus"], f'count_over_time(ALERTS{{channel="{channel}"}}[10m])')


def test_a_stalled_channel_reaches_the_regions_max_chat_and_so_does_its_resolution(
    scenario: Scenario, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    x, control = scenario.stalled, scenario.control
    registry, overlay = write_inputs(scenario, tmp_path)
    args = ["--channels", str(WORLD_CHANNELS), "--speed", str(SPEED), "--now", iso(scenario.start)]
    args += ["--interval", "2", "--registry", str(registry), "--config-overlay", str(overlay)]
    args += ["--scrape-interval", "1s", "--evaluation-interval", "1s"]
    args += ["--group-wait", "1s", "--group-interval", "2s", "--repeat-interval", "1h"]
    with local_stack(tmp_path / "stack", args, request) as stack:
        rules = yaml.safe_load(
            (stack.directory / "rules" / "govpulse.alerts.yaml").read_text(encoding="utf-8")
        )
        stalled_rule = next(
            r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "GovpulseChannelStalled"
        )
        assert (
            "delta(govpulse_channel_subscribers[30s])" in stalled_rule["expr"] and stalled_rule["for"] == "2s"
        )

        fired = wait_for(
            "the stalled alert in the region's Max chat",
            lambda: message(stack, REGION_CHAT, "Сработало", x.key, "GovpulseChannelStalled"),
            90,
        )
        assert "не растёт" in fired and x.title.split()[0] in fired
        assert f'href="{stack.urls["prometheus"]}/graph' in fired  # the alert's source link opens locally
        growing = f'delta(govpulse_channel_subscribers{{channel="{control.key}"}}[30s]) > 0'
        assert promql(stack.urls["prometheus"], growing), "the control channel is not collected and growing"
        assert not alerts_for(stack, control.key), "the growing control channel alerted"

        # The clock moves on to the start of the drive: the platform reports growth again.
        with http_client(stack.urls["sandbox"]) as sandbox:
            sandbox.post("/sandbox/clock", json={"now": scenario.drive_starts - 5}).raise_for_status()
        resolved = wait_for(
            "the resolution in the region's Max chat",
            lambda: message(stack, REGION_CHAT, "Решено", x.key, "GovpulseChannelStalled"),
            45,
        )
        assert "завершено" in resolved
        assert not alerts_for(stack, control.key), "the growing control channel alerted"
        everything = chat(stack, REGION_CHAT) + chat(stack, DEFAULT_CHAT)
        assert not [text for text in everything if control.key in text]
        # Routed by region: the operators' default chat got nothing about the channel.
        assert not [text for text in chat(stack, DEFAULT_CHAT) if x.key in text]
