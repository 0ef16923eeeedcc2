"""`govpulse collect --once`: one sweep with a summary, exit codes, and the Pushgateway for cron."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collector.cli import main
from collector.models import Platform
from collector.registry import write_csv
from collector.sandbox import SandboxServer, WorldSpec
from tests.support.prometheus import PushgatewayServer
from tests.support.sandbox import SandboxFactory

SPEC = WorldSpec(max_channels=200, max_future_channels=0, vk_channels=50, telegram_channels=30)


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> SandboxServer:
    server = sandbox_factory(SPEC, rates={Platform.MAX: 1000.0, Platform.VK: 50.0, Platform.TELEGRAM: 1000.0})
    server.set_clock("2026-01-10T00:00:00Z", speed=0.0)
    return server


def config(tmp_path: Path, sandbox: SandboxServer, extra: str = "", token: str | None = None) -> Path:
    registry = tmp_path / "channels.csv"
    with registry.open("w", encoding="utf-8") as out:
        write_csv(sandbox.world.registry(sandbox.now(), (Platform.MAX,)), out)
    path = tmp_path / "govpulse.yaml"
    path.write_text(
        f"registry: {{files: [{registry}]}}\n"
        "platforms:\n"
        f"  max: {{enabled: true, base_url: '{sandbox.url}', rate_per_second: 500,"
        f" tokens: ['{token or sandbox.tokens['max'][0]}'], max_retries: 0}}\n"
        f"store: {{path: {tmp_path / 'store.sqlite3'}}}\n" + extra,
        encoding="utf-8",
    )
    return path


def test_summary_and_exit_code(
    tmp_path: Path, sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["collect", "--once", "--no-progress", "-c", str(config(tmp_path, sandbox))]) == 0
    out = capsys.readouterr().out
    assert "Итоги сбора" in out and "max" in out


def test_every_channel_failing_exits_1_and_hides_the_token(
    tmp_path: Path, sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, sandbox, token="wrong-token-do-not-print")
    assert main(["collect", "--once", "--no-progress", "-c", str(path)]) == 1
    captured = capsys.readouterr()
    assert "auth" in captured.out
    assert "wrong-token-do-not-print" not in captured.out + captured.err


def test_no_platform_enabled_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert main(["collect", "--once", "-c", str(path)]) == 2


def test_push_to_a_real_pushgateway(
    tmp_path: Path, sandbox: SandboxServer, pushgateway: PushgatewayServer
) -> None:
    extra = f"sinks: {{pushgateway: {{enabled: true, url: '{pushgateway.url}', job: cron}}}}\n"
    path = config(tmp_path, sandbox, extra)
    assert main(["collect", "--once", "--no-progress", "--shard", "0", "--shards", "1", "-c", str(path)]) == 0

    families = {f.name: f for f in text_string_to_metric_families(pushgateway.metrics_text())}
    pushed = [s for s in families["govpulse_channel_subscribers"].samples if s.labels.get("job") == "cron"]
    expected = {c.channel for c in sandbox.world.registry(sandbox.now(), (Platform.MAX,))}
    assert {s.labels["channel"] for s in pushed} <= expected
    assert len(pushed) > 150 and all(s.labels["shard"] == "0" for s in pushed)
    [cycle] = families["govpulse_cycle_duration_seconds"].samples
    assert cycle.labels["platform"] == "max" and cycle.value > 0
