"""AbuseIPDB, GreyNoise, InternetDB, OTX without sockets: parse/judge on the recorded shapes,
and on generated hostile shapes (every wrong shape is BadResponse, never a verdict)."""

from __future__ import annotations

import copy
import json
import math
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from sentinelx.enrichment.http import HttpResponse, SafeHttp
from sentinelx.enrichment.models import (
    BadResponse,
    EnrichmentError,
    ErrorCode,
    Observation,
    Verdict,
)
from sentinelx.enrichment.providers.abuseipdb import AbuseIPDB
from sentinelx.enrichment.providers.base import Provider, ProviderContext, retry_at
from sentinelx.enrichment.providers.greynoise import GreyNoise
from sentinelx.enrichment.providers.internetdb import InternetDB
from sentinelx.enrichment.providers.otx import OTX
from sentinelx.pipeline.models import IOC, IOCType

DATA = Path(__file__).resolve().parents[1] / "data" / "providers"
CLASSES: list[type[Provider]] = [AbuseIPDB, GreyNoise, InternetDB, OTX]
SCHEMAS = {c.SPEC.name: Draft202012Validator(json.loads(c.SPEC.facts_schema_path.read_text()))
           for c in CLASSES}
MISSING = object()  # a field left out of the answer


def make(cls: type[Provider], settings: dict[str, Any] | None = None) -> Provider:
    # An empty allowlist: a unit test that tried to send anything would fail loudly.
    return cls(ProviderContext(cls.SPEC.default_base_url, "k" * 80, settings or {},
                               SafeHttp(frozenset()), time.time, Path("/nonexistent")))


def fixture(provider: str, name: str) -> Any:
    return json.loads((DATA / provider / name).read_text())


def resp(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body, allow_nan=True).encode()
    return HttpResponse(status, raw, "application/json", headers or {})


def ioc(t: str, value: str) -> IOC:
    return IOC(IOCType(t), value, value, 0)


def parse_ok(p: Provider, i: IOC, r: HttpResponse) -> Observation:
    out = p.parse(i, r)
    assert isinstance(out, Observation), out
    SCHEMAS[p.name].validate(out.facts)
    return out


# --- the specs -------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CLASSES)
def test_spec_is_complete_and_schema_valid(cls):
    spec = cls.SPEC
    Draft202012Validator.check_schema(json.loads(spec.facts_schema_path.read_text()))
    assert set(spec.sends) == {t.value for t in spec.types}  # the privacy preview covers every type
    assert spec.default_base_url.startswith("https://")
    assert spec.valid_key("A" * 80) and not spec.valid_key("has space" * 3)


def test_roles_and_key_needs_follow_the_providers():
    assert (AbuseIPDB.SPEC.key, GreyNoise.SPEC.key, InternetDB.SPEC.key, OTX.SPEC.key) == (
        "required", "optional", "none", "required")
    assert InternetDB.SPEC.role == "context" and AbuseIPDB.SPEC.role == "verdict"
    assert GreyNoise.SPEC.types == {IOCType.IPV4} and AbuseIPDB.SPEC.per_day == 1000


# --- recorded shapes -> verdicts ---------------------------------------------------------

