"""The enrich engine: every IOC to every provider that takes it, cache first, one lane per
provider (its own quota, key, retries and 429 pause), lanes in parallel and requests within
a lane concurrent up to what its quota allows, one `result` per (IOC, provider) as it
happens, each carrying the IOC's combined verdict so far.

Transport-agnostic: results go to `on_results(list)` (a batch when several are ready at
once) and progress to `on_progress(dict)`, wire-shaped minus id/type, so the native port
and the CLI share it. Cancel ends the run within a second whatever a provider is doing:
in-flight requests are aborted and anything not done is reported `cancelled`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sentinelx.enrichment import facts as facts_gate
from sentinelx.enrichment.cache import Cache
from sentinelx.enrichment.history import History
from sentinelx.enrichment.job import (
    Item,
    Lane,
    LaneState,
    Options,
    dedupe,
    progress_fields,
    summary_fields,
)
from sentinelx.enrichment.models import (
    EnrichmentError,
    ErrorCode,
    Judgement,
    Observation,
    iso_utc,
    parse_iso_utc,
)
from sentinelx.enrichment.plan import decide, needs_key_missing
from sentinelx.enrichment.policy import Part, combine
from sentinelx.enrichment.providers.base import lookup
from sentinelx.enrichment.quota import Slot
from sentinelx.enrichment.store import transaction
from sentinelx.pipeline.models import IOC

EmitMany = Callable[[list[dict[str, Any]]], None]
Emit = Callable[[dict[str, Any]], None]
__all__ = ["Emit", "EmitMany", "Engine", "Lane", "Options", "dedupe"]
TICK = 0.05  # how often the main thread looks at cancel


class Engine:
    def __init__(self, lanes: Sequence[Lane], cache: Cache, history: History, *,
                 on_results: EmitMany, on_progress: Emit, cancel: threading.Event,
                 options: Options | None = None, db_lock: threading.Lock | None = None,
                 clock: Callable[[], float] = time.time,
                 wait: Callable[[float], bool] | None = None) -> None:
        self.lanes = {lane.name: lane for lane in lanes}
        self.cache, self.history = cache, history
        self.on_results, self.on_progress = on_results, on_progress
        self.cancel = cancel
        self.options = options or Options()
        self.db = db_lock or threading.Lock()  # one sqlite connection, many threads
        self.clock = clock
        # wait(seconds) -> True if cancelled; tests inject a fake clock's wait.
        self.wait = wait or cancel.wait
        self._lock = threading.RLock()  # item state and emission order
        self._closed = False
        self._streaming = False  # after the local pass: results go out one by one
        self._deferred: list[tuple[Item, dict[str, Any]]] = []
        self.items: list[Item] = []
        self.state = {name: LaneState() for name in self.lanes}
        self.run_id: int | None = None
        self._last_progress = 0.0

    # --- building results -------------------------------------------------------------

    def _judge(self, lane: Lane, ioc: IOC, obs: Observation) -> Judgement:
        return lane.provider.judge(ioc, obs)

    def _wire_result(self, lane: Lane, ioc: IOC, obs: Observation, j: Judgement) -> dict[str, Any]:
        spec = lane.provider.SPEC
        try:
            link = lane.provider.link(ioc, obs)
        except Exception:  # a link is a nicety; a bad one must not cost the answer
            link = None
        return {
            "provider": spec.name, "verdict": j.verdict.value, "score": j.score,
            "severity": j.severity.value, "summary": j.summary[:300], "found": obs.found,
            "role": spec.role, "facts": obs.facts,
            "link": link if isinstance(link, str) and link.startswith("https://") else None,
            "fetched_at": iso_utc(obs.fetched_at),
        }

    def _finish(self, item: Item, lane: Lane, status: str, *, cached: bool = False,
                reason: str | None = None, obs: Observation | None = None,
                judgement: Judgement | None = None,
                error: EnrichmentError | None = None) -> dict[str, Any] | None:
        """Record one (IOC, provider) outcome; returns the wire result (None once closed)."""
        spec = lane.provider.SPEC
        with self._lock:
            if self._closed or item.parts[spec.name].state != "pending":
                return None
            detail = reason or (error.code.value if error else "")
            item.parts[spec.name] = Part(spec.name, spec.label, spec.role,
                                         "ok" if status == "ok" else status,  # type: ignore[arg-type]
                                         judgement, detail)
            msg: dict[str, Any] = {"ioc": item.ioc.to_wire(), "provider": spec.name,
                                   "status": status, "cached": cached}
            if reason:
                msg["reason"] = reason
            if obs is not None and judgement is not None:
                msg["result"] = self._wire_result(lane, item.ioc, obs, judgement)
            if error is not None:
                msg["error"] = error.to_wire()
            msg["combined"] = combine(list(item.parts.values()))
            st = self.state[spec.name]
            st.done += 1
            st.cached += cached
            st.errors += status == "error"
            item.results.append(msg)
            if msg["combined"]["pending"] == 0:
                self._record(item, msg["combined"])
            if self._streaming:  # emitted under the lock, so `combined` only ever grows
                self.on_results([msg])
                return None
            return msg

    def _record(self, item: Item, combined: dict[str, Any]) -> None:
        if item.recorded or self.run_id is None:
            return
        item.recorded = True
        if not self._streaming:  # the local pass: written in one transaction at its end
            self._deferred.append((item, combined))
            return
        try:
            with self.db:
                self.history.record(self.run_id, item.ioc, combined, item.results)
        except Exception:  # history is an audit aid: never the end of a lookup
            import logging

            logging.getLogger("sentinelx.engine").exception("cannot record history")

    def _flush_history(self) -> None:
        deferred, self._deferred = self._deferred, []
        if not deferred or self.run_id is None:
            return
        try:
            with self.db, transaction(self.cache.conn):
                for item, combined in deferred:
                    self.history.record(self.run_id, item.ioc, combined, item.results)
        except Exception:
            import logging

            logging.getLogger("sentinelx.engine").exception("cannot record history")

    def _emit(self, msgs: list[dict[str, Any] | None]) -> None:
        out = [m for m in msgs if m is not None]
        if out:
            with self._lock:
                if not self._closed:
                    self.on_results(out)

    # --- progress -----------------------------------------------------------------------

    def _progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < 0.2:
            return
        self._last_progress = now
        with self._lock:
            if self._closed and not force:
                return
            fields = progress_fields(self.items, self.state)
        self.on_progress(fields)

    # --- the run ------------------------------------------------------------------------

    def run(self, iocs: Sequence[IOC]) -> dict[str, Any]:
        started = time.monotonic()
        unique = dedupe(iocs)
        try:
            with self.db:
                self.run_id = self.history.start_run(
                    source_title=self.options.source_title, source_url=self.options.source_url,
                    total=len(unique))
        except Exception:
            self.run_id = None
        self._serve_local(unique)
        self._flush_history()
        self._streaming = True
        self._progress(force=True)
        threads = self._start_lanes()
        while any(t.is_alive() for t in threads):
            if self.cancel.wait(TICK):
                break
            self._progress()
        cancelled = self.cancel.is_set()
        if cancelled:
            for lane in self.lanes.values():
                lane.provider.ctx.http.abort()
            for t in threads:  # give aborted lookups a moment to report what they had
                t.join(timeout=max(0.0, 0.3 / max(1, len(threads))))
        self._close_pending()
        self._flush_history()
        self._progress(force=True)
        return self._summary(cancelled, started)

    def _lanes_for(self, ioc: IOC) -> list[Lane]:
        takers = [lane for lane in self.lanes.values() if lane.provider.supports(ioc.type)]
        if takers:
            return takers
        # No provider takes this type: say so once per enabled provider (or every one).
        return [lane for lane in self.lanes.values() if lane.enabled] or list(self.lanes.values())

    def _serve_local(self, unique: list[IOC]) -> None:
        """Everything answerable without the network, at once; queue the rest per lane."""
        batch: list[dict[str, Any] | None] = []
        for ioc in unique:
            lanes = self._lanes_for(ioc)
            item = Item(ioc, {lane.name: Part(lane.name, lane.provider.SPEC.label,
                                               lane.provider.SPEC.role, "pending")
                               for lane in lanes})
            with self._lock:
                self.items.append(item)
            for lane in lanes:
                batch.append(self._local(lane, item))
            if len(batch) >= 50:  # the first answers show at once, the rest in few frames
                self._emit(batch)
                batch = []
        self._emit(batch)

    def _local(self, lane: Lane, item: Item) -> dict[str, Any] | None:
        ioc = item.ioc
        d = decide(lane.provider, lane.enabled, ioc, self.options.rules)
        if d.reason:
            return self._finish(item, lane, "skipped", reason=d.reason)
        if d.error:
            return self._finish(item, lane, "error", error=d.error)
        if not self.options.refresh:
            hit = self._cached(lane, ioc)
            if hit is not None:
                return self._finish(item, lane, "ok", cached=True, obs=hit[0], judgement=hit[1])
        if needs_key_missing(lane.provider):
            self.state[lane.name].no_key = True
            return self._finish(item, lane, "skipped", reason="no_api_key")
        self.state[lane.name].queue.append(item)
        return None

    def _cached(self, lane: Lane, ioc: IOC) -> tuple[Observation, Judgement] | None:
        with self.db:
            obs = self.cache.get(lane.name, ioc.type.value, ioc.value)
        if obs is None:
            return None
        try:
            return obs, self._judge(lane, ioc, obs)
        except Exception:  # facts from an older version this judge cannot read: refetch
            return None

    def _start_lanes(self) -> list[threading.Thread]:
        threads = []
        for name, lane in self.lanes.items():
            st = self.state[name]
            if not st.queue:
                continue
            if lane.quota.limits.per_day:
                with self.db:
                    st.remaining_today = lane.quota.status().remaining_today
            for n in range(min(lane.concurrency, len(st.queue))):
                t = threading.Thread(target=self._worker, args=(lane,), daemon=True,
                                     name=f"lane-{name}-{n}")
                t.start()
                threads.append(t)
        return threads

    def _next(self, lane: Lane) -> Item | None:
        with self._lock:
            q = self.state[lane.name].queue
            return q.popleft() if q and not self.cancel.is_set() else None

    def _worker(self, lane: Lane) -> None:
        import logging

        try:
            while (item := self._next(lane)) is not None:
                self._emit([self._look_up(lane, item)])
        except Exception:  # never leave a lane silently dead: what is left ends as errors
            logging.getLogger("sentinelx.engine").exception("lane %s failed", lane.name)

    def _acquire(self, lane: Lane, held: list[Slot]) -> bool:
        """Block until the lane's shared quota grants a request; False if cancelled."""
        st = self.state[lane.name]
        while not self.cancel.is_set():
            with self.db:
                slot = lane.quota.try_acquire()
            if slot.granted:
                held.append(slot)
                st.waiting = None
                st.remaining_today = slot.remaining_today
                return True
            delay = (slot.next_slot_at or 0) - self.clock()
            if delay > self.options.max_wait:  # hours away: give up, keep the job moving
                st.waiting = None
                st.exhausted = slot
                st.paused_until = slot.next_slot_at
                return False
            st.waiting = slot
            self._progress(force=True)  # one per wait, and a wait lasts progress_interval
            if self.wait(max(0.05, min(self.options.progress_interval, delay))):
                return False
        return False

    def _exhausted_error(self, lane: Lane) -> EnrichmentError:
        slot = self.state[lane.name].exhausted
        assert slot is not None
        label = lane.provider.SPEC.label
        when = iso_utc(slot.next_slot_at)
        why = {"daily_limit": "daily quota is used up",
               "rate_limited": "quota is paused after a 429"}.get(slot.state.value,
                                                                  "quota is used up")
        return lane.provider.error(ErrorCode.RATE_LIMITED,
                                   f"{label}'s {why}; next lookup after {when}",
                                   retry_at=when)

    def _look_up(self, lane: Lane, item: Item) -> dict[str, Any] | None:
        ioc, st = item.ioc, self.state[lane.name]
        if st.auth_error is not None:
            return self._finish(item, lane, "error", error=st.auth_error)
        if not self.options.refresh and (hit := self._cached(lane, ioc)) is not None:
            # Another host process may have fetched it meanwhile.
            return self._finish(item, lane, "ok", cached=True, obs=hit[0], judgement=hit[1])
        if st.exhausted is not None:
            return self._finish(item, lane, "error", error=self._exhausted_error(lane))
        held: list[Slot] = []
        outcome = lookup(lane.provider, ioc, retry=lane.retry,
                         before_attempt=lambda: self._acquire(lane, held), wait=self.wait)
        if isinstance(outcome, Observation):
            return self._observed(lane, item, outcome, held)
        if outcome.code is ErrorCode.CANCELLED:
            if st.exhausted is not None and not self.cancel.is_set():
                return self._finish(item, lane, "error", error=self._exhausted_error(lane))
            return None  # closed as cancelled by the main thread
        if outcome.code is ErrorCode.RATE_LIMITED:
            with self.db:
                slot = lane.quota.rate_limited(outcome.message, parse_iso_utc(outcome.retry_at))
            st.paused_until = slot.next_slot_at
            with self._lock:  # this IOC stays first in line; nothing is dropped
                st.queue.appendleft(item)
            return None
        if outcome.code is ErrorCode.AUTH:
            # Every further request would fail alike: no more requests, and no quota spent.
            with self.db:
                for slot in held:
                    lane.quota.refund(slot)
            st.auth_error = outcome
        return self._finish(item, lane, "error", error=outcome)

    def _observed(self, lane: Lane, item: Item, obs: Observation,
                  held: list[Slot]) -> dict[str, Any] | None:
        try:
            facts_gate.check(lane.provider.SPEC, obs.facts)
            judgement = self._judge(lane, item.ioc, obs)
        except Exception as e:  # a wrong-shaped answer: this IOC only, never cached
            from sentinelx.enrichment.models import BadResponse

            why = str(e)[:160] if isinstance(e, BadResponse) else type(e).__name__
            return self._finish(item, lane, "error", error=lane.provider.error(
                ErrorCode.BAD_RESPONSE,
                f"unusable answer from {lane.provider.SPEC.label}: {why}"))
        with self.db:
            lane.quota.succeeded()
            self.cache.put(item.ioc.type.value, item.ioc.value, obs, judgement.verdict)
        return self._finish(item, lane, "ok", obs=obs, judgement=judgement)

    def _close_pending(self) -> None:
        """Every (IOC, provider) not done gets an error, so every spinner closes."""
        with self._lock:
            self._streaming = False
        batch: list[dict[str, Any] | None] = []
        for item in self.items:
            for name, part in list(item.parts.items()):
                if part.state == "pending":
                    lane = self.lanes[name]
                    batch.append(self._finish(item, lane, "error", error=EnrichmentError(
                        name, ErrorCode.CANCELLED, "cancelled before it was looked up")))
        self._emit(batch)
        with self._lock:
            self._closed = True

    def _summary(self, cancelled: bool, started: float) -> dict[str, Any]:
        return summary_fields(self.items, self.state, now=self.clock(), cancelled=cancelled,
                              elapsed_ms=int((time.monotonic() - started) * 1000),
                              run_id=self.run_id)
