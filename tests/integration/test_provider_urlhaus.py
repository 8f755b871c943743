"""URLhaus over real sockets against the local fake: every lookup type, the documented
HTTP-200 errors, and the transport failures every provider must survive."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sentinelx.enrichment.models import ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.urlhaus import URLhaus
from sentinelx.pipeline.models import IOC
from tests.integration.abusech_net import KEY, TransportCases, failed, found, ioc, provider, run
from tests.support.fakes.abusech import FakeURLhaus

URL = "http://evil.test/dl/payload.exe?id=7&x=%20"
MD5 = "12c8aec5766ac3e6f26f2505e2f4a8f2"
SHA256 = "01fa56184fcaa42b6ee1882787a34098c79898c182814774fd81dc18a6af0b00"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeURLhaus]:
    with FakeURLhaus(api_key=KEY) as f:
        f.seed_url(URL, "online")
        f.seed_url("http://old.test/x.bin", "offline")
        f.seed_host("1.1.1.1")
        f.seed_host("gist.github.com", "host_abused_legit")
        f.seed_host("vektorex.com", "host_offline_domain")
        f.seed_payload(MD5, SHA256)
        yield f


@pytest.fixture
def fake(server: FakeURLhaus) -> FakeURLhaus:
    server.reset()  # one server per module (a start/stop costs 0.5 s); fresh state per test
    server.bad_key = "401"
    return server


@pytest.fixture
def cls() -> type[URLhaus]:
    return URLhaus


@pytest.fixture
def fake_cls() -> type[FakeURLhaus]:
    return FakeURLhaus


@pytest.fixture
def found_ioc() -> IOC:
    return ioc("url", URL)


@pytest.fixture
def missing_ioc() -> IOC:
    return ioc("domain", "never-listed.example")


class TestTransport(TransportCases):
    pass


@pytest.mark.parametrize(("t", "value", "path", "form", "verdict", "summary"), [
    ("url", URL, "/v1/url/", {"url": URL}, Verdict.MALICIOUS, "online malware URL"),
    ("url", "http://old.test/x.bin", "/v1/url/", {"url": "http://old.test/x.bin"},
     Verdict.SUSPICIOUS, "offline malware URL"),
    ("ipv4", "1.1.1.1", "/v1/host/", {"host": "1.1.1.1"}, Verdict.MALICIOUS, "online payload host (2 URLs)"),
    ("domain", "GIST.github.com", "/v1/host/", {"host": "gist.github.com"}, Verdict.SUSPICIOUS,
     "abused legitimate host (3248 malware URLs)"),
    ("domain", "vektorex.com", "/v1/host/", {"host": "vektorex.com"}, Verdict.SUSPICIOUS,
     "past payload host (2 URLs)"),
    ("md5", MD5, "/v1/payload/", {"md5_hash": MD5}, Verdict.MALICIOUS, "Heodo payload"),
    ("sha256", SHA256, "/v1/payload/", {"sha256_hash": SHA256}, Verdict.MALICIOUS, "Heodo payload"),
])
def test_each_lookup(fake: FakeURLhaus, t: str, value: str, path: str, form: dict[str, str],
                     verdict: Verdict, summary: str) -> None:
    p = provider(URLhaus, fake)
    obs = found(p, ioc(t, value))
    j = p.judge(ioc(t, value), obs)
    assert (j.verdict, j.summary) == (verdict, summary)
    req, = fake.requests
    assert req.path == path and req.form() == form
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize("status", ["invalid_url", "invalid_host", "http_post_expected"])
def test_http_200_rejections(fake: FakeURLhaus, status: str) -> None:
    fake.program("body", body={"query_status": status})
    err = failed(provider(URLhaus, fake), ioc("url", URL), ErrorCode.BAD_REQUEST)
    assert err.provider_code == status


def test_the_fakes_own_checks_agree_with_the_provider(fake: FakeURLhaus) -> None:
    """What the provider lets through, the service accepts: no invalid_* for valid values."""
    p = provider(URLhaus, fake)
    for t, v in [("url", "ftp://files.test/a"), ("domain", "xn--80ak6aa92e.com"), ("ipv4", "10.0.0.1"),
                 ("sha256", "f" * 64)]:
        out = run(p, ioc(t, v))
        assert isinstance(out, Observation) and not out.found, (t, out)
