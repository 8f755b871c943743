"""AbuseIPDB over real sockets: `base.lookup` through SafeHttp against the local fake."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.abuseipdb import AbuseIPDB
from sentinelx.enrichment.providers.base import ProviderContext, RetryPolicy, lookup
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.abuseipdb import FakeAbuseIPDB, fixture

KEY = "a1" * 40
SCHEMA = Draft202012Validator(json.loads(AbuseIPDB.SPEC.facts_schema_path.read_text()))
FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.01)


@pytest.fixture
def fake():
    with FakeAbuseIPDB(api_key=KEY) as f:
        yield f


def make(fake: FakeAbuseIPDB, key: str | None = KEY, settings: dict[str, Any] | None = None,
         read_timeout: float = 5.0, base_url: str | None = None) -> AbuseIPDB:
    http = SafeHttp(allowlist([fake.base_url]), timeout=(2.0, read_timeout))
    return AbuseIPDB(ProviderContext(base_url or fake.base_url, key, settings or {}, http,
                                     time.time, Path("/nonexistent")))


def ip(value: str) -> IOC:
    return IOC(IOCType.IPV6 if ":" in value else IOCType.IPV4, value, value, 0)


def observe(p: AbuseIPDB, ioc: IOC) -> Observation:
    out = lookup(p, ioc, retry=FAST, wait=lambda s: False)
    assert isinstance(out, Observation), out
    SCHEMA.validate(out.facts)
    return out


def test_reported_address_is_malicious_with_score_and_reports(fake):
    fake.seed("185.220.101.47", abuseConfidenceScore=87, totalReports=412, isTor=True)
    p = make(fake)
    obs = observe(p, ip("185.220.101.47"))
    j = p.judge(ip("185.220.101.47"), obs)
    assert obs.found and j.verdict is Verdict.MALICIOUS and j.score == 0.87
    assert j.summary == "abuse score 87, 412 reports, Tor exit"
    req, = fake.requests
    assert req.path == "/api/v2/check" and req.headers["key"] == KEY
    assert req.headers["accept"] == "application/json"
    assert req.query == {"ipAddress": ["185.220.101.47"], "maxAgeInDays": ["90"]}
    assert p.link(ip("185.220.101.47"), obs) == "https://www.abuseipdb.com/check/185.220.101.47"


def test_low_score_suspicious_and_threshold_applies_to_cached_facts(fake):
    fake.seed("45.33.32.156", abuseConfidenceScore=30, totalReports=3)
    obs = observe(make(fake), ip("45.33.32.156"))
    assert make(fake).judge(ip("45.33.32.156"), obs).verdict is Verdict.SUSPICIOUS
    # The same cached facts under a stricter setting: judge is pure, no new request.
    stricter = make(fake, settings={"malicious_above": 20})
    assert stricter.judge(ip("45.33.32.156"), obs).verdict is Verdict.MALICIOUS
    assert len(fake.requests) == 1


def test_unknown_ipv6_is_no_data_never_clean(fake):
    addr = "2a00:1450:4001:82a::200e"
    p = make(fake)
    obs = observe(p, ip(addr))
    assert not obs.found and p.judge(ip(addr), obs).verdict is Verdict.NO_DATA
    assert fake.requests[0].query["ipAddress"] == [addr]  # colons survive the query encoding


def test_whitelisted_is_clean(fake):
    fake.seed("8.8.8.8", isWhitelisted=True, totalReports=54)
    p = make(fake)
    j = p.judge(ip("8.8.8.8"), observe(p, ip("8.8.8.8")))
    assert j.verdict is Verdict.CLEAN and j.summary.startswith("whitelisted")


def test_private_address_is_never_sent(fake):
    out = lookup(make(fake), ip("192.168.1.10"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.UNSUPPORTED
    assert fake.requests == []


def test_base_url_with_or_without_api_root(fake):
    root = fake.base_url.removesuffix("/api/v2")
    observe(make(fake, base_url=root), ip("1.2.3.4"))
    assert fake.requests[-1].path == "/api/v2/check"


def test_wrong_key_is_auth_and_never_echoed(fake):
    out = lookup(make(fake, key="wrong-key-" + "x" * 70), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.AUTH
    assert "Authentication failed" in out.message and "wrong-key" not in out.message


def test_html_error_without_json_body_is_still_typed(fake):
    fake.program("status", status=401, body=fixture("error_401.html"),
                 headers={"Content-Type": "text/html"})
    out = lookup(make(fake), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.AUTH


def test_html_page_with_200_is_bad_response_not_a_verdict(fake):
    fake.program("body", status=200, body="<html>maintenance</html>",
                 headers={"Content-Type": "text/html"})
    out = lookup(make(fake), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_RESPONSE


def test_invalid_parameter_422_is_bad_request_with_detail(fake):
    out = lookup(make(fake, settings={"max_age_days": 400}), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_REQUEST
    assert "max age in days" in out.message


def test_daily_limit_is_rate_limited_with_retry_at():
    with FakeAbuseIPDB(api_key=KEY, daily_limit=1) as fake:
        p = make(fake)
        observe(p, ip("1.2.3.4"))
        out = lookup(p, ip("1.2.3.5"), retry=FAST)
        assert isinstance(out, EnrichmentError) and out.code is ErrorCode.RATE_LIMITED
        assert out.retry_at is not None and out.retry_at.endswith("Z")
        assert "Daily rate limit" in out.message
        assert len(fake.requests) == 2  # a 429 is not retried


def test_server_errors_are_retried_then_reported(fake):
    fake.program("status", status=503, times=2)
    out = lookup(make(fake), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.SERVER_ERROR
    assert len(fake.requests) == 2


@pytest.mark.parametrize(("behaviour", "params", "code"), [
    ("redirect", {"location": "http://127.0.0.1:9/steal"}, ErrorCode.REDIRECT),
    ("huge", {"size": 2_000_000, "chunked": True}, ErrorCode.TOO_LARGE),
    ("slow", {"delay": 2}, ErrorCode.TIMEOUT),
    ("body", {"body": b'{"data": {"ipAddress": "1.2.3.4", '}, ErrorCode.BAD_RESPONSE),
    ("body", {"body": b'{"data": {"abuseConfidenceScore": NaN}}'}, ErrorCode.BAD_RESPONSE),
])
def test_transport_misbehaviour_is_a_typed_error(fake, behaviour, params, code):
    fake.program(behaviour, times=3, **params)
    out = lookup(make(fake, read_timeout=0.5), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is code, out
    assert KEY not in out.message


def test_verify_key_request_proves_the_key(fake):
    good, bad = make(fake).verify_key(), make(fake, key="z" * 80).verify_key()
    assert good is not None and bad is not None
    assert make(fake).ctx.http.send(good).status == 200
    assert make(fake).ctx.http.send(bad).status == 401


def test_fake_quirk_html_errors_without_accept_are_still_typed(fake):
    """Without Accept: application/json AbuseIPDB answers errors as HTML; the provider
    always sends it, and copes with the HTML anyway."""
    p = make(fake, key="wrong-key-" + "y" * 70)
    req = p.request(ip("1.2.3.4"))
    bare = req._replace(headers={"Key": req.headers["Key"]})
    answer = p.ctx.http.send(bare)
    assert answer.status == 401 and answer.content_type.startswith("text/html")
    out = p.parse(ip("1.2.3.4"), answer)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.AUTH
