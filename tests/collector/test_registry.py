"""Channel registry: bad rows named with file, line and field; good rows still load; none dropped silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.models import Category, Platform
from collector.registry import KNOWN_COLUMNS, load_file, load_files

HEADER = ",".join(KNOWN_COLUMNS) + "\n"


def csv_file(tmp_path: Path, body: str, name: str = "channels.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_three_bad_rows_among_a_thousand(tmp_path: Path) -> None:
    rows = [f"max,-{70000000000000 + i},RU-AST,school,Школа {i},Школа №{i},," for i in range(1000)]
    rows[10] = "max,12345,RU-AST,school,,,,"  # Max chat ids are negative
    rows[500] = "vk,100500,RU-XX,school,,,,"  # unknown region
    rows[998] = "max,-1,RU-AST,cafe,,,,"  # unknown category
    path = csv_file(tmp_path, "\n".join(rows) + "\n")
    registry = load_file(path)
    assert len(registry.channels) == 997
    assert [(p.line, p.field) for p in registry.problems] == [
        (12, "channel"),
        (502, "region"),
        (1000, "category"),
    ]
    assert all(p.file == str(path) and not p.fatal for p in registry.problems)
    assert "negative integer" in registry.problems[0].reason
    assert "RU-XX" in registry.problems[1].reason
    assert "cafe" in registry.problems[2].reason


def test_duplicates_are_reported_with_the_first_occurrence(tmp_path: Path) -> None:
    first = csv_file(tmp_path, "vk,123,RU-KO,governor,,,,\n", "a.csv")
    second = csv_file(tmp_path, "vk,club123,RU-KO,governor,,,,\nvk,124,RU-KO,governor,,,,\n", "b.csv")
    registry = load_files([first, second])
    assert [c.channel for c in registry.channels] == ["123", "124"]
    [problem] = registry.problems
    assert (problem.file, problem.line, problem.field) == (str(second), 2, "channel")
    assert f"first listed at {first}:2" in problem.reason


def test_channel_keys_are_normalized_per_platform(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "vk,https://vk.com/AstrObl,RU-AST,regional_government,,,,\n"
        "vk,public777,RU-AST,culture,,,,\n"
        "telegram,t.me/Chukotka_Gov,RU-CHU,governor,,,,\n"
        "telegram,-1001234567890,RU-CHU,governor,,,,\n"
        "telegram,@ab,RU-CHU,governor,,,,\n",
    )
    registry = load_file(path)
    assert [c.channel for c in registry.channels] == ["astrobl", "777", "@chukotka_gov", "-1001234567890"]
    assert [(p.line, p.field) for p in registry.problems] == [(6, "channel")]


def test_expected_flag_and_aliases(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "max,-1,ru-don,regional_government,,,да,\nmax,-2,RU-LUG,governor,,,0,\nmax,-3,RU-KO,governor,,,maybe,\n",
    )
    registry = load_file(path)
    assert [(c.region, c.expected) for c in registry.channels] == [("RU-DPR", True), ("RU-LPR", False)]
    assert registry.problems[0].field == "expected"


def test_rows_without_region_are_classified_from_the_title(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "max,-1,,,,Правительство Астраханской области,,\n"
        "max,-2,,,,Администрация г. Сыктывкара,,\n"
        "max,-3,,,,МБОУ СОШ №5 г. Курска,,\n"
        "max,-4,,,,Губернатор Чукотского автономного округа,,\n"
        "max,-5,,,,Новости нашего района,,\n",
    )
    registry = load_file(path)
    got = [(c.region, c.category) for c in registry.channels]
    assert got == [
        ("RU-AST", Category.REGIONAL_GOVERNMENT),
        ("RU-KO", Category.MUNICIPALITY),
        ("RU-KRS", Category.SCHOOL),
        ("RU-CHU", Category.GOVERNOR),
        ("unknown", Category.UNCLASSIFIED),
    ]
    assert registry.classified == 4 and registry.problems == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (
            HEADER.encode() + "max,-1,RU-KO,governor,Правительство,Глава Коми,,\n".encode("cp1251"),
            "Windows-1251",
        ),
        (b"platform,channel,subscribers\nmax,-1,5\n", "unknown columns ['subscribers']"),
        (b"platform,region\nmax,RU-KO\n", "missing columns ['channel']"),
    ],
)
def test_unreadable_files_are_fatal_with_a_clear_message(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "channels.csv"
    path.write_bytes(content)
    registry = load_file(path)
    assert registry.fatal and registry.channels == []
    assert message in str(registry.problems[0])


def test_missing_file(tmp_path: Path) -> None:
    registry = load_file(tmp_path / "nope.csv")
    assert registry.fatal and str(registry.problems[0]) == f"{tmp_path / 'nope.csv'}: file not found"


def test_semicolon_csv_from_a_spreadsheet_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("\ufeffplatform;channel;region;category\nmax;-5;RU-KO;governor\n", encoding="utf-8")
    registry = load_file(path)
    assert registry.problems == [] and registry.channels[0].region == "RU-KO"


def test_short_row_is_reported(tmp_path: Path) -> None:
    registry = load_file(csv_file(tmp_path, "max,-1\n"))
    assert "2 fields where the header has 8" in str(registry.problems[0])


def test_yaml_registry_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text(
        "channels:\n"
        "  - {platform: max, channel: -70000000000001, region: RU-MOW, category: regional_government}\n"
        "  - platform: vk\n"
        "    channel: mos_gov\n"
        "    region: RU-MOW\n"
        "    category: regional_government\n"
        "    expected: true\n"
        "  - platform: telegram\n"
        "    channel: '@x'\n"
        "  - platform: max\n"
        "    channel: -3\n"
        "    colour: red\n",
        encoding="utf-8",
    )
    registry = load_file(path)
    assert [c.key for c in registry.channels] == ["max:-70000000000001", "vk:mos_gov"]
    assert registry.channels[1].expected is True and registry.channels[1].platform is Platform.VK
    assert [(p.line, p.field) for p in registry.problems] == [(8, "channel"), (10, "colour")]


def test_yaml_that_is_not_a_list(tmp_path: Path) -> None:
    path = tmp_path / "channels.yml"
    path.write_text("platform: max\n", encoding="utf-8")
    assert "expected a list of channels" in str(load_file(path).problems[0])


def test_summary_counts(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "max,-1,RU-KO,governor,,,,\nmax,-2,RU-KO,school,,,,\nvk,5,RU-AST,school,,,,\n")
    summary = load_file(path).summary()
    assert summary["platform"] == {"max": 2, "vk": 1}
    assert summary["region"] == {"RU-KO": 2, "RU-AST": 1}
    assert summary["category"] == {"governor": 1, "school": 2}
