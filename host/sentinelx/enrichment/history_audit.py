"""The wave-1 per-lookup audit log (`history` table), kept while the engine that writes it
is in use: `History.record(type, value, outcome, from_cache=...)` and `record_many`.

Each call also lands as a run record, so the history page and exports see lookups from
this engine too: one run per History object, i.e. per enrich. Once the provider-generic
engine calls start_run/record itself, this module and the `history` table can go.
"""

from __future__ import annotations

import sqlite3
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


def as_record(ioc_type: str, value: str, outcome: Outcome, from_cache: bool
              ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """(ioc, combined, results) in the contract's wire shape for one wave-1 outcome."""
    ioc = {"type": ioc_type, "value": value, "raw": value, "offset": 0, "private": False}
    wire = outcome.to_wire()
    if isinstance(outcome, EnrichmentResult):
        verdict = outcome.verdict.value
        result = {**wire, "summary": f"{outcome.detections}/{outcome.engines} engines",
                  "found": verdict != "no_data", "role": "verdict"}
        frame = {"provider": outcome.provider, "status": "ok", "cached": from_cache,
                 "result": result}
        reason = (f"{verdict}: VirusTotal {result['summary']}"
                  if verdict in ("malicious", "suspicious", "clean") else "")
        combined = {"verdict": verdict, "score": outcome.score,
                    "severity": outcome.severity.value, "reason": reason,
                    "providers": {outcome.provider: verdict}, "pending": 0, "label": None}
    else:
        frame = {"provider": outcome.provider, "status": "error", "cached": False, "error": wire}
        combined = {"verdict": "no_data", "score": 0.0, "severity": None, "reason": "",
                    "providers": {outcome.provider: "error"}, "pending": 0, "label": None}
    return ioc, combined, [frame]


class AuditLog:
    conn: sqlite3.Connection
    clock: Callable[[], float]
    _legacy_run: int | None

    def start_run(self, *, source_title: str | None = None, source_url: str | None = None,
                  total: int = 0) -> int:
        raise NotImplementedError

    def record_batch(self, run_id: int, items: Any) -> None:
        raise NotImplementedError

    def record_many(self, items: Iterable[tuple[str, str, Outcome]], *, from_cache: bool) -> None:
        """One transaction for many rows: cache hits come in bursts of hundreds."""
        now = self.clock()
        items = list(items)
        rows = [(now, o.provider, t, v, *outcome_label(o), int(from_cache)) for t, v, o in items]
        if not rows:
            return
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT INTO history (ts, provider, ioc_type, value, outcome, detail, from_cache)"
                " VALUES (?,?,?,?,?,?,?)", rows)
        if self._legacy_run is None:
            self._legacy_run = self.start_run()
        self.record_batch(self._legacy_run, [as_record(t, v, o, from_cache) for t, v, o in items])

    def list(self, since: float | None = None, limit: int | None = None) -> list[Entry]:
        """Oldest first; `limit` keeps the newest entries."""
        rows = self.conn.execute(
            "SELECT ts, provider, ioc_type, value, outcome, from_cache, detail FROM history "
            "WHERE ts >= ? ORDER BY id DESC LIMIT ?", (since or 0.0, limit or -1),
        ).fetchall()
        return [Entry(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in reversed(rows)]
