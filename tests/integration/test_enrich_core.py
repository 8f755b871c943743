"""The provider core end to end over real sockets: lanes in parallel and concurrent within a
lane, cancel during a stalled lookup, pong capabilities, preview, quota.reset, keys over
the port, and what stays lazy (no `requests` for a cached answer, nothing heavy at ping)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from sentinelx import config
from sentinelx.enrichment import store
from sentinelx.enrichment.cache import Cache
from sentinelx.enrichment.engine import Engine, Lane
from sentinelx.enrichment.history import History
from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.providers import registry
from sentinelx.enrichment.providers.virustotal import VirusTotal
from sentinelx.enrichment.quota import Limits, Quota
from sentinelx.pipeline.models import IOC, IOCType
from sentinelx.protocol import validate
from tests.support import enrich_env
from tests.support.fakevt import FakeVT
from tests.support.frames import HostProcess
from tests.support.previews import rows_by_ioc
from tests.support.providers import VT_KEY, context, renamed

sx_dirs = enrich_env.sx_dirs  # fixtures
hosts = enrich_env.hosts
KEY = VT_KEY


def ips(n: int) -> list[IOC]:
    return [IOC(IOCType.IPV4, f"45.0.{i // 250}.{i % 250}", "x", 0) for i in range(n)]


def max_overlap(fake: FakeVT, latency: float) -> int:
    starts = sorted(r.at for r in fake.api_requests())
    return max((sum(1 for t in starts if s <= t < s + latency) for s in starts), default=0)


def test_lanes_run_in_parallel_and_each_lane_concurrently(tmp_path):
    """50 IOCs x 4 providers, each fake answering after 100 ms, no quota limit: lanes
    overlap and each keeps several requests in flight (bench/engine_bench.py times it)."""
    fakes = [FakeVT(api_key=KEY).start() for _ in range(4)]
    try:
        for f in fakes:
            f.latency = 0.1
        conn = store.connect(tmp_path / "e.sqlite3")
        lanes = []
        for n, f in enumerate(fakes):
            cls = VirusTotal if n == 0 else renamed(VirusTotal, f"vt{n}")
            lanes.append(Lane(cls(context(f.base_url, KEY)),
                              Quota(conn, cls.SPEC.name, Limits(0, 0))))
        got: list[dict] = []
        summary = Engine(lanes, Cache(conn), History(conn), on_results=got.extend,
                         on_progress=lambda m: None, cancel=threading.Event()).run(ips(50))
        conn.close()
        assert len(got) == 200 and summary["counts"]["no_data"] == 50
        assert all(len(f.api_requests()) == 50 for f in fakes)
        for f in fakes:  # concurrent within a lane ...
            assert max_overlap(f, 0.1) >= 4
        firsts = sorted(min(r.at for r in f.api_requests()) for f in fakes)
        assert firsts[-1] - firsts[0] < 0.5  # ... and every lane started at once
    finally:
        for f in fakes:
            f.stop()


def test_a_lane_never_has_more_in_flight_than_its_quota_allows(tmp_path):
    with FakeVT(api_key=KEY) as f:
        f.latency = 0.2
        conn = store.connect(tmp_path / "e.sqlite3")
        cancel = threading.Event()
        lane = Lane(VirusTotal(context(f.base_url, KEY)), Quota(conn, "virustotal",
                                                                Limits(3, 0)))
        threading.Timer(1.5, cancel.set).start()
        Engine([lane], Cache(conn), History(conn), on_results=lambda m: None,
               on_progress=lambda m: None, cancel=cancel).run(ips(10))
        conn.close()
        assert len(f.api_requests()) == 3  # the minute's budget, all at once, then waiting
        assert max_overlap(f, 0.2) == 3


def configure(fake: FakeVT, per_minute: int = 100_000) -> None:
    enrich_env.only_providers("virustotal")  # the others: skipped/disabled, no network
    config.set_value("vt.base_url", fake.base_url)
    config.set_value("vt.requests_per_minute", per_minute)


def test_cancel_during_a_stalled_lookup_ends_the_job_within_a_second(sx_dirs, hosts):
    with FakeVT(api_key=KEY) as fake:
        configure(fake)
        fake.program("slow", times=10, delay=30)
        h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
        hosts.append(h)
        h.send({"id": "q", "type": "enrich", "iocs": [{"type": "ipv4", "value": "45.1.1.1"},
                                                      {"type": "ipv4", "value": "45.1.1.2"}]})
        deadline = time.monotonic() + 10
        while len(fake.api_requests()) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        sent = time.monotonic()
        h.send({"id": "c", "type": "cancel", "target": "q"})
        summary = h.wait_for(lambda f: f.get("type") == "summary", timeout=5)
        took = time.monotonic() - sent
        assert summary["cancelled"] is True and took < 1.0, took
        results = [r for f in h.of("q") if f["type"] in ("result", "results")
                   for r in f.get("results", [f])]
        codes = [r["error"]["code"] for r in enrich_env.pinned(results)]
        assert codes == ["cancelled", "cancelled"]
        h.close()


def test_a_429_with_retry_after_waits_that_long_not_the_default_minute(tmp_path):
    """A real 429 with `Retry-After: 2` over a socket (OTX's Django throttling): the lane
    pauses ~2 s, not the default 61 s, then the IOC is answered; nothing is lost."""
    from sentinelx.enrichment.providers.otx import OTX
    from tests.support.fakes.otx import FakeOTX

    key = "0f" * 32
    with FakeOTX(api_key=key) as fake:
        fake.program("status", status=429, times=1, headers={"Retry-After": "2"},
                     body={"detail": "Request was throttled. Expected available in 2 seconds."})
        conn = store.connect(tmp_path / "e.sqlite3")
        lane = Lane(OTX(context(fake.base_url, key)), Quota(conn, "otx", Limits(0, 0)))
        got: list[dict] = []
        t0 = time.monotonic()
        Engine([lane], Cache(conn), History(conn), on_results=got.extend,
               on_progress=lambda m: None, cancel=threading.Event()).run(ips(1))
        took = time.monotonic() - t0
        conn.close()
        asked = len(fake.requests)
    assert [r["status"] for r in got] == ["ok"], got
    assert asked == 2  # the 429, then the answer
    assert 1.5 <= took < 20, took  # the hint (+1 s margin), not a minute


def test_pong_says_protocol_and_capabilities(sx_dirs, hosts):
    h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    hosts.append(h)
    h.send({"id": "p", "type": "ping"})
    pong = h.wait_for(lambda f: f.get("type") == "pong")
    h.close()
    assert validate.check("reply", pong) is None
    assert isinstance(pong["protocol"], int) and pong["protocol"] >= 2
    caps = pong["capabilities"]
    assert [p["name"] for p in caps["providers"]] == registry.names()
    vt = caps["providers"][0]
    assert vt["needs_key"] == "required" and vt["key_set"] is True and vt["enabled"] is True
    assert vt["sends"]["url"] == "the full URL" and vt["paused_until"] is None
    assert caps["ioc_types"] == [t.value for t in IOCType]


def test_capabilities_and_a_cached_enrich_stay_light(sx_dirs):
    """Ping needs no requests/jsonschema/sqlite3; a cache hit needs no requests."""
    conn = store.connect()
    from sentinelx.enrichment.models import Observation, Verdict

    Cache(conn).put("domain", "evil-c2.net",
                    Observation("virustotal", True, {"malicious": 0, "suspicious": 0,
                                                     "harmless": 1, "undetected": 0,
                                                     "engines": 1, "tags": [],
                                                     "last_analysis_date": None},
                                time.time()), Verdict.NO_DATA)
    conn.close()
    script = textwrap.dedent("""
        import sys, threading
        from sentinelx.enrichment.capabilities import capabilities
        capabilities()
        heavy = [m for m in ("requests", "jsonschema", "sqlite3", "urllib3") if m in sys.modules]
        print("ping:", ",".join(heavy))
        from sentinelx.enrichment import service
        from sentinelx.enrichment.iocs import from_ref
        got = []
        service.run([from_ref({"type": "domain", "value": "evil-c2.net"})],
                    on_results=got.extend, on_progress=lambda m: None,
                    cancel=threading.Event())
        assert got[0]["cached"], got
        print("cached:", ",".join(m for m in ("requests", "urllib3") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=sx_dirs.env(VT_API_KEY=KEY), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["ping: ", "cached: "]


def test_preview_shows_cached_sent_withheld_and_time(sx_dirs, hosts):
    with FakeVT(api_key=KEY) as fake:
        configure(fake, per_minute=4)
        config.set_value("privacy.never_send", "mycorp.com")
        fake.seed("domain", "evil-c2.net", "malicious")
        h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
        hosts.append(h)
        h.send({"id": "e", "type": "enrich", "iocs": [{"type": "domain", "value": "evil-c2.net"}]})
        h.wait_for(lambda f: f.get("id") == "e" and f["type"] == "summary")
        refs = [{"type": "domain", "value": "evil-c2.net"},
                {"type": "url", "value": "http://evil-payload.net/x"},
                {"type": "domain", "value": "vpn.mycorp.com"},
                {"type": "ipv4", "value": "10.0.0.1"},
                {"type": "cve", "value": "CVE-2021-44228"},
                *({"type": "ipv4", "value": f"45.9.9.{i}"} for i in range(28))]
        h.send({"id": "p", "type": "preview", "iocs": refs})
        reply = h.wait_for(lambda f: f.get("id") == "p")
        h.close()
        assert validate.check("reply", reply) is None, reply
        by_ioc = rows_by_ioc([reply])
        assert [v for _, v in by_ioc] == [r["value"] for r in refs]  # each once, in order
        assert len(reply["plans"]) < len(refs)  # 33 IOCs, a few distinct plans
        rows = {value: providers for (_, value), providers in by_ioc.items()}
        vt = {value: [r for r in providers if r["provider"] == "virustotal"]
              for value, providers in rows.items()}
        for (ioc_type, _), providers in by_ioc.items():  # other takers of the type: disabled
            assert [r["provider"] for r in providers] == [
                s.name for s in registry.specs() if ioc_type in {t.value for t in s.types}]
            assert all(r == {"provider": r["provider"], "action": "withheld",
                             "reason": "disabled"}
                       for r in providers if r["provider"] != "virustotal")
        assert vt["evil-c2.net"] == [{"provider": "virustotal", "action": "cached"}]
        assert vt["http://evil-payload.net/x"] == [
            {"provider": "virustotal", "action": "send", "sends": "the full URL"}]
        assert vt["vpn.mycorp.com"] == [{"provider": "virustotal", "action": "withheld",
                                         "reason": "never_send"}]
        assert vt["10.0.0.1"][0]["reason"] == "private"
        assert vt["CVE-2021-44228"] == []  # VirusTotal does not take CVEs
        est = reply["estimate"]
        assert est["lookups"] == 29 and est["providers"]["virustotal"]["lookups"] == 29
        assert 6 * 60 <= est["seconds"] <= 8 * 60  # #10: 29 lookups at 4/min
        assert len(fake.api_requests()) == 1  # a preview sends nothing


def test_quota_reset_over_the_port(sx_dirs, hosts):
    conn = store.connect()
    for _ in range(3):
        Quota(conn, "virustotal").rate_limited("Quota exceeded")
    conn.close()
    h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    hosts.append(h)
    h.send({"id": "p", "type": "ping"})
    assert h.wait_for(lambda f: f.get("id") == "p")["capabilities"]["providers"][0][
        "paused_until"]
    h.send({"id": "r", "type": "quota.reset", "provider": "virustotal"})
    reply = h.wait_for(lambda f: f.get("id") == "r")
    assert reply["type"] == "quota" and reply["cleared"] == ["virustotal"]
    assert reply["providers"]["virustotal"]["paused_until"] is None
    h.send({"id": "x", "type": "quota.reset", "provider": "nosuch"})
    assert h.wait_for(lambda f: f.get("id") == "x")["code"] == "invalid_value"
    h.close()
    for f in h.frames:
        assert validate.check("reply", f) is None, f


@pytest.mark.parametrize(("key", "why"), [("ключ-тест-1234", "printable ASCII"),
                                          ("abcd", "64 hexadecimal")])
def test_set_key_over_the_port_refuses_bad_keys_and_never_echoes(sx_dirs, hosts, key, why):
    h = HostProcess(sx_dirs.env())
    hosts.append(h)
    h.send({"id": "k", "type": "config.set_key", "key": key})
    err = h.wait_for(lambda f: f.get("id") == "k")
    h.send({"id": "g", "type": "config.get"})
    cfg = h.wait_for(lambda f: f.get("id") == "g")
    h.close()
    assert err["type"] == "error" and err["code"] == "invalid_value" and why in err["message"]
    assert key not in err["message"] and cfg["keys"]["virustotal"]["set"] is False


def test_ping_during_a_key_check_is_answered(sx_dirs, hosts):
    with FakeVT(api_key=KEY) as fake:
        configure(fake)
        fake.program("slow", delay=3, path="/metadata")
        h = HostProcess(sx_dirs.env())
        hosts.append(h)
        h.send({"id": "k", "type": "config.set_key", "key": KEY})
        h.send({"id": "p", "type": "ping"})
        h.wait_for(lambda f: f.get("id") == "p", timeout=2)
        cfg = h.wait_for(lambda f: f.get("id") == "k", timeout=10)
        h.close()
        assert cfg["key_check"]["status"] == "ok"
        assert cfg["keys"]["virustotal"]["set"] is True


def test_safe_http_is_the_only_path(sx_dirs):
    """Every provider gets a SafeHttp allowlisted to its own base URL and hosts only."""
    from sentinelx.enrichment import service

    settings = config.load()
    for name in registry.names():
        p, values = service.make_provider(name, settings)
        spec = registry.spec(name)
        assert isinstance(p.ctx.http, SafeHttp)
        assert p.ctx.http.allowed == allowlist([str(values["base_url"]), *spec.hosts])


def test_a_keyless_provider_answers_on_first_run_without_any_key(tmp_path):
    """No key at all: a provider that needs none is asked; one that needs one is skipped."""
    with FakeVT() as open_fake, FakeVT(api_key=KEY) as vt_fake:
        conn = store.connect(tmp_path / "e.sqlite3")
        keyless = renamed(VirusTotal, "openfeed", key="none")
        lanes = [Lane(VirusTotal(context(vt_fake.base_url, None)),
                      Quota(conn, "virustotal", Limits(0, 0))),
                 Lane(keyless(context(open_fake.base_url, None)),
                      Quota(conn, "openfeed", Limits(0, 0)))]
        got: list[dict] = []
        Engine(lanes, Cache(conn), History(conn), on_results=got.extend,
               on_progress=lambda m: None, cancel=threading.Event()).run(ips(2))
        conn.close()
        by = {(r["provider"], r["status"]) for r in got}
        assert by == {("virustotal", "skipped"), ("openfeed", "ok")}
        assert len(open_fake.api_requests()) == 2 and vt_fake.requests == []


def test_a_refused_key_spends_no_quota_over_real_sockets(sx_dirs, hosts):
    with FakeVT(api_key=KEY) as fake:
        configure(fake, per_minute=4)
        h = HostProcess(sx_dirs.env(VT_API_KEY="f" * 64))  # well-formed, but wrong
        hosts.append(h)
        h.send({"id": "e", "type": "enrich", "iocs": [{"type": "ipv4", "value": "45.1.1.1"}]})
        h.wait_for(lambda f: f.get("id") == "e" and f["type"] == "summary")
        h.close()
        assert len(fake.api_requests()) == 1
        conn = store.connect()
        assert conn.execute("SELECT COUNT(*) FROM quota_events").fetchone()[0] == 0
        conn.close()


def test_a_new_threshold_applies_to_a_cached_answer(sx_dirs, hosts):
    """#10 item 4, end to end: 12/73 cached as malicious; threshold 20 makes it suspicious
    without asking VirusTotal again."""
    with FakeVT(api_key=KEY) as fake:
        configure(fake)
        fake.seed("domain", "evil-c2.net", "malicious")
        h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
        hosts.append(h)
        ref = [{"type": "domain", "value": "evil-c2.net"}]
        h.send({"id": "a", "type": "enrich", "iocs": ref})
        first = h.wait_for(lambda f: f.get("id") == "a" and f["type"] == "result")
        h.send({"id": "s", "type": "config.set", "name": "vt.malicious_threshold", "value": 20})
        h.wait_for(lambda f: f.get("id") == "s")
        h.send({"id": "b", "type": "enrich", "iocs": ref})
        h.wait_for(lambda f: f.get("id") == "b" and f["type"] == "summary")
        h.close()
        (again,) = enrich_env.pinned([r for f in h.of("b") if f["type"] in ("result", "results")
                                      for r in f.get("results", [f])])
        assert first["combined"]["verdict"] == "malicious"
        assert again["cached"] and again["combined"]["verdict"] == "suspicious"
        assert len(fake.api_requests()) == 1


def test_key_check_outcomes_and_what_they_cost(sx_dirs):
    from sentinelx import keys
    from sentinelx.enrichment import service

    with FakeVT(api_key=KEY) as fake:
        configure(fake, per_minute=1)
        keys.save_key("virustotal", "f" * 64)
        assert service.verify_key("virustotal")["status"] == "rejected"
        conn = store.connect()
        used = lambda: conn.execute("SELECT COUNT(*) FROM quota_events").fetchone()[0]  # noqa: E731
        assert used() == 0  # a refused key costs no quota
        keys.save_key("virustotal", KEY)
        assert service.verify_key("virustotal")["status"] == "ok" and used() == 1
        busy = service.verify_key("virustotal")  # the minute's one slot is taken
        assert busy["status"] == "unchecked" and "quota" in busy["message"]
        conn.close()
        assert [r.path for r in fake.api_requests()] == ["/api/v3/metadata"] * 2