CASES = [
    (AbuseIPDB, "ipv4", "118.25.6.39", "check_reported.json", Verdict.MALICIOUS,
     "abuse score 100, 1 report"),
    (AbuseIPDB, "ipv4", "1.1.1.1", "check_low.json", Verdict.SUSPICIOUS, "abuse score 12, 3 reports"),
    (AbuseIPDB, "ipv4", "8.8.8.8", "check_whitelisted.json", Verdict.CLEAN,
     "whitelisted (abuse score 0, 54 reports)"),
    (AbuseIPDB, "ipv6", "2a00:1450:4001:82a::200e", "check_unknown_v6.json", Verdict.NO_DATA, ""),
    (AbuseIPDB, "ipv4", "127.0.0.1", "check_private.json", Verdict.NO_DATA, ""),
    (GreyNoise, "ipv4", "45.83.66.10", "malicious.json", Verdict.MALICIOUS, "malicious scanner"),
    (GreyNoise, "ipv4", "1.2.3.4", "riot_benign.json", Verdict.CLEAN, "known benign service (Cloudflare)"),
    (GreyNoise, "ipv4", "185.220.101.47", "unknown_noise.json", Verdict.SUSPICIOUS,
     "mass scanner (noise)"),
    (GreyNoise, "ipv4", "91.92.109.43", "suspicious.json", Verdict.SUSPICIOUS, "suspicious"),
    (InternetDB, "ipv4", "45.33.32.156", "host.json", Verdict.NO_DATA,
     "ports 22, 80, 9929, 31337; 2 known CVEs; cloud"),
    (InternetDB, "ipv4", "203.0.113.77", "empty_lists.json", Verdict.NO_DATA, ""),
    (OTX, "ipv4", "185.220.101.47", "general_ipv4_pulses.json", Verdict.MALICIOUS,
     "4 pulses, Cobalt Strike"),
    (OTX, "domain", "login-paypa1.example-phish.net", "general_domain_one_pulse.json",
     Verdict.SUSPICIOUS, "1 pulse"),
    (OTX, "domain", "google.com", "general_domain_allowlisted.json", Verdict.CLEAN,
     "allow-listed: Whitelisted domain google.com"),
    (OTX, "ipv4", "203.0.113.9", "general_unknown.json", Verdict.NO_DATA, ""),
    (OTX, "cve", "CVE-2021-44228", "general_cve.json", Verdict.NO_DATA, "1200 pulses, Mirai"),
]


@pytest.mark.parametrize(("cls", "t", "value", "name", "verdict", "summary"), CASES,
                         ids=[f"{c[0].SPEC.name}-{c[3]}" for c in CASES])
def test_recorded_shapes(cls, t, value, name, verdict, summary):
    p = make(cls)
    obs = parse_ok(p, ioc(t, value), resp(200, fixture(cls.SPEC.name, name)))
    j = p.judge(ioc(t, value), obs)
    assert (j.verdict, j.summary) == (verdict, summary)
    assert (j.score > 0) == (verdict in (Verdict.MALICIOUS, Verdict.SUSPICIOUS))
    assert obs.found == (verdict is not Verdict.NO_DATA or bool(summary))


@pytest.mark.parametrize(("cls", "t", "value", "name"), [
    (GreyNoise, "ipv4", "1.2.3.4", "not_found_404.json"),
    (InternetDB, "ipv4", "1.2.3.4", "not_found_404.json"),
    (OTX, "md5", "a" * 32, "error_404.json"),
])
def test_404_forms_are_no_data(cls, t, value, name):
    p = make(cls)
    obs = parse_ok(p, ioc(t, value), resp(404, fixture(cls.SPEC.name, name)))
    assert not obs.found and p.judge(ioc(t, value), obs).verdict is Verdict.NO_DATA


@pytest.mark.parametrize(("cls", "status", "body", "code", "text"), [
    (AbuseIPDB, 401, fixture("abuseipdb", "error_401.json"), ErrorCode.AUTH, "Authentication failed"),
    (AbuseIPDB, 422, fixture("abuseipdb", "error_422.json"), ErrorCode.BAD_REQUEST, "valid IPv4"),
    (AbuseIPDB, 429, fixture("abuseipdb", "error_429.json"), ErrorCode.RATE_LIMITED, "Daily rate"),
    (AbuseIPDB, 401, (DATA / "abuseipdb" / "error_401.html").read_bytes(), ErrorCode.AUTH, "(401)"),
    (GreyNoise, 400, fixture("greynoise", "error_400.json"), ErrorCode.BAD_REQUEST, "routable"),
    (GreyNoise, 429, fixture("greynoise", "error_429.json"), ErrorCode.RATE_LIMITED, "daily rate"),
    (GreyNoise, 401, {"message": "bad key"}, ErrorCode.AUTH, "bad key"),
    (InternetDB, 429, b"Too Many Requests", ErrorCode.RATE_LIMITED, "quota"),
    (InternetDB, 503, b"<html>", ErrorCode.SERVER_ERROR, "503"),
    (OTX, 403, fixture("otx", "error_403.json"), ErrorCode.AUTH, "credentials"),
    (OTX, 400, fixture("otx", "error_400.json"), ErrorCode.BAD_REQUEST, "Invalid indicator"),
])
def test_error_answers(cls, status, body, code, text):
    p = make(cls)
    out = p.parse(ioc("ipv4", "1.2.3.4"), resp(status, body, {"retry-after": "120"}))
    assert isinstance(out, EnrichmentError) and out.code is code and text in out.message
    assert (out.retry_at is not None) == (code is ErrorCode.RATE_LIMITED)


