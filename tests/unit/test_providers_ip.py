"""AbuseIPDB, GreyNoise, InternetDB, OTX without sockets: parse/judge on the recorded shapes,
and on generated hostile shapes (every wrong shape is BadResponse, never a verdict)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from sentinelx.enrichment.http import HttpResponse, SafeHttp
from sentinelx.enrichment.models import (
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
