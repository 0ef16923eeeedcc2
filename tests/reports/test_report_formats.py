"""Every report kind in every format through the command line, on a store filled from the sandbox world;
formats are parsed back (CSV, JSON, XLSX, Markdown) and checked against the same figures."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests.reports.support import run

AS_OF = "2026-01-25"  # 55 days after the world start
KINDS = ("rating", "growth", "stalled", "coverage", "forecast")
TIMINGS: dict[str, float] = {}


@pytest.mark.parametrize("kind", KINDS)
def test_json_report_has_tables_with_rows(report_config: Path, kind: str) -> None:
    began = time.perf_counter()
    code, out, err = run(
        "report", kind, "-c", str(report_config), "--as-of", AS_OF, "--format", "json", "--period", "2w"
    )
    TIMINGS[kind] = time.perf_counter() - began
    assert code == 0, err
    document = json.loads(out)
    assert document["tables"] and document["tables"][0]["rows"], document["title"]
    assert all(c["title"] for t in document["tables"] for c in t["columns"])
    print(f"\nreport {kind}: {TIMINGS[kind]:.2f} s")


def test_rating_json_matches_csv_and_xlsx(report_config: Path, tmp_path: Path) -> None:
    base = ("report", "rating", "-c", str(report_config), "--as-of", AS_OF)
    _, js, _ = run(*base, "--format", "json")
    _, text, _ = run(*base, "--format", "csv")
    assert run(*base, "--format", "xlsx", "--output", str(tmp_path / "r.xlsx"))[0] == 0
    rows = json.loads(js)["tables"][0]["rows"]
    parsed = list(csv.reader(io.StringIO(text)))
    header, body = parsed[0], parsed[1:]
    sheet = load_workbook(tmp_path / "r.xlsx").worksheets[0]
    xlsx_rows = list(sheet.iter_rows(min_row=2, values_only=True))
    column = header.index("Подписчики канала правительства")
    assert len(body) == len(rows) == len(xlsx_rows) == 89
    for row, line, xrow in zip(rows, body, xlsx_rows, strict=True):
        expected = row["gov_subscribers"]
        assert (line[column] or None) == (str(expected) if expected is not None else None)
        assert xrow[column] == expected
    # Moscow leads the government-channel ranking; unranked regions have empty places, not zeros.
    moscow = next(r for r in rows if r["region"] == "RU-MOW")
    assert moscow["rank_gov"] == 1
    assert any(r["composite_rank"] is None and r["population"] is None for r in rows)


def test_markdown_and_terminal_tables_read_in_russian(report_config: Path) -> None:
    code, md, _ = run(
        "report", "growth", "-c", str(report_config), "--as-of", AS_OF, "--format", "md", "--period", "1m"
    )
    assert code == 0
    assert md.startswith("# Рост аудитории")
    assert "| Канал | Ключ |" in md and "## Прирост по неделям" in md
    assert "VK удалил ботов" in md  # the event of the period
    code, table, _ = run("report", "rating", "-c", str(report_config), "--as-of", AS_OF)
    assert code == 0 and "Рейтинг регионов" in table and "RU-MOW" in table


def test_events_outside_the_period_are_not_shown(report_config: Path) -> None:
    code, md, _ = run("report", "growth", "-c", str(report_config), "--as-of", AS_OF, "--format", "md")
    assert code == 0
    assert "VK удалил ботов" in md and "Старт кампании" not in md


def test_district_and_region_filters(report_config: Path) -> None:
    _, js, _ = run(
        "report",
        "rating",
        "-c",
        str(report_config),
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--district",
        "Южный",
    )
    rows = json.loads(js)["tables"][0]["rows"]
    assert rows and {r["district"] for r in rows} == {"Южный"}
    code, _, err = run("report", "rating", "-c", str(report_config), "--district", "Лунный")
    assert code == 2 and "федеральный округ" in err
    code, _, err = run("report", "growth", "-c", str(report_config), "--region", "RU-XX")
    assert code == 2 and "регион" in err


def test_xlsx_needs_an_output_file(report_config: Path) -> None:
    code, _, err = run("report", "rating", "-c", str(report_config), "--format", "xlsx")
    assert code == 2 and "--output" in err
