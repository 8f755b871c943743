"""ThreatFox: search_ioc / search_hash bodies, ip:port matching, the confidence rule (a
setting applied to cached facts), not-found spellings, and hostile rows."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.config import ConfigError
from sentinelx.enrichment.models import BadResponse, EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.threatfox import ThreatFox, _confidence_setting, _host_of
from tests.unit.abusech_support import cacheable, fx, ioc, make, resp

IP = ioc("ipv4", "139.180.203.104")
DOMAIN = ioc("domain", "update-check.example-cdn.net")
MD5 = ioc("md5", "5b7e82e051ade4b14d163eea2a17bf8b")


def parse(i: Any, body: Any, **cfg: Any) -> Observation:
    out = make(ThreatFox, **cfg).parse(i, resp(body))
    assert isinstance(out, Observation), out
    return out


def rows(name: str) -> list[dict[str, Any]]:
    return copy.deepcopy(fx("threatfox", name)["data"])


@pytest.mark.parametrize(("i", "body"), [
    (IP, {"query": "search_ioc", "search_term": "139.180.203.104"}),
    (DOMAIN, {"query": "search_ioc", "search_term": "update-check.example-cdn.net"}),
    (ioc("url", "https://a.test/x?y=1"), {"query": "search_ioc", "search_term": "https://a.test/x?y=1"}),
    (MD5, {"query": "search_hash", "hash": MD5.value}),
    (ioc("sha256", "A" * 64), {"query": "search_hash", "hash": "a" * 64}),
])
def test_request_bodies_are_json(i: Any, body: dict[str, str]) -> None:
    req = make(ThreatFox).request(i)
    assert req.url == "https://threatfox-api.abuse.ch/api/v1/" and req.json == body and req.form is None


def test_ip_matches_its_ip_port_rows() -> None:
    obs = parse(IP, fx("threatfox", "search_ioc_ip"))
    assert obs.found and obs.facts["matches"] == 1 and obs.facts["iocs"][0]["ioc"] == "139.180.203.104:443"
    j = cacheable(make(ThreatFox), IP, obs)
    assert (j.verdict, j.summary, j.score) == (Verdict.MALICIOUS, "botnet C2 (Cobalt Strike)", 0.75)


def test_rows_for_other_values_are_set_aside_never_counted() -> None:
    """A broader match (another IP sharing a prefix, a URL on the domain) is not this IOC."""
    data = rows("search_ioc_ip")
    other = copy.deepcopy(data[0]) | {"ioc": "139.180.203.1040:80"}
    url = copy.deepcopy(data[0]) | {"ioc": "http://139.180.203.104/gate.php", "ioc_type": "url"}
    obs = parse(IP, {"query_status": "ok", "data": [other, url]})
    assert not obs.found and obs.facts["other_rows"] == 2
    assert make(ThreatFox).judge(IP, obs).verdict is Verdict.NO_DATA
    mixed = parse(IP, {"query_status": "ok", "data": [other, *data]})
    assert mixed.found and mixed.facts["matches"] == 1 and mixed.facts["other_rows"] == 1


def test_domain_and_url_match_exactly() -> None:
    obs = parse(ioc("domain", "Update-Check.Example-CDN.net"), fx("threatfox", "search_ioc_domain_low"))
    assert obs.found
    url_row = rows("search_ioc_domain_low")[0] | {"ioc": "http://a.test/gate/", "ioc_type": "url"}
    assert parse(ioc("url", "http://a.test/gate"), {"query_status": "ok", "data": [url_row]}).found
    assert not parse(ioc("url", "http://a.test/gat"), {"query_status": "ok", "data": [url_row]}).found


def test_low_confidence_is_suspicious() -> None:
    obs = parse(DOMAIN, fx("threatfox", "search_ioc_domain_low"))
    j = cacheable(make(ThreatFox), DOMAIN, obs)
    assert j.verdict is Verdict.SUSPICIOUS and j.summary == "payload delivery (FAKEUPDATES), 25% confidence"


@pytest.mark.parametrize(("confidence", "expected"), [(0, Verdict.SUSPICIOUS), (49, Verdict.SUSPICIOUS),
                                                      (50, Verdict.MALICIOUS), (100, Verdict.MALICIOUS)])
def test_confidence_threshold_default_50(confidence: int, expected: Verdict) -> None:
    row = rows("search_ioc_ip")[0] | {"confidence_level": confidence}
    obs = parse(IP, {"query_status": "ok", "data": [row]})
    assert make(ThreatFox).judge(IP, obs).verdict is expected


def test_threshold_setting_applies_to_cached_facts() -> None:
    obs = parse(IP, fx("threatfox", "search_ioc_ip"))  # confidence 75
    assert make(ThreatFox, malicious_confidence=80).judge(IP, obs).verdict is Verdict.SUSPICIOUS
    assert make(ThreatFox, malicious_confidence=75).judge(IP, obs).verdict is Verdict.MALICIOUS
    # A broken setting value falls back to the default rather than deciding anything.
    assert make(ThreatFox, malicious_confidence="high").judge(IP, obs).verdict is Verdict.MALICIOUS


def test_the_setting_parser() -> None:
    spec = ThreatFox.SPEC.settings["malicious_confidence"]
    assert spec.default == 50 and spec.parse("60") == 60 and _confidence_setting(0) == 0
    for bad in ("x", 101, -1, True, "5.5"):
        with pytest.raises(ConfigError):
            _confidence_setting(bad)


def test_best_row_first_and_hash_search() -> None:
    obs = parse(MD5, fx("threatfox", "search_hash"))
    assert [r["confidence"] for r in obs.facts["iocs"]] == [100, 50] and obs.facts["malware"] == ["Dridex"]
    j = cacheable(make(ThreatFox), MD5, obs)
    assert (j.verdict, j.summary) == (Verdict.MALICIOUS, "sample tied to botnet C2 (Dridex)")


def test_confidence_as_a_string_and_unknown_malware() -> None:
    row = rows("search_ioc_ip")[0] | {"confidence_level": "75", "malware_printable": "Unknown malware",
                                      "threat_type": "payload"}
    j = make(ThreatFox).judge(IP, parse(IP, {"query_status": "ok", "data": [row]}))
    assert (j.verdict, j.summary) == (Verdict.MALICIOUS, "malware payload")


@pytest.mark.parametrize("status", ["no_result", "no_results", "hash_not_found"])
def test_not_found_spellings(status: str) -> None:
    obs = parse(MD5, fx("threatfox", "no_result") | {"query_status": status})
    assert not obs.found and make(ThreatFox).judge(MD5, obs).verdict is Verdict.NO_DATA


def test_illegal_search_term_is_no_data_not_searchable() -> None:
    obs = parse(IP, fx("threatfox", "illegal_search_term"))
    j = cacheable(make(ThreatFox), IP, obs)
    assert not obs.found and j.verdict is Verdict.NO_DATA and j.summary == "not searchable on ThreatFox"


def test_illegal_hash_is_a_bad_request() -> None:
    out = make(ThreatFox).parse(MD5, resp(fx("threatfox", "illegal_hash")))
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_REQUEST


def test_ok_with_an_empty_list_is_not_found() -> None:
    assert not parse(IP, {"query_status": "ok", "data": []}).found


def test_links() -> None:
    p = make(ThreatFox)
    assert p.link(IP, parse(IP, fx("threatfox", "search_ioc_ip"))) == "https://threatfox.abuse.ch/ioc/12/"
    assert p.link(IP, None) == "https://threatfox.abuse.ch/browse.php?search=ioc%3A139.180.203.104"
    assert p.link(MD5, parse(MD5, fx("threatfox", "search_hash"))) == (
        f"https://threatfox.abuse.ch/browse.php?search=ioc%3A{MD5.value}")


# --- hostile rows ------------------------------------------------------------------------

@pytest.mark.parametrize("data", ["rows", {"a": 1}, None, 5, ["x"], [None], [[]]])
def test_data_that_is_not_a_list_of_rows(data: Any) -> None:
    with pytest.raises(BadResponse):
        make(ThreatFox).parse(IP, resp({"query_status": "ok", "data": data}))


def test_too_many_rows() -> None:
    with pytest.raises(BadResponse):
        make(ThreatFox).parse(IP, resp({"query_status": "ok", "data": rows("search_ioc_ip") * 1001}))


@settings(max_examples=60, deadline=None)
@given(v=st.none() | st.booleans() | st.floats(allow_nan=True, allow_infinity=True)
       | st.integers(max_value=-1) | st.integers(min_value=101) | st.text().filter(lambda s: not s.isdigit())
       | st.lists(st.integers(), max_size=2))
def test_confidence_that_is_not_0_to_100_is_a_bad_response(v: Any) -> None:
    row = rows("search_ioc_ip")[0] | {"confidence_level": v}
    with pytest.raises(BadResponse):
        make(ThreatFox).parse(IP, resp({"query_status": "ok", "data": [row]}))


@pytest.mark.parametrize("field", ["ioc", "threat_type", "malware_printable", "first_seen", "tags", "id"])
@settings(max_examples=20, deadline=None)
@given(v=st.booleans() | st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=10**13)
       | st.dictionaries(st.text(max_size=2), st.integers(), min_size=1, max_size=1))
def test_wrong_types_in_a_row_are_bad_responses(field: str, v: Any) -> None:
    row = rows("search_ioc_ip")[0] | {field: v}
    with pytest.raises(BadResponse):
        make(ThreatFox).parse(IP, resp({"query_status": "ok", "data": [row]}))


@pytest.mark.parametrize(("value", "host"), [
    ("139.180.203.104:443", "139.180.203.104"), ("139.180.203.104", "139.180.203.104"),
    ("evil.test:443", None), ("1.2.3.4:80:1", None), ("01.2.3.4:80", None), ("[::1]:443", None),
])
def test_host_of_an_ip_port(value: str, host: str | None) -> None:
    assert _host_of(value) == host
