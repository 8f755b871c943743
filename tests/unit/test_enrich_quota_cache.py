"""Quota pacing (injectable clock), 429 pauses, cache TTLs, store robustness."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import pytest

from sentinelx.enrichment import store
from sentinelx.enrichment.cache import Cache, TTLs
from sentinelx.enrichment.models import Observation, Verdict
from sentinelx.enrichment.providers import virustotal as vt
from sentinelx.enrichment.quota import Limits, Quota, QuotaState, next_utc_midnight
from sentinelx.pipeline.models import IOCType
from tests.support.enrich_env import FakeClock


@pytest.fixture
def conn(tmp_path):
    c = store.connect(tmp_path / "e.sqlite3")
    yield c
    c.close()


def take(q: Quota, clock: FakeClock, n: int) -> list[float]:
    """Acquire n slots the way the queue does: wait until next_slot_at when refused."""
    granted = []
    while len(granted) < n:
        slot = q.try_acquire()
        if slot.granted:
            granted.append(clock())
        else:
            assert slot.next_slot_at is not None and slot.next_slot_at > clock()
            clock.wait(slot.next_slot_at - clock())
    return granted


def test_forty_at_four_per_minute_never_exceeds_and_takes_about_ten_minutes(conn):
    clock = FakeClock()
    q = Quota(conn, "virustotal", Limits(4, 500), clock=clock)
    times = take(q, clock, 40)
    for t in times:  # no 60 s window ever holds more than 4 requests
        assert sum(1 for u in times if t <= u < t + 60) <= 4
    elapsed = times[-1] - times[0]
    assert 9 * 60 <= elapsed <= 10 * 60


def test_daily_limit_waits_for_next_utc_day(conn):
    clock = FakeClock(datetime(2024, 5, 1, 23, 0, tzinfo=UTC).timestamp())
    q = Quota(conn, "virustotal", Limits(100, 5), clock=clock)
    take(q, clock, 5)
    slot = q.try_acquire()
    assert not slot.granted and slot.state is QuotaState.DAILY_LIMIT
    assert slot.next_slot_at == datetime(2024, 5, 2, tzinfo=UTC).timestamp()
    assert slot.remaining_today == 0
    clock.now = slot.next_slot_at
    assert q.try_acquire().granted


def test_429_pauses_a_minute_then_a_day_when_it_keeps_coming(conn):
    clock = FakeClock()
    q = Quota(conn, "virustotal", Limits(4, 500), clock=clock)
    s1 = q.rate_limited("Quota exceeded")
    assert s1.state is QuotaState.RATE_LIMITED and 60 <= s1.next_slot_at - clock() <= 62
    assert not q.try_acquire().granted  # paused for everyone sharing the file
    clock.now = s1.next_slot_at
    assert q.try_acquire().granted
    q.rate_limited("Quota exceeded")
    s3 = q.rate_limited("Quota exceeded")  # third strike without a success in between
    assert s3.state is QuotaState.DAILY_LIMIT and s3.next_slot_at == next_utc_midnight(clock())


def test_429_saying_daily_pauses_until_midnight_and_success_resets_strikes(conn):
    clock = FakeClock()
    q = Quota(conn, "virustotal", Limits(4, 500), clock=clock)
    s = q.rate_limited("Daily quota exceeded")
    assert s.state is QuotaState.DAILY_LIMIT and s.next_slot_at == next_utc_midnight(clock())
    clock.now = s.next_slot_at
    q.rate_limited("x")
    q.succeeded()
    clock.now += 120
    assert q.rate_limited("x").state is QuotaState.RATE_LIMITED


def test_budget_is_shared_between_connections(tmp_path):
    clock = FakeClock()
    a, b = (store.connect(tmp_path / "e.sqlite3") for _ in range(2))
    qa, qb = (Quota(c, "virustotal", Limits(4, 500), clock=clock) for c in (a, b))
    grants = [q.try_acquire().granted for q in (qa, qb, qa, qb, qa, qb)]
    assert grants == [True, True, True, True, False, False]


OBS = Observation("virustotal", True, {"malicious": 1, "engines": 70}, 1_700_000_000.0)


def test_cache_ttl_per_verdict_and_expiry(conn):
    clock = FakeClock()
    cache = Cache(conn, TTLs(24, {Verdict.MALICIOUS: 48, Verdict.NO_DATA: 0}), clock=clock)
    cache.put("domain", "bad.com", OBS, Verdict.MALICIOUS)
    cache.put("domain", "ok.com", OBS, Verdict.CLEAN)
    cache.put("domain", "unknown.com", OBS, Verdict.NO_DATA)  # ttl 0: not cached
    assert cache.get("virustotal", "domain", "bad.com") == OBS  # facts, found, fetched_at
    assert cache.get("virustotal", "domain", "ok.com") is not None
    assert cache.get("virustotal", "domain", "unknown.com") is None
    clock.now += 24 * 3600 + 1
    assert cache.get("virustotal", "domain", "ok.com") is None
    assert cache.get("virustotal", "domain", "bad.com") is not None
    clock.now += 24 * 3600
    assert cache.get("virustotal", "domain", "bad.com") is None
    assert cache.purge_expired() == 2


def test_cache_key_includes_provider_and_type(conn):
    cache = Cache(conn)
    cache.put("domain", "a.com", OBS, Verdict.MALICIOUS)
    assert cache.get("virustotal", "url", "a.com") is None
    assert cache.get("other", "domain", "a.com") is None


def test_garbage_file_is_moved_aside_and_recreated(tmp_path):
    path = tmp_path / "e.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    c = store.connect(path)
    Cache(c).put("domain", "a.com", OBS, Verdict.CLEAN)
    assert Cache(c).get("virustotal", "domain", "a.com") is not None
    assert list(tmp_path.glob("e.sqlite3.corrupt-*"))
    c.close()


def test_lock_errors_are_retried_then_given_up():
    outcomes = [sqlite3.OperationalError("database is locked")] * 2 + ["wal"]

    def flaky():
        out = outcomes.pop(0)
        if isinstance(out, Exception):
            raise out
        return out

    assert store._while_locked(flaky) == "wal" and outcomes == []

    def always_locked():
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError):
        store._while_locked(always_locked, seconds=0.05)

    def broken():
        raise sqlite3.OperationalError("disk I/O error")

    calls = []
    with pytest.raises(sqlite3.OperationalError):
        store._while_locked(lambda: calls.append(1) or broken())
    assert calls == [1]  # not a lock: no retry


def test_an_io_or_lock_error_never_moves_the_database_aside(tmp_path, monkeypatch):
    path = tmp_path / "e.sqlite3"
    store.connect(path).close()

    def fail(_path):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(store, "_connect", fail)
    with pytest.raises(sqlite3.OperationalError):
        store.connect(path)
    assert path.exists() and not list(tmp_path.glob("e.sqlite3.corrupt-*"))


def test_database_file_is_private(tmp_path):
    path = tmp_path / "sub" / "e.sqlite3"
    store.connect(path).close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_wal_and_busy_timeout(conn):
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == store.BUSY_TIMEOUT_MS


@pytest.mark.parametrize("payload", [
    "{bad", "[]", '{"v": 2, "found": "yes", "facts": {}}', '{"v": 2, "found": true}',
    # a row of the VirusTotal-only cache (before the provider core): a miss, then replaced
    '{"provider": "virustotal", "verdict": "malicious", "detections": 3, "engines": 70}',
])
def test_unreadable_or_old_cache_row_is_a_miss(conn, payload):
    conn.execute("INSERT INTO cache VALUES ('virustotal','domain','a.com','clean',?,0,1e12)",
                 (payload,))
    assert Cache(conn).get("virustotal", "domain", "a.com") is None
    assert Cache(conn).get_many("virustotal", [("domain", "a.com")]) == {}
    assert isinstance(conn, sqlite3.Connection)


def test_cache_refuses_non_finite_facts(conn):
    with pytest.raises(ValueError):
        Cache(conn).put("domain", "a.com", Observation("virustotal", True, {"x": float("inf")},
                                                       0.0), Verdict.CLEAN)
    assert Cache(conn).get("virustotal", "domain", "a.com") is None


def test_a_refunded_slot_is_given_back(conn):
    """An auth failure costs no quota: the engine refunds the slot it took."""
    clock = FakeClock()
    q = Quota(conn, "virustotal", Limits(4, 500), clock=clock)
    slots = [q.try_acquire() for _ in range(4)]
    assert not q.try_acquire().granted
    q.refund(slots[-1])
    again = q.try_acquire()
    assert again.granted and again.remaining_today == 496


def test_zero_means_unlimited(conn):
    q = Quota(conn, "internetdb", Limits(0, 0), clock=FakeClock())
    slots = [q.try_acquire() for _ in range(500)]
    assert all(s.granted for s in slots) and slots[-1].remaining_today is None
    assert q.estimate(10_000) == 0


def test_reset_clears_a_pause_for_every_process(tmp_path, monkeypatch):
    monkeypatch.setenv("SENTINELX_CACHE_DIR", str(tmp_path))
    clock = FakeClock(time.time())  # the pause mirror drops pauses already over
    a, b = (store.connect(tmp_path / "e.sqlite3") for _ in range(2))
    qa, qb = (Quota(c, "virustotal", Limits(4, 500), clock=clock) for c in (a, b))
    for _ in range(3):
        qa.rate_limited("Quota exceeded")
    assert qb.try_acquire().state is QuotaState.DAILY_LIMIT
    from sentinelx.enrichment import pauses

    assert pauses.read().get("virustotal", 0) >= clock()  # pong sees the pause
    assert qb.reset() is True
    assert qa.try_acquire().granted
    assert "virustotal" not in pauses.read() and qb.reset() is False


def test_estimate_counts_minutes_days_and_pauses(conn):
    clock = FakeClock(datetime(2024, 5, 1, 12, 0, tzinfo=UTC).timestamp())
    q = Quota(conn, "virustotal", Limits(4, 500), clock=clock)
    assert q.estimate(0) == 0 and q.estimate(4) == 0
    assert 6 * 60 <= q.estimate(29) <= 7.5 * 60  # #10: 29 lookups at 4/min
    assert q.estimate(501) >= 12 * 3600  # over the daily budget: tomorrow
    q.rate_limited("x")
    assert q.estimate(1) >= 59


def test_type_enum_matches_collections():
    assert set(vt.COLLECTIONS) == set(IOCType) - {IOCType.CVE, IOCType.EMAIL}


def test_get_many_answers_what_get_answers_one_by_one(conn):
    """The preview's batched lookup: same hits as `get`, across chunks of the IN query,
    per type, never an expired row or another provider's, any number of values."""
    import random

    clock = FakeClock()
    cache = Cache(conn, TTLs(24, {Verdict.MALICIOUS: 48}), clock=clock)
    rng = random.Random(5)
    stored = [(rng.choice(["domain", "url", "ipv4"]), f"v{i}.example") for i in range(1300)]
    for i, (t, v) in enumerate(stored):
        cache.put(t, v, OBS, Verdict.MALICIOUS if i % 3 == 0 else Verdict.CLEAN)
    Cache(conn).put("domain", "other-provider.example",
                    Observation("urlhaus", True, {}, 1.0), Verdict.CLEAN)
    clock.now += 30 * 3600  # the clean ones (24 h) expired, the malicious ones (48 h) did not
    asked = [*stored, ("domain", "v1.example"), ("url", "v0.example"), ("domain", "missing.example"),
             ("domain", "other-provider.example")]
    rng.shuffle(asked)
    many = cache.get_many("virustotal", asked)
    one_by_one = {(t, v): o for t, v in set(asked) if (o := cache.get("virustotal", t, v))}
    assert many == one_by_one
    assert len(many) == 434  # every third of 1,300 is malicious: still fresh
    assert cache.get_many("virustotal", []) == {}


