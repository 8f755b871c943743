"""The values of the history: what to list (Filter), one list row (Row), a page, a run."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sentinelx.enrichment.models import iso_utc


class HistoryError(ValueError):
    """A record or query the history cannot take; the message says why."""


@dataclass(frozen=True, slots=True)
class Filter:
    """What to list or export. Empty tuples and None mean "any"."""

    search: str = ""  # substring of the IOC value or the page title, case-insensitive
    verdicts: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()  # records any of these providers was asked about
    since: float | None = None
    until: float | None = None
    run_id: int | None = None
    ids: tuple[int, ...] = ()

    @classmethod
    def from_wire(cls, d: Mapping[str, Any] | None) -> Filter:
        d = d or {}
        return cls(search=str(d.get("search") or ""), verdicts=tuple(d.get("verdicts") or ()),
                   types=tuple(d.get("types") or ()), providers=tuple(d.get("providers") or ()),
                   since=_epoch(d.get("since")), until=_epoch(d.get("until")),
                   run_id=d.get("run_id"), ids=tuple(d.get("ids") or ()))

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []

        def one_of(column: str, values: Sequence[Any]) -> None:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(values)

        if self.verdicts:
            one_of("r.verdict", self.verdicts)
        if self.types:
            one_of("r.ioc_type", self.types)
        if self.ids:
            one_of("r.id", self.ids)
        if self.run_id is not None:
            clauses.append("r.run_id = ?")
            args.append(self.run_id)
        if self.providers:
            # instr, not LIKE: "_" in a provider name is not a wildcard here.
            clauses.append("(" + " OR ".join("instr(r.providers, ?) > 0" for _ in self.providers)
                           + ")")
            args.extend(f" {p} " for p in self.providers)
        if self.since is not None:
            clauses.append("r.ts >= ?")
            args.append(self.since)
        if self.until is not None:
            clauses.append("r.ts < ?")
            args.append(self.until)
        # NUL would end the LIKE pattern inside SQLite (matching everything): it is dropped.
        needle = self.search.replace("\0", "").strip()
        if needle:
            # LIKE ignores ASCII case without lower() on every row; the title is matched on
            # the (100x smaller) runs table.
            q = "%" + re.sub(r"([\\%_])", r"\\\1", needle) + "%"
            clauses.append("(r.value LIKE ? ESCAPE '\\' OR r.run_id IN (SELECT id FROM runs "
                           "WHERE source_title LIKE ? ESCAPE '\\'))")
            args.extend([q, q])
        return (" AND ".join(clauses) or "1"), args


def _epoch(v: Any) -> float | None:
    if v is None:
        return None
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    if isinstance(v, str):
        from datetime import UTC, datetime

        try:
            dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError as e:
            raise HistoryError(f"not an ISO 8601 time: {v[:40]!r}") from e
        return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
    raise HistoryError("a time must be ISO 8601 or epoch seconds")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the history list: no provider facts (those are in the full record)."""

    id: int
    run_id: int
    ts: float
    ioc_type: str
    value: str
    verdict: str
    summary: Mapping[str, Any]  # score, severity, reason, label, providers {name: verdict}
    source_title: str | None
    source_url: str | None

    def to_wire(self) -> dict[str, Any]:
        out = {"id": self.id, "run_id": self.run_id, "time": iso_utc(self.ts),
               "ioc": {"type": self.ioc_type, "value": self.value}, "verdict": self.verdict,
               **self.summary, "source_title": self.source_title}
        if self.source_url:
            out["source_url"] = self.source_url
        return out


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]
    next_cursor: int | None  # pass back as `cursor` for the next (older) page
    total: int  # rows matching the filter, all pages


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    started_at: float
    source_title: str | None
    source_url: str | None
    total: int
    recorded: int

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"run_id": self.id, "started_at": iso_utc(self.started_at),
                               "source_title": self.source_title, "total": self.total,
                               "recorded": self.recorded}
        if self.source_url:
            out["source_url"] = self.source_url
        return out
