"""MISP over real sockets against the local fake MISP: the restSearch request, each verdict
rule, demotions, errors (403, 405, 429) and what is never sent."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.base import ProviderContext, RetryPolicy, lookup
from sentinelx.enrichment.providers.misp import MISP, SPEC
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.misp import AUTH_FAILED, FakeMISP

KEY = "Kx7QmZp2Lr9VtB4nW8cYd3Hf6Jg1Ss5Ae0Uo2Ii9"
SCHEMA = Draft202012Validator(json.loads(SPEC.facts_schema_path.read_text()))
FAST = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)


def ioc(t: str, value: str) -> IOC:
    return IOC(IOCType(t), value, value, 0)


@pytest.fixture
def fake():
    with FakeMISP(api_key=KEY) as f:
        yield f


def misp(fake: FakeMISP, tmp_path: Path, key: str | None = KEY) -> MISP:
    http = SafeHttp(allowlist([fake.base_url]), timeout=(2.0, 5.0))
    return MISP(ProviderContext(fake.base_url, key, {}, http, time.time, tmp_path))


def run(p: MISP, i: IOC) -> Observation:
    out = lookup(p, i, retry=FAST)
    assert isinstance(out, Observation), out
    SCHEMA.validate(out.facts)
    return out


@pytest.mark.parametrize(("t", "value", "verdict", "rule"), [
    ("ipv4", "203.0.113.66", Verdict.MALICIOUS, "IDS attribute in published event #42"),
    ("domain", "login-portal.example", Verdict.SUSPICIOUS, "not for IDS"),
    ("md5", "44d88612fea8a8f36de82e1278abb02f", Verdict.SUSPICIOUS, "unpublished event #44"),
    ("ipv4", "8.8.8.8", Verdict.SUSPICIOUS, "on warninglist List of known IPv4 public DNS"),
    ("domain", "update-check.example", Verdict.SUSPICIOUS, "1 false-positive sighting"),
    ("ipv4", "1.1.1.1", Verdict.CLEAN, "lowered: on warninglist"),
    ("ipv4", "198.51.100.23", Verdict.MALICIOUS, "event #42"),  # value2 of a domain|ip
    ("domain", "GATE.BAD.EXAMPLE", Verdict.MALICIOUS, "event #42"),  # case-insensitive
])
def test_verdict_rules(fake, tmp_path, t, value, verdict, rule):
    p = misp(fake, tmp_path)
    obs = run(p, ioc(t, value))
    j = p.judge(ioc(t, value), obs)
    assert obs.found and j.verdict is verdict and rule in j.summary, j


def test_the_request_is_restsearch_as_documented(fake, tmp_path):
    run(misp(fake, tmp_path), ioc("ipv4", "203.0.113.66"))
    req, = fake.requests
    assert (req.method, req.path) == ("POST", "/attributes/restSearch")
    assert req.headers["authorization"] == KEY
    assert req.headers["accept"] == "application/json"
    assert req.headers["content-type"].startswith("application/json")
    body = req.json()
    assert body["value"] == ["203.0.113.66"] and body["limit"] == 50
    for flag in ("includeContext", "includeEventTags", "includeSightings",
                 "includeWarninglistHits"):
        assert body[flag] == 1
    assert "to_ids" not in body and "published" not in body  # read, not filtered


def test_event_context_and_tags_reach_the_facts(fake, tmp_path):
    f = run(misp(fake, tmp_path), ioc("ipv4", "203.0.113.66")).facts
    event, = f["events"]
    assert event == {"id": 42, "info": "Emotet C2 infrastructure", "published": True,
                     "threat_level": "high", "date": "2025-08-20", "org": "CIRCL"}
    attr, = f["attributes"]
    assert attr["to_ids"] is True and attr["sightings"] == 1
    assert "malware:emotet" in attr["tags"] and "tlp:amber" in attr["tags"]  # event tag


def test_no_match_and_deleted_are_no_data(fake, tmp_path):
    p = misp(fake, tmp_path)
    for i in (ioc("domain", "nothing.example"), ioc("url", "http://deleted.example/gate.php")):
        obs = run(p, i)
        assert not obs.found and obs.facts == {"matches": 0}
        assert p.judge(i, obs).verdict is Verdict.NO_DATA


def test_wrong_key_is_auth(fake, tmp_path):
    out = lookup(misp(fake, tmp_path, "Z" * 40), ioc("ipv4", "203.0.113.66"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.AUTH
    assert AUTH_FAILED[:20] in out.message


def test_no_key_no_request(fake, tmp_path):
    out = lookup(misp(fake, tmp_path, None), ioc("ipv4", "203.0.113.66"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.NO_API_KEY
    assert fake.requests == []


@pytest.mark.parametrize("value", ["!8.8.8.8", "%.example", "evil.example%", "%"])
def test_filter_syntax_values_are_never_sent(fake, tmp_path, value):
    out = lookup(misp(fake, tmp_path), ioc("domain", value), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_REQUEST
    assert fake.requests == []


def test_rate_limit_429_with_reset(tmp_path):
    with FakeMISP(api_key=KEY, rate_limit=1) as fake:
        p = misp(fake, tmp_path)
        run(p, ioc("ipv4", "203.0.113.66"))
        before = time.time()
        out = lookup(p, ioc("ipv4", "203.0.113.66"), retry=FAST)
        assert isinstance(out, EnrichmentError) and out.code is ErrorCode.RATE_LIMITED
        assert out.retry_at is not None and "Rate limit exceeded" in out.message
        from datetime import datetime
        at = datetime.fromisoformat(out.retry_at.replace("Z", "+00:00")).timestamp()
        assert before + 860 <= at <= time.time() + 871
        assert len(fake.requests) == 2


def test_role_without_search_rights_is_405_auth(tmp_path):
    with FakeMISP(api_key=KEY, rate_limit=0) as fake:
        out = lookup(misp(fake, tmp_path), ioc("ipv4", "203.0.113.66"), retry=FAST)
        assert isinstance(out, EnrichmentError) and out.code is ErrorCode.AUTH
        assert "not allowed" in out.message


def test_malformed_json_405_is_bad_request(fake, tmp_path):
    fake.program("status", status=405, body={
        "name": "Invalid JSON input.", "message": "Invalid JSON input. Make sure ...",
        "url": "/attributes/restSearch"})
    out = lookup(misp(fake, tmp_path), ioc("ipv4", "203.0.113.66"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("body", [
    {"response": {"Attribute": [{"value": "x", "to_ids": "yes", "Event": {"id": "1"}}]}},
    {"response": {"Attribute": [{"id": "1", "to_ids": True}]}},  # no Event
    {"response": {"Attribute": [{"id": "1", "to_ids": True, "Event": {"id": "1",
                                 "published": "true"}}]}},
    {"response": {"Attribute": [{"id": "1", "to_ids": True, "Event": {"id": "../1"}}]}},
    {"response": {"Attribute": [{"id": "1", "to_ids": True, "Event": {"id": "1"},
                                 "Sighting": [{"type": "9"}]}]}},
    {"response": {"Attribute": {}}},
    {"Attribute": []},
    [],
])
def test_wrong_shapes_are_bad_responses(fake, tmp_path, body):
    fake.program("body", body=body)
    out = lookup(misp(fake, tmp_path), ioc("ipv4", "203.0.113.66"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_RESPONSE, out


def test_verify_key_is_a_limit_1_search(fake, tmp_path):
    good = misp(fake, tmp_path)
    req = good.verify_key()
    assert req is not None and req.json["limit"] == 1
    assert good.ctx.http.send(req).status == 200
    bad = misp(fake, tmp_path, "Z" * 40)
    assert bad.ctx.http.send(bad.verify_key()).status == 403


def test_link_to_the_event(fake, tmp_path):
    p = misp(fake, tmp_path)
    i = ioc("ipv4", "203.0.113.66")
    assert p.link(i, run(p, i)) == f"{fake.base_url}/events/view/42"


def test_requests_only_to_the_configured_misp(fake, tmp_path):
    p = misp(fake, tmp_path)
    from sentinelx.enrichment.http import HttpError, HttpRequest
    with pytest.raises(HttpError) as e:
        p.ctx.http.send(HttpRequest("POST", "http://127.0.0.2:1/attributes/restSearch"))
    assert e.value.code == "forbidden_host"
