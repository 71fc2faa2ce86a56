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


def rows(path, sql):
    return sqlite3.connect(path).execute(sql).fetchall()


def test_questions_are_stored_cut_to_the_limit(tmp_path):
    store = Store(tmp_path, max_chars=20)
    store.gap(1, "问" * 4096, "low-score")
    store.feedback(1, "up", "答" * 4096, ["a"], "0123456789ab")
    db = tmp_path / "feedback.sqlite3"
    assert rows(db, "SELECT length(question) FROM gaps") == [(20,)]
    assert rows(db, "SELECT length(question) FROM feedback") == [(20,)]


def test_one_vote_per_answer_and_user_a_second_press_changes_it(tmp_path):
    store = Store(tmp_path)
    store.feedback(7, "up", "q", ["a"], "aaaaaaaaaaaa")
    store.feedback(7, "down", "q", ["a"], "aaaaaaaaaaaa")
    store.feedback(8, "up", "q", ["a"], "aaaaaaaaaaaa")
    store.feedback(7, "up", "q", ["b"], "bbbbbbbbbbbb")
    got = rows(tmp_path / "feedback.sqlite3", "SELECT answer_key, user_hash, vote FROM feedback ORDER BY rowid")
    assert got == [("aaaaaaaaaaaa", store.user_hash(7), "down"), ("aaaaaaaaaaaa", store.user_hash(8), "up"),
                   ("bbbbbbbbbbbb", store.user_hash(7), "up")]


def test_rows_per_user_and_day_are_capped(tmp_path):
    store = Store(tmp_path, daily_cap=3)
    db = tmp_path / "feedback.sqlite3"
    store.gap(1, "yesterday", "x")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE gaps SET ts = ts - 2 * 86400")
    conn.commit()
    for i in range(5):
        store.gap(1, f"flood {i}", "x")
        store.feedback(1, "up", f"flood {i}", ["a"], f"{i:012x}")
    store.gap(2, "another user", "x")
    assert [q for (q,) in rows(db, "SELECT question FROM gaps ORDER BY rowid")] == [
        "yesterday", "flood 0", "flood 1", "flood 2", "another user"]
    assert rows(db, "SELECT COUNT(*) FROM feedback") == [(3,)]
    store.feedback(1, "down", "flood 0", ["a"], f"{0:012x}")  # changing a vote is not a new row
    assert rows(db, "SELECT vote FROM feedback WHERE answer_key = '000000000000'") == [("down",)]


def test_files_are_private_from_the_start(tmp_path, monkeypatch):
    import os
    import stat

    import bot.store as store_mod

    data = tmp_path / "data"
    real_token_bytes = store_mod.secrets.token_bytes
    seen = []

    def token_bytes(n):  # the moment the secret exists: its file must already be private
        salt = data / "salt"
        seen.append(salt.exists() and stat.S_IMODE(salt.stat().st_mode))
        return real_token_bytes(n)

    monkeypatch.setattr(store_mod.secrets, "token_bytes", token_bytes)
    old = os.umask(0)  # whatever the operator's umask
    try:
        store = Store(data)
        store.gap(1, "q", "x")
    finally:
        os.umask(old)
    assert seen == [0o600]
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "salt").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "feedback.sqlite3").stat().st_mode) == 0o600


def test_an_existing_readable_database_is_made_private_and_upgraded(tmp_path):
    import stat

    db = tmp_path / "feedback.sqlite3"
    conn = sqlite3.connect(db)  # the schema before one-vote-per-answer
    conn.executescript("CREATE TABLE feedback (ts REAL NOT NULL, user_hash TEXT NOT NULL, vote TEXT NOT NULL, "
                       "question TEXT NOT NULL, fact_ids TEXT NOT NULL);"
                       "INSERT INTO feedback VALUES (1e9, 'h', 'up', 'old', 'a');")
    conn.commit()
    conn.close()
    db.chmod(0o644)
    store = Store(tmp_path)
    assert store.feedback(1, "up", "new", ["b"], "cccccccccccc")
    assert store.feedback(1, "down", "new", ["b"], "cccccccccccc")
    assert rows(db, "SELECT question, vote FROM feedback ORDER BY rowid") == [("old", "up"), ("new", "down")]
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_the_salt_may_live_outside_the_data_directory(tmp_path):
    data, secret = tmp_path / "data", tmp_path / "secrets" / "qa-salt"
    store = Store(data, salt_file=secret)
    store.gap(1, "q", "x")
    assert secret.is_file() and not (data / "salt").exists()
    assert Store(data, salt_file=secret).user_hash(1) == store.user_hash(1)
    assert Store(data).user_hash(1) != store.user_hash(1)  # without that salt, other hashes
