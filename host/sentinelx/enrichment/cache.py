"""Verdict cache keyed by (provider, type, value), with a TTL per verdict."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sentinelx.enrichment.models import EnrichmentResult, Verdict
from sentinelx.enrichment.store import transaction

log = logging.getLogger("sentinelx.cache")
HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class TTLs:
    """Hours each verdict stays cached; verdicts not listed use `default_hours`."""

    default_hours: float = 24.0
    per_verdict: Mapping[Verdict, float] = field(default_factory=dict)

    def seconds(self, verdict: Verdict) -> float:
        return self.per_verdict.get(verdict, self.default_hours) * HOUR


class Cache:
    def __init__(self, conn: sqlite3.Connection, ttls: TTLs = TTLs(),
                 clock: Callable[[], float] = time.time) -> None:
        self.conn = conn
        self.ttls = ttls
        self.clock = clock

    def get(self, provider: str, ioc_type: str, value: str) -> EnrichmentResult | None:
        row = self.conn.execute(
            "SELECT payload FROM cache WHERE provider=? AND ioc_type=? AND value=? "
            "AND expires_at > ?", (provider, ioc_type, value, self.clock()),
        ).fetchone()
        if row is None:
            return None
        try:
            return EnrichmentResult.from_wire(json.loads(row[0]))
        except (ValueError, KeyError, TypeError) as e:  # a row from another version: refetch
            log.warning("ignoring an unreadable cache row for %s: %s", ioc_type, e)
            return None

    def put(self, ioc_type: str, value: str, result: EnrichmentResult) -> None:
        ttl = self.ttls.seconds(result.verdict)
        if ttl <= 0:
            return
        now = self.clock()
        with transaction(self.conn):
            self.conn.execute(
                "INSERT OR REPLACE INTO cache VALUES (?,?,?,?,?,?,?)",
                (result.provider, ioc_type, value, result.verdict.value,
                 json.dumps(result.to_wire(), separators=(",", ":")), now, now + ttl),
            )

    def purge_expired(self) -> int:
        with transaction(self.conn):
            return self.conn.execute("DELETE FROM cache WHERE expires_at <= ?",
                                     (self.clock(),)).rowcount
