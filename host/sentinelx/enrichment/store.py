"""The SQLite file cache, quota and history share, used by several host processes at once.

WAL lets readers run beside one writer; busy_timeout makes writers queue rather than
fail; every write is one short BEGIN IMMEDIATE transaction, so a process killed at
any point (even SIGKILL mid-write) leaves the last committed state. synchronous=NORMAL
in WAL mode loses nothing on a process crash, only possibly the last commits on power loss.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sentinelx import paths

log = logging.getLogger("sentinelx.store")

DB_FILE = "enrich.sqlite3"
BUSY_TIMEOUT_MS = 15_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (
    provider TEXT NOT NULL, ioc_type TEXT NOT NULL, value TEXT NOT NULL,
    verdict TEXT NOT NULL, payload TEXT NOT NULL,
    fetched_at REAL NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (provider, ioc_type, value)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quota_events (provider TEXT NOT NULL, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS quota_events_by_time ON quota_events (provider, ts);
CREATE TABLE IF NOT EXISTS quota_pause (
    provider TEXT PRIMARY KEY, until REAL NOT NULL, reason TEXT NOT NULL,
    strikes INTEGER NOT NULL DEFAULT 0
);
DROP TABLE IF EXISTS history;
"""


def db_path() -> Path:
    return paths.cache_dir() / DB_FILE


def _connect(path: Path) -> sqlite3.Connection:
    # Create the file 0600 first: history shows what the user looked at. SQLite gives
    # the -wal and -shm files the same mode as the database. O_EXCL: never open and close
    # an EXISTING database file by other means, because closing any descriptor of a file
    # drops every POSIX lock this process holds on it, including those of another thread's
    # open connection (SQLite's "how to corrupt", 2.2); that gave "disk I/O error" under
    # concurrent jobs in the fuzzer.
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        conn.execute("PRAGMA synchronous=NORMAL")
        with transaction(conn):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
    except BaseException:
        conn.close()
        raise
    return conn


def _while_locked(action, seconds: float = BUSY_TIMEOUT_MS / 1000):
    """Retry `action` while another process holds the lock. Switching a new database to WAL
    needs an exclusive lock and reports "database is locked" at once instead of waiting on
    busy_timeout, which Chrome's and Firefox's hosts starting together can hit."""
    deadline = time.monotonic() + seconds
    delay = 0.005
    while True:
        try:
            return action()
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the shared database. A file that is not a usable SQLite
    database is moved aside, because a cache must never stop enrichment."""
    path = path or db_path()
    paths.ensure(path.parent)
    try:
        return _connect(path)
    except sqlite3.DatabaseError as e:
        # OperationalError is locking, I/O or permissions: the file may be fine, and moving
        # it aside would throw away another process's cache. Only real corruption is moved.
        if isinstance(e, sqlite3.OperationalError):
            raise
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        log.warning("%s is unusable (%s); moving it to %s", path, e, aside.name)
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(path) + suffix)
            if src.exists():
                src.replace(Path(str(aside) + suffix))
        return _connect(path)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction; IMMEDIATE takes the write lock up front so a
    read-then-write (the quota check) is atomic across processes. Inside another
    transaction it joins that one (a batch of writes commits once)."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
