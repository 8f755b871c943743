"""Opening another connection must never drop the locks an open connection of the same
process holds (closing any descriptor of a file drops all of a process's POSIX locks on it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sentinelx.enrichment import store

PROBE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("SELECT COUNT(*) FROM cache").fetchone()
conn.close()  # the last connection of the file would checkpoint and delete -wal and -shm
"""


def test_a_second_connect_keeps_the_first_connections_locks(tmp_path: Path) -> None:
    db = tmp_path / "enrich.sqlite3"
    first = store.connect(db)
    try:
        first.execute("SELECT COUNT(*) FROM cache").fetchone()
        store.connect(db).close()  # e.g. a second enrich job of the same host opening the store
        # Another host process comes and goes. Had the second connect dropped this process's
        # locks, that process would think itself the last user and delete the WAL files.
        subprocess.run([sys.executable, "-c", PROBE, str(db)], check=True, timeout=30)
        assert Path(f"{db}-shm").exists()
        with store.transaction(first):
            first.execute("INSERT INTO quota_events VALUES ('t', 1.0)")
        assert first.execute("SELECT COUNT(*) FROM quota_events").fetchone() == (1,)
    finally:
        first.close()


def test_a_new_database_file_is_private(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    store.connect(db).close()
    assert db.stat().st_mode & 0o777 == 0o600
