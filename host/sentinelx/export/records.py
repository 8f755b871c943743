"""What every export format reads: one IOC record as history keeps it, flattened once.

The input is the wire shape of docs/design/providers.md: `{ioc, combined, results,
fetched_at, run_id?, source_title?, source_url?}`, where each entry of `results` is a
per-provider `result` frame (with `status`, `result` or `error`), a bare provider result
(with `verdict`) or a bare error (with `code`). Anything else is ignored, never guessed at:
exports are read from a history that may hold older or hand-edited rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

VERDICTS = ("malicious", "suspicious", "clean", "no_data")
IOC_TYPES = ("ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "cve", "email")
# Fact keys providers use for first/last sighting dates and tags (ISO 8601 strings, lists).
_FIRST_SEEN_KEYS = ("first_seen", "first_submission_date", "date_added", "published")
_LAST_SEEN_KEYS = ("last_seen", "last_analysis_date", "last_modified", "last_online")
_TAG_KEYS = ("tags", "labels", "malware", "threat", "threat_type", "malware_family")


class RecordError(ValueError):
    """A record an export cannot use (no IOC type or value); the message says why."""


@dataclass(frozen=True, slots=True)
class ProviderOutcome:
    """What one provider said about one IOC: a verdict, or why there is none."""

    provider: str
    status: str  # ok | error | skipped | pending
    verdict: str | None  # a verdict when status is ok
    score: float | None
    summary: str
    link: str | None
    fetched_at: str | None
    error_code: str | None
    facts: Mapping[str, Any]

    @property
    def label(self) -> str:
        """The verdict, or the status/error code: what a table cell shows."""
        if self.verdict:
            return self.verdict
        if self.status == "error" and self.error_code:
            return f"error:{self.error_code}"
        return self.status


@dataclass(frozen=True, slots=True)
class ExportRecord:
    ioc_type: str
    value: str
    verdict: str
    score: float
    severity: str | None
    reason: str
    label: str | None
    providers: tuple[ProviderOutcome, ...]
    fetched_at: str | None
    first_seen: str | None
    last_seen: str | None
    tags: tuple[str, ...]
    run_id: int | None
    source_title: str | None
    source_url: str | None
    raw: Mapping[str, Any]  # the record as given, for the JSON export

    @property
    def links(self) -> tuple[str, ...]:
        return tuple(p.link for p in self.providers if p.link)

    @property
    def sources(self) -> tuple[str, ...]:
        """Providers that gave a verdict other than no_data: who says so."""
        return tuple(p.provider for p in self.providers
                     if p.verdict and p.verdict != "no_data")


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _score(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return min(1.0, max(0.0, float(v)))


def _outcome(entry: Mapping[str, Any]) -> ProviderOutcome | None:
    if "status" in entry:  # a full result frame
        status = str(entry.get("status"))
        inner = entry.get("result") if isinstance(entry.get("result"), Mapping) else None
        error = entry.get("error") if isinstance(entry.get("error"), Mapping) else None
        provider = _str(entry.get("provider")) or _str((inner or error or {}).get("provider"))
    elif "verdict" in entry:
        status, inner, error, provider = "ok", entry, None, _str(entry.get("provider"))
    elif "code" in entry:
        status, inner, error, provider = "error", None, entry, _str(entry.get("provider"))
    else:
        return None
    if provider is None:
        return None
    verdict = _str(inner.get("verdict")) if inner else None
    if verdict not in VERDICTS:
        verdict = None
    facts = inner.get("facts") if inner and isinstance(inner.get("facts"), Mapping) else {}
    link = _str(inner.get("link")) if inner else None
    return ProviderOutcome(
        provider=provider, status=status if verdict or status != "ok" else "error",
        verdict=verdict, score=_score(inner.get("score")) if inner else None,
        summary=(_str(inner.get("summary")) or "") if inner else "",
        link=link if link and link.startswith("https://") else None,
        fetched_at=_str(inner.get("fetched_at")) if inner else None,
        error_code=_str(error.get("code")) if error else None, facts=facts,
    )


def _dates(outcomes: Sequence[ProviderOutcome], keys: Sequence[str]) -> list[str]:
    out = []
    for o in outcomes:
        for k in keys:
            v = o.facts.get(k)
            if isinstance(v, str) and len(v) >= 10 and v[:4].isdigit():
                out.append(v)
    return out


def _tags(outcomes: Sequence[ProviderOutcome]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for o in outcomes:
        for k in _TAG_KEYS:
            v = o.facts.get(k)
            items = v if isinstance(v, list) else [v]
            for item in items:
                if isinstance(item, str) and item.strip():
                    seen.setdefault(item.strip()[:200], None)
    return tuple(seen)


def from_wire(rec: Mapping[str, Any]) -> ExportRecord:
    """Flatten one history record; RecordError when it has no usable IOC."""
    ioc = rec.get("ioc")
    if not isinstance(ioc, Mapping):
        raise RecordError("record has no ioc object")
    ioc_type, value = ioc.get("type"), ioc.get("value")
    if ioc_type not in IOC_TYPES or not isinstance(value, str) or not value:
        raise RecordError(f"record has no usable ioc type/value: {ioc_type!r}")
    combined = rec.get("combined") if isinstance(rec.get("combined"), Mapping) else {}
    assert isinstance(combined, Mapping)
    outcomes: list[ProviderOutcome] = []
    results = rec.get("results")
    for entry in results if isinstance(results, list) else []:
        if isinstance(entry, Mapping) and (o := _outcome(entry)) is not None:
            outcomes.append(o)
    # Providers named in combined.providers but without a result (skipped, pending) still show.
    named = combined.get("providers") if isinstance(combined.get("providers"), Mapping) else {}
    assert isinstance(named, Mapping)
    have = {o.provider for o in outcomes}
    for name, state in named.items():
        if isinstance(name, str) and name not in have:
            verdict = state if state in VERDICTS else None
            outcomes.append(ProviderOutcome(name, "ok" if verdict else str(state), verdict, None,
                                            "", None, None, None, {}))
    outcomes.sort(key=lambda o: o.provider)
    verdict = combined.get("verdict") if combined.get("verdict") in VERDICTS else "no_data"
    firsts, lasts = _dates(outcomes, _FIRST_SEEN_KEYS), _dates(outcomes, _LAST_SEEN_KEYS)
    run_id = rec.get("run_id")
    return ExportRecord(
        ioc_type=str(ioc_type), value=value, verdict=str(verdict),
        score=_score(combined.get("score")) or 0.0, severity=_str(combined.get("severity")),
        reason=_str(combined.get("reason")) or "", label=_str(combined.get("label")),
        providers=tuple(outcomes),
        fetched_at=_str(rec.get("fetched_at")) or max(
            (o.fetched_at for o in outcomes if o.fetched_at), default=None),
        first_seen=min(firsts) if firsts else None, last_seen=max(lasts) if lasts else None,
        tags=_tags(outcomes), run_id=run_id if isinstance(run_id, int) else None,
        source_title=_str(rec.get("source_title")), source_url=_str(rec.get("source_url")),
        raw=rec,
    )


def load(records: Iterable[Mapping[str, Any]]) -> list[ExportRecord]:
    """Every usable record, in order; unusable ones are skipped (history may hold old rows)."""
    out = []
    for rec in records:
        try:
            out.append(from_wire(rec))
        except RecordError:
            continue
    return out
