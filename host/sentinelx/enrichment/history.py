"""Past lookups: one run per enrich, one record per IOC with every provider's answer.

The engine calls `start_run(source_title=, source_url=, total=)` once per enrich and
`record(run_id, ioc, combined, results)` once per IOC when all its providers are done
(`ioc`, `combined`, `results` are the wire dicts of docs/design/providers.md). The page URL
is kept only when the user turned `history.keep_page_url` on: page URLs are sensitive.

Lists are read newest first with keyset pagination on the record id (`WHERE id < cursor`),
so a page costs the same on the first or the thousandth page; bench/history_bench.py
measures the first page of 100,000 rows. The tables live in the shared SQLite file
(enrichment/store.py) and are created here, so nothing else needs to know about them.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sentinelx.enrichment.history_models import Filter, HistoryError, Page, Row, Run
from sentinelx.enrichment.models import iso_utc
from sentinelx.enrichment.store import transaction

VERDICTS = ("malicious", "suspicious", "clean", "no_data")
IOC_TYPES = ("ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "cve", "email")
MAX_PAGE = 500
MAX_TITLE = 300
MAX_URL = 2048
KEEP_URL_SETTING = "history.keep_page_url"
EVERYTHING = Filter()

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started_at REAL NOT NULL, source_title TEXT, source_url TEXT,
    total INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, ts REAL NOT NULL,
    ioc_type TEXT NOT NULL, value TEXT NOT NULL, verdict TEXT NOT NULL, score REAL NOT NULL,
    providers TEXT NOT NULL, summary TEXT NOT NULL, payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_run ON records (run_id, id);
CREATE INDEX IF NOT EXISTS records_by_verdict ON records (verdict, id);
CREATE INDEX IF NOT EXISTS records_by_type ON records (ioc_type, id);
CREATE INDEX IF NOT EXISTS records_by_time ON records (ts)
"""

__all__ = ["Filter", "History", "HistoryError", "Page", "Row", "Run"]


def _providers(combined: Mapping[str, Any], results: Sequence[Any]) -> list[str]:
    names = {n for n in (combined.get("providers") or {}) if isinstance(n, str)}
    for r in results:
        if isinstance(r, Mapping):
            inner = r.get("result") or r.get("error") or r
            name = r.get("provider") or (inner.get("provider") if isinstance(inner, Mapping)
                                         else None)
            if isinstance(name, str):
                names.add(name)
    return sorted(names)


def _summary(combined: Mapping[str, Any]) -> dict[str, Any]:
    score = combined.get("score")
    ok = isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score)
    providers = combined.get("providers")
    return {
        "score": min(1.0, max(0.0, float(score))) if ok else 0.0,  # type: ignore[arg-type]
        "severity": combined.get("severity") if isinstance(combined.get("severity"), str) else None,
        "reason": str(combined.get("reason") or "")[:1000],
        "label": combined.get("label") if isinstance(combined.get("label"), str) else None,
        "providers": {k: str(v) for k, v in providers.items() if isinstance(k, str)}
        if isinstance(providers, Mapping) else {},
    }


def keep_page_url_setting() -> bool:
    from sentinelx import config

    return bool(config.load().get(KEEP_URL_SETTING, False))


