"""Configuration: typed, every problem reported with its location, secrets never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from collector.config import ConfigError, Settings, load_config
from collector.logsetup import RedactingFilter

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "govpulse.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "govpulse.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path | None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


def test_example_configuration_is_valid_and_covers_every_option() -> None:
    settings = load_config(EXAMPLE)
    assert settings.platforms.max.base_url.host == "platform-api2.max.ru"

    def keys(model: object, prefix: str = "") -> set[str]:
        found = set()
        for name, value in model.__dict__.items():
            found.add(prefix + name)
            if hasattr(type(value), "model_fields"):
                found |= keys(value, f"{prefix}{name}.")
        return found

    text = EXAMPLE.read_text(encoding="utf-8")
    missing = [k for k in keys(settings) if f"{k.rsplit('.', 1)[-1]}:" not in text]
    assert missing == []


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, ""))
    assert settings == Settings()
    assert settings.sinks.prometheus.listen_address == "127.0.0.1:9877"


def test_two_mistakes_are_both_reported_with_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "platforms:\n  max:\n    rate_per_second: fast\n  vk:\n    batch_size: 900\nstore:\n  pathh: x\n",
    )
    problems = problems_of(path)
    assert (
        f"{path}:3: platforms.max.rate_per_second: "
        "Input should be a valid number, unable to parse string as a number" in problems
    )
    assert any(p.startswith(f"{path}:5: platforms.vk.batch_size:") for p in problems)
    assert any(p.startswith(f"{path}:7: store.pathh: Extra inputs") for p in problems)
    assert len(problems) == 3


def test_enabled_platform_without_token_is_a_problem(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "platforms:\n  telegram:\n    enabled: true\n"))
    assert problems == [
        f"{tmp_path / 'govpulse.yaml'}:2: platforms.telegram: the platform is enabled but has no tokens"
    ]


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "store:\n  path: [unclosed\nsinks: {}\n"))
    assert problems == [
        f"{tmp_path / 'govpulse.yaml'}:3: (top level): invalid YAML: expected ',' or ']', but got ':'"
    ]


def test_missing_file_and_wrong_encoding(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "absent.yaml") == [
        f"{tmp_path / 'absent.yaml'}: (top level): file not found"
    ]
    path = tmp_path / "cp1251.yaml"
    path.write_bytes("store:\n  path: Склад\n".encode("cp1251"))
    assert "not UTF-8" in problems_of(path)[0]


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert "mapping of sections" in problems_of(write(tmp_path, "- a\n- b\n"))[0]


def test_environment_overrides_file_and_lists_split_on_commas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVPULSE_PLATFORMS__MAX__TOKENS", "tok-alpha-1,tok-beta-2")
    monkeypatch.setenv("GOVPULSE_PLATFORMS__MAX__RATE_PER_SECOND", "12.5")
    settings = load_config(write(tmp_path, "platforms:\n  max:\n    enabled: true\n    rate_per_second: 3\n"))
    assert [t.get_secret_value() for t in settings.platforms.max.tokens] == ["tok-alpha-1", "tok-beta-2"]
    assert settings.platforms.max.rate_per_second == 12.5


def test_bad_environment_value_is_reported_as_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVPULSE_SHARDING__SHARDS", "many")
    assert problems_of(None) == [
        "environment: sharding.shards: Input should be a valid integer, unable to parse string as an integer"
    ]


def test_shard_out_of_range(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "sharding:\n  shard: 4\n  shards: 4\n"))
    assert problems == [f"{tmp_path / 'govpulse.yaml'}:1: sharding: shard 4 is out of range for 4 shards"]


def test_population_override_must_name_a_known_region(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "regions:\n  population_overrides:\n    RU-XXX: 5\n"))
    assert "RU-XXX: unknown region" in problems[0]
    settings = load_config(write(tmp_path, "regions:\n  population_overrides:\n    ru-don: 2000000\n"))
    assert settings.regions.population_overrides == {"RU-DPR": 2000000}


def test_secrets_are_redacted_in_repr_errors_and_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cr3t-max-token-value"
    monkeypatch.setenv("GOVPULSE_PLATFORMS__MAX__TOKENS", secret)
    monkeypatch.setenv("GOVPULSE_SINKS__INFLUXDB__PASSWORD", "influx-pass-word")
    settings = load_config(write(tmp_path, "platforms:\n  max:\n    enabled: true\n"))
    assert secret not in repr(settings) and secret not in str(settings)
    assert "influx-pass-word" not in repr(settings)

    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "request with %s failed", (secret,), None)
    RedactingFilter().filter(record)
    assert secret not in record.getMessage() and "***" in record.getMessage()

    # A validation error elsewhere in the file must not echo the secret either.
    monkeypatch.setenv("GOVPULSE_PLATFORMS__MAX__RATE_PER_SECOND", secret)
    assert all(
        secret not in p for p in problems_of(write(tmp_path, "platforms:\n  max:\n    enabled: true\n"))
    )


def test_yaml_off_means_discovery_off(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, "platforms:\n  max:\n    discovery: off\n"))
    assert settings.platforms.max.discovery.value == "off"
