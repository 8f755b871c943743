"""The compact privacy preview (PROTOCOL.md "preview").

- The provider-by-provider answer equals, for every (IOC, provider), the engine's own decision
  taken one pair at a time (plan.decide, then the cache, then the key), on generated mixes of
  values, privacy rules, keys, switched-off providers and an unevenly filled cache.
- Over the port: an `extract` with `preview` gets its `previewed` reply after every `extracted`
  part, under the same id, for the IOCs an enrich would be offered; without `preview`, none;
  a preview that fails is an `error` after the list, and the host goes on.
- A page with more IOCs than one frame holds: every frame under the browser's limit, each
  part self-contained, every offered IOC once and in order.
"""

from __future__ import annotations

import json
import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinelx import config, keys
from sentinelx.enrichment import service, store
from sentinelx.enrichment.cache import Cache
from sentinelx.enrichment.job import dedupe
from sentinelx.enrichment.models import Observation, Verdict
from sentinelx.enrichment.plan import decide, needs_key_missing
from sentinelx.enrichment.preview import preview
from sentinelx.enrichment.providers import registry
from sentinelx.native.framing import MAX_REPLY_BYTES
from sentinelx.pipeline.models import IOC, IOCType
from sentinelx.protocol import validate
from sentinelx.protocol.messages import dumps
from tests.support import enrich_env
from tests.support.frames import HostProcess
from tests.support.previews import rows_by_ioc
from tests.support.world import KEYS

sx_dirs = enrich_env.sx_dirs  # fixtures
hosts = enrich_env.hosts
NOWHERE = "http://127.0.0.1:9"  # a preview sends nothing: no provider is ever asked

VALUES: dict[IOCType, list[str]] = {
    IOCType.IPV4: ["45.9.9.1", "45.9.9.2", "203.0.113.7", "10.0.0.1", "not-an-ip"],
    IOCType.IPV6: ["2a00:1450::1", "fe80::1"],
    IOCType.DOMAIN: ["evil-c2.net", "vpn.corp.example", "corp.example", "a%b.com", "x.org"],
    IOCType.URL: ["http://evil-payload.net/x", "http://vpn.corp.example/a", "ftp://x.org/f",
                  "http://" + "a" * 3000 + ".com/"],
    IOCType.MD5: ["44d88612fea8a8f36de82e1278abb02f", "zz"],
    IOCType.SHA256: ["275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"],
    IOCType.CVE: ["CVE-2021-44228", "CVE-1"],
    IOCType.EMAIL: ["a@evil-c2.net", "b@corp.example"],
}
PRIVATE = {"10.0.0.1", "fe80::1"}
IOCS = [IOC(t, v, v, 0, v in PRIVATE) for t, vs in VALUES.items() for v in vs]


def setup_world(off: str = "greynoise") -> None:
    for name in registry.names():
        config.set_value(f"providers.{name}.base_url", NOWHERE)
    config.set_value("providers.misp.enabled", True)
    config.set_value(f"providers.{off}.enabled", False)
    config.set_value("privacy.never_send", "corp.example, mycorp.com, 203.0.113.0/24")
    for name in ("virustotal", "abuseipdb", "misp"):  # OTX and others keep no key
        keys.save_key(name, KEYS[name])


def reference(iocs: list[IOC], include_private: bool, refresh: bool
              ) -> dict[tuple[str, str], list[dict[str, str]]]:
    """The engine's order, one (IOC, provider) pair at a time (engine.Engine._local)."""
    settings_ = config.load()
    rules = service.rules(settings_, include_private)
    out: dict[tuple[str, str], list[dict[str, str]]] = {}
    with service.database() as conn:
        cache = Cache(conn, service.ttls(settings_))
        lanes = service.lanes(conn, settings_)
        for ioc in dedupe(iocs):
            rows = []
            for lane in lanes:
                if not lane.provider.supports(ioc.type):
                    continue
                d = decide(lane.provider, lane.enabled, ioc, rules)
                row = {"provider": lane.name}
                if d.reason or d.error:
                    row.update(action="withheld", reason=d.reason or "bad_request")
                elif not refresh and cache.get(lane.name, ioc.type.value, ioc.value):
                    row.update(action="cached")
                elif needs_key_missing(lane.provider):
                    row.update(action="withheld", reason="no_api_key")
                else:
                    row.update(action="send", sends=lane.provider.SPEC.sends[ioc.type.value])
                rows.append(row)
            out[(ioc.type.value, ioc.value)] = rows
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(iocs=st.lists(st.sampled_from(IOCS), max_size=40),
       cached=st.sets(st.tuples(st.sampled_from(registry.names()), st.sampled_from(IOCS)),
                      max_size=60),
       include_private=st.booleans(), refresh=st.booleans())
def test_the_preview_is_the_engine_decision_for_every_pair(sx_dirs, iocs, cached,
                                                           include_private, refresh):
    if not (config.paths.config_dir() / "config.toml").exists():
        setup_world()
    conn = store.connect()
    try:
        conn.execute("DELETE FROM cache")
        conn.commit()
        c = Cache(conn)
        for name, ioc in cached:
            c.put(ioc.type.value, ioc.value, Observation(name, True, {}, time.time()),
                  Verdict.CLEAN)
    finally:
        conn.close()
    got = preview(iocs, include_private=include_private, refresh=refresh)
    assert validate.check("reply", {"id": "p", "type": "previewed", "part": 1, "parts": 1,
                                    **got}) is None
    assert rows_by_ioc([got]) == reference(iocs, include_private, refresh)
    # Plans are distinct and each is used.
    assert len({json.dumps(p) for p in got["plans"]}) == len(got["plans"])
    assert {i["plan"] for i in got["iocs"]} == set(range(len(got["plans"])))
    sends = sum(r["action"] == "send" for rows in rows_by_ioc([got]).values() for r in rows)
    assert got["estimate"]["lookups"] == sends


