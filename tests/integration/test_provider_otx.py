"""AlienVault OTX over real sockets: `base.lookup` through SafeHttp against the local fake."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.base import ProviderContext, RetryPolicy, lookup
from sentinelx.enrichment.providers.otx import OTX
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.otx import FakeOTX

KEY = "0f" * 32
SCHEMA = Draft202012Validator(json.loads(OTX.SPEC.facts_schema_path.read_text()))
FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.01)


@pytest.fixture
def fake():
    with FakeOTX(api_key=KEY) as f:
        yield f


def make(fake: FakeOTX, key: str | None = KEY, read_timeout: float = 5.0,
         settings: dict | None = None) -> OTX:
    http = SafeHttp(allowlist([fake.base_url]), timeout=(2.0, read_timeout))
    return OTX(ProviderContext(fake.base_url, key, settings or {}, http, time.time,
                               Path("/nonexistent")))


def observe(p: OTX, ioc: IOC) -> Observation:
    out = lookup(p, ioc, retry=FAST)
    assert isinstance(out, Observation), out
    SCHEMA.validate(out.facts)
    return out


@pytest.mark.parametrize(("t", "value", "kind"), [
    ("ipv4", "185.220.101.47", "IPv4"),
    ("ipv6", "2a00:1450:4001:82a::200e", "IPv6"),
    ("domain", "evil-c2.net", "domain"),
    ("url", "http://evil-c2.net/gate.php?id=1&x=../../users/me", "url"),
    ("md5", "44d88612fea8a8f36de82e1278abb02f", "file"),
    ("sha1", "3395856ce81f2b7382dee72602f798b642f14140", "file"),
    ("sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", "file"),
    ("cve", "CVE-2021-44228", "cve"),
])
def test_general_section_per_type(fake, t, value, kind):
    fake.seed(kind, value, "general_ipv4_pulses.json")
    ioc = IOC(IOCType(t), value, value, 0)
    p = make(fake)
    obs = observe(p, ioc)
    assert fake.indicator_requests() == [(kind, value, "general")]
    assert fake.requests[0].headers["x-otx-api-key"] == KEY
    j = p.judge(ioc, obs)
    if t == "cve":  # a CVE is never malicious or clean: pulses are context
        assert j.verdict is Verdict.NO_DATA and j.summary.startswith("4 pulses")
    else:
        assert j.verdict is Verdict.MALICIOUS and j.summary == "4 pulses, Cobalt Strike"


def test_url_slashes_and_dot_segments_stay_inside_the_value(fake):
    url = "http://evil.example/a/../../../../users/me"
    observe(make(fake), IOC(IOCType.URL, url, url, 0))
    req, = fake.requests
    assert req.path.startswith("/api/v1/indicators/url/") and req.path.endswith("/general")
    assert fake.indicator_requests() == [("url", url, "general")]


def test_zero_pulses_is_no_data_never_clean(fake):
    p = make(fake)
    ioc = IOC(IOCType.IPV4, "93.184.216.34", "93.184.216.34", 0)
    obs = observe(p, ioc)
    assert not obs.found and p.judge(ioc, obs).verdict is Verdict.NO_DATA


def test_one_pulse_suspicious_and_setting_makes_it_malicious(fake):
    fake.seed("domain", "login-paypa1.example-phish.net", "general_domain_one_pulse.json")
    ioc = IOC(IOCType.DOMAIN, "login-paypa1.example-phish.net", "", 0)
    obs = observe(make(fake), ioc)
    assert make(fake).judge(ioc, obs).verdict is Verdict.SUSPICIOUS
    strict = make(fake, settings={"malicious_pulses": 1})
    assert strict.judge(ioc, obs).verdict is Verdict.MALICIOUS


def test_allow_listed_is_clean_despite_pulses(fake):
    fake.seed("domain", "google.com", "general_domain_allowlisted.json")
    ioc = IOC(IOCType.DOMAIN, "google.com", "google.com", 0)
    p = make(fake)
    j = p.judge(ioc, observe(p, ioc))
    assert j.verdict is Verdict.CLEAN and j.summary == "allow-listed: Whitelisted domain google.com"


def test_404_is_no_data(fake):
    fake.missing.add(("file", "a" * 64))
    ioc = IOC(IOCType.SHA256, "a" * 64, "a" * 64, 0)
    obs = observe(make(fake), ioc)
    assert not obs.found


def test_bad_key_403_is_auth(fake):
    out = lookup(make(fake, key="b" * 64), IOC(IOCType.DOMAIN, "evil.net", "", 0), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.AUTH
    assert "credentials" in out.message and "b" * 64 not in out.message


def test_400_is_bad_request_with_detail(fake):
    fake.program("status", status=400, body={"detail": "Invalid indicator"})
    out = lookup(make(fake), IOC(IOCType.DOMAIN, "evil.net", "", 0), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_REQUEST
    assert "Invalid indicator" in out.message


def test_throttled_is_rate_limited_with_retry_at():
    with FakeOTX(api_key=KEY, limit=0) as fake:
        out = lookup(make(fake), IOC(IOCType.DOMAIN, "evil.net", "", 0), retry=FAST)
        assert isinstance(out, EnrichmentError) and out.code is ErrorCode.RATE_LIMITED
        assert out.retry_at is not None and "throttled" in out.message


def test_private_ip_never_sent(fake):
    out = lookup(make(fake), IOC(IOCType.IPV4, "127.0.0.1", "", 0), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.UNSUPPORTED
    assert fake.requests == []


@pytest.mark.parametrize(("behaviour", "params", "code"), [
    ("redirect", {"location": "http://127.0.0.1:9/"}, ErrorCode.REDIRECT),
    ("huge", {"size": 2_000_000, "chunked": True}, ErrorCode.TOO_LARGE),
    ("slow", {"delay": 2}, ErrorCode.TIMEOUT),
    ("status", {"status": 504}, ErrorCode.SERVER_ERROR),
    ("body", {"body": {"indicator": "evil.net"}}, ErrorCode.BAD_RESPONSE),
    ("body", {"body": {"pulse_info": {"count": -1, "pulses": []}}}, ErrorCode.BAD_RESPONSE),
    ("body", {"body": {"pulse_info": {"count": 0, "pulses": [{"name": "x"}]}}}, ErrorCode.BAD_RESPONSE),
    ("body", {"body": b'{"pulse_info": {"count": Infinity}}'}, ErrorCode.BAD_RESPONSE),
])
def test_transport_misbehaviour_is_a_typed_error(fake, behaviour, params, code):
    fake.program(behaviour, times=3, **params)
    out = lookup(make(fake, read_timeout=0.5), IOC(IOCType.DOMAIN, "evil.net", "", 0), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is code, out
    assert KEY not in out.message


def test_verify_key_is_users_me(fake):
    good, bad = make(fake).verify_key(), make(fake, key="c" * 64).verify_key()
    assert good is not None and bad is not None
    assert make(fake).ctx.http.send(good).status == 200
    assert make(fake).ctx.http.send(bad).status == 403
    assert fake.requests[0].path == "/api/v1/users/me"
