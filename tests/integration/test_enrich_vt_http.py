"""The VT provider over real sockets against the local fake VT: one test per row of the
issue's table, and what is (not) sent where."""

from __future__ import annotations

import time

import pytest

from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, EnrichmentResult, ErrorCode, Verdict
from sentinelx.enrichment.providers.base import RetryPolicy, lookup
from sentinelx.enrichment.providers.virustotal import VirusTotal, url_id
from sentinelx.pipeline.models import IOCType
from tests.support.fakevt import FakeVT

KEY = "vt-test-key-0123456789abcdef"


@pytest.fixture
def fake():
    with FakeVT(api_key=KEY) as f:
        yield f


def provider(fake: FakeVT, read_timeout: float = 30.0, key: str = KEY) -> VirusTotal:
    http = SafeHttp(allowlist([fake.base_url]), timeout=(5.0, read_timeout))
    return VirusTotal(fake.base_url, key, http=http)


@pytest.mark.parametrize(("t", "value", "path"), [
    ("ipv4", "45.33.32.156", "/ip_addresses/45.33.32.156"),
    ("ipv6", "2a00:1450:4001:82a::200e", "/ip_addresses/2a00:1450:4001:82a::200e"),
    ("domain", "evil-c2.net", "/domains/evil-c2.net"),
    ("url", "http://evil-c2.net/gate.php?id=1", "/urls/" + url_id("http://evil-c2.net/gate.php?id=1")),
    ("md5", "44d88612fea8a8f36de82e1278abb02f", "/files/44d88612fea8a8f36de82e1278abb02f"),
    ("sha1", "3395856ce81f2b7382dee72602f798b642f14140",
     "/files/3395856ce81f2b7382dee72602f798b642f14140"),
    ("sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
     "/files/275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"),
])
def test_200_for_each_type(fake, t, value, path):
    fake.seed(t, value, "malicious")
    out = provider(fake).fetch(IOCType(t), value)
    assert isinstance(out, EnrichmentResult), out
    assert out.verdict is Verdict.MALICIOUS and out.detections == 12 and out.engines == 73
    assert out.link.startswith("https://www.virustotal.com/gui/")
    req, = fake.api_requests()
    assert req.path == "/api/v3" + path
    assert req.headers["x-apikey"] == KEY


def test_type_specific_fields(fake):
    fake.seed("sha256", "a" * 64, "malicious")
    fake.seed("ipv4", "45.33.32.156", "clean")
    f = provider(fake).fetch(IOCType.SHA256, "a" * 64)
    ip = provider(fake).fetch(IOCType.IPV4, "45.33.32.156")
    assert dict(f.details)["threat_label"] == "trojan.fake/agent"
    assert dict(f.details)["meaningful_name"] == "invoice.exe"
    assert ip.verdict is Verdict.CLEAN and dict(ip.details)["as_owner"] == "Fake Networks Ltd"


def test_404_is_no_data_not_an_error(fake):
    out = provider(fake).fetch(IOCType.DOMAIN, "never-seen.org")
    assert isinstance(out, EnrichmentResult) and out.verdict is Verdict.NO_DATA


@pytest.mark.parametrize(("behaviour", "vt_code"), [
    ("unauthorized", "WrongCredentialsError"), ("forbidden", "ForbiddenError")])
def test_401_403_are_auth_errors(fake, behaviour, vt_code):
    fake.program(behaviour)
    out = provider(fake).fetch(IOCType.DOMAIN, "evil-c2.net")
    assert out.code is ErrorCode.AUTH and out.provider_code == vt_code
    assert KEY not in out.message


def test_wrong_key_is_auth_error_and_key_not_echoed(fake):
    out = provider(fake, key="wrong-key-123456").fetch(IOCType.DOMAIN, "evil-c2.net")
    assert out.code is ErrorCode.AUTH and "wrong-key" not in out.message


def test_429_keeps_quota_code(fake):
    fake.program("quota", message="Quota exceeded for the minute")
    out = provider(fake).fetch(IOCType.DOMAIN, "evil-c2.net")
    assert out.code is ErrorCode.RATE_LIMITED and out.provider_code == "QuotaExceededError"
    assert "minute" in out.message


def test_500_then_success_is_retried(fake):
    fake.seed("domain", "evil-c2.net", "malicious")
    fake.program("server_error", times=2)
    slots = []
    out = lookup(provider(fake), IOCType.DOMAIN, "evil-c2.net",
                 retry=RetryPolicy(3, 0.05, 0.1),
                 before_attempt=lambda: slots.append(1) or True,
                 wait=lambda s: time.sleep(s) or False)
    assert isinstance(out, EnrichmentResult) and out.verdict is Verdict.MALICIOUS
    assert len(fake.api_requests()) == 3 and len(slots) == 3  # each attempt took a quota slot


