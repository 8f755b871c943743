"""VirusTotal on the provider core: endpoints, URL ids, facts, verdict from cached facts
under the current thresholds, strictness with impossible values, links, the key."""

from __future__ import annotations

import base64
import json
import math

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.enrichment import facts as facts_gate
from sentinelx.enrichment.http import HttpError, HttpResponse, SafeHttp, allowlist
from sentinelx.enrichment.models import BadResponse, ErrorCode, Observation, Severity, Verdict
from sentinelx.enrichment.providers import virustotal as vtm
from sentinelx.enrichment.providers.base import severity_for
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.providers import VT_BASE, VT_KEY, vt

BASE = VT_BASE


def doc(stats: dict[str, int], date: int | None = 1_700_000_000, **attrs) -> dict:
    a = {"last_analysis_stats": stats, **attrs}
    if date is not None:
        a["last_analysis_date"] = date
    return {"data": {"id": "x", "attributes": a}}


def ioc(t: IOCType, value: str) -> IOC:
    return IOC(t, value, value, 0)


def answer(body, status: int = 200) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, raw, "application/json")


def parse(d, t=IOCType.DOMAIN, value="a.com", status=200, **kw):
    p = vt(**kw)
    return p, p.parse(ioc(t, value), answer(d, status))


def judge(d, **settings_) -> Verdict:
    p, obs = parse(d, settings=settings_)
    assert isinstance(obs, Observation)
    facts_gate.check(p.SPEC, obs.facts)
    return p.judge(ioc(IOCType.DOMAIN, "a.com"), obs).verdict


@pytest.mark.parametrize(("t", "value", "path"), [
    (IOCType.IPV4, "8.8.8.8", "/ip_addresses/8.8.8.8"),
    (IOCType.IPV6, "2001:4860:4860:0:0:0:0:8888", "/ip_addresses/2001:4860:4860::8888"),
    (IOCType.DOMAIN, "Evil.COM.", "/domains/evil.com"),
    (IOCType.MD5, "D41D8CD98F00B204E9800998ECF8427E", "/files/d41d8cd98f00b204e9800998ecf8427e"),
    (IOCType.SHA1, "a" * 40, "/files/" + "a" * 40),
    (IOCType.SHA256, "b" * 64, "/files/" + "b" * 64),
])
def test_endpoint_map(t, value, path):
    req = vt().request(ioc(t, value))
    assert req.url == BASE + path and req.method == "GET"
    assert req.headers["x-apikey"] == VT_KEY


def test_url_id_is_unpadded_urlsafe_base64():
    url = "http://evil.com/a?b=c~d>"
    ident = vtm.url_id(url)
    assert "=" not in ident and "+" not in ident and "/" not in ident
    assert base64.urlsafe_b64decode(ident + "=" * (-len(ident) % 4)).decode() == url
    assert vt().request(ioc(IOCType.URL, url)).url == f"{BASE}/urls/{ident}"


@pytest.mark.parametrize(("t", "value"), [
    (IOCType.DOMAIN, "evil.com/../../files/x"), (IOCType.DOMAIN, "a@127.0.0.2"),
    (IOCType.IPV4, "1.2.3.4/../x"), (IOCType.IPV4, "::1"), (IOCType.IPV6, "1.2.3.4"),
    (IOCType.SHA256, "z" * 64), (IOCType.MD5, "a" * 31), (IOCType.URL, "no scheme"),
])
def test_values_that_could_bend_the_path_are_refused(t, value):
    with pytest.raises(ValueError):
        vt().request(ioc(t, value))
    assert vt().check(ioc(t, value)).code is ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("t", [IOCType.CVE, IOCType.EMAIL])
def test_cve_and_email_are_unsupported(t):
    out = vt().fetch(ioc(t, "CVE-2021-44228"))
    assert out.code is ErrorCode.UNSUPPORTED and out.provider == "virustotal"


@pytest.mark.parametrize(("stats", "date", "th", "verdict"), [
    ({"malicious": 1, "harmless": 60}, 1, {}, Verdict.MALICIOUS),
    ({"malicious": 2, "harmless": 60}, 1, {"malicious_threshold": 3}, Verdict.SUSPICIOUS),
    ({"suspicious": 1, "harmless": 60}, 1, {}, Verdict.SUSPICIOUS),
    ({"suspicious": 1, "harmless": 60}, 1, {"suspicious_threshold": 2}, Verdict.CLEAN),
    ({"harmless": 60, "undetected": 9}, 1, {}, Verdict.CLEAN),
    # clean needs an existing analysis: no date, or no engine answered, is no_data
    ({"harmless": 60}, None, {}, Verdict.NO_DATA),
    ({"timeout": 70}, 1, {}, Verdict.NO_DATA),
])
def test_verdicts(stats, date, th, verdict):
    assert judge(doc(stats, date), **th) is verdict


