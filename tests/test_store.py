"""The feedback/gap store: salted hashes only, soft failure, most frequent gaps first."""
import logging
import sqlite3

from bot.store import Store


def test_records_use_salted_hashes_never_raw_ids(tmp_path):
    store = Store(tmp_path)
    assert store.feedback(123456789, "up", "会员总数", ["member-count-2013-07"])
    assert store.gap(123456789, "广东有多少会员", "place:广东")
    conn = sqlite3.connect(tmp_path / "feedback.sqlite3")
    rows = conn.execute("SELECT * FROM feedback").fetchall() + conn.execute("SELECT * FROM gaps").fetchall()
    dump = repr(rows)
    assert "123456789" not in dump
    assert store.user_hash(123456789) in dump
    assert Store(tmp_path).user_hash(123456789) == store.user_hash(123456789)  # salt persists
    other = tmp_path / "other"
    assert Store(other).user_hash(123456789) != store.user_hash(123456789)


def test_top_gaps_counts_and_orders(tmp_path):
    store = Store(tmp_path)
    for q in ["a", "b", "b", "c", "b", "c"]:
        store.gap(1, q, "low-score")
    assert [(g.question, g.count) for g in store.top_gaps(2)] == [("b", 3), ("c", 2)]


def test_unwritable_directory_fails_softly(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING):
        store = Store(blocker / "data")
        assert store.feedback(1, "up", "q", []) is False
        assert store.top_gaps() == []
    assert "not writable" in caplog.text or "could not" in caplog.text


def test_prune_drops_old_records(tmp_path):
    store = Store(tmp_path, retention_days=1)
    store.gap(1, "old", "x")
    conn = sqlite3.connect(tmp_path / "feedback.sqlite3")
    conn.execute("UPDATE gaps SET ts = ts - 3 * 86400")
    conn.commit()
    store.gap(1, "new", "x")
    store.prune()
    assert [g.question for g in store.top_gaps()] == ["new"]