def _frames_of(h: HostProcess, rid: str) -> list[dict]:
    return [f for f in h.frames if f.get("id") == rid]


def test_extract_with_preview_over_the_port(sx_dirs, hosts):
    setup_world()
    text = ("C2 evil-c2.net and hxxp://evil-payload[.]net/x, internal 10.0.0.1, "
            "vpn.mycorp.com, 45.9.9.1, CVE-2021-44228")
    h = HostProcess(sx_dirs.env())
    hosts.append(h)
    for rid, include_private in (("a", False), ("b", True)):
        h.send({"id": rid, "type": "extract", "text": text,
                "preview": {"include_private": include_private}})
        h.wait_for(lambda f, rid=rid: f.get("id") == rid and f["type"] == "previewed")
    h.send({"id": "c", "type": "extract", "text": text})  # no preview asked: none comes
    h.wait_for(lambda f: f.get("id") == "c" and f["type"] == "extracted")
    assert h.close() == 0
    for rid, include_private in (("a", False), ("b", True)):
        frames = _frames_of(h, rid)
        assert [f["type"] for f in frames] == ["extracted", "previewed"]
        for f in frames:
            assert validate.check("reply", f) is None, f
        extracted, previewed = frames
        offered = [(i["type"], i["value"]) for i in extracted["iocs"]
                   if include_private or not i["private"]]
        assert ("ipv4", "10.0.0.1") in [(i["type"], i["value"]) for i in extracted["iocs"]]
        by_ioc = rows_by_ioc([previewed])
        assert list(by_ioc) == offered
        vt = {k: next(r for r in rows if r["provider"] == "virustotal")
              for k, rows in by_ioc.items() if k[0] != "cve"}
        assert vt[("domain", "vpn.mycorp.com")]["reason"] == "never_send"
        assert vt[("url", "http://evil-payload.net/x")] == {
            "provider": "virustotal", "action": "send", "sends": "the full URL"}
        if include_private:  # the user sends private values: VirusTotal would get it
            assert vt[("ipv4", "10.0.0.1")]["action"] == "send"
    assert [f["type"] for f in _frames_of(h, "c")] == ["extracted"]


def test_a_failed_preview_is_an_error_after_the_list_and_the_host_goes_on(sx_dirs, hosts):
    store.db_path().mkdir(parents=True)  # no database can open there
    h = HostProcess(sx_dirs.env())
    hosts.append(h)
    h.send({"id": "x", "type": "extract", "text": "evil-c2.net 45.9.9.1",
            "preview": {"include_private": False}})
    err = h.wait_for(lambda f: f.get("id") == "x" and f["type"] == "error")
    logs = "".join(f.read_text(errors="replace")[-2000:] for f in sx_dirs.log.glob("*"))
    assert err["code"] == "internal_error" and "evil-c2.net" not in err["message"]
    assert [f["type"] for f in _frames_of(h, "x")] == ["extracted", "error"], (h.frames, logs)
    h.send({"id": "p", "type": "ping"})
    assert h.wait_for(lambda f: f.get("id") == "p")["type"] == "pong"


def test_a_wrong_preview_field_is_a_schema_violation(sx_dirs, hosts):
    h = HostProcess(sx_dirs.env())
    hosts.append(h)
    for n, bad in enumerate([True, {"include_private": "yes"}, {"refresh": True}, []]):
        h.send({"id": f"w{n}", "type": "extract", "text": "evil-c2.net", "preview": bad})
        f = h.wait_for(lambda f, n=n: f.get("id") == f"w{n}")
        assert f["type"] == "error" and f["code"] == "schema_violation", f


def test_a_page_bigger_than_a_frame_comes_in_self_contained_parts(sx_dirs, hosts):
    setup_world()
    rng = random.Random(7)
    domains = [f"host{n}-{rng.randrange(10**9)}.example-{n % 97}.net" for n in range(24_000)]
    # An unevenly filled cache: many distinct plans, spread over the parts.
    conn = store.connect()
    try:
        c = Cache(conn)
        for d in rng.sample(domains, 4000):
            for name in rng.sample(["virustotal", "urlhaus", "threatfox", "otx", "misp"], 2):
                c.put("domain", d, Observation(name, True, {}, time.time()), Verdict.CLEAN)
    finally:
        conn.close()
    h = HostProcess(sx_dirs.env())
    hosts.append(h)
    h.send({"id": "big", "type": "extract", "text": " ".join(domains),
            "preview": {"include_private": False}})
    last = h.wait_for(lambda f: f.get("id") == "big" and f["type"] == "previewed"
                      and f["part"] == f["parts"], timeout=120)
    parts = [f for f in _frames_of(h, "big") if f["type"] == "previewed"]
    assert last["parts"] > 1 and [p["part"] for p in parts] == list(range(1, last["parts"] + 1))
    for p in parts:
        assert len(dumps(p)) <= MAX_REPLY_BYTES
        assert validate.check("reply", p) is None
        assert {i["plan"] for i in p["iocs"]} == set(range(len(p["plans"])))  # its own plans
        assert p["estimate"] == parts[0]["estimate"]
    by_ioc = rows_by_ioc(parts)
    assert list(by_ioc) == [("domain", d) for d in domains]
    assert len({json.dumps(p) for part in parts for p in part["plans"]}) > 10
    cached = sum(r["action"] == "cached" for rows in by_ioc.values() for r in rows)
    assert cached == 8000
