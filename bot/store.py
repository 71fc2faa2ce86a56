"""Local store of feedback presses and unanswered questions (SQLite, salted user hashes)."""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    ts REAL NOT NULL, user_hash TEXT NOT NULL, vote TEXT NOT NULL,
    question TEXT NOT NULL, fact_ids TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gaps (
    ts REAL NOT NULL, user_hash TEXT NOT NULL, question TEXT NOT NULL, reason TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Gap:
    question: str
    count: int


class Store:
    """Append-only records. Every failure is logged and swallowed: answering goes on."""

    def __init__(self, data_dir: Path, retention_days: int = 90):
        self.path = Path(data_dir) / "feedback.sqlite3"
        self.retention = retention_days * 86400
        self._lock = threading.Lock()
        self._salt = self._load_salt(Path(data_dir))

    @staticmethod
    def _load_salt(data_dir: Path) -> bytes:
        """A random salt kept beside the database, so hashes are stable but not reversible."""
        path = data_dir / "salt"
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            if path.is_file() and len(path.read_bytes()) >= 16:
                return path.read_bytes()
            salt = secrets.token_bytes(32)
            path.write_bytes(salt)
            path.chmod(0o600)
            return salt
        except OSError as exc:
            logger.warning("data directory %s not writable (%s): feedback will not be kept", data_dir, exc)
            return secrets.token_bytes(32)

    def user_hash(self, user_id: int | None) -> str:
        return hmac.new(self._salt, str(user_id or 0).encode(), hashlib.sha256).hexdigest()[:32]

    def _execute(self, sql: str, args: tuple = ()) -> list:
        with self._lock:
            conn = sqlite3.connect(self.path, timeout=5)
            try:
                conn.executescript(SCHEMA)
                rows = conn.execute(sql, args).fetchall()
                conn.commit()
                return rows
            finally:
                conn.close()

    def _record(self, sql: str, args: tuple) -> bool:
        try:
            self._execute(sql, args)
            return True
        except (sqlite3.Error, OSError) as exc:
            logger.warning("could not record to %s: %s", self.path, exc)
            return False

    def feedback(self, user_id: int | None, vote: str, question: str, fact_ids: list[str]) -> bool:
        return self._record("INSERT INTO feedback VALUES (?, ?, ?, ?, ?)",
                            (time.time(), self.user_hash(user_id), vote, question, ",".join(fact_ids)))

    def gap(self, user_id: int | None, question: str, reason: str) -> bool:
        return self._record("INSERT INTO gaps VALUES (?, ?, ?, ?)",
                            (time.time(), self.user_hash(user_id), question, reason))

    def top_gaps(self, limit: int = 10) -> list[Gap]:
        try:
            rows = self._execute("SELECT question, COUNT(*) AS n FROM gaps GROUP BY question "
                                 "ORDER BY n DESC, MAX(ts) DESC LIMIT ?", (limit,))
        except (sqlite3.Error, OSError) as exc:
            logger.warning("could not read %s: %s", self.path, exc)
            return []
        return [Gap(q, n) for q, n in rows]

    def prune(self) -> None:
        """Drop records older than the retention period."""
        cutoff = time.time() - self.retention
        for table in ("feedback", "gaps"):
            self._record(f"DELETE FROM {table} WHERE ts < ?", (cutoff,))
