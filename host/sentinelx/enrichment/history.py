"""The local audit log: every lookup, from the network or the cache, with its outcome."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sentinelx.enrichment.models import EnrichmentResult, Outcome, iso_utc
from sentinelx.enrichment.store import transaction


@dataclass(frozen=True, slots=True)
class Entry:
    ts: float
    provider: str
    ioc_type: str
    value: str
    outcome: str  # a verdict, or "error:<code>"
    from_cache: bool
    detail: str | None

    def to_json(self) -> dict[str, Any]:
        return {"time": iso_utc(self.ts), "provider": self.provider, "type": self.ioc_type,
                "value": self.value, "outcome": self.outcome, "from_cache": self.from_cache,
                "detail": self.detail}


def outcome_label(outcome: Outcome) -> tuple[str, str | None]:
    if isinstance(outcome, EnrichmentResult):
        return outcome.verdict.value, f"{outcome.detections}/{outcome.engines}"
    return f"error:{outcome.code.value}", outcome.provider_code or outcome.message[:200]


class History:
    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.conn = conn
        self.clock = clock

    def record(self, ioc_type: str, value: str, outcome: Outcome, *, from_cache: bool) -> None:
        self.record_many([(ioc_type, value, outcome)], from_cache=from_cache)

    def record_many(self, items: Iterable[tuple[str, str, Outcome]], *, from_cache: bool) -> None:
        """One transaction for many rows: cache hits come in bursts of hundreds."""
        now = self.clock()
        rows = [(now, o.provider, t, v, *outcome_label(o), int(from_cache)) for t, v, o in items]
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
