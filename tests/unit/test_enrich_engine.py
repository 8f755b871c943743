"""The engine with scripted providers and a fake clock: order, dedupe, private, never-send,
cache-first, no key, auth (no quota spent), 429 re-queue, 5xx retry, bad answers for one IOC
only and never cached, cancel, progress, several providers and the combined verdict."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import pytest

from sentinelx.enrichment import store
from sentinelx.enrichment.cache import Cache
from sentinelx.enrichment.engine import Engine, Lane, Options
from sentinelx.enrichment.history import History
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Verdict, iso_utc
from sentinelx.enrichment.plan import NeverSend, Rules
from sentinelx.enrichment.providers.base import RetryPolicy
from sentinelx.enrichment.providers.virustotal import VirusTotal, facts_from
from sentinelx.enrichment.quota import Limits, Quota
from sentinelx.pipeline.models import IOC, IOCType
from sentinelx.protocol import validate
from tests.support.enrich_env import FakeClock
from tests.support.providers import context, renamed

MALICIOUS = {"last_analysis_date": 1, "last_analysis_stats": {"malicious": 3, "harmless": 5}}
CLEAN = {"last_analysis_date": 1, "last_analysis_stats": {"harmless": 60}}


class Scripted(VirusTotal):
    """VirusTotal whose fetch() answers from a script (default: malicious facts)."""

    script: deque[Any]
    fetched: list[tuple[str, float]]
    lock = threading.Lock()

    def fetch(self, ioc: IOC) -> Observation | EnrichmentError:
        with self.lock:
            self.fetched.append((ioc.value, self.ctx.clock()))
            step = self.script.popleft() if self.script else "ok"
        if step == "ok":
            return self.observe(True, facts_from(MALICIOUS, ioc.value))
        if step == "clean":
            return self.observe(True, facts_from(CLEAN, ioc.value))
        if step == "missing":
            return self.observe(False)
        if isinstance(step, dict):  # facts as given: the engine must check them
            return self.observe(True, step)
        if step == "raise":
            raise ZeroDivisionError("provider bug")
        if step == "rate_limited_daily":
            return self.error(ErrorCode.RATE_LIMITED, "daily quota exceeded")
        return self.error(ErrorCode(step), f"scripted {step}")


def scripted(clock, script=(), key="k" * 64, cls=Scripted, **ctx) -> Scripted:
    p = cls(context(key=key, clock=clock, **ctx))
    p.script, p.fetched = deque(script), []
    return p


@pytest.fixture
def env(tmp_path):
    conn = store.connect(tmp_path / "e.sqlite3")
    clock = FakeClock()
    yield conn, clock
    conn.close()


NO_RULES = Rules()


def run(env, iocs, providers=None, limits=None, script=(), rules=NO_RULES, enabled=True,
        **opts):
    conn, clock = env
    providers = providers or [scripted(clock, script)]
    lanes = [Lane(p, Quota(conn, p.SPEC.name, limits or Limits(4, 500), clock=clock),
                  enabled=enabled, retry=RetryPolicy(3, 0.5, 1)) for p in providers]
    out: list[tuple[str, dict]] = []
    engine = Engine(lanes, Cache(conn, clock=clock), History(conn, clock=clock),
                    on_results=lambda ms: out.extend(("result", m) for m in ms),
                    on_progress=lambda m: out.append(("progress", m)), cancel=clock.cancel,
                    options=Options(rules=rules, **opts), clock=clock, wait=clock.wait)
    summary = engine.run(iocs)
    for kind, m in out:  # every message fits its wire schema
        assert validate.check("reply", {"id": "1", "type": kind, **m}) is None, m
    assert validate.check("reply", {"id": "1", "type": "summary", **summary}) is None
    return out, summary, providers[0]


def d(value: str, private: bool = False) -> IOC:
    return IOC(IOCType.DOMAIN, value, value, 0, private)


def results(out):
    return [m for k, m in out if k == "result"]


def fetched(p) -> list[str]:
    return sorted(v for v, _ in p.fetched)


def test_dedupe_private_unsupported_and_counts(env):
    iocs = [d("a.com"), d("a.com"), d("intra.corp", private=True),
            IOC(IOCType.CVE, "CVE-2021-44228", "x", 0), d("b.com")]
    out, summary, p = run(env, iocs)
    rs = results(out)
    # answers known without the network come first, in input order
    assert [r["ioc"]["value"] for r in rs[:2]] == ["intra.corp", "CVE-2021-44228"]
    assert rs[0]["status"] == "skipped" and rs[0]["reason"] == "private"
    assert rs[1]["status"] == "skipped" and rs[1]["reason"] == "unsupported"
    assert fetched(p) == ["a.com", "b.com"]
    assert summary["total"] == 4 and summary["counts"]["malicious"] == 2
    assert summary["counts"]["skipped"] == 2 and not summary["cancelled"]
    mal = rs[-1]
    assert mal["result"]["verdict"] == "malicious" and mal["combined"]["verdict"] == "malicious"
    assert mal["combined"]["reason"] == "malicious: Virustotal 3/8 engines".replace(
        "Virustotal", "VirusTotal")


def test_private_is_sent_only_when_asked(env):
    _, _, p = run(env, [d("intra.corp", private=True)], rules=Rules(send_private=True))
    assert fetched(p) == ["intra.corp"]


def test_never_send_list_withholds_domains_subdomains_and_networks(env):
    never = NeverSend.parse("mycorp.com,10.0.0.0/8,2001:db8::/32")
    iocs = [d("mycorp.com"), d("vpn.eu.mycorp.com"), d("notmycorp.com"),
            IOC(IOCType.URL, "https://sso.mycorp.com/login", "x", 0),
            IOC(IOCType.IPV4, "10.1.2.3", "x", 0), IOC(IOCType.IPV6, "2001:db8::1", "x", 0),
            IOC(IOCType.URL, "http://10.9.9.9/x", "x", 0)]
    out, _, p = run(env, iocs, rules=Rules(send_private=True, never_send=never))
    reasons = {r["ioc"]["value"]: r.get("reason") for r in results(out)}
    assert fetched(p) == ["notmycorp.com"]
    assert [v for v, why in reasons.items() if why == "never_send"] == [
        "mycorp.com", "vpn.eu.mycorp.com", "https://sso.mycorp.com/login", "10.1.2.3",
        "2001:db8::1", "http://10.9.9.9/x"]


def test_cache_first_then_refresh_bypasses(env):
    run(env, [d("a.com"), d("b.com")])
    out, summary, p = run(env, [d("c.com"), d("a.com"), d("b.com")])
    rs = results(out)
    # cached ones come first, before any network lookup
    assert [(r["ioc"]["value"], r["cached"]) for r in rs] == [
        ("a.com", True), ("b.com", True), ("c.com", False)]
    assert fetched(p) == ["c.com"] and summary["cached"] == 2
    _, _, p2 = run(env, [d("a.com")], refresh=True)
    assert fetched(p2) == ["a.com"]


def test_thresholds_apply_to_cached_facts(env):
    """#10 item 4: a cached 3-engine domain follows a new malicious threshold at once."""
    _, clock = env
    run(env, [d("a.com")])
    strict = scripted(clock, settings={"malicious_threshold": 10})
    out, _, p = run(env, [d("a.com")], providers=[strict])
    (r,) = results(out)
    assert r["cached"] and p.fetched == []
    assert r["result"]["verdict"] == "suspicious" and r["combined"]["verdict"] == "suspicious"


