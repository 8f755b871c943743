"""The state of one enrich job and the wire fields built from it (progress, summary).

`Lane` is one provider's lane for a run; `Item` one IOC's progress through its providers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sentinelx.enrichment.models import EnrichmentError, iso_utc
from sentinelx.enrichment.plan import Rules
from sentinelx.enrichment.policy import Part, combine
from sentinelx.enrichment.providers.base import Provider, RetryPolicy
from sentinelx.enrichment.quota import Quota, QuotaState, Slot
from sentinelx.pipeline.models import IOC

MAX_CONCURRENCY = 8  # requests in flight per provider when its quota allows as many


@dataclass
class Lane:
    """One provider's lane for one run."""

    provider: Provider
    quota: Quota
    enabled: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def name(self) -> str:
        return self.provider.SPEC.name

    @property
    def concurrency(self) -> int:
        per_minute = self.quota.limits.per_minute
        return max(1, min(MAX_CONCURRENCY, per_minute or MAX_CONCURRENCY))


@dataclass(frozen=True, slots=True)
class Options:
    refresh: bool = False  # bypass the cache for this request
    rules: Rules = field(default_factory=Rules)
    progress_interval: float = 5.0  # seconds between progress messages while waiting
    source_title: str | None = None
    source_url: str | None = None
    # A lane whose next slot is further away than this (a daily limit, a long 429 pause)
    # ends its IOCs as rate_limited with retry_at instead of holding the job for hours.
    max_wait: float = 15 * 60


def dedupe(iocs: Sequence[IOC]) -> list[IOC]:
    seen: set[tuple[str, str]] = set()
    out = []
    for ioc in iocs:
        key = ioc.key
        if key not in seen:
            seen.add(key)
            out.append(ioc)
    return out


@dataclass
class Item:
    """One IOC's progress through its providers."""

    ioc: IOC
    parts: dict[str, Part]
    results: list[dict[str, Any]] = field(default_factory=list)
    recorded: bool = False


@dataclass
class LaneState:
    queue: deque[Item] = field(default_factory=deque)
    done: int = 0
    errors: int = 0
    cached: int = 0
    auth_error: EnrichmentError | None = None
    exhausted: Slot | None = None  # past Options.max_wait: what is left ends rate_limited
    no_key: bool = False  # IOCs were skipped for want of a required key
    waiting: Slot | None = None
    remaining_today: int | None = None
    paused_until: float | None = None


def progress_fields(items: Sequence[Item], state: Mapping[str, LaneState]) -> dict[str, Any]:
    """The `progress` reply's fields (the caller holds the job's lock)."""
    done = sum(1 for i in items if all(p.state != "pending" for p in i.parts.values()))
    lookups = sum(len(i.parts) for i in items)
    pending = sum(p.state == "pending" for i in items for p in i.parts.values())
    providers: dict[str, Any] = {}
    waiting = [(n, s.waiting) for n, s in state.items() if s.waiting is not None]
    for name, st in state.items():
        slot = st.waiting
        providers[name] = {
            "queued": len(st.queue), "done": st.done,
            "waiting_for_quota": slot is not None,
            "quota_state": ("auth_failed" if st.auth_error else
                            slot.state.value if slot else
                            st.exhausted.state.value if st.exhausted else
                            "no_api_key" if st.no_key else QuotaState.OK.value),
            "next_slot_at": iso_utc(slot.next_slot_at) if slot else None,
            "remaining_today": st.remaining_today,
        }
    first = min(waiting, key=lambda w: w[1].next_slot_at or 0, default=None)
    # One lane (or the one that waits): its daily budget; several: none says it all.
    shown = first[0] if first else next(iter(state)) if len(state) == 1 else None
    return {
        "done": done, "total": len(items), "queued": len(items) - done,
        "waiting_for_quota": first is not None,
        "quota_state": (first[1].state.value if first else
                        providers[shown]["quota_state"] if shown else QuotaState.OK.value),
        "next_slot_at": iso_utc(first[1].next_slot_at) if first else None,
        "remaining_today": state[shown].remaining_today if shown else None,
        "lookups_total": lookups, "lookups_pending": pending,
        "providers": providers,
    }


def summary_fields(items: Sequence[Item], state: Mapping[str, LaneState], *, now: float,
                   cancelled: bool, elapsed_ms: int, run_id: int | None) -> dict[str, Any]:
    """The `summary` reply's fields: counts per IOC by combined verdict, per provider."""
    counts = dict.fromkeys(("malicious", "suspicious", "clean", "no_data", "skipped",
                            "error"), 0)
    cached = 0
    for item in items:
        parts = list(item.parts.values())
        states = {p.state for p in parts}
        if states <= {"skipped"}:
            counts["skipped"] += 1
        elif states <= {"skipped", "error"}:
            counts["error"] += 1
        else:
            counts[combine(parts)["verdict"]] += 1
        cached += any(r.get("cached") for r in item.results)
    providers = {}
    for name, st in state.items():
        until = st.paused_until if st.paused_until and st.paused_until > now else None
        providers[name] = {"done": st.done, "errors": st.errors, "cached": st.cached,
                           "paused_until": iso_utc(until)}
    return {"total": len(items), "counts": counts, "cached": cached,
            "cancelled": cancelled,
            "elapsed_ms": elapsed_ms,
            "providers": providers, "run_id": run_id}
