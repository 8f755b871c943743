"""One request budget per provider, shared by every host process through SQLite.

A limit of 0 means no limit (keyless feeds, local servers).

Each granted slot is a row in quota_events, inserted inside a BEGIN IMMEDIATE
transaction after counting the rows of the last minute and of the current UTC day,
so two processes can never both take the last slot. A 429 from the provider pauses
everyone (quota_pause) until the next minute, or the next UTC day when the provider
says so or keeps refusing.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sentinelx.enrichment import pauses
from sentinelx.enrichment.store import transaction

WINDOW = 60.0
# Our clock and the provider's differ a little; start a new minute this much late.
MARGIN = 1.0
STRIKES_FOR_DAILY = 3  # consecutive 429s after minute pauses: it is the daily quota
MAX_HINT = 32 * 86400.0  # a provider's "come back at" further than a month is not believed


class QuotaState(StrEnum):
    OK = "ok"
    MINUTE_LIMIT = "minute_limit"
    DAILY_LIMIT = "daily_limit"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True, slots=True)
class Limits:
    per_minute: int = 4  # 0: no limit
    per_day: int = 500  # 0: no limit


@dataclass(frozen=True, slots=True)
class Slot:
    granted: bool
    state: QuotaState
    next_slot_at: float | None  # epoch seconds; None when granted
    remaining_today: int | None  # None: no daily limit
    ts: float | None = None  # when the granted slot was taken (to give it back: refund)


def next_utc_midnight(now: float) -> float:
    day = datetime.fromtimestamp(now, UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _next_utc_month(now: float) -> float:
    d = datetime.fromtimestamp(now, UTC)
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return datetime(year, month, 1, tzinfo=UTC).timestamp()


class Quota:
    def __init__(self, conn: sqlite3.Connection, provider: str, limits: Limits = Limits(),
                 clock: Callable[[], float] = time.time, margin: float = MARGIN) -> None:
        self.conn = conn
        self.provider = provider
        self.limits = limits
        self.clock = clock
        self.margin = margin

    def _evaluate(self, now: float) -> Slot:
        remaining: int | None = None
        if self.limits.per_day:
            day_start = next_utc_midnight(now) - 86400
            (used_today,) = self.conn.execute(
                "SELECT COUNT(*) FROM quota_events WHERE provider=? AND ts >= ?",
                (self.provider, day_start)).fetchone()
            remaining = max(0, self.limits.per_day - used_today)
        pause = self.conn.execute("SELECT until, reason FROM quota_pause WHERE provider=?",
                                  (self.provider,)).fetchone()
        if pause and pause[0] > now:
            return Slot(False, QuotaState(pause[1]), pause[0], remaining)
        if remaining == 0:
            return Slot(False, QuotaState.DAILY_LIMIT, next_utc_midnight(now), 0)
        if not self.limits.per_minute:
            return Slot(True, QuotaState.OK, None, remaining)
        recent = [r[0] for r in self.conn.execute(
            "SELECT ts FROM quota_events WHERE provider=? AND ts > ? ORDER BY ts",
            (self.provider, now - WINDOW - self.margin))]
        if len(recent) >= self.limits.per_minute:
            free_at = recent[len(recent) - self.limits.per_minute] + WINDOW + self.margin
            return Slot(False, QuotaState.MINUTE_LIMIT, free_at, remaining)
        return Slot(True, QuotaState.OK, None, remaining)

    def status(self) -> Slot:
        return self._evaluate(self.clock())

    def try_acquire(self) -> Slot:
        """Take one request slot if the shared budget allows it, else say when to retry."""
        with transaction(self.conn):
            now = self.clock()
            slot = self._evaluate(now)
            if slot.granted:
                self.conn.execute("INSERT INTO quota_events VALUES (?, ?)", (self.provider, now))
                self.conn.execute("DELETE FROM quota_events WHERE provider=? AND ts < ?",
                                  (self.provider, now - 2 * 86400))
                left = None if slot.remaining_today is None else slot.remaining_today - 1
                slot = replace(slot, remaining_today=left, ts=now)
        return slot

    def refund(self, slot: Slot) -> None:
        """Give back a slot whose request was refused for its key: an auth failure costs
        no quota."""
        if slot.ts is None:
            return
        with transaction(self.conn):
            self.conn.execute(
                "DELETE FROM quota_events WHERE rowid = (SELECT rowid FROM quota_events "
                "WHERE provider=? AND ts=? LIMIT 1)", (self.provider, slot.ts))

    def reset(self) -> bool:
        """Clear a 429 pause (the user says the quota is back). True if there was one."""
        with transaction(self.conn):
            n = self.conn.execute("DELETE FROM quota_pause WHERE provider=?",
                                  (self.provider,)).rowcount
        pauses.record(self.provider, None)
        return n > 0

    def estimate(self, lookups: int) -> float:
        """Seconds `lookups` more requests would wait for this budget (not counting the
        providers' own answer time): paused time, then whole minutes, then whole days."""
        if lookups <= 0:
            return 0.0
        now = self.clock()
        slot = self._evaluate(now)
        wait = max(0.0, (slot.next_slot_at or now) - now) if not slot.granted else 0.0
        per_min, per_day = self.limits.per_minute, self.limits.per_day
        left = lookups
        if per_day:
            today = slot.remaining_today or 0
            if left > today:  # the rest waits for the next UTC day(s)
                days = math.ceil((left - today) / per_day)
                wait = max(wait, next_utc_midnight(now) - now + (days - 1) * 86400)
                left = (left - today) - (days - 1) * per_day
        if per_min:
            wait += (math.ceil(left / per_min) - 1) * (WINDOW + self.margin)
        return max(0.0, wait)

    def rate_limited(self, message: str = "", retry_at: float | None = None) -> Slot:
        """The provider said 429: pause every process sharing this budget. `retry_at`, when
        the provider said when to come back (Retry-After, a reset header), is believed if it is
        in the future and within a month: NVD's 30 s, GreyNoise's next day."""
        with transaction(self.conn):
            now = self.clock()
            row = self.conn.execute("SELECT until, strikes FROM quota_pause WHERE provider=?",
                                    (self.provider,)).fetchone()
            strikes = (row[1] if row else 0) + 1
            text = message.lower()
            if retry_at is not None and now < retry_at <= now + MAX_HINT:
                until = retry_at + self.margin
                state = (QuotaState.RATE_LIMITED if until - now <= 3600
                         else QuotaState.DAILY_LIMIT)
            elif "month" in text:
                until, state = _next_utc_month(now), QuotaState.DAILY_LIMIT
            elif "day" in text or "daily" in text or strikes >= STRIKES_FOR_DAILY:
                until, state = next_utc_midnight(now), QuotaState.DAILY_LIMIT
            else:
                until, state = now + WINDOW + self.margin, QuotaState.RATE_LIMITED
            if row and row[0] > until:  # another process already paused for longer
                until = row[0]
            self.conn.execute("INSERT OR REPLACE INTO quota_pause VALUES (?,?,?,?)",
                              (self.provider, until, state.value, strikes))
            slot = Slot(False, state, until, self._evaluate(now).remaining_today)
        pauses.record(self.provider, until)
        return slot

    def succeeded(self) -> None:
        """A request got through: 429 strikes start again from zero."""
        row = self.conn.execute("SELECT strikes FROM quota_pause WHERE provider=?",
                                (self.provider,)).fetchone()
        if row and row[0]:
            with transaction(self.conn):
                self.conn.execute("UPDATE quota_pause SET strikes=0 WHERE provider=?",
                                  (self.provider,))