def test_no_key_skips_but_cached_results_still_come(env):
    _, clock = env
    run(env, [d("a.com")])
    keyless = scripted(clock, key=None)
    out, _, p = run(env, [d("a.com"), d("b.com")], providers=[keyless])
    rs = {r["ioc"]["value"]: r for r in results(out)}
    assert rs["a.com"]["status"] == "ok" and rs["a.com"]["cached"]
    assert rs["b.com"]["status"] == "skipped" and rs["b.com"]["reason"] == "no_api_key"
    assert p.fetched == []


def test_disabled_provider_is_not_asked(env):
    out, _, p = run(env, [d("a.com")], enabled=False)
    assert p.fetched == [] and results(out)[0]["reason"] == "disabled"


def test_auth_error_stops_asking_and_costs_no_quota(env):
    conn, _clock = env
    out, _, p = run(env, [d(f"h{i}.com") for i in range(6)], script=["auth"] * 6,
                    limits=Limits(1, 500))  # one at a time: the first refusal stops the rest
    assert len(p.fetched) == 1
    assert [r["error"]["code"] for r in results(out)] == ["auth"] * 6
    assert out[-1][1]["providers"]["virustotal"]["quota_state"] == "auth_failed"
    (used,) = conn.execute("SELECT COUNT(*) FROM quota_events").fetchone()
    assert used == 0  # #10: a 401 used up a slot before