def test_judge_is_pure_and_follows_current_settings():
    facts = parse_ok(make(AbuseIPDB), ioc("ipv4", "1.1.1.1"),
                     resp(200, fixture("abuseipdb", "check_low.json")))
    assert make(AbuseIPDB).judge(ioc("ipv4", "1.1.1.1"), facts).verdict is Verdict.SUSPICIOUS
    strict = make(AbuseIPDB, {"malicious_above": 10})
    assert strict.judge(ioc("ipv4", "1.1.1.1"), facts).verdict is Verdict.MALICIOUS


@pytest.mark.parametrize(("cls", "t", "value", "code"), [
    (GreyNoise, "ipv6", "2001:4860::8888", ErrorCode.UNSUPPORTED),
    (InternetDB, "domain", "evil.net", ErrorCode.UNSUPPORTED),
    (AbuseIPDB, "ipv4", "10.0.0.1", ErrorCode.UNSUPPORTED),
    (AbuseIPDB, "ipv4", "2001:4860::8888", ErrorCode.BAD_REQUEST),
    (AbuseIPDB, "ipv4", "1.2.3.4/24", ErrorCode.BAD_REQUEST),
    (OTX, "md5", "z" * 32, ErrorCode.BAD_REQUEST),
    (OTX, "url", "javascript:alert(1)", ErrorCode.BAD_REQUEST),
    (OTX, "url", "http://e.net/" + "a" * 3000, ErrorCode.BAD_REQUEST),
    (OTX, "domain", "evil..net", ErrorCode.BAD_REQUEST),
    (OTX, "cve", "CVE-21-1", ErrorCode.BAD_REQUEST),
    (OTX, "email", "a@b.net", ErrorCode.UNSUPPORTED),
])
def test_check_refuses_without_io(cls, t, value, code):
    out = make(cls).check(ioc(t, value))
    assert isinstance(out, EnrichmentError) and out.code is code


def test_otx_path_never_carries_a_raw_slash_or_query():
    url = "http://evil.example/a/../../users/me?x=1#f"
    req = make(OTX).request(ioc("url", url))
    tail = req.url.split("/indicators/url/", 1)[1]
    assert tail.endswith("/general") and "/" not in tail.removesuffix("/general")
    assert "?" not in req.url and "#" not in req.url


def test_retry_at_forms():
    now = 1_800_000_000.0
    assert retry_at(resp(429, b"", {"retry-after": "60"}), now) == "2027-01-15T08:01:00Z"
    assert retry_at(resp(429, b"", {"retry-after": "Fri, 15 Jan 2027 09:00:00 GMT"}), now) \
        == "2027-01-15T09:00:00Z"
    for bad in ("soon", "-5", "1e9", "Fri, 99 Jan 2027", "\u00b2", "9" * 5000, "60 s"):
        assert retry_at(resp(429, b"", {"retry-after": bad}), now) is None
    assert retry_at(resp(429, b""), now) is None


# --- generated hostile shapes ---------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
VALUES = st.just(MISSING) | JSON | st.sampled_from(
    [10**400, -1, 101, 65536, 1e308, float("nan"), float("inf"), "", "MALICIOUS", [[[[[]]]]]])