def test_thresholds_apply_to_the_same_cached_facts():
    """#10 item 4: the verdict is derived on read, so a new threshold changes it."""
    p, obs = parse(doc({"malicious": 7, "harmless": 87}))
    a = IOC(IOCType.DOMAIN, "a.com", "a.com", 0)
    assert p.judge(a, obs).verdict is Verdict.MALICIOUS
    strict = vt(settings={"malicious_threshold": 10})
    assert strict.judge(a, obs).verdict is Verdict.SUSPICIOUS
    assert strict.judge(a, obs).summary == "7/94 engines"


def test_404_is_not_found_and_judges_no_data():
    p, obs = parse({"error": {"code": "NotFoundError"}}, status=404)
    assert isinstance(obs, Observation) and obs.found is False and obs.facts == {}
    assert p.judge(ioc(IOCType.DOMAIN, "a.com"), obs).verdict is Verdict.NO_DATA


def test_engines_count_only_answers_and_fields_are_mapped():
    d = doc({"malicious": 5, "suspicious": 2, "harmless": 40, "undetected": 20, "timeout": 3,
             "type-unsupported": 4, "failure": 1}, reputation=-12, tags=["t1", 5, "t2"],
            as_owner="AS Evil", country="RU", network="1.2.3.0/24",
            meaningful_name="x.exe", type_description="Win32 EXE", size=123,
            popular_threat_classification={"suggested_threat_label": "trojan.agent/x"},
            total_votes={"harmless": 2, "malicious": 9})
    p, obs = parse(d, IOCType.IPV4, "1.2.3.4")
    f = obs.facts
    facts_gate.check(p.SPEC, f)
    assert (f["malicious"], f["suspicious"], f["engines"]) == (5, 2, 67)
    assert f["last_analysis_date"] == "2023-11-14T22:13:20Z"
    assert f["reputation"] == -12 and f["tags"] == ["t1", "t2"]
    assert f["as_owner"] == "AS Evil" and f["country"] == "RU"
    assert f["threat_label"] == "trojan.agent/x" and f["size"] == 123
    assert f["votes_malicious"] == 9
    j = p.judge(ioc(IOCType.IPV4, "1.2.3.4"), obs)
    assert j.summary == "5/67 engines" and j.verdict is Verdict.MALICIOUS
    assert p.link(ioc(IOCType.IPV4, "1.2.3.4"), obs) == (
        "https://www.virustotal.com/gui/ip-address/1.2.3.4")
    # the cache format is JSON: facts survive a round trip unchanged
    assert json.loads(json.dumps(f)) == f


@pytest.mark.parametrize(("mal", "sus", "severity"), [
    (0, 0, Severity.BENIGN), (1, 0, Severity.LOW), (0, 1, Severity.LOW),
    (2, 0, Severity.MEDIUM), (4, 0, Severity.MEDIUM), (5, 0, Severity.HIGH),
    (12, 0, Severity.HIGH), (13, 0, Severity.CRITICAL), (60, 5, Severity.CRITICAL),
])
def test_score_and_severity(mal, sus, severity):
    score = vtm.score_for(mal, sus)
    assert 0 <= score <= 1
    assert severity_for(score) is severity


def test_score_grows_with_detections():
    scores = [vtm.score_for(n, 0) for n in range(0, 30)]
    assert scores == sorted(scores) and scores[0] == 0 and scores[-1] == 1


def test_gui_links():
    sha = "c" * 64
    assert vtm.gui_link(IOCType.SHA256, sha) == f"https://www.virustotal.com/gui/file/{sha}"
    assert vtm.gui_link(IOCType.DOMAIN, "a.com").endswith("/gui/domain/a.com")
    assert vtm.gui_link(IOCType.URL, "http://a.com/x", "d" * 64).endswith("/gui/url/" + "d" * 64)
    assert vtm.gui_link(IOCType.URL, "http://a.com/x").startswith(
        "https://www.virustotal.com/gui/search/http%3A%2F%2Fa.com%2Fx")


def test_big_tag_lists_are_capped_and_still_fit_the_schema():
    p, obs = parse(doc({"harmless": 1}, tags=["t" * 10_000] * 500))
    assert len(obs.facts["tags"]) == vtm.MAX_TAGS and all(len(t) == 512 for t in obs.facts["tags"])
    facts_gate.check(p.SPEC, obs.facts)


# --- wrong-shaped answers: a typed bad_response, never a verdict (#10) -------------------

