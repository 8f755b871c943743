"""MISP parse/judge/settings on fixtures and generated hostile shapes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from sentinelx.config import ConfigError
from sentinelx.enrichment.http import HttpResponse, SafeHttp
from sentinelx.enrichment.models import BadResponse, EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers import misp as misp_mod
from sentinelx.enrichment.providers.base import ProviderContext
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.misp import FakeMISP

SCHEMA = Draft202012Validator(json.loads(misp_mod.SPEC.facts_schema_path.read_text()))
HOSTILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                               max_size=4),
    max_leaves=20,
)
FULL = {"includeContext": 1, "includeEventTags": 1, "includeSightings": 1,
        "includeWarninglistHits": 1}
SERVER = FakeMISP()  # not started: used for its documented answer shapes only
P = misp_mod.MISP(ProviderContext("https://misp.example", "A" * 40, {}, SafeHttp(frozenset()),
                                  time.time, Path("/nonexistent")))


def ioc(value: str, t: str = "domain") -> IOC:
    return IOC(IOCType(t), value, value, 0)


def resp(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, json.dumps(body).encode(), "application/json", headers or {})


def answer_for(value: str, **flags: int) -> HttpResponse:
    return resp({"response": {"Attribute": SERVER.search({"value": [value], **FULL, **flags})}})


def attr(**over: Any) -> dict[str, Any]:
    a = {"id": "1", "event_id": "7", "type": "domain", "category": "Network activity",
         "to_ids": True, "value": "x.example", "Sighting": [],
         "Event": {"id": "7", "info": "test", "published": True, "threat_level_id": "2"}}
    a.update(over)
    return a


def verdict_of(*attrs: dict[str, Any]) -> tuple[Verdict, str]:
    obs = P.parse(ioc("x.example"), resp({"response": {"Attribute": list(attrs)}}))
    assert isinstance(obs, Observation)
    SCHEMA.validate(obs.facts)
    j = P.judge(ioc("x.example"), obs)
    return j.verdict, j.summary


def test_rules_one_by_one():
    assert verdict_of(attr())[0] is Verdict.MALICIOUS
    assert verdict_of(attr(to_ids=False))[0] is Verdict.SUSPICIOUS
    unpublished = attr(Event={"id": "7", "info": "t", "published": False})
    assert verdict_of(unpublished)[0] is Verdict.SUSPICIOUS
    no_context = attr(Event={"id": "7", "info": "t"})  # older server, no includeContext
    assert verdict_of(no_context)[0] is Verdict.SUSPICIOUS  # never malicious on a guess
    fp = attr(Sighting=[{"type": "1"}])
    assert verdict_of(fp) == (Verdict.SUSPICIOUS, "IDS attribute in published event #7 (test); "
                                                  "lowered: 1 false-positive sighting(s)")
    wl = attr(to_ids=False, warnings=[{"warninglist_id": "3", "warninglist_name": "Alexa"}])
    assert verdict_of(wl)[0] is Verdict.CLEAN
    expiry = attr(Sighting=[{"type": "2"}, {"type": "0"}])
    assert verdict_of(expiry)[0] is Verdict.MALICIOUS


def test_the_strongest_attribute_decides():
    weak = attr(id="1", to_ids=False)
    strong = attr(id="2", event_id="8", Event={"id": "8", "info": "C2", "published": True,
                                                "threat_level_id": "1"})
    v, summary = verdict_of(weak, strong)
    assert v is Verdict.MALICIOUS and "#8 (C2)" in summary


def test_threat_level_sets_the_malicious_score():
    def score(level: str) -> float:
        a = attr(Event={"id": "7", "info": "t", "published": True, "threat_level_id": level})
        obs = P.parse(ioc("x.example"), resp({"response": {"Attribute": [a]}}))
        return P.judge(ioc("x.example"), obs).score
    assert score("1") > score("2") > score("3")


def test_fixture_server_answers_without_context_are_never_malicious():
    obs = P.parse(ioc("203.0.113.66", "ipv4"),
                  resp({"response": {"Attribute": SERVER.search({"value": ["203.0.113.66"]})}}))
    assert P.judge(ioc("203.0.113.66", "ipv4"), obs).verdict is Verdict.SUSPICIOUS
    full = P.parse(ioc("203.0.113.66", "ipv4"), answer_for("203.0.113.66"))
    assert P.judge(ioc("203.0.113.66", "ipv4"), full).verdict is Verdict.MALICIOUS


def test_many_attributes_keep_the_decisive_ones():
    many = [attr(id=str(i), to_ids=False) for i in range(30)] + [attr(id="99")]
    obs = P.parse(ioc("x.example"), resp({"response": {"Attribute": many}}))
    SCHEMA.validate(obs.facts)
    assert obs.facts["matches"] == 31 and len(obs.facts["attributes"]) == 20
    assert P.judge(ioc("x.example"), obs).verdict is Verdict.MALICIOUS


def test_more_than_the_limit_is_bad_response():
    with pytest.raises(BadResponse):
        P.parse(ioc("x.example"), resp({"response": {"Attribute": [attr()] * 51}}))


@HOSTILE
@given(st.dictionaries(st.sampled_from(["id", "event_id", "to_ids", "Tag", "Sighting",
                                        "warnings", "type", "comment", "Event"]), json_values))
def test_generated_attributes_are_bad_response_or_schema_valid(over):
    try:
        out = P.parse(ioc("x.example"), resp({"response": {"Attribute": [attr(**over)]}}))
    except BadResponse:
        return
    assert isinstance(out, Observation)
    SCHEMA.validate(out.facts)
    json.dumps(out.facts, allow_nan=False)
    assert P.judge(ioc("x.example"), out).verdict in set(Verdict)


@HOSTILE
@given(st.dictionaries(st.sampled_from(["id", "info", "published", "threat_level_id", "date",
                                        "Orgc"]), json_values))
def test_generated_events_are_bad_response_or_schema_valid(event):
    try:
        out = P.parse(ioc("x.example"), resp({"response": {"Attribute": [attr(Event=event)]}}))
    except BadResponse:
        return
    SCHEMA.validate(out.facts)
    assert P.judge(ioc("x.example"), out).verdict in set(Verdict)


@HOSTILE
@given(json_values)
def test_any_json_body_is_bad_response_or_schema_valid(body):
    try:
        out = P.parse(ioc("x.example"), resp(body))
    except BadResponse:
        return
    assert isinstance(out, Observation)
    SCHEMA.validate(out.facts)


@pytest.mark.parametrize(("status", "body", "headers", "code"), [
    (403, {"name": "Authentication failed.", "message": "Authentication failed."}, {}, ErrorCode.AUTH),
    (405, {"message": "API searches are not allowed for this user role."}, {}, ErrorCode.AUTH),
    (405, {"message": "Invalid JSON input."}, {}, ErrorCode.BAD_REQUEST),
    (429, {"message": "Rate limit exceeded."}, {"x-rate-limit-reset": "99999999"},
     ErrorCode.RATE_LIMITED),
    (500, "oops", {}, ErrorCode.SERVER_ERROR),
    (404, {"message": "Invalid output format."}, {}, ErrorCode.BAD_RESPONSE),
])
def test_status_mapping(status, body, headers, code):
    out = P.parse(ioc("x.example"), resp(body, status, headers))
    assert isinstance(out, EnrichmentError) and out.code is code
    if status == 429:
        assert out.retry_at is None  # an absurd reset is not believed


@HOSTILE
@given(st.text(max_size=60))
def test_searchable_never_lets_filter_syntax_through(value):
    try:
        v = misp_mod.searchable(value)
    except ValueError:
        return
    assert v and not v.startswith(("!", "%")) and not v.endswith("%")
    assert P.request(ioc(v)).json["value"] == [v]


@pytest.mark.parametrize("key", ["A" * 40, "aZ09" * 10])
def test_key_shape_accepted(key):
    assert misp_mod.SPEC.valid_key(key)


@pytest.mark.parametrize("key", ["A" * 39, "A" * 41, "A" * 39 + "-", "A" * 39 + " ", ""])
def test_key_shape_refused(key):
    assert not misp_mod.SPEC.valid_key(key)


@pytest.mark.parametrize(("value", "stored"), [
    ("https://misp.corp.example/", "https://misp.corp.example"),
    ("https://10.0.0.5:8443", "https://10.0.0.5:8443"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("", ""),
])
def test_base_url_setting_accepts(value, stored):
    assert misp_mod.base_url_setting(value) == stored


@pytest.mark.parametrize("value", [
    "http://misp.corp.example", "http://localhost:8080", "ftp://misp.example",
    "javascript:alert(1)", "https://user:pw@misp.example", "https://misp.example?x=1",
    "https://misp.example#frag", "https://", "https://misp.example:99999", "file:///etc/passwd",
    "https://misp.example/\x00", "https://misp .example",
])
def test_base_url_setting_refuses(value):
    with pytest.raises(ConfigError):
        misp_mod.base_url_setting(value)


def test_base_url_setting_is_not_local_only_and_ca_bundle_is():
    assert misp_mod.SPEC.settings["base_url"].local_only is False
    assert misp_mod.SPEC.settings["ca_bundle"].local_only is True
    assert misp_mod.SPEC.enabled_by_default is False


def test_ca_bundle_setting(tmp_path):
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    assert misp_mod.ca_bundle_setting(str(pem)) == str(pem)
    assert misp_mod.ca_bundle_setting("") == ""
    (tmp_path / "not.pem").write_text("hello")
    for bad in ("ca.pem", str(tmp_path / "not.pem"), str(tmp_path / "missing.pem"),
                str(tmp_path)):
        with pytest.raises(ConfigError):
            misp_mod.ca_bundle_setting(bad)


def test_unconfigured_misp_is_unsupported_without_io():
    """No base URL: MISP is off (the engine skips it as disabled); asked anyway, it says
    `unsupported` with how to set it, never a bad_request error per IOC."""
    p = misp_mod.MISP(ProviderContext("", "A" * 40, {}, SafeHttp(frozenset()), time.time,
                                      Path("/nonexistent")))
    out = p.fetch(ioc("x.example"))
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.UNSUPPORTED
    assert "base URL" in out.message
    assert p.check(ioc("x.example")) == out


def test_a_missing_key_is_left_to_the_engine():
    """check() is about the value: a missing key is the engine's `no_api_key` skip (after
    the cache, which still answers), not an error from the provider."""
    p = misp_mod.MISP(ProviderContext("https://misp.example", None, {}, SafeHttp(frozenset()),
                                      time.time, Path("/nonexistent")))
    assert p.check(ioc("x.example")) is None


def test_an_empty_response_list_is_no_match():
    out = P.parse(ioc("x.example"), resp({"response": []}))
    assert isinstance(out, Observation) and not out.found
    assert P.judge(ioc("x.example"), out).verdict is Verdict.NO_DATA
