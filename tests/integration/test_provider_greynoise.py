"""GreyNoise Community over real sockets: `base.lookup` through SafeHttp against the local fake."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.base import ProviderContext, RetryPolicy, lookup
from sentinelx.enrichment.providers.greynoise import GreyNoise
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.greynoise import FakeGreyNoise

KEY = "gn-community-key-0123456789"
SCHEMA = Draft202012Validator(json.loads(GreyNoise.SPEC.facts_schema_path.read_text()))
FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.01)


@pytest.fixture
def fake():
    with FakeGreyNoise(api_key=KEY) as f:
        yield f


def make(fake: FakeGreyNoise, key: str | None = None, read_timeout: float = 5.0,
         base_url: str | None = None) -> GreyNoise:
    http = SafeHttp(allowlist([fake.base_url]), timeout=(2.0, read_timeout))
    return GreyNoise(ProviderContext(base_url or fake.base_url, key, {}, http, time.time,
                                     Path("/nonexistent")))


def ip(value: str, t: IOCType = IOCType.IPV4) -> IOC:
    return IOC(t, value, value, 0)


def observe(p: GreyNoise, ioc: IOC) -> Observation:
    out = lookup(p, ioc, retry=FAST)
    assert isinstance(out, Observation), out
    SCHEMA.validate(out.facts)
    return out


@pytest.mark.parametrize(("fixture_name", "verdict", "summary"), [
    ("malicious.json", Verdict.MALICIOUS, "malicious scanner"),
    ("suspicious.json", Verdict.SUSPICIOUS, "suspicious"),
    ("unknown_noise.json", Verdict.SUSPICIOUS, "mass scanner (noise)"),
    ("riot_benign.json", Verdict.CLEAN, "known benign service (Cloudflare)"),
    ("riot_unknown.json", Verdict.CLEAN, "known benign service (Cloudflare Public DNS)"),
    ("benign_scanner.json", Verdict.CLEAN, "known benign scanner (Shodan.io)"),
])
def test_answers_with_no_key_at_all(fake, fixture_name, verdict, summary):
    fake.seed("45.83.66.10", fixture_name)
    p = make(fake)  # keyless: the community endpoint answers on first run
    obs = observe(p, ip("45.83.66.10"))
    j = p.judge(ip("45.83.66.10"), obs)
    assert (j.verdict, j.summary) == (verdict, summary)
    req, = fake.requests
    assert req.path == "/v3/community/45.83.66.10" and "key" not in req.headers


def test_key_is_sent_when_set(fake):
    fake.seed("45.83.66.10")
    observe(make(fake, key=KEY), ip("45.83.66.10"))
    assert fake.requests[0].headers["key"] == KEY


def test_404_not_observed_is_no_data(fake):
    p = make(fake)
    obs = observe(p, ip("93.184.216.34"))
    assert not obs.found and p.judge(ip("93.184.216.34"), obs).verdict is Verdict.NO_DATA
    assert obs.facts["message"].startswith("IP not observed")


def test_ipv6_and_private_never_sent(fake):
    p = make(fake)
    v6 = lookup(p, ip("2a00:1450:4001:82a::200e", IOCType.IPV6), retry=FAST)
    private = lookup(p, ip("10.1.2.3"), retry=FAST)
    assert isinstance(v6, EnrichmentError) and v6.code is ErrorCode.UNSUPPORTED
    assert isinstance(private, EnrichmentError) and private.code is ErrorCode.UNSUPPORTED
    assert fake.requests == []


@pytest.mark.parametrize("suffix", ["", "/v3", "/v3/community"])
def test_base_url_forms(fake, suffix):
    observe(make(fake, base_url=fake.base_url + suffix), ip("1.2.3.4"))
    assert fake.requests[-1].path == "/v3/community/1.2.3.4"


def test_keyless_quota_429_is_rate_limited_with_retry_at():
    with FakeGreyNoise(keyless_limit=1) as fake:
        p = make(fake)
        observe(p, ip("1.2.3.4"))
        out = lookup(p, ip("1.2.3.5"), retry=FAST)
        assert isinstance(out, EnrichmentError) and out.code is ErrorCode.RATE_LIMITED
        assert "daily rate limit" in out.message and out.retry_at is not None


def test_wrong_key_is_auth(fake):
    out = lookup(make(fake, key="not-the-key-123456"), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.AUTH
    assert "not-the-key" not in out.message


def test_400_is_bad_request(fake):
    fake.program("status", status=400, body={"message": "Request is not a valid routable IPv4 address"})
    out = lookup(make(fake), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_REQUEST
    assert "routable" in out.message


@pytest.mark.parametrize(("behaviour", "params", "code"), [
    ("redirect", {"location": "http://127.0.0.1:9/"}, ErrorCode.REDIRECT),
    ("huge", {"size": 2_000_000}, ErrorCode.TOO_LARGE),
    ("slow", {"delay": 2}, ErrorCode.TIMEOUT),
    ("status", {"status": 500}, ErrorCode.SERVER_ERROR),
    ("body", {"body": b"not json"}, ErrorCode.BAD_RESPONSE),
    ("body", {"body": {"ip": "1.2.3.4", "noise": "yes", "riot": False}}, ErrorCode.BAD_RESPONSE),
    ("body", {"body": {"ip": "6.6.6.6", "noise": True, "riot": False,
                       "classification": "malicious"}}, ErrorCode.BAD_RESPONSE),
])
def test_transport_misbehaviour_is_a_typed_error(fake, behaviour, params, code):
    fake.program(behaviour, times=3, **params)
    out = lookup(make(fake, read_timeout=0.5), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is code, out


def test_verify_key_only_with_a_key(fake):
    assert make(fake).verify_key() is None
    good, bad = make(fake, key=KEY).verify_key(), make(fake, key="x" * 20).verify_key()
    assert good is not None and bad is not None
    assert make(fake).ctx.http.send(good).status not in (401, 403)  # 404 is fine: key accepted
    assert make(fake).ctx.http.send(bad).status == 401