def test_5xx_retries_are_bounded(fake):
    fake.program("server_error", times=10, status=503)
    out = lookup(provider(fake), IOCType.DOMAIN, "evil-c2.net",
                 retry=RetryPolicy(3, 0.05, 0.1), wait=lambda s: time.sleep(s) or False)
    assert out.code is ErrorCode.SERVER_ERROR and out.provider_code == "TransientError"
    assert len(fake.api_requests()) == 3


def test_redirect_is_an_error_and_never_followed(fake):
    with FakeVT() as other:
        fake.program("redirect", location=other.base_url + "/domains/evil-c2.net")
        fake.program("redirect", status=307)  # same host, other path
        p = provider(fake)
        first = p.fetch(IOCType.DOMAIN, "evil-c2.net")
        second = p.fetch(IOCType.DOMAIN, "evil-c2.net")
        assert first.code is ErrorCode.REDIRECT and second.code is ErrorCode.REDIRECT
        assert other.requests == []  # the key never reached the redirect target
        assert not any(path.startswith("/redirected") for path in fake.paths())
        assert len(fake.requests) == 2


@pytest.mark.parametrize("chunked", [False, True])
def test_2mb_body_is_cut_off(fake, chunked):
    fake.program("huge", chunked=chunked)
    out = provider(fake).fetch(IOCType.DOMAIN, "evil-c2.net")
    assert out.code is ErrorCode.TOO_LARGE


def test_cap_is_enforced_while_reading(fake):
    """Without a Content-Length the reader must stop near the cap, not buffer 2 MB."""
    fake.program("huge", chunked=True, size=50 * 1024 * 1024)
    started = time.monotonic()
    out = provider(fake).fetch(IOCType.DOMAIN, "evil-c2.net")
    assert out.code is ErrorCode.TOO_LARGE and time.monotonic() - started < 10


def test_malformed_json_is_bad_response(fake):
    fake.program("malformed")
    out = provider(fake).fetch(IOCType.DOMAIN, "evil-c2.net")
    assert out.code is ErrorCode.BAD_RESPONSE and "malformed" in out.message


@pytest.mark.parametrize("behaviour", ["slow", "slow_body"])
def test_slow_response_past_read_timeout(fake, behaviour):
    fake.program(behaviour, delay=4)
    started = time.monotonic()
    out = provider(fake, read_timeout=1.0).fetch(IOCType.DOMAIN, "evil-c2.net")
    elapsed = time.monotonic() - started
    assert out.code is ErrorCode.TIMEOUT, out
    assert 0.9 <= elapsed < 3.5


def test_host_outside_allowlist_gets_nothing(fake):
    """A provider pointed (by a bug) at a URL outside the allowlist sends nothing."""
    with FakeVT() as other:
        http = SafeHttp(allowlist([fake.base_url]))
        p = VirusTotal(other.base_url, KEY, http=http)
        out = p.fetch(IOCType.DOMAIN, "evil-c2.net")
        assert out.code is ErrorCode.FORBIDDEN_HOST
        assert other.requests == [] and fake.requests == []


@pytest.mark.parametrize(("t", "value"), [
    ("domain", "evil.com@127.0.0.2"), ("domain", "x/../../_fake/reset"),
    ("ipv4", "127.0.0.2:80"), ("md5", "../../../etc/passwd"),
])
def test_nothing_in_an_ioc_changes_host_or_path(fake, t, value):
    out = provider(fake).fetch(IOCType(t), value)
    assert out.code is ErrorCode.BAD_REQUEST
    assert fake.requests == []


def test_url_ioc_pointing_elsewhere_stays_on_vt_host(fake):
    """A URL IOC is an id in the path, never a destination."""
    with FakeVT() as other:
        value = other.base_url + "/domains/x"
        provider(fake).fetch(IOCType.URL, value)
        assert other.requests == []
        req, = fake.api_requests()
        assert req.path == "/api/v3/urls/" + url_id(value)


def test_a_dead_server_is_a_network_error():
    with FakeVT() as f:
        base = f.base_url
    http = SafeHttp(allowlist([base]), timeout=(1, 1))
    out = VirusTotal(base, KEY, http=http).fetch(IOCType.DOMAIN, "evil-c2.net")
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.NETWORK and out.retryable
