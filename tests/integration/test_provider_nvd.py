"""NVD over real sockets against the local fake: CVSS preference, states, throttling (403 +
`message` header), the invalid key (404), and that errors never carry the key."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Severity, Verdict
from sentinelx.enrichment.providers.base import ProviderContext, RetryPolicy, lookup
from sentinelx.enrichment.providers.nvd import NVD, SPEC
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.nvd import FakeNVD

KEY = "01234567-89ab-cdef-0123-456789abcdef"
SCHEMA = Draft202012Validator(json.loads(SPEC.facts_schema_path.read_text()))
FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)


def cve(value: str) -> IOC:
    return IOC(IOCType.CVE, value, value, 0)


def nvd(fake: FakeNVD, tmp_path: Path, key: str | None = None) -> NVD:
    http = SafeHttp(allowlist([fake.base_url]), timeout=(2.0, 5.0))
    return NVD(ProviderContext(fake.base_url, key, {}, http, time.time, tmp_path))


def found(provider: NVD, value: str) -> Observation:
    out = lookup(provider, cve(value), retry=FAST)
    assert isinstance(out, Observation), out
    SCHEMA.validate(out.facts)
    return out


@pytest.fixture
def fake():
    with FakeNVD(api_key=KEY, keyless_limit=100, key_limit=100) as f:
        yield f


@pytest.mark.parametrize(("ident", "score", "severity", "version", "summary"), [
    ("CVE-2021-44228", 10.0, "critical", "3.1", "Critical 10.0"),  # 3.1 over v2 9.3
    ("CVE-2024-3400", 10.0, "critical", "4.0", "Critical 10.0"),  # 4.0 (Secondary) over 3.1
    ("CVE-2014-0160", 7.5, "high", "3.1", "High 7.5"),  # not v2's 5.0
    ("CVE-2008-4250", 10.0, "high", "2.0", "High 10.0"),  # v2 only: no "critical" in v2
])
def test_cvss_preference(fake, tmp_path, ident, score, severity, version, summary):
    p = nvd(fake, tmp_path)
    obs = found(p, ident.lower())  # the id is upper-cased before it is sent
    f = obs.facts
    assert obs.found and (f["cvss_score"], f["cvss_severity"], f["cvss_version"]) == (
        score, severity, version)
    j = p.judge(cve(ident), obs)
    assert j.verdict is Verdict.NO_DATA and j.summary == summary
    assert j.severity is Severity(severity if severity != "none" else "benign")
    req, = fake.requests
    assert req.method == "GET" and req.path == "/rest/json/cves/2.0"
    assert req.query == {"cveId": [ident]} and "apikey" not in req.headers


def test_description_dates_and_nvd_kev_date(fake, tmp_path):
    f = found(nvd(fake, tmp_path), "CVE-2021-44228").facts
    assert f["description"].startswith("Apache Log4j2 2.0-beta9")  # English, not Spanish
    assert f["published"] == "2021-12-10T10:15:09.143" and f["vuln_status"] == "Analyzed"
    assert f["cisa_exploit_add"] == "2021-12-10" and "CWE-502" in f["cwes"]
    assert f["rejected"] is False


def test_rejected_and_unscored(fake, tmp_path):
    p = nvd(fake, tmp_path)
    rejected = found(p, "CVE-2023-99001")
    assert rejected.facts["rejected"] is True and rejected.facts["cvss_score"] is None
    assert p.judge(cve("CVE-2023-99001"), rejected).summary == "Rejected"
    waiting = found(p, "CVE-2025-99002")
    assert waiting.facts["vuln_status"] == "Awaiting Analysis"
    assert p.judge(cve("CVE-2025-99002"), waiting).summary == "Not scored yet"


def test_unknown_cve_is_200_total_0_and_no_data(fake, tmp_path):
    p = nvd(fake, tmp_path)
    obs = found(p, "CVE-1999-99999")
    assert obs.found is False and obs.facts == {"cve_id": "CVE-1999-99999"}
    assert p.judge(cve("CVE-1999-99999"), obs).verdict is Verdict.NO_DATA


def test_key_goes_in_the_apikey_header(fake, tmp_path):
    found(nvd(fake, tmp_path, KEY), "CVE-2021-44228")
    assert fake.requests[0].headers["apikey"] == KEY


def test_invalid_key_is_auth_from_the_message_header(fake, tmp_path):
    out = lookup(nvd(fake, tmp_path, "ffffffff-0000-0000-0000-000000000000"),
                 cve("CVE-2021-44228"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.AUTH
    assert "Invalid apiKey" in out.message and len(fake.requests) == 1


def test_throttling_is_403_and_rate_limited_not_auth(tmp_path):
    with FakeNVD(keyless_limit=5) as fake:
        p = nvd(fake, tmp_path)
        for _ in range(5):
            assert isinstance(lookup(p, cve("CVE-2021-44228"), retry=FAST), Observation)
        out = lookup(p, cve("CVE-2021-44228"), retry=FAST)
        assert isinstance(out, EnrichmentError) and out.code is ErrorCode.RATE_LIMITED, out
        assert out.provider_code == "403" and "Rate limit" in out.message
        assert out.retry_at is not None
        assert len(fake.requests) == 6  # a throttled request is not retried at once


def test_with_a_key_the_window_is_larger(tmp_path):
    with FakeNVD(api_key=KEY, keyless_limit=5, key_limit=50) as fake:
        p = nvd(fake, tmp_path, KEY)
        outs = [lookup(p, cve("CVE-2021-44228"), retry=FAST) for _ in range(8)]
        assert all(isinstance(o, Observation) for o in outs)


def test_server_errors_are_retried_then_reported(fake, tmp_path):
    fake.program("status", status=503, times=3, headers={"message": "Service Unavailable"})
    out = lookup(nvd(fake, tmp_path), cve("CVE-2021-44228"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.SERVER_ERROR
    assert len(fake.requests) == 3
    fake.program("status", status=503, times=1)
    assert isinstance(lookup(nvd(fake, tmp_path), cve("CVE-2021-44228"), retry=FAST), Observation)


@pytest.mark.parametrize(("behaviour", "params", "code"), [
    ("redirect", {"location": "http://127.0.0.1:9/"}, ErrorCode.REDIRECT),
    ("huge", {"size": 2_000_000}, ErrorCode.TOO_LARGE),
    ("body", {"body": b"{not json"}, ErrorCode.BAD_RESPONSE),
    ("body", {"body": {"totalResults": 1, "vulnerabilities": [{"cve": {"id": "CVE-2000-0001"}}]}},
     ErrorCode.BAD_RESPONSE),  # an answer about another CVE
])
def test_misbehaving_server_gives_typed_errors(fake, tmp_path, behaviour, params, code):
    fake.program(behaviour, **params)
    out = lookup(nvd(fake, tmp_path), cve("CVE-2021-44228"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is code, out


def test_a_score_as_a_string_is_a_bad_response_not_a_verdict(fake, tmp_path):
    record = json.loads(json.dumps(fake.records["CVE-2021-44228"]))
    record["metrics"]["cvssMetricV31"][0]["cvssData"]["baseScore"] = "9.8"
    fake.program("body", body={"totalResults": 1, "vulnerabilities": [{"cve": record}]})
    out = lookup(nvd(fake, tmp_path), cve("CVE-2021-44228"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_RESPONSE


def test_the_key_never_travels_in_an_error(fake, tmp_path):
    fake.program("status", status=403, headers={"message": f"bad key {KEY} is invalid"})
    out = lookup(nvd(fake, tmp_path, KEY), cve("CVE-2021-44228"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.AUTH
    assert KEY not in out.message and "****" in out.message


def test_verify_key_request_proves_the_key(fake, tmp_path):
    p = nvd(fake, tmp_path, KEY)
    req = p.verify_key()
    assert req is not None and p.ctx.http.send(req).status == 200
    bad = nvd(fake, tmp_path, "ffffffff-0000-0000-0000-000000000000")
    assert bad.ctx.http.send(bad.verify_key()).status == 404  # NVD: 404 + message
    assert nvd(fake, tmp_path).verify_key() is None  # no key: nothing to prove


def test_link_is_the_nvd_detail_page(fake, tmp_path):
    assert nvd(fake, tmp_path).link(cve("cve-2021-44228"), None) == \
        "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"


def test_a_bare_origin_base_url_gets_the_documented_path(fake, tmp_path):
    origin = fake.base_url.removesuffix(fake.prefix)
    http = SafeHttp(allowlist([origin]), timeout=(2.0, 5.0))
    p = NVD(ProviderContext(origin, None, {}, http, time.time, tmp_path))
    assert isinstance(lookup(p, cve("CVE-2021-44228"), retry=FAST), Observation)
    assert fake.requests[0].path == "/rest/json/cves/2.0"
