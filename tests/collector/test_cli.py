"""The command line: help for every command, `validate` exit codes, clear messages instead of tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from collector.cli import _build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_commands_and_each_has_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = _build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    commands = sorted(subparsers.choices)  # type: ignore[arg-type]
    assert {"validate", "regions"} <= set(commands)
    for command in commands:
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert "usage: govpulse" in capsys.readouterr().out


def test_python_dash_m_collector_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "collector", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0 and "validate" in result.stdout


def test_validate_clean_example_exits_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["validate", "-c", "examples/govpulse.yaml"]) == 0
    out = capsys.readouterr().out
    assert "registry: 7 channels loaded, 0 rejected" in out


def test_validate_bad_registry_exits_2_and_names_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "channels.csv"
    registry.write_text(
        "platform,channel,region,category\nmax,-1,RU-KO,governor\nok,-2,RU-KO,governor\n", encoding="utf-8"
    )
    assert main(["validate", "--registry", str(registry)]) == 2
    err = capsys.readouterr().err
    assert f"{registry}:3 [platform]: unknown platform 'ok'" in err


def test_validate_bad_config_lists_both_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("store:\n  raw_retention_days: -1\nlogging:\n  level: loud\n", encoding="utf-8")
    assert main(["validate", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}:2: store.raw_retention_days" in err and f"{config}:4: logging.level" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "content", [None, b"", "platform,channel\nmax,-1\n".encode("cp1251") + "Ж".encode("cp1251")]
)
def test_validate_never_tracebacks_on_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None
) -> None:
    registry = tmp_path / "channels.csv"
    if content is not None:
        registry.write_bytes(content)
    assert main(["validate", "--registry", str(registry)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_regions_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions"]) == 0
    out = capsys.readouterr().out
    assert "89 regions" in out and "RU-CHU" in out
