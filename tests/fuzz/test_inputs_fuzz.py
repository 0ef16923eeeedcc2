"""Bad input, fuzzed: registry files (CSV and YAML bytes), the configuration file (YAML text) and the CSV
history import. Each either loads what is valid or reports what is not, in words; never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.analytics.history_import import parse_csv
from collector.config import ConfigError, Settings, load_config
from collector.models import OK, Platform
from collector.registry import load_file, normalize_channel
from tests.fuzz.strategies import json_values, objects_with

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COLUMNS = ["platform", "channel", "region", "category", "org", "title", "expected", "link"]
CELLS = st.sampled_from(
    ["max", "vk", "telegram", "tg", "-70000000001", "club123", "https://vk.com/name", "@gov_news", "RU-MOW",
     "RU-XXX", "Москва", "school", "governor", "nonsense", "yes", "0", "", '"', ";", "\n", "\ufeff"]
) | st.text(max_size=12)  # fmt: skip
CSV_TEXT = st.lists(st.lists(CELLS, max_size=9), max_size=6).map(
    lambda rows: "\n".join(",".join(row) for row in [COLUMNS, *rows])
)


def load_bytes(data: bytes, suffix: str) -> object:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"channels{suffix}"
        path.write_bytes(data)
        registry = load_file(path)
    for problem in registry.problems:
        assert str(problem) and problem.reason  # every problem says what is wrong, and where
    for channel in registry.channels:
        assert channel.platform in Platform
        assert normalize_channel(channel.platform, channel.channel) == channel.channel
    return registry


@FUZZ
@given(st.binary(max_size=400) | CSV_TEXT.map(str.encode))
def test_registry_csv(data: bytes) -> None:
    load_bytes(data, ".csv")


@FUZZ
@given(
    st.binary(max_size=300)
    | st.lists(objects_with(COLUMNS, CELLS | json_values), max_size=4).map(
        lambda rows: yaml.safe_dump({"channels": rows}, allow_unicode=True).encode()
    )
    | json_values.map(lambda v: yaml.safe_dump(v).encode())
)
def test_registry_yaml(data: bytes) -> None:
    load_bytes(data, ".yaml")


SECTIONS = ["registry", "regions", "platforms", "store", "sinks", "spool", "sharding", "logging", "notify"]
KEYS = ["enabled", "tokens", "rate_per_second", "interval_seconds", "path", "max", "vk", "telegram",
        "influxdb", "prometheus", "listen_address", "shard", "shards", "level", "files",
        "max_bytes"]  # fmt: skip


@FUZZ
@given(
    st.text(max_size=300)
    | st.dictionaries(st.sampled_from(SECTIONS), objects_with(KEYS), max_size=4).map(
        lambda data: yaml.safe_dump(data, allow_unicode=True)
    )
)
def test_configuration(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "govpulse.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            loaded = load_config(path)
        except ConfigError as exc:
            assert exc.problems and all(str(p) for p in exc.problems)
            return
    assert isinstance(loaded, Settings)


HISTORY_COLUMNS = ["date", "platform", "channel", "subscribers", "region", "category"]
HISTORY_CELLS = st.sampled_from(
    ["2025-12-01", "01.12.2025", "2025-12-01T10:00:00Z", "9999-12-31T23:59:59+14:00", "0001-01-01", "max",
     "vk", "telegram", "-70000000001", "@gov", "club1", "1 234", "12.0", "-5", "²", "1e9", "RU-MOW", "school",
     "", ";", '"']
) | st.text(max_size=10)  # fmt: skip


@FUZZ
@given(
    st.binary(max_size=300)
    | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.lists(st.lists(HISTORY_CELLS, max_size=7), max_size=6).map(
        lambda rows: "\r\n".join(";".join(r) for r in [HISTORY_COLUMNS, *rows]).encode()
    )
)
def test_history_import(data: bytes) -> None:
    """The file as `govpulse import` reads it (parse_csv); bad rows are listed, good ones parsed."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.csv"
        path.write_bytes(data)
        parsed = parse_csv(path)
    assert all(bad.message for bad in parsed.bad)
    assert len(parsed.samples) + len([b for b in parsed.bad if b.line > 1]) <= max(parsed.rows, 1)
    for sample in parsed.samples:
        assert sample.status == OK and sample.subscribers is not None and sample.subscribers >= 0
