"""AbuseIPDB, GreyNoise, InternetDB, OTX without sockets, on generated answers: every wrong
shape is a BadResponse, never a verdict; the verdict rules hold on generated valid answers.
(The recorded shapes are in test_providers_ip.py, whose helpers these share.)"""

from __future__ import annotations

import copy
import json
import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sentinelx.enrichment.http import HttpResponse
from sentinelx.enrichment.models import (
    BadResponse,
    EnrichmentError,
    Observation,
    Verdict,
)
from sentinelx.enrichment.providers.abuseipdb import AbuseIPDB
from sentinelx.enrichment.providers.base import Provider
from sentinelx.enrichment.providers.greynoise import GreyNoise
from sentinelx.enrichment.providers.internetdb import InternetDB
from sentinelx.enrichment.providers.otx import OTX
from sentinelx.pipeline.models import IOC
from tests.unit.test_providers_ip import CLASSES, MISSING, SCHEMAS, fixture, ioc, make, parse_ok, resp

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
