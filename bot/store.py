"""Local store of feedback presses and unanswered questions (SQLite, salted user hashes)."""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    ts REAL NOT NULL, user_hash TEXT NOT NULL, vote TEXT NOT NULL,
    question TEXT NOT NULL, fact_ids TEXT NOT NULL, answer_key TEXT);
CREATE TABLE IF NOT EXISTS gaps (
    ts REAL NOT NULL, user_hash TEXT NOT NULL, question TEXT NOT NULL, reason TEXT NOT NULL);
"""
# After the columns exist (a database from before answer_key gets the column first).
INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS feedback_vote ON feedback (answer_key, user_hash);
CREATE INDEX IF NOT EXISTS feedback_user ON feedback (user_hash, ts);
CREATE INDEX IF NOT EXISTS gaps_user ON gaps (user_hash, ts);
"""
DAY = 86400


@dataclass(frozen=True)
class Gap:
    question: str
    count: int


def _private_file(path: Path) -> None:
    """Create `path` readable by its owner only, or make it so."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)


class Store:
    """Append-only records, bounded: questions cut to `max_chars`, at most `daily_cap` rows
    per user and day in each table, nothing older than `retention_days`. Every failure is
    logged and swallowed: answering goes on."""

    def __init__(self, data_dir: Path, retention_days: int = 90, *, max_chars: int = 300,
                 daily_cap: int = 200, salt_file: Path | None = None):
        self.path = Path(data_dir) / "feedback.sqlite3"
        self.retention = retention_days * DAY
        self.max_chars, self.daily_cap = max_chars, daily_cap
        self._lock = threading.Lock()
        self._ready = False
        self._salt = self._load_salt(Path(data_dir), Path(salt_file) if salt_file else Path(data_dir) / "salt")

    @classmethod
    def from_settings(cls, settings) -> "Store":
        return cls(settings.data_dir, settings.data_retention_days, max_chars=settings.max_question_chars,
                   daily_cap=settings.data_daily_cap, salt_file=settings.salt_file)

    @staticmethod
    def _load_salt(data_dir: Path, path: Path) -> bytes:
        """A random salt, so hashes are stable but not reversible without it. Created
        private from the first byte (O_EXCL, mode 600): never briefly readable."""
        try:
            for directory in {data_dir, path.parent}:
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                if stat.S_IMODE(directory.stat().st_mode) & 0o077:
                    logger.warning("%s is readable by other users; `chmod 700` it", directory)
            for _ in range(2):
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:
                    salt = path.read_bytes()
                    if len(salt) >= 16:
                        return salt
                    logger.warning("salt file %s is damaged; making a new one (earlier hashes no "
                                   "longer match)", path)
                    path.unlink()
                    continue
                salt = secrets.token_bytes(32)
                with os.fdopen(fd, "wb") as out:
                    out.write(salt)
                return salt
        except OSError as exc:
            logger.warning("data directory %s not writable (%s): feedback will not be kept", data_dir, exc)
        return secrets.token_bytes(32)

    def user_hash(self, user_id: int | None) -> str:
        return hmac.new(self._salt, str(user_id or 0).encode(), hashlib.sha256).hexdigest()[:32]

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            _private_file(self.path)
        conn = sqlite3.connect(self.path, timeout=5)
        conn.executescript(SCHEMA)
        if not self._ready:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(feedback)")}
            if "answer_key" not in columns:
                conn.execute("ALTER TABLE feedback ADD COLUMN answer_key TEXT")
            conn.executescript(INDEXES)
            self._ready = True
        return conn

    def _execute(self, *statements: tuple[str, tuple]) -> list:
        """Run the statements in one transaction; the rows of the last one."""
        with self._lock:
            conn = self._connect()
            try:
                rows = []
                for sql, args in statements:
                    rows = conn.execute(sql, args).fetchall()
                conn.commit()
                return rows
            finally:
                conn.close()

    def _record(self, *statements: tuple[str, tuple]) -> bool:
        try:
            self._execute(*statements)
            return True
        except (sqlite3.Error, OSError) as exc:
            logger.warning("could not record to %s: %s", self.path, exc)
            return False

    def _under_cap(self, table: str) -> str:
        return f"(SELECT COUNT(*) FROM {table} WHERE user_hash = ? AND ts > ?) < ?"

    def feedback(self, user_id: int | None, vote: str, question: str, fact_ids,
                 answer_key: str | None = None) -> bool:
        """One vote per (answer, user): pressing again changes the vote, it adds no row."""
        now, user = time.time(), self.user_hash(user_id)
        row = (now, user, vote, question[: self.max_chars], ",".join(fact_ids), answer_key)
        cap = (user, now - DAY, self.daily_cap)
        return self._record(
            ("UPDATE feedback SET vote = ?, ts = ? WHERE answer_key = ? AND user_hash = ?",
             (vote, now, answer_key, user)),
            (f"INSERT OR IGNORE INTO feedback SELECT ?, ?, ?, ?, ?, ? WHERE {self._under_cap('feedback')}",
             row + cap))

    def gap(self, user_id: int | None, question: str, reason: str) -> bool:
        now, user = time.time(), self.user_hash(user_id)
        return self._record(
            (f"INSERT INTO gaps SELECT ?, ?, ?, ? WHERE {self._under_cap('gaps')}",
             (now, user, question[: self.max_chars], reason, user, now - DAY, self.daily_cap)))

    def top_gaps(self, limit: int = 10) -> list[Gap]:
        try:
            rows = self._execute(("SELECT question, COUNT(*) AS n FROM gaps GROUP BY question "
                                  "ORDER BY n DESC, MAX(ts) DESC LIMIT ?", (limit,)))
        except (sqlite3.Error, OSError) as exc:
            logger.warning("could not read %s: %s", self.path, exc)
            return []
        return [Gap(q, n) for q, n in rows]

    def prune(self) -> None:
        """Drop records older than the retention period."""
        cutoff = time.time() - self.retention
        self._record(*((f"DELETE FROM {table} WHERE ts < ?", (cutoff,)) for table in ("feedback", "gaps")))