def test_429_with_a_retry_time_pauses_until_then(conn):
    """The provider's own "come back at" wins over the 61 s default: shorter (NVD's 30 s)
    or longer (GreyNoise's next day); in the past or absurdly far, the default applies."""
    clock = FakeClock()
    q = Quota(conn, "nvd", Limits(5, 0), clock=clock)
    s = q.rate_limited("Too Many Requests", clock() + 30)
    assert s.state is QuotaState.RATE_LIMITED and 30 <= s.next_slot_at - clock() <= 32
    clock.now = s.next_slot_at
    assert q.try_acquire().granted
    s = q.rate_limited("", clock() + 6 * 3600)
    assert s.state is QuotaState.DAILY_LIMIT and 6 * 3600 <= s.next_slot_at - clock() <= 6 * 3600 + 2
    clock.now = s.next_slot_at
    q.succeeded()
    for hint in (clock() - 10, clock() + 400 * 86400, None):
        s = q.rate_limited("Too Many Requests", hint)
        assert s.state is QuotaState.RATE_LIMITED and 60 <= s.next_slot_at - clock() <= 62, hint
        clock.now = s.next_slot_at
        q.succeeded()


def test_iso_times_round_trip():
    from sentinelx.enrichment.models import iso_utc, parse_iso_utc

    assert parse_iso_utc(iso_utc(1_700_000_000.0)) == 1_700_000_000.0
    for bad in (None, "", "tomorrow", "2026-12-02T10:00:00"):  # no zone: not a point in time
        assert parse_iso_utc(bad) is None
