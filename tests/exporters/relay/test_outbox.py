from __future__ import annotations

import stat
from pathlib import Path

import pytest

from exporters.relay.outbox import FAILED, PENDING, SENT, Outbox
from exporters.relay.senders import Outcome, classify


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_file_is_private_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "var" / "outbox.sqlite3"
    outbox = Outbox(path)
    with outbox.batch() as batch:
        batch.add("max", "-1", "привет")
    files = sorted(f.name for f in path.parent.iterdir())
    assert files == ["outbox.sqlite3", "outbox.sqlite3-shm", "outbox.sqlite3-wal"]  # WAL journal, open
    for file in path.parent.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    outbox.close()
    reopened = Outbox(path)
    assert [(m.chat_id, m.text, m.state) for m in reopened.messages()] == [("-1", "привет", PENDING)]


def test_a_failing_batch_stores_nothing(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3")
    with pytest.raises(RuntimeError), outbox.batch() as batch:
        batch.fresh(["k"])
        batch.add("max", "-1", "x")
        raise RuntimeError("formatting failed")
    assert outbox.messages() == []
    with outbox.batch() as batch:
        assert batch.fresh(["k"]) == {"k"}  # the key was rolled back too


def test_keys_are_fresh_again_after_the_window(tmp_path: Path) -> None:
    clock = FakeClock()
    outbox = Outbox(tmp_path / "o.sqlite3", dedup_window_seconds=3600, clock=clock)
    with outbox.batch() as batch:
        assert batch.fresh(["a", "b"]) == {"a", "b"}
    clock.now += 3599
    with outbox.batch() as batch:
        assert batch.fresh(["a", "c"]) == {"c"}
    clock.now += 2
    with outbox.batch() as batch:
        assert batch.fresh(["a", "c"]) == {"a"}


def test_only_the_oldest_pending_message_of_a_chat_is_due(tmp_path: Path) -> None:
    clock = FakeClock()
    outbox = Outbox(tmp_path / "o.sqlite3", clock=clock)
    with outbox.batch() as batch:
        for text in ("1", "2"):
            batch.add("max", "-1", text)
        batch.add("telegram", "-1", "3")
    ready, _ = outbox.due()
    assert sorted(m.text for m in ready) == ["1", "3"]
    first = next(m for m in ready if m.text == "1")
    outbox.retry_later(first.id, 10, "HTTP 503")
    ready, next_at = outbox.due()
    assert [m.text for m in ready] == ["3"] and next_at == clock.now + 10  # "2" waits behind "1"
    outbox.mark_sent(ready[0].id)
    clock.now += 10
    ready, _ = outbox.due()
    assert [(m.text, m.attempts) for m in ready] == [("1", 1)]
    outbox.mark_failed(first.id, "HTTP 403: chat.denied")
    ready, _ = outbox.due()
    assert [m.text for m in ready] == ["2"]
    assert outbox.counts() == {PENDING: 1, SENT: 1, FAILED: 1}
    assert outbox.messages(FAILED)[0].last_error == "HTTP 403: chat.denied"


def test_wake_all_makes_postponed_messages_due(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3")
    with outbox.batch() as batch:
        batch.add("max", "-1", "x")
    outbox.retry_later(outbox.messages()[0].id, 3600, "HTTP 503")
    assert outbox.due()[0] == []
    outbox.wake_all()
    assert [m.text for m in outbox.due()[0]] == ["x"]


@pytest.mark.parametrize(
    ("status", "header", "body", "outcome", "retry_after"),
    [
        (200, None, b"{truncated", Outcome.SENT, None),
        (429, None, b'{"code":"too.many.requests","message":"Too many requests"}', Outcome.RETRY, None),
        (429, "7", b'{"ok":false,"parameters":{"retry_after":34}}', Outcome.RETRY, 34.0),
        (429, "7", b"", Outcome.RETRY, 7.0),
        (503, None, b"<html>", Outcome.RETRY, None),
        (403, None, b'{"code":"chat.denied","message":"Bot has no access"}', Outcome.REFUSED, None),
        (400, None, b'{"ok":false,"description":"Bad Request: message is too long"}', Outcome.REFUSED, None),
    ],
)
def test_platform_answers_are_classified(
    status: int, header: str | None, body: bytes, outcome: Outcome, retry_after: float | None
) -> None:
    result = classify(status, header, body)
    assert (result.outcome, result.retry_after) == (outcome, retry_after)
    if outcome is not Outcome.SENT:
        assert result.reason.startswith(f"HTTP {status}: ")
