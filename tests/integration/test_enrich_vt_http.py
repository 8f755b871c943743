"""The VT provider over real sockets against the local fake VT: one test per row of the
issue's table, and what is (not) sent where."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest

from sentinelx.enrichment import facts as facts_gate
from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.base import RetryPolicy, lookup
from sentinelx.enrichment.providers.virustotal import VirusTotal, url_id
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakevt import FakeVT
from tests.support.providers import VT_KEY, context

KEY = VT_KEY


@dataclass
class Judged:
    """An Observation that passed the facts gate, with its verdict and link."""

    obs: Observation
    verdict: Verdict
    summary: str
    link: str | None

    @property
    def facts(self) -> dict[str, Any]:
        return self.obs.facts


class Provider:
    """VirusTotal as the engine drives it: fetch, then the facts gate, then judge."""

    def __init__(self, vt: VirusTotal) -> None:
        self.vt = vt

    def fetch(self, t: IOCType, value: str) -> Judged | EnrichmentError:
        ioc = IOC(t, value, value, 0)
        out = self.vt.fetch(ioc)
        if isinstance(out, EnrichmentError):
            return out
        facts_gate.check(self.vt.SPEC, out.facts)
        j = self.vt.judge(ioc, out)
        return Judged(out, j.verdict, j.summary, self.vt.link(ioc, out))


@pytest.fixture
def fake():
    with FakeVT(api_key=KEY) as f:
        yield f


def provider(fake: FakeVT, read_timeout: float = 30.0, key: str = KEY) -> Provider:
    http = SafeHttp(allowlist([fake.base_url]), timeout=(5.0, read_timeout))
    return Provider(VirusTotal(context(fake.base_url, key, http=http)))


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
    assert isinstance(out, Judged), out
    assert out.verdict is Verdict.MALICIOUS and out.facts["malicious"] == 12
    assert out.facts["engines"] == 73 and out.summary == "12/73 engines"
    assert out.link.startswith("https://www.virustotal.com/gui/")
    req, = fake.api_requests()
    assert req.path == "/api/v3" + path
    assert req.headers["x-apikey"] == KEY


def test_type_specific_fields(fake):
    fake.seed("sha256", "a" * 64, "malicious")
    fake.seed("ipv4", "45.33.32.156", "clean")
    f = provider(fake).fetch(IOCType.SHA256, "a" * 64)
    ip = provider(fake).fetch(IOCType.IPV4, "45.33.32.156")
    assert f.facts["threat_label"] == "trojan.fake/agent"
    assert f.facts["meaningful_name"] == "invoice.exe"
    assert ip.verdict is Verdict.CLEAN and ip.facts["as_owner"] == "Fake Networks Ltd"


def test_404_is_no_data_not_an_error(fake):
    out = provider(fake).fetch(IOCType.DOMAIN, "never-seen.org")
    assert isinstance(out, Judged) and out.verdict is Verdict.NO_DATA and not out.obs.found


@pytest.mark.parametrize(("behaviour", "vt_code"), [
    ("unauthorized", "WrongCredentialsError"), ("forbidden", "ForbiddenError")])
def test_401_403_are_auth_errors(fake, behaviour, vt_code):
    fake.program(behaviour)
    out = provider(fake).fetch(IOCType.DOMAIN, "evil-c2.net")
    assert out.code is ErrorCode.AUTH and out.provider_code == vt_code
    assert KEY not in out.message


def test_wrong_key_is_auth_error_and_key_not_echoed(fake):
    out = provider(fake, key="f" * 64).fetch(IOCType.DOMAIN, "evil-c2.net")
    assert out.code is ErrorCode.AUTH and "f" * 64 not in out.message


def test_429_keeps_quota_code(fake):
    fake.program("quota", message="Quota exceeded for the minute")
    out = provider(fake).fetch(IOCType.DOMAIN, "evil-c2.net")
    assert out.code is ErrorCode.RATE_LIMITED and out.provider_code == "QuotaExceededError"
    assert "minute" in out.message


def test_500_then_success_is_retried(fake):
    fake.seed("domain", "evil-c2.net", "malicious")
    fake.program("server_error", times=2)
    slots = []
    out = lookup(provider(fake).vt, IOC(IOCType.DOMAIN, "evil-c2.net", "", 0),
                 retry=RetryPolicy(3, 0.05, 0.1),
                 before_attempt=lambda: slots.append(1) or True,
                 wait=lambda s: time.sleep(s) or False)
    assert isinstance(out, Observation) and out.facts["malicious"] == 12
    assert len(fake.api_requests()) == 3 and len(slots) == 3  # each attempt took a quota slot


def test_5xx_retries_are_bounded(fake):
    fake.program("server_error", times=10, status=503)
    out = lookup(provider(fake).vt, IOC(IOCType.DOMAIN, "evil-c2.net", "", 0),
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
    out = lookup(provider(fake).vt, IOC(IOCType.DOMAIN, "evil-c2.net", "", 0))
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
        p = Provider(VirusTotal(context(other.base_url, KEY, http=http)))
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
    out = Provider(VirusTotal(context(base, KEY, http=http))).fetch(IOCType.DOMAIN,
                                                                    "evil-c2.net")
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.NETWORK and out.retryable


# --- wrong-shaped answers over real sockets (#10) ------------------------------------------

@pytest.mark.parametrize("attrs", [
    {"last_analysis_date": 1e20}, {"last_analysis_date": float("inf")},
    {"last_analysis_stats": {"malicious": 10**400, "harmless": 1}},
    {"last_analysis_stats": {"malicious": "12", "harmless": "60"}},
    {"last_analysis_stats": {"malicious": -4, "harmless": -60}},
])
def test_impossible_values_are_bad_response(fake, attrs):
    fake.seed("domain", "evil-c2.net", "malicious", **attrs)
    out = lookup(provider(fake).vt, IOC(IOCType.DOMAIN, "evil-c2.net", "", 0))
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_RESPONSE


# --- the total deadline holds whatever the server does (#10) -----------------------------

@pytest.mark.parametrize("behaviour", ["drip_headers", "drip_body"])
def test_total_deadline_holds_against_a_drip_feeding_server(behaviour):
    from tests.support.fakes.base import Answer, FakeProvider

    class Dripper(FakeProvider):
        prefix = "/api/v3"

        def answer(self, req):  # pragma: no cover - every request is programmed to drip
            return Answer(200, {})

    with Dripper() as f:
        f.program(behaviour, rate=4, seconds=120)  # a byte every 0.25 s: never a read timeout
        http = SafeHttp(allowlist([f.base_url]), timeout=(2.0, 2.0), total_deadline=1.5)
        started = time.monotonic()
        out = Provider(VirusTotal(context(f.base_url, KEY, http=http))).fetch(
            IOCType.DOMAIN, "evil-c2.net")
        elapsed = time.monotonic() - started
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.TIMEOUT, out
    assert 1.4 <= elapsed < 3.0, elapsed


def test_abort_ends_a_stalled_request_at_once(fake):
    fake.program("slow", delay=20)
    http = SafeHttp(allowlist([fake.base_url]))
    p = Provider(VirusTotal(context(fake.base_url, KEY, http=http)))
    import threading

    threading.Timer(0.3, http.abort).start()
    started = time.monotonic()
    out = p.fetch(IOCType.DOMAIN, "evil-c2.net")
    assert out.code is ErrorCode.CANCELLED and time.monotonic() - started < 1.5


# --- over TLS: the CA bundle setting, and the deadline still holds ---------------------------

@pytest.fixture
def tls_files(tmp_path):
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                   capture_output=True)
    return key, cert


def tls_fake(key, cert):
    import ssl

    from tests.support.fakes.base import Answer, FakeProvider

    class TlsVT(FakeProvider):
        prefix = "/api/v3"

        def answer(self, req):
            return Answer(404, {"error": {"code": "NotFoundError", "message": "nope"}})

        def __enter__(self):
            super().__enter__()
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(cert, key)
            assert self._server is not None
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
            self._server.handle_error = lambda *a: None  # clients that give up: expected
            return self

        @property
        def base_url(self):
            return super().base_url.replace("http://", "https://")

    return TlsVT()


def test_tls_with_a_ca_bundle_and_drip_fed_headers(tls_files):
    key, cert = tls_files
    with tls_fake(key, cert) as f:
        ok = SafeHttp(allowlist([f.base_url]), verify=str(cert))
        out = Provider(VirusTotal(context(f.base_url, KEY, http=ok))).fetch(IOCType.DOMAIN,
                                                                            "evil-c2.net")
        assert isinstance(out, Judged) and out.obs.found is False  # verified, then a 404
        untrusted = SafeHttp(allowlist([f.base_url]))  # the system CAs do not know it
        out = Provider(VirusTotal(context(f.base_url, KEY, http=untrusted))).fetch(
            IOCType.DOMAIN, "evil-c2.net")
        assert isinstance(out, EnrichmentError) and out.code is ErrorCode.NETWORK
        f.program("drip_headers", rate=4, seconds=120)
        http = SafeHttp(allowlist([f.base_url]), verify=str(cert), timeout=(2.0, 2.0),
                        total_deadline=1.5)
        started = time.monotonic()
        out = Provider(VirusTotal(context(f.base_url, KEY, http=http))).fetch(
            IOCType.DOMAIN, "evil-c2.net")
        elapsed = time.monotonic() - started
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.TIMEOUT, out
    assert elapsed < 3.0
