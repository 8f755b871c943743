"""ThreatFox over real sockets against the local fake: JSON POSTs, ip:port rows, hash
search, broader matches set aside, and the transport failures every provider must survive."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sentinelx.enrichment.models import ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.threatfox import ThreatFox
from sentinelx.pipeline.models import IOC
from tests.integration.abusech_net import KEY, TransportCases, failed, found, ioc, provider, run
from tests.support.fakes.abusech import FakeThreatFox, fixture

IP = "139.180.203.104"
MD5 = "5b7e82e051ade4b14d163eea2a17bf8b"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeThreatFox]:
    with FakeThreatFox(api_key=KEY) as f:
        f.seed_ioc(f"{IP}:443", "ip:port", confidence=75)
        f.seed_ioc("update-check.example-cdn.net", "domain", confidence=25, threat_type="payload_delivery",
                   malware="FAKEUPDATES")
        f.seed_ioc("http://evil.test/gate.php", "url", confidence=100, threat_type="botnet_cc",
                   malware="AsyncRAT")
        f.seed_sample([MD5])
        yield f


@pytest.fixture
def fake(server: FakeThreatFox) -> FakeThreatFox:
    server.reset()  # one server per module (a start/stop costs 0.5 s); fresh state per test
    server.bad_key = "401"
    return server


@pytest.fixture
def cls() -> type[ThreatFox]:
    return ThreatFox


@pytest.fixture
def fake_cls() -> type[FakeThreatFox]:
    return FakeThreatFox


@pytest.fixture
def found_ioc() -> IOC:
    return ioc("ipv4", IP)


@pytest.fixture
def missing_ioc() -> IOC:
    return ioc("ipv4", "198.51.100.7")


class TestTransport(TransportCases):
    pass


@pytest.mark.parametrize(("t", "value", "body", "verdict", "summary"), [
    ("ipv4", IP, {"query": "search_ioc", "search_term": IP}, Verdict.MALICIOUS, "botnet C2 (Cobalt Strike)"),
    ("domain", "update-check.example-cdn.net",
     {"query": "search_ioc", "search_term": "update-check.example-cdn.net"}, Verdict.SUSPICIOUS,
     "payload delivery (FAKEUPDATES), 25% confidence"),
    ("url", "http://evil.test/gate.php", {"query": "search_ioc", "search_term": "http://evil.test/gate.php"},
     Verdict.MALICIOUS, "botnet C2 (AsyncRAT)"),
    ("md5", MD5, {"query": "search_hash", "hash": MD5}, Verdict.MALICIOUS,
     "sample tied to botnet C2 (Dridex)"),
])
def test_each_lookup(fake: FakeThreatFox, t: str, value: str, body: dict[str, str], verdict: Verdict,
                     summary: str) -> None:
    p = provider(ThreatFox, fake)
    j = p.judge(ioc(t, value), found(p, ioc(t, value)))
    assert (j.verdict, j.summary) == (verdict, summary)
    req, = fake.requests
    assert req.path == "/api/v1/" and req.json() == body
    assert req.headers["content-type"] == "application/json"


def test_confidence_setting_over_the_wire(fake: FakeThreatFox) -> None:
    p = provider(ThreatFox, fake, malicious_confidence=20)
    i = ioc("domain", "update-check.example-cdn.net")
    assert p.judge(i, found(p, i)).verdict is Verdict.MALICIOUS


def test_broader_matches_are_set_aside() -> None:
    with FakeThreatFox(api_key=KEY, fuzzy=True) as fake:
        fake.seed_ioc("139.180.203.1040:8080", "ip:port")
        fake.seed_ioc(f"http://{IP}/gate.php", "url")
        out = run(provider(ThreatFox, fake), ioc("ipv4", IP))
        assert isinstance(out, Observation) and not out.found and out.facts["other_rows"] == 2


def test_illegal_search_term_is_no_data(fake: FakeThreatFox) -> None:
    fake.program("body", body=fixture("threatfox", "illegal_search_term"))
    p = provider(ThreatFox, fake)
    out = run(p, ioc("domain", "a.io"))
    assert isinstance(out, Observation) and not out.found
    assert p.judge(ioc("domain", "a.io"), out).summary == "not searchable on ThreatFox"


def test_illegal_hash_is_a_bad_request(fake: FakeThreatFox) -> None:
    fake.program("body", body={"query_status": "illegal_hash"})
    failed(provider(ThreatFox, fake), ioc("md5", MD5), ErrorCode.BAD_REQUEST)


def test_unknown_sample_is_no_data(fake: FakeThreatFox) -> None:
    out = run(provider(ThreatFox, fake), ioc("sha256", "e" * 64))
    assert isinstance(out, Observation) and not out.found