@dataclass
class History:
    conn: sqlite3.Connection
    clock: Callable[[], float] = time.time
    keep_page_url: bool | None = None  # None: read the setting at start_run

    def __post_init__(self) -> None:
        with transaction(self.conn):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.conn.execute(statement)

    # ------------------------------------------------------------------ writing (the engine)

    def start_run(self, *, source_title: str | None = None, source_url: str | None = None,
                  total: int = 0) -> int:
        keep = keep_page_url_setting() if self.keep_page_url is None else self.keep_page_url
        # One line, no NUL (SQLite's LIKE would stop at it), bounded: page text is hostile.
        title = (" ".join(source_title.replace("\0", "").split())[:MAX_TITLE]
                 if isinstance(source_title, str) else None)
        url = source_url[:MAX_URL] if keep and isinstance(source_url, str) and source_url else None
        with transaction(self.conn):
            cur = self.conn.execute(
                "INSERT INTO runs (started_at, source_title, source_url, total) VALUES (?,?,?,?)",
                (self.clock(), title or None, url, max(0, int(total))))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def record(self, run_id: int, ioc: Any, combined: Any, results: Any) -> None:
        """One IOC of run `run_id`, once all its providers are done."""
        self.record_batch(int(run_id), [(ioc, combined, results)])

    def record_batch(self, run_id: int, items: Sequence[tuple[Any, Any, Any]]) -> None:
        """Several records in one transaction (cache hits come in bursts of hundreds)."""
        now = self.clock()
        rows = [self._row(run_id, now, *item) for item in items]
        if rows:
            with transaction(self.conn):
                self.conn.executemany(
                    "INSERT INTO records (run_id, ts, ioc_type, value, verdict, score, providers,"
                    " summary, payload) VALUES (?,?,?,?,?,?,?,?,?)", rows)

    @staticmethod
    def _row(run_id: int, now: float, ioc: Any, combined: Any, results: Any) -> tuple[Any, ...]:
        if hasattr(ioc, "to_wire"):  # the engine's IOC value
            ioc = ioc.to_wire()
        if not isinstance(ioc, Mapping) or ioc.get("type") not in IOC_TYPES or not (
                isinstance(ioc.get("value"), str) and ioc["value"]):
            raise HistoryError("record needs an ioc with a known type and a value")
        combined = combined if isinstance(combined, Mapping) else {}
        results = list(results) if isinstance(results, list | tuple) else []
        verdict = combined.get("verdict") if combined.get("verdict") in VERDICTS else "no_data"
        summary = _summary(combined)
        try:
            payload = json.dumps({"ioc": dict(ioc), "combined": dict(combined),
                                  "results": results}, ensure_ascii=False,
                                 separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as e:  # NaN/Infinity, or something that is not JSON
            raise HistoryError(f"record is not plain JSON: {e}") from e
        return (run_id, now, ioc["type"], ioc["value"], verdict, summary["score"],
                " " + " ".join(_providers(combined, results)) + " ",
                json.dumps(summary, ensure_ascii=False, separators=(",", ":")), payload)

    # ------------------------------------------------------------------ reading

    def query(self, flt: Filter = EVERYTHING, *, cursor: int | None = None,
              limit: int = 100) -> Page:
        """Newest first; `cursor` is the next_cursor of the previous page."""
        limit = max(1, min(MAX_PAGE, int(limit)))
        where, args = flt.where()
        join = "LEFT JOIN runs u ON u.id = r.run_id"
        keyset = " AND r.id < ?" if cursor is not None else ""
        rows = self.conn.execute(
            f"SELECT r.id, r.run_id, r.ts, r.ioc_type, r.value, r.verdict, r.summary, "
            f"u.source_title, u.source_url FROM records r {join} WHERE {where}{keyset} "
            f"ORDER BY r.id DESC LIMIT ?",
            [*args, *([cursor] if cursor is not None else []), limit + 1]).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        total = self.conn.execute(f"SELECT COUNT(*) FROM records r WHERE {where}",
                                  args).fetchone()[0]
        return Page([Row(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8])
                     for r in rows], rows[-1][0] if more and rows else None, total)

    def records(self, flt: Filter = EVERYTHING, *, max_records: int | None = None
                ) -> Iterator[dict[str, Any]]:
        """Full records (ioc, combined, results, run and page) oldest first, for exports."""
        where, args = flt.where()
        limit = -1 if max_records is None else max_records
        cur = self.conn.execute(
            f"SELECT r.id, r.run_id, r.ts, r.payload, u.source_title, u.source_url FROM records r "
            f"LEFT JOIN runs u ON u.id = r.run_id WHERE {where} ORDER BY r.id LIMIT ?",
            [*args, limit])
        for rid, run_id, ts, payload, title, url in cur:
            rec = json.loads(payload)
            rec.update(id=rid, run_id=run_id, fetched_at=iso_utc(ts), source_title=title)
            if url:
                rec["source_url"] = url
            yield rec

    def run(self, run_id: int) -> Run | None:
        r = self.conn.execute(
            "SELECT id, started_at, source_title, source_url, total, "
            "(SELECT COUNT(*) FROM records WHERE run_id = runs.id) FROM runs WHERE id = ?",
            (run_id,)).fetchone()
        return Run(*r) if r else None

    # ------------------------------------------------------------------ forgetting

    def delete(self, ids: Sequence[int] = (), run_id: int | None = None) -> int:
        """Delete records by id and/or a whole run. Runs left empty stay (unseen: the list
        shows records), since another host process may be about to record into one."""
        deleted = 0
        with transaction(self.conn):
            for i in range(0, len(ids), 500):
                chunk = list(ids[i:i + 500])
                deleted += self.conn.execute(
                    f"DELETE FROM records WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk).rowcount
            if run_id is not None:
                deleted += self.conn.execute("DELETE FROM records WHERE run_id = ?",
                                             (run_id,)).rowcount
                self.conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        return deleted

    def clear(self) -> int:
        """Forget every lookup: runs, records and the per-lookup audit log. A run still going
        in another process keeps recording; its records list without a page title."""
        with transaction(self.conn):
            n: int = self.conn.execute("DELETE FROM records").rowcount
            self.conn.execute("DELETE FROM runs")
            if self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'history'").fetchone():  # the wave-1 audit log
                self.conn.execute("DELETE FROM history")
        return n
