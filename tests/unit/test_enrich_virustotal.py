"""VT mapping: endpoints, URL ids, verdict/score/severity, links, and that the key stays put."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from sentinelx.enrichment.http import HttpError, SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentResult, ErrorCode, Severity, Verdict
from sentinelx.enrichment.providers import virustotal as vt
from sentinelx.pipeline.models import IOCType

BASE = "https://www.virustotal.com/api/v3"


def doc(stats: dict[str, int], date: int | None = 1_700_000_000, **attrs) -> dict:
    a = {"last_analysis_stats": stats, **attrs}
    if date is not None:
        a["last_analysis_date"] = date
    return {"data": {"id": "x", "attributes": a}}


@pytest.mark.parametrize(("t", "value", "path"), [
    (IOCType.IPV4, "8.8.8.8", "/ip_addresses/8.8.8.8"),
    (IOCType.IPV6, "2001:4860:4860:0:0:0:0:8888", "/ip_addresses/2001:4860:4860::8888"),
    (IOCType.DOMAIN, "Evil.COM.", "/domains/evil.com"),
    (IOCType.MD5, "D41D8CD98F00B204E9800998ECF8427E", "/files/d41d8cd98f00b204e9800998ecf8427e"),
    (IOCType.SHA1, "a" * 40, "/files/" + "a" * 40),
    (IOCType.SHA256, "b" * 64, "/files/" + "b" * 64),
])
def test_endpoint_map(t, value, path):
    assert VT().url_for(t, value) == BASE + path


def VT(**kw) -> vt.VirusTotal:
    return vt.VirusTotal(BASE, "secret-key-1234", **kw)


def test_url_id_is_unpadded_urlsafe_base64():
    url = "http://evil.com/a?b=c~d>"
    ident = vt.url_id(url)
    assert "=" not in ident and "+" not in ident and "/" not in ident
    assert base64.urlsafe_b64decode(ident + "=" * (-len(ident) % 4)).decode() == url
    assert VT().url_for(IOCType.URL, url) == f"{BASE}/urls/{ident}"


@pytest.mark.parametrize(("t", "value"), [
    (IOCType.DOMAIN, "evil.com/../../files/x"), (IOCType.DOMAIN, "a@127.0.0.2"),
    (IOCType.IPV4, "1.2.3.4/../x"), (IOCType.IPV4, "::1"), (IOCType.IPV6, "1.2.3.4"),
    (IOCType.SHA256, "z" * 64), (IOCType.MD5, "a" * 31), (IOCType.URL, "no scheme"),
])
def test_values_that_could_bend_the_path_are_refused(t, value):
    with pytest.raises(ValueError):
        VT().url_for(t, value)
    assert VT().check(t, value).code is ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("t", [IOCType.CVE, IOCType.EMAIL])
def test_cve_and_email_are_unsupported(t):
    out = VT().fetch(t, "CVE-2021-44228")
    assert out.code is ErrorCode.UNSUPPORTED and out.provider == "virustotal"


@pytest.mark.parametrize(("stats", "date", "th", "verdict"), [
    ({"malicious": 1, "harmless": 60}, 1, vt.Thresholds(), Verdict.MALICIOUS),
    ({"malicious": 2, "harmless": 60}, 1, vt.Thresholds(malicious=3), Verdict.SUSPICIOUS),
    ({"suspicious": 1, "harmless": 60}, 1, vt.Thresholds(), Verdict.SUSPICIOUS),
    ({"suspicious": 1, "harmless": 60}, 1, vt.Thresholds(suspicious=2), Verdict.CLEAN),
    ({"harmless": 60, "undetected": 9}, 1, vt.Thresholds(), Verdict.CLEAN),
    # clean needs an existing analysis: no date, or no engine answered, is no_data
    ({"harmless": 60}, None, vt.Thresholds(), Verdict.NO_DATA),
    ({"timeout": 70}, 1, vt.Thresholds(), Verdict.NO_DATA),
])
def test_verdicts(stats, date, th, verdict):
    r = vt.parse_object(IOCType.DOMAIN, "a.com", doc(stats, date), th, 0)
    assert r.verdict is verdict


def test_engines_count_only_answers_and_fields_are_mapped():
    d = doc({"malicious": 5, "suspicious": 2, "harmless": 40, "undetected": 20, "timeout": 3,
             "type-unsupported": 4, "failure": 1}, reputation=-12, tags=["t1", 5, "t2"],
            as_owner="AS Evil", country="RU", network="1.2.3.0/24",
            meaningful_name="x.exe", type_description="Win32 EXE", size=123,
            popular_threat_classification={"suggested_threat_label": "trojan.agent/x"},
            total_votes={"harmless": 2, "malicious": 9})
    r = vt.parse_object(IOCType.IPV4, "1.2.3.4", d, vt.Thresholds(), 1_700_000_100)
    assert (r.detections, r.suspicious, r.engines) == (5, 2, 67)
    assert r.last_analysis_date == "2023-11-14T22:13:20Z"
    assert r.reputation == -12 and r.tags == ("t1", "t2")
    details = dict(r.details)
    assert details["as_owner"] == "AS Evil" and details["country"] == "RU"
    assert details["threat_label"] == "trojan.agent/x" and details["size"] == 123
    assert details["votes_malicious"] == 9
    assert r.link == "https://www.virustotal.com/gui/ip-address/1.2.3.4"
    assert r.fetched_at == "2023-11-14T22:15:00Z"
    # round trip through the cache format
    assert EnrichmentResult.from_wire(json.loads(json.dumps(r.to_wire()))) == r


@pytest.mark.parametrize(("mal", "sus", "severity"), [
    (0, 0, Severity.BENIGN), (1, 0, Severity.LOW), (0, 1, Severity.LOW),
    (2, 0, Severity.MEDIUM), (4, 0, Severity.MEDIUM), (5, 0, Severity.HIGH),
    (12, 0, Severity.HIGH), (13, 0, Severity.CRITICAL), (60, 5, Severity.CRITICAL),
])
def test_score_and_severity(mal, sus, severity):
    score = vt.score_for(mal, sus)
    assert 0 <= score <= 1
    assert vt.severity_for(score) is severity


def test_score_grows_with_detections():
    scores = [vt.score_for(n, 0) for n in range(0, 30)]
    assert scores == sorted(scores) and scores[0] == 0 and scores[-1] == 1


def test_clean_has_zero_score_and_benign():
    r = vt.parse_object(IOCType.DOMAIN, "a.com", doc({"harmless": 70}), vt.Thresholds(), 0)
    assert (r.score, r.severity) == (0.0, Severity.BENIGN)


def test_gui_links():
    sha = "c" * 64
    assert vt.gui_link(IOCType.SHA256, sha) == f"https://www.virustotal.com/gui/file/{sha}"
    assert vt.gui_link(IOCType.DOMAIN, "a.com").endswith("/gui/domain/a.com")
    assert vt.gui_link(IOCType.URL, "http://a.com/x", "d" * 64).endswith("/gui/url/" + "d" * 64)
    assert vt.gui_link(IOCType.URL, "http://a.com/x").startswith(
        "https://www.virustotal.com/gui/search/http%3A%2F%2Fa.com%2Fx")


def test_big_tag_lists_are_capped():
    d = doc({"harmless": 1}, tags=["t" * 10_000] * 500)
    r = vt.parse_object(IOCType.DOMAIN, "a.com", d, vt.Thresholds(), 0)
    assert len(r.tags) == vt.MAX_TAGS and all(len(t) == vt.MAX_STR for t in r.tags)


def test_malformed_shape_is_a_typed_error():
    with pytest.raises(ValueError):
        vt.parse_object(IOCType.DOMAIN, "a.com", {"data": []}, vt.Thresholds(), 0)


def test_repr_hides_key():
    assert "secret-key-1234" not in repr(VT())


# --- the safe GET, with requests mocked (real-socket versions are in integration) ----------

class Boom(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict]] = []

    def get(self, url, **kw):  # type: ignore[override]
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
        http.get(BASE + "/domains/a.com", {"x-apikey": "secret-key-1234"})
    assert e.value.code == "network" and "secret" not in e.value.message
    (_url, kw), = session.calls
    assert kw["timeout"] == (5.0, 30.0)
    assert kw["allow_redirects"] is False and kw["stream"] is True
    assert session.trust_env is False


def test_allowlist_takes_only_https_or_loopback_http():
    assert allowlist(["http://evil.com/api", "https://a.b/x", "http://127.0.0.1:9/api"]) == {
        ("https", "a.b", 443), ("http", "127.0.0.1", 9)}
