"""URLhaus: requests per type, parse on the recorded shapes, the verdict rule, links, and
hostile values in each field it reads."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.enrichment.models import BadResponse, EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.urlhaus import URLhaus
from tests.unit.abusech_support import cacheable, fx, ioc, make, resp

URL = ioc("url", "http://sskymedia.com/VMYB-ht_JAQo-gi/INV/99401FORPO/20673114777/US/Outstanding-Invoices/")
MD5 = ioc("md5", "12c8aec5766ac3e6f26f2505e2f4a8f2")
SHA256 = ioc("sha256", "01fa56184fcaa42b6ee1882787a34098c79898c182814774fd81dc18a6af0b00")


def parse(i: Any, body: Any) -> Observation:
    out = make(URLhaus).parse(i, resp(body))
    assert isinstance(out, Observation), out
    return out


def verdict(i: Any, body: Any) -> tuple[Verdict, str]:
    p = make(URLhaus)
    j = cacheable(p, i, parse(i, body))
    return j.verdict, j.summary


@pytest.mark.parametrize(("t", "value", "path", "form"), [
    ("url", "http://evil.test/a.exe?x=1&y=2", "/url/", {"url": "http://evil.test/a.exe?x=1&y=2"}),
    ("domain", "Evil.Test.", "/host/", {"host": "evil.test"}),
    ("ipv4", "45.61.49.78", "/host/", {"host": "45.61.49.78"}),
    ("md5", MD5.value.upper(), "/payload/", {"md5_hash": MD5.value}),
    ("sha256", SHA256.value, "/payload/", {"sha256_hash": SHA256.value}),
])
def test_request_per_type(t: str, value: str, path: str, form: dict[str, str]) -> None:
    req = make(URLhaus).request(ioc(t, value))
    assert req.url == "https://urlhaus-api.abuse.ch/v1" + path
    assert req.form == form and req.json is None


def test_url_gets_the_full_url_and_the_preview_says_so() -> None:
    assert URLhaus.SPEC.sends["url"] == "the full URL"
    assert make(URLhaus).request(URL).form == {"url": URL.value}


@pytest.mark.parametrize(("t", "v"), [("url", "javascript:alert(1)"), ("url", "http://"),
                                      ("url", "http://a.test/" + "x" * 9000), ("url", "http://a.test/\x00"),
                                      ("domain", "a..b"), ("ipv4", "999.1.1.1"), ("md5", "z" * 32),
                                      ("sha1", "a" * 40), ("ipv6", "2001:db8::1")])
def test_values_urlhaus_cannot_take(t: str, v: str) -> None:
    err = make(URLhaus).check(ioc(t, v))
    assert isinstance(err, EnrichmentError) and err.code in (ErrorCode.BAD_REQUEST, ErrorCode.UNSUPPORTED)


def test_url_online_is_malicious_even_on_an_abused_legit_host() -> None:
    """The URL itself is listed and serving: the cap is for whole hosts (see the docstring)."""
    obs = parse(URL, fx("urlhaus", "url_online"))
    assert obs.found and obs.facts["id"] == 105821 and obs.facts["payloads"] == 1
    assert obs.facts["signatures"] == ["Heodo"] and obs.facts["tags"] == ["emotet", "epoch1", "heodo"]
    assert verdict(URL, fx("urlhaus", "url_online")) == (Verdict.MALICIOUS, "online malware URL")


@pytest.mark.parametrize(("status", "summary"), [("offline", "offline malware URL"),
                                                 ("unknown", "malware URL, status unknown")])
def test_url_offline_or_unknown_is_suspicious(status: str, summary: str) -> None:
    body = fx("urlhaus", "url_offline") | {"url_status": status}
    assert verdict(URL, body) == (Verdict.SUSPICIOUS, summary)


def test_host_with_an_online_url_is_malicious() -> None:
    obs = parse(ioc("ipv4", "1.1.1.1"), fx("urlhaus", "host_ip"))
    assert obs.facts["url_count"] == 3 and obs.facts["urls_online"] == 2  # "3" as a string
    assert "blacklists" not in obs.facts  # none for an IPv4 host
    assert verdict(ioc("ipv4", "1.1.1.1"), fx("urlhaus", "host_ip")) == (
        Verdict.MALICIOUS, "online payload host (2 URLs)")


def test_host_with_nothing_online_is_suspicious() -> None:
    v, s = verdict(ioc("domain", "vektorex.com"), fx("urlhaus", "host_offline_domain"))
    assert (v, s) == (Verdict.SUSPICIOUS, "past payload host (2 URLs)")


@pytest.mark.parametrize("dbl", ["abused_legit_malware", "abused_legit_phishing", "abused_redirector"])
def test_abused_legit_host_is_capped_at_suspicious(dbl: str) -> None:
    body = fx("urlhaus", "host_abused_legit")
    body["blacklists"]["spamhaus_dbl"] = dbl
    assert body["urls"][0]["url_status"] == "online"
    v, s = verdict(ioc("domain", "gist.github.com"), body)
    assert v is Verdict.SUSPICIOUS and s == "abused legitimate host (3248 malware URLs)"


def test_host_listed_on_dbl_as_spammer_is_not_capped() -> None:
    body = fx("urlhaus", "host_abused_legit")
    body["blacklists"]["spamhaus_dbl"] = "botnet_cc_domain"
    assert verdict(ioc("domain", "gist.github.com"), body)[0] is Verdict.MALICIOUS


def test_payload_with_a_family_is_malicious_without_is_suspicious() -> None:
    obs = parse(MD5, fx("urlhaus", "payload"))
    assert obs.facts["file_size"] == 172416 and obs.facts["sha256"] == SHA256.value
    assert verdict(MD5, fx("urlhaus", "payload")) == (Verdict.MALICIOUS, "Heodo payload")
    assert verdict(SHA256, fx("urlhaus", "payload") | {"signature": None})[0] is Verdict.SUSPICIOUS


def test_payload_about_another_file_is_a_bad_response() -> None:
    with pytest.raises(BadResponse):
        make(URLhaus).parse(ioc("md5", "0" * 32), resp(fx("urlhaus", "payload")))


@pytest.mark.parametrize("status", ["invalid_url", "invalid_host", "invalid_md5", "invalid_sha256",
                                    "http_post_expected"])
def test_rejections_are_bad_request_errors_not_verdicts(status: str) -> None:
    out = make(URLhaus).parse(URL, resp({"query_status": status}))
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_REQUEST
    assert out.provider_code == status


def test_links() -> None:
    p = make(URLhaus)
    assert p.link(URL, parse(URL, fx("urlhaus", "url_online"))) == "https://urlhaus.abuse.ch/url/105821/"
    assert p.link(URL, None) == ("https://urlhaus.abuse.ch/browse.php?search=http%3A%2F%2Fsskymedia.com"
                                 "%2FVMYB-ht_JAQo-gi%2FINV%2F99401FORPO%2F20673114777%2FUS%2FOutstanding-Invoices%2F")
    assert p.link(ioc("domain", "Vektorex.com"), None) == "https://urlhaus.abuse.ch/host/vektorex.com/"
    assert p.link(MD5, parse(MD5, fx("urlhaus", "payload"))) == (
        f"https://urlhaus.abuse.ch/browse.php?search={SHA256.value}")
    assert p.link(ioc("domain", "bad domain"), None) is None


# --- hostile values in each field URLhaus reads ---------------------------------------------

WRONG = (st.booleans() | st.floats(allow_nan=True, allow_infinity=True) | st.integers()
         | st.lists(st.integers(), max_size=2)
         | st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
FIELDS: list[tuple[str, Any, tuple[Any, ...]]] = [
    # (fixture, IOC, path to a field) where any non-text value is wrong
    ("url_online", URL, ("url_status",)),
    ("url_online", URL, ("threat",)),
    ("url_online", URL, ("blacklists", "spamhaus_dbl")),
    ("url_online", URL, ("payloads", 0, "signature")),
    ("host_ip", ioc("ipv4", "1.1.1.1"), ("urls", 1, "url_status")),
    ("host_ip", ioc("ipv4", "1.1.1.1"), ("urls", 0, "threat")),
    ("host_abused_legit", ioc("domain", "gist.github.com"), ("blacklists", "spamhaus_dbl")),
    ("payload", MD5, ("signature",)),
    ("payload", MD5, ("file_type",)),
]
COUNTS = [("url_online", URL, ("id",)), ("host_ip", ioc("ipv4", "1.1.1.1"), ("url_count",)),
          ("payload", MD5, ("file_size",)), ("payload", MD5, ("url_count",))]


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    at = doc
    for k in path[:-1]:
        at = at[k]
    at[path[-1]] = value
    return doc


@pytest.mark.parametrize(("name", "i", "path"), FIELDS)
@settings(max_examples=25, deadline=None)
@given(v=WRONG)
def test_a_non_text_value_is_a_bad_response(name: str, i: Any, path: tuple[Any, ...], v: Any) -> None:
    with pytest.raises(BadResponse):
        make(URLhaus).parse(i, resp(_set(fx("urlhaus", name), path, v)))


@pytest.mark.parametrize(("name", "i", "path"), COUNTS)
@settings(max_examples=25, deadline=None)
@given(v=st.floats(allow_nan=True, allow_infinity=True) | st.integers(max_value=-1)
       | st.integers(min_value=10**13) | st.booleans() | st.text(min_size=1).filter(lambda s: not s.isdigit())
       | st.lists(st.integers(), min_size=1, max_size=2))
def test_a_count_that_is_not_a_count_is_a_bad_response(name: str, i: Any, path: tuple[Any, ...],
                                                       v: Any) -> None:
    with pytest.raises(BadResponse):
        make(URLhaus).parse(i, resp(_set(fx("urlhaus", name), path, v)))


@pytest.mark.parametrize("status", ["ONLINE", "up", "", "online "])
def test_url_status_outside_the_documented_three(status: str) -> None:
    with pytest.raises(BadResponse):
        make(URLhaus).parse(URL, resp(fx("urlhaus", "url_online") | {"url_status": status}))


@pytest.mark.parametrize(("field", "value"), [("urls", {"a": 1}), ("urls", ["x"]), ("payloads", "many"),
                                              ("blacklists", ["listed"]), ("tags", "elf"), ("tags", [1])])
def test_wrong_containers(field: str, value: Any) -> None:
    body = fx("urlhaus", "host_ip" if field == "urls" else "url_online") | {field: value}
    i = ioc("ipv4", "1.1.1.1") if field == "urls" else URL
    with pytest.raises(BadResponse):
        make(URLhaus).parse(i, resp(body))


def test_too_many_urls_for_one_host() -> None:
    row = fx("urlhaus", "host_ip")["urls"][0]
    with pytest.raises(BadResponse):
        make(URLhaus).parse(ioc("ipv4", "1.1.1.1"), resp(fx("urlhaus", "host_ip") | {"urls": [row] * 1001}))


def test_long_text_is_cut_to_the_schema() -> None:
    obs = parse(URL, fx("urlhaus", "url_online") | {"threat": "x" * 10_000, "tags": ["t" * 500] * 80})
    cacheable(make(URLhaus), URL, obs)
    assert len(obs.facts["threat"]) == 64 and obs.facts["tags"] == ["t" * 64]
