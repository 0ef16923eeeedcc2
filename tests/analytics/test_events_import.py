"""`govpulse event add|list` and `govpulse import csv`: validation, all-or-nothing, --skip-bad."""

from __future__ import annotations

from pathlib import Path

from exporters.store import Store
from tests.reports.support import run


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "govpulse.yaml"
    config.write_text(f"store:\n  path: {tmp_path / 'store.sqlite3'}\n{extra}", encoding="utf-8")
    return config


def _samples(tmp_path: Path, key: str) -> list[tuple[float, str, int | None]]:
    with Store.open(tmp_path / "store.sqlite3", readonly=True) as store:
        return store.series(key, 0, 2**40)


def test_event_add_and_list(tmp_path: Path) -> None:
    config = str(_config(tmp_path))
    code, out, err = run(
        "event", "add", "-c", config, "--at", "03.12.2025", "--platform", "vk", "--text", "VK удалил ботов"
    )
    assert code == 0, err
    assert "записано" in out
    code, _, _ = run(
        "event",
        "add",
        "-c",
        config,
        "--at",
        "2025-12-05T10:00",
        "--region",
        "ru-mow",
        "--text",
        "Кампания в Москве",
    )
    assert code == 0
    with Store.open(tmp_path / "store.sqlite3", readonly=True) as store:
        events = store.events(0, 2**40)
    assert [(e.text, e.platform, e.region) for e in events] == [
        ("VK удалил ботов", "vk", None),
        ("Кампания в Москве", None, "RU-MOW"),
    ]
    assert events[0].at == 1764720000  # 2025-12-03T00:00Z
    code, out, _ = run("event", "list", "-c", config, "--since", "2025-12-01", "--until", "2025-12-31")
    assert code == 0 and "2 событий" in out


def test_event_add_rejects_bad_input(tmp_path: Path) -> None:
    config = str(_config(tmp_path))
    for argv, message in (
        (("--at", "вчера", "--text", "x"), "дата «вчера» не распознана"),
        (("--at", "2025-12-03", "--region", "RU-XX", "--text", "x"), "регион"),
        (("--at", "2025-12-03", "--channel", "-1", "--text", "x"), "платформу"),
        (("--at", "2025-12-03", "--text", "  "), "пустой"),
    ):
        code, _, err = run("event", "add", "-c", config, *argv)
        assert code == 2 and message in err, (argv, err)


CSV_SEMICOLON = (
    "\ufeffДата;Платформа;Канал;Подписчики\r\n"
    "01.12.2025;max;-100;12 345\r\n"
    "02.12.2025;max;-100;12 400\r\n"
    "02.12.2025 10:30;vk;https://vk.com/club123;500\r\n"
)


def test_import_csv_variants(tmp_path: Path) -> None:
    config = str(_config(tmp_path))
    path = tmp_path / "export.csv"
    path.write_text(CSV_SEMICOLON, encoding="utf-8")
    code, out, err = run("import", "csv", "-c", config, str(path))
    assert code == 0, err
    assert "записано наблюдений: 3" in out
    assert [(s[2]) for s in _samples(tmp_path, "max:-100")] == [12_345, 12_400]
    assert _samples(tmp_path, "vk:123")[0][0] == 1764671400  # 2025-12-02T10:30Z
    # ISO dates, commas, a region/category pair registers the channel; re-import is harmless.
    iso = tmp_path / "iso.csv"
    iso.write_text(
        "date,platform,channel,subscribers,region,category\n"
        "2025-12-03T00:00:00Z,telegram,@gov_ast,900,RU-AST,regional_government\n",
        encoding="utf-8",
    )
    assert run("import", "csv", "-c", config, str(iso))[0] == 0
    code, out, _ = run("import", "csv", "-c", config, str(iso))
    assert code == 0 and "записано наблюдений: 0" in out
    with Store.open(tmp_path / "store.sqlite3", readonly=True) as store:
        channel = next(c.channel for c in store.channels() if c.key == "telegram:@gov_ast")
    assert (channel.region, channel.category.value) == ("RU-AST", "regional_government")


BAD_CSV = (
    "date,platform,channel,subscribers\n"
    "2025-12-01,max,-1,100\n"
    "2025-13-01,max,-1,100\n"  # line 3: bad date
    "2025-12-02,ok,-1,100\n"  # line 4: bad platform
    "2025-12-02,max,1,100\n"  # line 5: Max ids are negative
    "2025-12-02,max,-1,-5\n"  # line 6: negative count
    "2025-12-03,max,-1,120\n"
)


def test_import_is_all_or_nothing_unless_skip_bad(tmp_path: Path) -> None:
    config = str(_config(tmp_path))
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    code, _, err = run("import", "csv", "-c", config, str(path))
    assert code == 2
    for line in (3, 4, 5, 6):
        assert f"строка {line}:" in err
    assert "ничего не импортировано" in err
    assert not (tmp_path / "store.sqlite3").exists() or _samples(tmp_path, "max:-1") == []
    code, out, err = run("import", "csv", "-c", config, str(path), "--skip-bad")
    assert code == 0 and "пропущено ошибочных: 4" in out
    assert [s[2] for s in _samples(tmp_path, "max:-1")] == [100, 120]


def test_import_reports_a_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("date,platform,subscribers\n2025-12-01,max,1\n", encoding="utf-8")
    code, _, err = run("import", "csv", "-c", str(_config(tmp_path)), str(path))
    assert code == 2 and "нет столбцов: channel" in err
