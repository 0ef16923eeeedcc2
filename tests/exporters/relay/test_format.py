from __future__ import annotations

import re

import pytest

from collector.regions import load_regions
from exporters.relay.format import ELLIPSIS, Formatter, text_length
from exporters.relay.payloads import Alert, parse_alertmanager, parse_grafana
from exporters.relay.senders import MAX_TEXT_LIMIT, TELEGRAM_TEXT_LIMIT
from tests.exporters.relay.helpers import am_alert, am_payload, grafana_payload

FORMATTER = Formatter(load_regions(), "https://grafana.example/d/overview")


def alerts(*raw: dict[str, object]) -> list[Alert]:
    return list(parse_alertmanager(am_payload(list(raw))).alerts)


def test_firing_message_in_russian_with_region_severity_and_links() -> None:
    (text,) = FORMATTER.messages(alerts(am_alert()), MAX_TEXT_LIMIT)
    assert "🔴 <b>Сработало:</b>" in text
    assert "не растёт 7 дн." in text and "сейчас 13 000 подписчиков" in text
    assert "Астраханская область (RU-AST)" in text
    assert "Важность: предупреждение" in text and "Канал: Max -70000000001013" in text
    assert "Начало: 01.03.2026 12:30 МСК" in text  # 09:30 UTC
    assert '<a href="http://prometheus.example/graph?g0.expr=up">Источник</a>' in text
    assert '<a href="https://grafana.example/d/overview">Дашборды govpulse</a>' in text


def test_resolved_message_shows_how_long_it_lasted() -> None:
    (text,) = FORMATTER.messages(alerts(am_alert(status="resolved")), MAX_TEXT_LIMIT)
    assert text.count("✅") == 2 and "Решено: 1" in text and "🔴" not in text
    assert "длительность: 2 ч 14 мин" in text


def test_grafana_figures_are_shown() -> None:
    (text,) = FORMATTER.messages(list(parse_grafana(grafana_payload()).alerts), MAX_TEXT_LIMIT)
    assert "Значения: B = 2,1; C = 1" in text and "Важность: критично" in text and "Москва (RU-MOW)" in text


def test_payload_text_is_escaped() -> None:
    raw = am_alert(summary="<script>x</script> & <b>", description='a < b & "c"')
    (text,) = FORMATTER.messages(alerts(raw), MAX_TEXT_LIMIT)
    assert "<script>" not in text and "&lt;script&gt;x&lt;/script&gt; &amp; &lt;b&gt;" in text
    assert 'a &lt; b &amp; "c"' in text


def test_several_alerts_share_one_message() -> None:
    raw = [am_alert(fingerprint=str(i), summary=f"Оповещение {i}") for i in range(3)]
    (text,) = FORMATTER.messages(alerts(*raw), MAX_TEXT_LIMIT)
    assert "Сработало: 3" in text and all(f"Оповещение {i}" in text for i in range(3))


@pytest.mark.parametrize("limit", [MAX_TEXT_LIMIT, TELEGRAM_TEXT_LIMIT])
def test_a_thousand_alerts_split_within_the_limit_without_cutting_any(limit: int) -> None:
    raw = [
        am_alert(fingerprint=f"fp{i}", summary=f"Канал №{i:04d} не растёт", region=("RU-AST", "RU-KO")[i % 2])
        for i in range(1000)
    ]
    messages = FORMATTER.messages(alerts(*raw), limit)
    assert len(messages) > 10
    assert all(text_length(m) <= limit for m in messages)
    found = [int(n) for m in messages for n in re.findall(r"Канал №(\d{4}) не растёт", m)]
    assert sorted(found) == list(range(1000))  # each alert exactly once, none cut
    assert ELLIPSIS not in "".join(messages)
    total = len(messages)
    assert messages[0].count("(часть 1 из ") == 1 and f"(часть {total} из {total})" in messages[-1]


def test_one_oversized_alert_is_shortened_with_an_ellipsis() -> None:
    raw = am_alert(description="Очень длинное описание. " * 1000, summary="Короткий заголовок")
    (text,) = FORMATTER.messages(alerts(raw), MAX_TEXT_LIMIT)
    assert MAX_TEXT_LIMIT - 200 < text_length(text) <= MAX_TEXT_LIMIT
    assert "Короткий заголовок" in text and re.search(f"\nОчень длинное описание[^\n]*{ELLIPSIS}\n", text)
    assert "Важность: предупреждение" in text and text.endswith("</a>")  # the rest of the block is intact


def test_oversized_summary_and_emoji_are_counted_in_utf16() -> None:
    raw = am_alert(summary="📉" * 5000, description="и описание")
    (text,) = FORMATTER.messages(alerts(raw), TELEGRAM_TEXT_LIMIT)
    assert text_length(text) <= TELEGRAM_TEXT_LIMIT and len(text) < text_length(text)
    assert f"📉{ELLIPSIS}</b>" in text


def test_alerts_left_out_by_max_alerts_are_mentioned() -> None:
    (text,) = FORMATTER.messages(alerts(am_alert()), MAX_TEXT_LIMIT, truncated=12)
    assert "Ещё 12 оповещ. не вошли в уведомление" in text
    (plain,) = Formatter(load_regions()).messages(alerts(am_alert()), MAX_TEXT_LIMIT)
    assert "не вошли" not in plain and "Дашборды govpulse" not in plain
