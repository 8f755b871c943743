"""The local audit log (minimal, owned by the exports work, which replaces its body):
one run per enrich, one row per (IOC, provider) outcome, from the network or the cache.

Interface the engine relies on (docs/design/providers.md): `start_run(source_title=,
source_url=, total=) -> run_id` and `record(run_id, ioc, combined, results)` once per IOC
when all its providers are done (`combined` and `results` are the wire dicts).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sentinelx.enrichment.models import iso_utc
from sentinelx.enrichment.store import transaction
from sentinelx.pipeline.models import IOC

RUNS = """CREATE TABLE IF NOT EXISTS history_runs (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, source_title TEXT, source_url TEXT,
    total INTEGER NOT NULL)"""


@dataclass(frozen=True, slots=True)
class Entry:
    ts: float
    provider: str
    ioc_type: str
    value: str
    outcome: str  # a verdict, "error:<code>" or "skipped:<reason>"
    from_cache: bool
    detail: str | None

    def to_json(self) -> dict[str, Any]:
        return {"time": iso_utc(self.ts), "provider": self.provider, "type": self.ioc_type,
                "value": self.value, "outcome": self.outcome, "from_cache": self.from_cache,
                "detail": self.detail}


def _row(now: float, ioc: IOC, r: dict[str, Any]) -> tuple[Any, ...]:
    if r.get("result"):
        outcome, detail = r["result"]["verdict"], r["result"].get("summary") or None
    elif r.get("error"):
        outcome = f"error:{r['error']['code']}"
        detail = r["error"].get("provider_code") or r["error"]["message"][:200]
    else:
        outcome, detail = f"skipped:{r.get('reason', '')}", None
    return (now, r["provider"], ioc.type.value, ioc.value, outcome, detail, int(r["cached"]))


class History:
    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.conn = conn
        self.clock = clock

    def start_run(self, *, source_title: str | None = None, source_url: str | None = None,
                  total: int = 0) -> int:
        with transaction(self.conn):
            self.conn.execute(RUNS)
            cur = self.conn.execute(
                "INSERT INTO history_runs (ts, source_title, source_url, total) VALUES (?,?,?,?)",
                (self.clock(), source_title, source_url, total))
        return int(cur.lastrowid or 0)

    def record(self, run_id: int, ioc: IOC, combined: dict[str, Any],
               results: Sequence[dict[str, Any]]) -> None:
        now = self.clock()
        rows = [_row(now, ioc, r) for r in results if r.get("status") != "skipped"]
        if not rows:
            return
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT INTO history (ts, provider, ioc_type, value, outcome, detail, from_cache)"
                " VALUES (?,?,?,?,?,?,?)", rows)

    def list(self, since: float | None = None, limit: int | None = None) -> list[Entry]:
        """Oldest first; `limit` keeps the newest entries."""
        rows = self.conn.execute(
            "SELECT ts, provider, ioc_type, value, outcome, from_cache, detail FROM history "
            "WHERE ts >= ? ORDER BY id DESC LIMIT ?", (since or 0.0, limit or -1),
        ).fetchall()
        return [Entry(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in reversed(rows)]