@pytest.mark.parametrize("attrs", [
    {"last_analysis_date": 1e20},
    {"last_analysis_date": math.inf},
    {"last_analysis_date": -5},
    {"last_analysis_date": "yesterday"},
    {"last_analysis_stats": {"malicious": 10**400}},
    {"last_analysis_stats": {"malicious": "3"}},
    {"last_analysis_stats": {"malicious": -1, "harmless": 60}},
    {"last_analysis_stats": {"harmless": 2.5}},
    {"last_analysis_stats": {"harmless": True}},
    {"last_analysis_stats": "lots"},
    {"reputation": 10**30},
    {"size": -1},
    {"total_votes": {"malicious": "many"}},
])
def test_impossible_values_raise_bad_response(attrs):
    a = {"last_analysis_stats": {"harmless": 60}, "last_analysis_date": 1, **attrs}
    with pytest.raises(BadResponse):
        vt().parse(ioc(IOCType.DOMAIN, "a.com"), answer({"data": {"id": "a.com",
                                                                  "attributes": a}}))


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"data": []}', b'{"data": {"id": 1}}',
                                  b"[" * 5000 + b"]" * 5000])
def test_malformed_shapes_raise_bad_response(body):
    with pytest.raises(BadResponse):
        vt().parse(ioc(IOCType.DOMAIN, "a.com"), answer(body))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids,
                                                              max_size=4), max_leaves=20)
attr_names = st.sampled_from(["last_analysis_stats", "last_analysis_date", "reputation", "tags",
                              "size", "total_votes", "categories", "as_owner",
                              "popular_threat_classification", "country"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(attr_names, json_values | st.dictionaries(
    st.sampled_from(["malicious", "suspicious", "harmless", "undetected", "timeout"]),
    json_values), max_size=6))
def test_any_attributes_give_schema_valid_facts_or_bad_response(attrs):
    """Generated hostile answers: either facts that pass the gate and judge, or BadResponse."""
    p = vt()
    try:
        obs = p.parse(ioc(IOCType.DOMAIN, "a.com"), answer(
            json.dumps({"data": {"id": "a.com", "attributes": attrs}}).encode()))
    except BadResponse:
        return
    assert isinstance(obs, Observation)
    facts_gate.check(p.SPEC, obs.facts)
    j = p.judge(ioc(IOCType.DOMAIN, "a.com"), obs)
    assert 0 <= j.score <= 1


@pytest.mark.parametrize(("status", "code"), [(401, ErrorCode.AUTH), (403, ErrorCode.AUTH),
                                              (429, ErrorCode.RATE_LIMITED),
                                              (500, ErrorCode.SERVER_ERROR),
                                              (400, ErrorCode.BAD_REQUEST),
                                              (418, ErrorCode.BAD_RESPONSE)])
def test_status_codes_map_to_typed_errors(status, code):
    _, out = parse({"error": {"code": "X", "message": f"echo {VT_KEY}"}}, status=status)
    assert out.code is code and VT_KEY not in out.message


def test_repr_hides_key():
    assert VT_KEY not in repr(vt())


# --- the safe path, with requests mocked (real-socket versions are in integration) ----------

class Boom(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict]] = []

    def request(self, method, url, **kw):  # type: ignore[override]
        self.calls.append((url, kw))
        raise requests.ConnectionError("refused")


def test_forbidden_host_is_refused_before_any_request():
    session = Boom()
    http = SafeHttp(allowlist([BASE]), session=session)
    for url in ("https://evil.com/api/v3/x", "http://www.virustotal.com/api/v3/x",
                "https://www.virustotal.com:444/api/v3/x", "https://u:p@www.virustotal.com/x"):
        with pytest.raises(HttpError) as e:
            http.get(url, {"x-apikey": "k"})
        assert e.value.code == "forbidden_host"
    assert session.calls == []


def test_request_options_are_the_safe_ones():
    session = Boom()
    http = SafeHttp(allowlist([BASE]), session=session)
    with pytest.raises(HttpError) as e:
        http.get(BASE + "/domains/a.com", {"x-apikey": VT_KEY})
    assert e.value.code == "network" and VT_KEY not in e.value.message
    (_url, kw), = session.calls
    assert kw["timeout"] == (5.0, 30.0)
    assert kw["allow_redirects"] is False and kw["stream"] is True
    assert session.trust_env is False and session.verify is True


def test_allowlist_takes_only_https_or_loopback_http():
    assert allowlist(["http://evil.com/api", "https://a.b/x", "http://127.0.0.1:9/api",
                      "https://bad:port/x"]) == {("https", "a.b", 443), ("http", "127.0.0.1", 9)}
