"""Shodan InternetDB over real sockets: `base.lookup` through SafeHttp against the local fake."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.base import ProviderContext, RetryPolicy, lookup
from sentinelx.enrichment.providers.internetdb import InternetDB
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.internetdb import FakeInternetDB

SCHEMA = Draft202012Validator(json.loads(InternetDB.SPEC.facts_schema_path.read_text()))
FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.01)


@pytest.fixture
def fake():
    with FakeInternetDB() as f:
        yield f


def make(fake: FakeInternetDB, read_timeout: float = 5.0) -> InternetDB:
    http = SafeHttp(allowlist([fake.base_url]), timeout=(2.0, read_timeout))
    return InternetDB(ProviderContext(fake.base_url, None, {}, http, time.time, Path("/nonexistent")))


def ip(value: str) -> IOC:
    return IOC(IOCType.IPV4, value, value, 0)


def observe(p: InternetDB, ioc: IOC) -> Observation:
    out = lookup(p, ioc, retry=FAST)
    assert isinstance(out, Observation), out
    SCHEMA.validate(out.facts)
    return out


def test_exposure_is_context_never_a_verdict(fake):
    fake.seed("45.33.32.156")
    p = make(fake)
    obs = observe(p, ip("45.33.32.156"))
    j = p.judge(ip("45.33.32.156"), obs)
    assert p.SPEC.role == "context" and p.SPEC.key == "none"
    assert obs.found and obs.facts["ports"] == [22, 80, 9929, 31337]
    assert obs.facts["vulns"] == ["CVE-2021-23017", "CVE-2023-38408"]
    assert j.verdict is Verdict.NO_DATA and j.score == 0
    assert j.summary == "ports 22, 80, 9929, 31337; 2 known CVEs; cloud"
    req, = fake.requests
    assert req.path == "/45.33.32.156" and "key" not in req.headers


def test_404_no_information_is_no_data(fake):
    p = make(fake)
    obs = observe(p, ip("93.184.216.34"))
    assert not obs.found and p.judge(ip("93.184.216.34"), obs).summary == ""


def test_other_404_is_not_silently_no_data(fake):
    fake.program("status", status=404, body={"detail": "Not Found"})
    out = lookup(make(fake), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_RESPONSE


def test_private_address_never_sent(fake):
    out = lookup(make(fake), ip("100.64.1.1"), retry=FAST)  # CGNAT
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.UNSUPPORTED
    assert fake.requests == []


def test_429_without_documented_body_is_rate_limited():
    with FakeInternetDB(limit=0) as fake:
        fake.program("status", status=429, body="Too Many Requests", headers={"Retry-After": "30"})
        out = lookup(make(fake), ip("1.2.3.4"), retry=FAST)
        assert isinstance(out, EnrichmentError) and out.code is ErrorCode.RATE_LIMITED
        assert out.retry_at is not None


@pytest.mark.parametrize(("behaviour", "params", "code"), [
    ("redirect", {"location": "https://internetdb.shodan.io.evil.example/"}, ErrorCode.REDIRECT),
    ("huge", {"size": 2_000_000}, ErrorCode.TOO_LARGE),
    ("slow", {"delay": 2}, ErrorCode.TIMEOUT),
    ("status", {"status": 502}, ErrorCode.SERVER_ERROR),
    ("body", {"body": {"ip": "1.2.3.4", "ports": [22, 70000]}}, ErrorCode.BAD_RESPONSE),
    ("body", {"body": {"ip": "1.2.3.4", "ports": [], "vulns": ["<script>"]}}, ErrorCode.BAD_RESPONSE),
    ("body", {"body": b"[" * 100_000}, ErrorCode.BAD_RESPONSE),
])
def test_transport_misbehaviour_is_a_typed_error(fake, behaviour, params, code):
    fake.program(behaviour, times=3, **params)
    out = lookup(make(fake, read_timeout=0.5), ip("1.2.3.4"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is code, out


def test_no_key_to_verify(fake):
    assert make(fake).verify_key() is None