def test_429_requeues_pauses_and_drops_nothing(env):
    conn, _ = env
    out, summary, p = run(env, [d("a.com"), d("b.com")], script=["ok", "rate_limited"],
                          limits=Limits(1, 500))
    assert [v for v, _ in p.fetched] == ["a.com", "b.com", "b.com"]
    (t_429, t_retry) = (p.fetched[1][1], p.fetched[2][1])
    assert t_retry - t_429 >= 60  # waited for the pause, did not hammer
    assert summary["counts"]["malicious"] == 2 and summary["counts"]["error"] == 0
    waits = [m for k, m in out if k == "progress" and m["waiting_for_quota"]]
    assert any(m["quota_state"] == "rate_limited" and m["next_slot_at"] for m in waits)
    assert [r["combined"]["verdict"] for r in History(conn).records()] == ["malicious", "malicious"]


def test_a_used_up_daily_quota_ends_the_rest_as_rate_limited_not_a_wait_for_midnight(env):
    """GreyNoise allows 7 a day: the 8th address must not hold the job until 00:00 UTC."""
    from sentinelx.enrichment.quota import next_utc_midnight

    _, clock = env
    started = clock()
    iocs = [d(f"host{i}.com") for i in range(5)]
    out, summary, p = run(env, iocs, limits=Limits(0, 2))
    assert len(p.fetched) == 2 and clock() - started < 60  # no waiting at all
    rs = {r["ioc"]["value"]: r for r in results(out)}
    errors = [r["error"] for r in rs.values() if r["status"] == "error"]
    assert len(errors) == 3 and all(e["code"] == "rate_limited" for e in errors)
    midnight = iso_utc(next_utc_midnight(started))
    assert all(e["retry_at"] == midnight and "daily quota is used up" in e["message"]
               for e in errors)
    assert summary["counts"]["malicious"] == 2 and summary["counts"]["error"] == 3
    assert summary["providers"]["virustotal"]["paused_until"] == midnight
    last = [m for k, m in out if k == "progress"][-1]
    assert last["providers"]["virustotal"]["quota_state"] == "daily_limit"


def test_a_short_wait_is_still_waited_for(env):
    """Below Options.max_wait the lane waits (a minute limit, a 429 pause): nothing fails."""
    _out, summary, p = run(env, [d(f"host{i}.com") for i in range(3)], limits=Limits(1, 0),
                          max_wait=120)
    assert len(p.fetched) == 3 and summary["counts"]["malicious"] == 3