def is_int(v: Any, low: int, high: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def opt_str(v: Any) -> bool:
    return v is MISSING or v is None or isinstance(v, str)


def str_list(v: Any) -> bool:
    return v is MISSING or v is None or (isinstance(v, list) and all(isinstance(s, str) for s in v))


def same_ip(expected: str) -> Any:
    # Absent is fine (nothing to compare); present, it must be the address asked about.
    return lambda v: v is MISSING or v is None or v == expected


def opt_bool(v: Any) -> bool:
    return v is MISSING or v is None or isinstance(v, bool)


# Per documented field: which values a conforming answer may carry.
ABUSE_FIELDS = {
    "ipAddress": same_ip("118.25.6.39"),
    "isPublic": opt_bool,
    "ipVersion": lambda v: v is MISSING or v is None or is_int(v, 4, 4) or is_int(v, 6, 6),
    "isWhitelisted": opt_bool,
    "abuseConfidenceScore": lambda v: is_int(v, 0, 100),  # the verdict: never optional
    "totalReports": lambda v: v is MISSING or v is None or is_int(v, 0, 10**9),
    "numDistinctUsers": lambda v: v is MISSING or is_int(v, 0, 10**9),  # null is not a count
    "lastReportedAt": opt_str, "countryCode": opt_str, "usageType": opt_str, "isp": opt_str,
    "domain": opt_str, "hostnames": str_list,
    "isTor": opt_bool,
}
GREY_FIELDS = {
    "ip": same_ip("45.83.66.10"),
    "noise": opt_bool,
    "riot": opt_bool,
    "classification": lambda v: v is MISSING or v is None or v == "" or (
        isinstance(v, str) and re.fullmatch(r"[a-z_]{1,32}", v[:64].lower()) is not None),
    "name": opt_str, "last_seen": opt_str, "message": opt_str, "link": lambda v: True,
}
IDB_FIELDS = {
    "ip": same_ip("45.33.32.156"),
    "ports": lambda v: v is MISSING or v is None or (
        isinstance(v, list) and all(is_int(p, 0, 65535) for p in v)),
    "vulns": lambda v: v is MISSING or (str_list(v) and all(
        s == "" or re.fullmatch(r"CVE-[0-9]{4}-[0-9]{4,}", s, re.I) for s in (v or []))),
    "hostnames": str_list, "tags": str_list, "cpes": str_list,
}


def _families_ok(v: Any) -> bool:
    return v is MISSING or v is None or (isinstance(v, list) and all(
        isinstance(f, str) or (isinstance(f, dict) and opt_str(f.get("display_name", MISSING))
                               and opt_str(f.get("id", MISSING))) for f in v))


OTX_FIELDS: dict[tuple[str | int, ...], Any] = {
    ("indicator",): opt_str,
    ("validation",): lambda v: v is MISSING or v is None or (isinstance(v, list) and all(
        isinstance(x, dict) and opt_str(x.get("source", MISSING))
        and opt_str(x.get("message", MISSING)) for x in v)),
    ("pulse_info",): lambda v: False if not isinstance(v, dict) else None,  # None: recheck
    # 3 pulses in the fixture: absent, the count is theirs.
    ("pulse_info", "count"): lambda v: v is MISSING or v is None or is_int(v, 3, 10**9),
    ("pulse_info", "pulses"): lambda v: v is MISSING or v is None or (
        isinstance(v, list) and len(v) <= 4 and all(
            isinstance(p, dict) and isinstance(p.get("name"), str) and p["name"] != ""
            and opt_str(p.get("id", MISSING)) and opt_str(p.get("adversary", MISSING))
            and opt_str(p.get("created", MISSING)) and _families_ok(p.get("malware_families", MISSING))
            and str_list(p.get("tags", MISSING)) for p in v)),
    ("pulse_info", "pulses", 0, "name"): lambda v: isinstance(v, str) and v != "",
    ("pulse_info", "pulses", 0, "malware_families"): _families_ok,
    ("pulse_info", "pulses", 0, "tags"): str_list,
    ("pulse_info", "pulses", 0, "adversary"): opt_str,
    ("pulse_info", "pulses", 0, "id"): opt_str,
    ("pulse_info", "related", "other", "malware_families"): _families_ok,
    ("pulse_info", "related", "alienvault", "adversary"): str_list,
}


def put(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for step in path[:-1]:
        target = target[step]
    if value is MISSING:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def check_mutant(p: Provider, i: IOC, body: Any, accepted: bool) -> None:
    """A conforming answer gives schema-valid facts; any other is BadResponse, nothing else."""
    r = resp(200, body)
    if accepted:
        obs = parse_ok(p, i, r)
        p.judge(i, obs)
    else:
        with pytest.raises(BadResponse):
            p.parse(i, r)


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(field=st.sampled_from(sorted(ABUSE_FIELDS)), value=VALUES)
def test_abuseipdb_hostile_fields(field, value):
    base = fixture("abuseipdb", "check_reported.json")
    body = put(base, ("data", field), value)
    check_mutant(make(AbuseIPDB), ioc("ipv4", "118.25.6.39"), body, bool(ABUSE_FIELDS[field](value)))


@FAST
@given(field=st.sampled_from(sorted(GREY_FIELDS)), value=VALUES)
def test_greynoise_hostile_fields(field, value):
    body = put(fixture("greynoise", "malicious.json"), (field,), value)
    check_mutant(make(GreyNoise), ioc("ipv4", "45.83.66.10"), body, bool(GREY_FIELDS[field](value)))


@FAST
@given(field=st.sampled_from(sorted(IDB_FIELDS)), value=VALUES)
def test_internetdb_hostile_fields(field, value):
    body = put(fixture("internetdb", "host.json"), (field,), value)
    check_mutant(make(InternetDB), ioc("ipv4", "45.33.32.156"), body, bool(IDB_FIELDS[field](value)))


@FAST
@given(path=st.sampled_from(sorted(OTX_FIELDS, key=str)), value=VALUES)
def test_otx_hostile_fields(path, value):
    if path == ("pulse_info",):
        assume(not isinstance(value, dict))  # a dict here is a different document, not a mutant
    body = put(fixture("otx", "general_ipv4_pulses.json"), path, value)
    check_mutant(make(OTX), ioc("ipv4", "185.220.101.47"), body, bool(OTX_FIELDS[path](value)))


@FAST
@given(cls=st.sampled_from(CLASSES), body=JSON | st.binary(max_size=64))
def test_any_body_is_observation_or_bad_response(cls, body):
    p = make(cls)
    i = ioc("ipv4", "45.83.66.10")
    raw = body if isinstance(body, bytes) else json.dumps(body, allow_nan=True).encode()
    try:
        out = p.parse(i, HttpResponse(200, raw, "application/json"))
    except BadResponse:
        return
    assert isinstance(out, Observation)  # only possible for a conforming document
    SCHEMAS[cls.SPEC.name].validate(out.facts)


@FAST
@given(cls=st.sampled_from(CLASSES), status=st.integers(400, 599).filter(lambda s: s != 404),
       body=st.binary(max_size=64))
def test_any_error_status_is_a_typed_error(cls, status, body):
    out = make(cls).parse(ioc("ipv4", "45.83.66.10"), HttpResponse(status, body, "text/html"))
    assert isinstance(out, EnrichmentError) and "k" * 80 not in out.message


@pytest.mark.parametrize("cls", CLASSES)
def test_deep_nesting_and_non_finite_numbers(cls):
    p = make(cls)
    for raw in (b"[" * 200_000 + b"]" * 200_000, b'{"data": ' * 5000 + b"1" + b"}" * 5000,
                b"NaN", b"Infinity", b'{"ip": "45.83.66.10", "ports": [1e999]}'):
        with pytest.raises(BadResponse):
            p.parse(ioc("ipv4", "45.83.66.10"), HttpResponse(200, raw, "application/json"))


# --- the verdict rules on generated valid answers -------------------------------------------

@FAST
@given(score=st.integers(0, 100), reports=st.integers(0, 10**6),
       whitelisted=st.sampled_from([True, False, None]), public=st.booleans(),
       threshold=st.integers(0, 99))
def test_abuseipdb_rule(score, reports, whitelisted, public, threshold):
    body = put(fixture("abuseipdb", "check_reported.json"), ("data", "abuseConfidenceScore"), score)
    body["data"].update(totalReports=reports, isWhitelisted=whitelisted, isPublic=public)
    i = ioc("ipv4", "118.25.6.39")
    p = make(AbuseIPDB, {"malicious_above": threshold})
    j = p.judge(i, parse_ok(p, i, resp(200, body)))
    expected = (Verdict.NO_DATA if not public else Verdict.CLEAN if whitelisted is True
                else Verdict.MALICIOUS if score > threshold
                else Verdict.SUSPICIOUS if score > 0 else Verdict.NO_DATA)
    assert j.verdict is expected
    assert 0 <= j.score <= 1 and math.isfinite(j.score)


@FAST
@given(noise=st.booleans(), riot=st.booleans(),
       cls=st.sampled_from(["malicious", "suspicious", "benign", "unknown", None]))
def test_greynoise_rule(noise, riot, cls):
    body = dict(fixture("greynoise", "malicious.json"), noise=noise, riot=riot, classification=cls)
    i = ioc("ipv4", "45.83.66.10")
    p = make(GreyNoise)
    j = p.judge(i, parse_ok(p, i, resp(200, body)))
    expected = (Verdict.MALICIOUS if cls == "malicious" else Verdict.SUSPICIOUS if cls == "suspicious"
                else Verdict.CLEAN if riot or cls == "benign"
                else Verdict.SUSPICIOUS if noise else Verdict.NO_DATA)
    assert j.verdict is expected


@FAST
@given(n=st.integers(0, 10**6), family=st.booleans(), allow=st.booleans(),
       threshold=st.integers(1, 1000), cve=st.booleans())
def test_otx_rule(n, family, allow, threshold, cve):
    body = fixture("otx", "general_unknown.json")
    pulses = [{"id": "x", "name": "p", "malware_families": [{"display_name": "Emotet"}] if family else []}]
    body["pulse_info"].update(count=n, pulses=pulses[:n])
    if allow:
        body["validation"] = [{"source": "whitelist", "message": "Whitelisted IP", "name": "w"}]
    i = ioc("cve", "CVE-2021-44228") if cve else ioc("ipv4", "203.0.113.9")
    p = make(OTX, {"malicious_pulses": threshold})
    obs = parse_ok(p, i, resp(200, body))
    j = p.judge(i, obs)
    has_family = family and n > 0
    expected = (Verdict.CLEAN if allow else Verdict.NO_DATA if n == 0 or cve
                else Verdict.MALICIOUS if has_family or n >= threshold else Verdict.SUSPICIOUS)
    assert j.verdict is expected and obs.found == (n > 0 or allow)


@FAST
@given(ports=st.lists(st.integers(0, 65535), max_size=300), tags=st.lists(st.text(max_size=8)))
def test_internetdb_never_decides(ports, tags):
    body = dict(fixture("internetdb", "host.json"), ports=ports, tags=tags)
    i = ioc("ipv4", "45.33.32.156")
    p = make(InternetDB)
    j = p.judge(i, parse_ok(p, i, resp(200, body)))
    assert j.verdict is Verdict.NO_DATA and j.score == 0


@pytest.mark.parametrize(("cls", "t", "value", "body", "verdict"), [
    (AbuseIPDB, "ipv4", "1.2.3.4", {"data": {"abuseConfidenceScore": 87, "totalReports": 3}},
     Verdict.MALICIOUS),
    (AbuseIPDB, "ipv6", "2001:4860::8888", {"data": {"abuseConfidenceScore": 0}}, Verdict.NO_DATA),
    (GreyNoise, "ipv4", "1.2.3.4", {"classification": "malicious"}, Verdict.MALICIOUS),
    (GreyNoise, "ipv4", "1.2.3.4", {"riot": True}, Verdict.CLEAN),
    (InternetDB, "ipv4", "1.2.3.4", {"ports": [443]}, Verdict.NO_DATA),
    (OTX, "domain", "evil.net", {"pulse_info": {"pulses": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}},
     Verdict.MALICIOUS),
    (OTX, "domain", "evil.net", {"pulse_info": {"count": 1}}, Verdict.SUSPICIOUS),
])
def test_minimal_answers_keep_their_meaning(cls, t, value, body, verdict):
    """Fields the verdict can do without may be absent (never of the wrong type)."""
    p = make(cls)
    assert p.judge(ioc(t, value), parse_ok(p, ioc(t, value), resp(200, body))).verdict is verdict


@pytest.mark.parametrize(("cls", "body"), [
    (AbuseIPDB, {"data": {"totalReports": 3}}),
    (AbuseIPDB, {"errors": []}),
    (GreyNoise, {"ip": "1.2.3.4", "message": "Success"}),
    (InternetDB, {"ip": "1.2.3.4"}),
    (OTX, {"pulse_info": {}}),
    (OTX, {"indicator": "evil.net"}),
])
def test_answers_without_their_core_are_bad_responses(cls, body):
    with pytest.raises(BadResponse):
        make(cls).parse(ioc("ipv4", "1.2.3.4"), resp(200, body))
