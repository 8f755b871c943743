"""The enrich queue: dedupe, skip private, serve the cache first, then look the rest
up one by one at the pace the shared quota allows, reporting as it goes.

Transport-agnostic: results and progress go to callbacks as wire-shaped dicts (the
`result` and `progress` schemas minus id/type), so the native port and the CLI share it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sentinelx.enrichment.cache import Cache
from sentinelx.enrichment.history import History
from sentinelx.enrichment.models import (
    EnrichmentError,
    EnrichmentResult,
    ErrorCode,
    Outcome,
    iso_utc,
)
from sentinelx.enrichment.providers.base import Provider, RetryPolicy, lookup
from sentinelx.enrichment.quota import Quota, QuotaState, Slot
from sentinelx.pipeline.models import IOC

Emit = Callable[[dict[str, Any]], None]
NO_KEY_MESSAGE = ("no VirusTotal API key: add one in the extension's options, or run "
                  "`sentinelx config set-key`")


@dataclass(frozen=True, slots=True)
class QueueOptions:
    refresh: bool = False  # bypass the cache for this request
    send_private: bool = False
    has_key: bool = True
    progress_interval: float = 5.0  # seconds between progress messages while waiting
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def dedupe(iocs: Sequence[IOC]) -> list[IOC]:
    seen: set[tuple[str, str]] = set()
    out = []
    for ioc in iocs:
        if ioc.key not in seen:
            seen.add(ioc.key)
            out.append(ioc)
    return out


class EnrichQueue:
    def __init__(self, provider: Provider, cache: Cache, quota: Quota, history: History, *,
                 on_result: Emit, on_progress: Emit, cancel: threading.Event,
                 options: QueueOptions = QueueOptions(),
                 clock: Callable[[], float] = time.time,
                 wait: Callable[[float], bool] | None = None) -> None:
        self.provider, self.cache, self.quota, self.history = provider, cache, quota, history
        self.on_result, self.on_progress = on_result, on_progress
        self.cancel = cancel
        self.options = options
        self.clock = clock
        # wait(seconds) -> True if cancelled; tests inject a fake clock's wait.
        self.wait = wait or cancel.wait
        self.counts = dict.fromkeys(
            ("malicious", "suspicious", "clean", "no_data", "skipped", "error"), 0)
        self.cached = 0
        self.done = 0
        self.total = 0
        self.quota_state = QuotaState.OK.value
        self.remaining_today: int | None = None

    # --- reporting ---------------------------------------------------------------

    def _result(self, ioc: IOC, status: str, *, cached: bool = False,
                outcome: Outcome | None = None, reason: str | None = None) -> None:
        msg: dict[str, Any] = {"ioc": ioc.to_wire(), "status": status, "cached": cached}
        if reason:
            msg["reason"] = reason
        if isinstance(outcome, EnrichmentResult):
            msg["enrichment"] = outcome.to_wire()
            self.counts[outcome.verdict.value] += 1
        else:
            if outcome is not None:
                msg["error"] = outcome.to_wire()
            self.counts["skipped" if status == "skipped" else "error"] += 1
        self.cached += cached
        self.done += 1
        self.on_result(msg)

    def _progress(self, slot: Slot | None = None) -> None:
        waiting = slot is not None and not slot.granted
        if slot is not None:
            self.remaining_today = slot.remaining_today
        self.on_progress({
            "done": self.done, "total": self.total, "queued": self.total - self.done,
            "waiting_for_quota": waiting,
            "quota_state": slot.state.value if waiting and slot else self.quota_state,
            "next_slot_at": iso_utc(slot.next_slot_at) if waiting and slot else None,
            "remaining_today": self.remaining_today,
        })

    # --- the run -----------------------------------------------------------------

    def run(self, iocs: Sequence[IOC]) -> dict[str, Any]:
        started = time.monotonic()
        unique = dedupe(iocs)
        self.total = len(unique)
        self._progress()
        pending = self._serve_local(unique)
        if pending and not self.cancel.is_set():
            if not self.options.has_key:
                self.quota_state = "no_api_key"
                for ioc in pending:
                    self._result(ioc, "error", outcome=EnrichmentError(
                        self.provider.name, ErrorCode.NO_API_KEY, NO_KEY_MESSAGE))
                pending = []
            else:
                self.remaining_today = self.quota.status().remaining_today
                self._progress()
                pending = self._lookup_all(pending)
        cancelled = self.cancel.is_set()
        for ioc in pending:  # only left over when cancelled: close every spinner
            self._result(ioc, "error", outcome=EnrichmentError(
                self.provider.name, ErrorCode.CANCELLED, "cancelled before it was looked up"))
        self._progress()
        return {"total": self.total, "counts": dict(self.counts), "cached": self.cached,
                "cancelled": cancelled, "elapsed_ms": int((time.monotonic() - started) * 1000)}

    def _serve_local(self, unique: list[IOC]) -> list[IOC]:
        """Everything answerable without the network, at once. Returns what is left."""
        pending: list[IOC] = []
        hits: list[tuple[str, str, Outcome]] = []
        send_private = self.options.send_private
        for n, ioc in enumerate(unique):
            if self.cancel.is_set():
                pending.extend(unique[n:])
                break
            if ioc.private and not send_private:
                self._result(ioc, "skipped", reason="private")
                continue
            problem = self.provider.check(ioc.type, ioc.value)
            if problem is not None:
                unsupported = problem.code is ErrorCode.UNSUPPORTED
                self._result(ioc, "skipped" if unsupported else "error", outcome=problem,
                             reason="unsupported" if unsupported else None)
                continue
            hit = None if self.options.refresh else self.cache.get(
                self.provider.name, ioc.type.value, ioc.value)
            if hit is not None:
                self._result(ioc, "ok", cached=True, outcome=hit)
                hits.append((ioc.type.value, ioc.value, hit))
            else:
                pending.append(ioc)
        self.history.record_many(hits, from_cache=True)
        return pending

    def _await_slot(self) -> bool:
        """Block until the shared quota grants a request; False if cancelled."""
        while not self.cancel.is_set():
            slot = self.quota.try_acquire()
            if slot.granted:
                self.remaining_today = slot.remaining_today
                return True
            self._progress(slot)
            delay = (slot.next_slot_at or 0) - self.clock()
            if self.wait(max(0.05, min(self.options.progress_interval, delay))):
                return False
        return False

    def _lookup_all(self, pending: list[IOC]) -> list[IOC]:
        """Look up pending IOCs in order; returns those not done (cancel)."""
        i = 0
        while i < len(pending) and not self.cancel.is_set():
            ioc = pending[i]
            t, v = ioc.type.value, ioc.value
            # Another host process may have fetched it while this one waited.
            hit = None if self.options.refresh else self.cache.get(self.provider.name, t, v)
            if hit is not None:
                self.history.record(t, v, hit, from_cache=True)
                self._result(ioc, "ok", cached=True, outcome=hit)
                i += 1
                self._progress()
                continue
            outcome = lookup(self.provider, ioc.type, v, retry=self.options.retry,
                             before_attempt=self._await_slot, wait=self.wait)
            if isinstance(outcome, EnrichmentError) and outcome.code is ErrorCode.CANCELLED:
                break
            self.history.record(t, v, outcome, from_cache=False)
            if isinstance(outcome, EnrichmentError) and outcome.code is ErrorCode.RATE_LIMITED:
                # Pause everyone; this IOC stays first in line, nothing is dropped.
                self._progress(self.quota.rate_limited(outcome.message))
                continue
            if isinstance(outcome, EnrichmentError) and outcome.code is ErrorCode.AUTH:
                # Every further request would fail the same way and burn the quota.
                self.quota_state = "auth_failed"
                for rest in pending[i:]:
                    self._result(rest, "error", outcome=outcome)
                return []
            if isinstance(outcome, EnrichmentResult):
                self.quota.succeeded()
                self.cache.put(t, v, outcome)
                self._result(ioc, "ok", outcome=outcome)
            else:
                self._result(ioc, "error", outcome=outcome)
            i += 1
            self._progress()
        return pending[i:]