def test_a_429_that_says_daily_ends_the_rest_of_that_lane_only(env):
    _, clock = env
    other = scripted(clock, cls=renamed(Scripted, "other"))
    out, summary, p = run(env, [d("a.com"), d("b.com"), d("c.com")],
                          providers=[scripted(clock, ["ok", "rate_limited_daily"]), other],
                          limits=Limits(1, 0))
    rs = [r for r in results(out) if r["provider"] == "virustotal"]
    assert [r["status"] for r in rs].count("error") == 2
    assert all(r["error"]["code"] == "rate_limited" for r in rs if r["status"] == "error")
    assert len(p.fetched) == 2  # the 429, then nothing more for a day
    assert len(other.fetched) == 3  # the other lane went on
    assert summary["counts"]["malicious"] == 3


def test_5xx_is_retried_with_backoff_then_typed_error(env):
    out, _, p = run(env, [d("a.com"), d("b.com")],
                    script=["server_error", "ok", "server_error", "server_error",
                            "server_error"], limits=Limits(1, 500))
    rs = {r["ioc"]["value"]: r for r in results(out)}
    assert rs["a.com"]["status"] == "ok"
    assert rs["b.com"]["error"]["code"] == "server_error"
    assert len(p.fetched) == 5  # 2 for a.com, 3 (bounded) for b.com


@pytest.mark.parametrize("bad", [
    {"malicious": -3, "suspicious": 0, "harmless": 0, "undetected": 0, "engines": 0,
     "last_analysis_date": None, "tags": []},
    {"malicious": "3", "suspicious": 0, "harmless": 0, "undetected": 0, "engines": 0,
     "last_analysis_date": None, "tags": []},
    {"malicious": 10**400},
    {"engines": float("inf")},
    {"unknown_field": 1},
    "raise",
])
def test_a_bad_answer_is_bad_response_for_that_ioc_only_and_never_cached(env, bad):
    conn, _ = env
    out, summary, _p = run(env, [d("a.com"), d("b.com"), d("c.com")],
                          script=["ok", bad, "ok"], limits=Limits(1, 500))
    rs = {r["ioc"]["value"]: r for r in results(out)}
    assert rs["b.com"]["error"]["code"] == "bad_response"
    assert rs["a.com"]["status"] == rs["c.com"]["status"] == "ok"  # the queue went on
    assert summary["counts"] == {"malicious": 2, "suspicious": 0, "clean": 0, "no_data": 0,
                                 "skipped": 0, "error": 1}
    cached = {r[0] for r in conn.execute("SELECT value FROM cache")}
    assert cached == {"a.com", "c.com"}


def test_pacing_sends_progress_while_waiting(env):
    iocs = [d(f"host{i}.com") for i in range(6)]
    out, summary, p = run(env, iocs, progress_interval=5.0)
    times = sorted(t for _, t in p.fetched)
    assert times[4] - times[0] >= 60  # the 5th waited for the minute
    waiting = [m for k, m in out if k == "progress" and m["waiting_for_quota"]]
    assert waiting and all(m["quota_state"] == "minute_limit" and m["next_slot_at"]
                           for m in waiting)
    assert summary["counts"]["malicious"] == 6


def test_cancel_while_waiting_reports_the_rest_as_cancelled(env):
    _, clock = env
    iocs = [d(f"host{i}.com") for i in range(8)]

    class CancelAfter(Scripted):
        def fetch(self, ioc):
            if len(self.fetched) == 4:
                clock.cancel.set()
            return super().fetch(ioc)

    out, summary, p = run(env, iocs, providers=[scripted(clock, cls=CancelAfter)],
                          limits=Limits(1, 500))
    assert summary["cancelled"] is True
    assert len(p.fetched) == 5
    rs = results(out)
    assert len(rs) == 8  # every IOC gets an answer
    assert sum(r["status"] == "error" and r["error"]["code"] == "cancelled" for r in rs) >= 3


