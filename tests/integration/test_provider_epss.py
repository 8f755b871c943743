"""EPSS over real sockets against the local fake: strings to floats, absent CVEs, batches,
errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.base import ProviderContext, RetryPolicy, lookup
from sentinelx.enrichment.providers.epss import EPSS, SPEC
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.epss import FakeEPSS

SCHEMA = Draft202012Validator(json.loads(SPEC.facts_schema_path.read_text()))
FAST = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)


def cve(value: str) -> IOC:
    return IOC(IOCType.CVE, value, value, 0)


@pytest.fixture
def fake():
    with FakeEPSS() as f:
        yield f


def epss(fake: FakeEPSS, tmp_path: Path) -> EPSS:
    http = SafeHttp(allowlist([fake.base_url]), timeout=(2.0, 5.0))
    return EPSS(ProviderContext(fake.base_url, None, {}, http, time.time, tmp_path))


def test_score_and_percentile_become_floats(fake, tmp_path):
    p = epss(fake, tmp_path)
    obs = lookup(p, cve("CVE-2021-44228"), retry=FAST)
    assert isinstance(obs, Observation) and obs.found
    SCHEMA.validate(obs.facts)
    assert obs.facts == {"cve_id": "CVE-2021-44228", "epss": 0.94424, "percentile": 0.99991,
                         "date": "2025-08-25"}
    j = p.judge(cve("CVE-2021-44228"), obs)
    assert j.verdict is Verdict.NO_DATA and j.summary == "EPSS 99th pct" and j.score == 0.944
    req, = fake.requests
    assert req.path == "/data/v1/epss" and req.query == {"cve": ["CVE-2021-44228"]}


def test_low_percentile_label(fake, tmp_path):
    p = epss(fake, tmp_path)
    obs = lookup(p, cve("CVE-2025-99002"), retry=FAST)
    assert p.judge(cve("CVE-2025-99002"), obs).summary == "EPSS 5th pct"


def test_a_cve_without_a_score_is_no_data(fake, tmp_path):
    p = epss(fake, tmp_path)
    obs = lookup(p, cve("CVE-1999-99999"), retry=FAST)
    assert isinstance(obs, Observation) and not obs.found
    SCHEMA.validate(obs.facts)
    assert p.judge(cve("CVE-1999-99999"), obs).verdict is Verdict.NO_DATA


def test_batch_asks_once_for_several(fake, tmp_path):
    p = epss(fake, tmp_path)
    iocs = [cve("CVE-2021-44228"), cve("cve-2024-3400"), cve("CVE-1999-99999")]
    out = p.parse_batch(iocs, p.ctx.http.send(p.batch_request(iocs)))
    assert {k: v.found for k, v in out.items()} == {
        "CVE-2021-44228": True, "CVE-2024-3400": True, "CVE-1999-99999": False}
    req, = fake.requests
    assert req.query == {"cve": ["CVE-1999-99999,CVE-2021-44228,CVE-2024-3400"]}


def test_batch_over_2000_characters_is_refused_before_sending(fake, tmp_path):
    iocs = [cve(f"CVE-2024-{n:05d}") for n in range(10000, 10200)]
    with pytest.raises(ValueError):
        epss(fake, tmp_path).batch_request(iocs)
    assert fake.requests == []


@pytest.mark.parametrize(("status", "code"), [
    (429, ErrorCode.RATE_LIMITED), (500, ErrorCode.SERVER_ERROR), (400, ErrorCode.BAD_REQUEST)])
def test_status_errors(fake, tmp_path, status, code):
    fake.program("status", status=status, times=2,
                 body={"status": "error", "status-code": status, "message": "x"})
    out = lookup(epss(fake, tmp_path), cve("CVE-2021-44228"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is code


@pytest.mark.parametrize("entry", [
    {"cve": "CVE-2021-44228", "epss": "high", "percentile": "0.9", "date": "2025-08-25"},
    {"cve": "CVE-2021-44228", "epss": "1.5", "percentile": "0.9", "date": "2025-08-25"},
    {"cve": "CVE-2021-44228", "epss": "NaN", "percentile": "0.9", "date": "2025-08-25"},
    {"cve": "CVE-2021-44228", "epss": True, "percentile": "0.9", "date": "2025-08-25"},
    {"cve": "CVE-2000-0001", "epss": "0.1", "percentile": "0.9", "date": "2025-08-25"},
])
def test_wrong_shapes_are_bad_responses(fake, tmp_path, entry):
    fake.program("body", body={"status": "OK", "data": [entry]})
    out = lookup(epss(fake, tmp_path), cve("CVE-2021-44228"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_RESPONSE


def test_a_bare_origin_base_url_gets_the_documented_path(fake, tmp_path):
    origin = fake.base_url.removesuffix(fake.prefix)
    http = SafeHttp(allowlist([origin]), timeout=(2.0, 5.0))
    p = EPSS(ProviderContext(origin, None, {}, http, time.time, tmp_path))
    assert lookup(p, cve("CVE-2021-44228"), retry=FAST).found
    assert fake.requests[0].path == "/data/v1/epss"
