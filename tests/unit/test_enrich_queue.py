"""The queue with a scripted provider and a fake clock: order, dedupe, private, cache-first,
no key, auth, 429 re-queue, 5xx retry, cancel, progress while waiting."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import pytest

from sentinelx.enrichment import store
from sentinelx.enrichment.cache import Cache
from sentinelx.enrichment.history import History
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Verdict
from sentinelx.enrichment.providers import virustotal as vt
from sentinelx.enrichment.providers.base import RetryPolicy
from sentinelx.enrichment.queue import EnrichQueue, QueueOptions
from sentinelx.enrichment.quota import Limits, Quota
from sentinelx.pipeline.models import IOC, IOCType
from sentinelx.protocol import validate
from tests.support.enrich_env import FakeClock

DOC = {"data": {"id": "x", "attributes": {"last_analysis_date": 1,
                                          "last_analysis_stats": {"malicious": 3, "harmless": 5}}}}


class Scripted:
    """A provider whose fetch() answers from a script (default: malicious)."""

    name = "virustotal"

    def __init__(self, clock: FakeClock, script: list[Any] | None = None) -> None:
        self.clock = clock
        self.script = deque(script or [])
        self.fetched: list[tuple[str, float]] = []
        self.real = vt.VirusTotal("https://www.virustotal.com/api/v3", "k")

    def supports(self, t):
        return self.real.supports(t)

    def check(self, t, v):
        return self.real.check(t, v)

    def fetch(self, t, v):
        self.fetched.append((v, self.clock()))
        step = self.script.popleft() if self.script else "ok"
        if step == "ok":
            return vt.parse_object(t, v, DOC, vt.Thresholds(), self.clock())
        return EnrichmentError("virustotal", ErrorCode(step), f"scripted {step}")


@pytest.fixture
def env(tmp_path):
    conn = store.connect(tmp_path / "e.sqlite3")
    clock = FakeClock()
    yield conn, clock
    conn.close()


def run(env, iocs, provider=None, limits=None, script=None, **opts):
    conn, clock = env
    limits = limits or Limits(4, 500)
    provider = provider or Scripted(clock, script)
    out: list[tuple[str, dict]] = []
    q = EnrichQueue(provider, Cache(conn, clock=clock), Quota(conn, "virustotal", limits,
                                                               clock=clock),
                    History(conn, clock=clock), on_result=lambda m: out.append(("result", m)),
                    on_progress=lambda m: out.append(("progress", m)), cancel=clock.cancel,
                    options=QueueOptions(retry=RetryPolicy(3, 0.5, 1), **opts),
                    clock=clock, wait=clock.wait)
    summary = q.run(iocs)
    for kind, m in out:  # every message fits its wire schema
        assert validate.check("reply", {"id": "1", "type": kind, **m}) is None, m
    assert validate.check("reply", {"id": "1", "type": "summary", **summary}) is None
    return out, summary, provider


def d(value: str, private: bool = False) -> IOC:
    return IOC(IOCType.DOMAIN, value, value, 0, private)


def results(out):
    return [m for k, m in out if k == "result"]


def test_dedupe_private_unsupported_and_counts(env):
    iocs = [d("a.com"), d("a.com"), d("intra.corp", private=True),
            IOC(IOCType.CVE, "CVE-2021-44228", "x", 0), d("b.com")]
    out, summary, p = run(env, iocs)
    rs = results(out)
    assert [r["ioc"]["value"] for r in rs] == ["intra.corp", "CVE-2021-44228", "a.com", "b.com"]
    assert rs[0]["status"] == "skipped" and rs[0]["reason"] == "private"
    assert rs[1]["status"] == "skipped" and rs[1]["reason"] == "unsupported"
    assert [v for v, _ in p.fetched] == ["a.com", "b.com"]
    assert summary["total"] == 4 and summary["counts"]["malicious"] == 2
    assert summary["counts"]["skipped"] == 2 and not summary["cancelled"]


def test_private_is_sent_only_when_asked(env):
    _, _, p = run(env, [d("intra.corp", private=True)], send_private=True)
    assert [v for v, _ in p.fetched] == ["intra.corp"]


def test_cache_first_then_refresh_bypasses(env):
    run(env, [d("a.com"), d("b.com")])
    out, summary, p = run(env, [d("c.com"), d("a.com"), d("b.com")])
    rs = results(out)
    # cached ones come first, before any network lookup
    assert [(r["ioc"]["value"], r["cached"]) for r in rs] == [
        ("a.com", True), ("b.com", True), ("c.com", False)]
    assert [v for v, _ in p.fetched] == ["c.com"] and summary["cached"] == 2
    _, _, p2 = run(env, [d("a.com")], refresh=True)
    assert [v for v, _ in p2.fetched] == ["a.com"]


def test_no_key_gives_no_api_key_errors_but_cached_results_still_come(env):
    run(env, [d("a.com")])
    out, _, p = run(env, [d("a.com"), d("b.com")], has_key=False)
    rs = {r["ioc"]["value"]: r for r in results(out)}
    assert rs["a.com"]["status"] == "ok" and rs["a.com"]["cached"]
    assert rs["b.com"]["error"]["code"] == "no_api_key"
    assert "sentinelx config set-key" in rs["b.com"]["error"]["message"]
    assert any(m["quota_state"] == "no_api_key" for k, m in out if k == "progress")
    assert p.fetched == []


def test_auth_error_stops_asking(env):
    out, _, p = run(env, [d("a.com"), d("b.com"), d("c.com")], script=["auth"])
    assert len(p.fetched) == 1
    assert [r["error"]["code"] for r in results(out)] == ["auth"] * 3
    assert out[-1][1]["quota_state"] == "auth_failed"


def test_429_requeues_pauses_and_drops_nothing(env):
    conn, _ = env
    out, summary, p = run(env, [d("a.com"), d("b.com")], script=["ok", "rate_limited"])
    assert [v for v, _ in p.fetched] == ["a.com", "b.com", "b.com"]
    (t_429, t_retry) = (p.fetched[1][1], p.fetched[2][1])
    assert t_retry - t_429 >= 60  # waited for the pause, did not hammer
    assert summary["counts"]["malicious"] == 2 and summary["counts"]["error"] == 0
    waits = [m for k, m in out if k == "progress" and m["waiting_for_quota"]]
    assert waits and waits[0]["quota_state"] == "rate_limited" and waits[0]["next_slot_at"]
    hist = History(conn).list()
    assert [e.outcome for e in hist] == ["malicious", "error:rate_limited", "malicious"]


def test_5xx_is_retried_with_backoff_then_typed_error(env):
    out, _, p = run(env, [d("a.com"), d("b.com")],
                    script=["server_error", "ok", "server_error", "server_error",
                                  "server_error"], limits=Limits(100, 500))
    rs = {r["ioc"]["value"]: r for r in results(out)}
    assert rs["a.com"]["status"] == "ok"
    assert rs["b.com"]["error"]["code"] == "server_error"
    assert len(p.fetched) == 5  # 2 for a.com, 3 (bounded) for b.com
    gaps = [b[1] - a[1] for a, b in zip(p.fetched[2:], p.fetched[3:], strict=False)]
    assert all(g > 0 for g in gaps)


def test_pacing_sends_progress_while_waiting(env):
    iocs = [d(f"host{i}.com") for i in range(6)]
    out, summary, p = run(env, iocs, progress_interval=5.0)
    times = [t for _, t in p.fetched]
    assert times[4] - times[0] >= 60  # the 5th waited for the minute
    waiting = [m for k, m in out if k == "progress" and m["waiting_for_quota"]]
    # about one progress per 5 s of waiting: the user always sees what is happening
    assert len(waiting) >= 10
    assert all(m["quota_state"] == "minute_limit" and m["next_slot_at"] for m in waiting)
    assert summary["counts"]["malicious"] == 6


def test_cancel_while_waiting_reports_the_rest_as_cancelled(env):
    _, clock = env
    iocs = [d(f"host{i}.com") for i in range(8)]

    class CancelAfter(Scripted):
        def fetch(self, t, v):
            if len(self.fetched) == 4:
                clock.cancel.set()
            return super().fetch(t, v)

    out, summary, p = run(env, iocs, provider=CancelAfter(clock))
    assert summary["cancelled"] is True
    assert len(p.fetched) == 5
    rs = results(out)
    assert len(rs) == 8  # every IOC gets an answer
    assert [r["error"]["code"] for r in rs if r["status"] == "error"] == ["cancelled"] * 3


def test_history_records_network_and_cache(env):
    conn, _ = env
    run(env, [d("a.com")])
    run(env, [d("a.com")])
    entries = History(conn).list()
    assert [(e.value, e.outcome, e.from_cache) for e in entries] == [
        ("a.com", "malicious", False), ("a.com", "malicious", True)]


def test_verdict_enum_matches_schema():
    assert set(validate.schema_for("reply", "summary")["properties"]["counts"]["required"]) >= {
        v.value for v in Verdict}


def test_wait_uses_the_cancel_event_by_default(tmp_path):
    conn = store.connect(tmp_path / "e.sqlite3")
    cancel = threading.Event()
    q = EnrichQueue(Scripted(FakeClock()), Cache(conn), Quota(conn, "virustotal"),
                    History(conn), on_result=lambda m: None, on_progress=lambda m: None,
                    cancel=cancel)
    assert q.wait == cancel.wait
    conn.close()