def test_several_providers_stream_a_growing_combined_verdict(env):
    _, clock = env
    second = scripted(clock, ["clean"], cls=renamed(Scripted, "second"))
    missing = scripted(clock, ["missing"], cls=renamed(Scripted, "third"))
    out, summary, _ = run(env, [d("a.com")], providers=[second, missing,
                                                       scripted(clock, ["ok"])])
    rs = results(out)
    assert sorted(r["provider"] for r in rs) == ["second", "third", "virustotal"]
    assert [r["combined"]["pending"] for r in rs] == [2, 1, 0]
    final = rs[-1]["combined"]
    assert final["verdict"] == "malicious"  # any malicious wins over a clean
    assert final["providers"] == {"second": "clean", "third": "no_data",
                                  "virustotal": "malicious"}
    assert final["reason"] == "malicious: VirusTotal 3/8 engines"
    assert summary["providers"]["second"]["done"] == 1


def test_not_found_everywhere_is_no_data_never_clean(env):
    _, clock = env
    out, summary, _ = run(env, [d("a.com")], providers=[scripted(clock, ["missing"])])
    assert results(out)[-1]["combined"]["verdict"] == "no_data"
    assert summary["counts"]["no_data"] == 1


def test_history_gets_one_run_and_one_record_per_ioc(env):
    conn, _ = env
    run(env, [d("a.com")])
    run(env, [d("a.com")])
    records = list(History(conn).records())
    assert [(r["ioc"]["value"], r["combined"]["verdict"], [x["cached"] for x in r["results"]])
            for r in records] == [("a.com", "malicious", [False]), ("a.com", "malicious", [True])]
    assert len({r["run_id"] for r in records}) == 2


def test_verdict_enum_matches_schema():
    assert set(validate.schema_for("reply", "summary")["properties"]["counts"]["required"]) >= {
        v.value for v in Verdict}


def test_wait_uses_the_cancel_event_by_default(tmp_path):
    conn = store.connect(tmp_path / "e.sqlite3")
    cancel = threading.Event()
    clock = FakeClock()
    e = Engine([Lane(scripted(clock), Quota(conn, "virustotal"))], Cache(conn), History(conn),
               on_results=lambda m: None, on_progress=lambda m: None, cancel=cancel)
    assert e.wait == cancel.wait
    conn.close()


# --- generated hostile outcomes: the engine always closes every (IOC, provider) -------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

STEPS = st.sampled_from(["ok", "clean", "missing", "raise", "server_error", "timeout",
                         "bad_response", "auth", "network", "too_large", None, 42,
                         {"malicious": True}, {"tags": ["x" * 600]}])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(STEPS, max_size=12), st.lists(STEPS, max_size=12))
def test_any_mix_of_outcomes_closes_every_pair_and_caches_only_good_facts(tmp_path, a, b):
    conn = store.connect(tmp_path / f"h{len(a)}-{len(b)}-{id(a)}.sqlite3")
    clock = FakeClock()

    class Odd(Scripted):
        def fetch(self, ioc):
            with self.lock:
                step = self.script[0] if self.script else "ok"
            if step is None or step == 42:
                self.script.popleft()
                self.fetched.append((ioc.value, clock()))
                return step  # a provider bug: not an Observation at all
            return super().fetch(ioc)

    first = scripted(clock, a, cls=Odd)
    second = scripted(clock, b, cls=renamed(Odd, "second"))
    out, summary, _ = run((conn, clock), [d(f"h{i}.com") for i in range(5)],
                          providers=[first, second], limits=Limits(0, 0))
    rs = results(out)
    assert sorted((r["ioc"]["value"], r["provider"]) for r in rs) == sorted(
        (f"h{i}.com", p) for i in range(5) for p in ("virustotal", "second"))
    assert summary["total"] == 5 and not summary["cancelled"]
    import json

    from sentinelx.enrichment import facts as facts_gate

    for (payload,) in conn.execute("SELECT payload FROM cache"):
        facts_gate.check(first.SPEC, json.loads(payload)["facts"])
    conn.close()
