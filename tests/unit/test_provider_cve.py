"""NVD, EPSS and KEV parse/judge on the fixtures and on generated hostile shapes: a wrong
shape is always BadResponse (or a typed error), never a verdict or facts off the schema."""

from __future__ import annotations

import copy
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from sentinelx.enrichment.http import HttpResponse, SafeHttp
from sentinelx.enrichment.models import BadResponse, EnrichmentError, ErrorCode, Observation, Severity
from sentinelx.enrichment.providers import epss as epss_mod
from sentinelx.enrichment.providers import kev as kev_mod
from sentinelx.enrichment.providers import nvd as nvd_mod
from sentinelx.enrichment.providers.base import ProviderContext
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.epss import envelope as epss_envelope
from tests.support.fakes.kev import load_feed
from tests.support.fakes.nvd import envelope as nvd_envelope
from tests.support.fakes.nvd import load_records

RECORDS = load_records()
HOSTILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                               max_size=4),
    max_leaves=20,
)


def schema(spec: Any) -> Draft202012Validator:
    return Draft202012Validator(json.loads(spec.facts_schema_path.read_text()))


def ctx(tmp: Path | None = None, key: str | None = None) -> ProviderContext:
    return ProviderContext("https://x.invalid/api", key, {}, SafeHttp(frozenset()), time.time,
                           tmp or Path("/nonexistent"))


def cve(value: str) -> IOC:
    return IOC(IOCType.CVE, value, value, 0)


def resp(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, raw, "application/json", headers or {})


def assert_sane(spec: Any, out: Any) -> None:
    """What parse may give: a schema-valid, finite Observation, or a typed error."""
    if isinstance(out, Observation):
        schema(spec).validate(out.facts)
        json.dumps(out.facts, allow_nan=False)
    else:
        assert isinstance(out, EnrichmentError)


# --- NVD -----------------------------------------------------------------------------

NVD = nvd_mod.NVD(ctx())


def nvd_answer(record: dict[str, Any]) -> HttpResponse:
    return resp(nvd_envelope([record]))


def test_nvd_fixtures_parse_to_schema_valid_facts():
    for ident, record in RECORDS.items():
        obs = NVD.parse(cve(ident), nvd_answer(record))
        assert_sane(nvd_mod.SPEC, obs)
        assert obs.found and obs.facts["cve_id"] == ident


def test_nvd_request_sends_the_canonical_id_and_key_only_when_set():
    req = NVD.request(cve(" cve-2021-44228 "))
    assert req.params == {"cveId": "CVE-2021-44228"} and "apiKey" not in req.headers
    keyed = nvd_mod.NVD(ctx(key="k" * 36)).request(cve("CVE-2021-44228"))
    assert keyed.headers["apiKey"] == "k" * 36


@pytest.mark.parametrize("value", ["CVE-21-1", "CVE-2021-44228/../x", "CVE-2021-44228&x=1",
                                   "2021-44228", "CVE-2021-123"])
def test_nvd_refuses_what_is_not_a_cve_id(value):
    assert NVD.check(cve(value)).code is ErrorCode.BAD_REQUEST


@pytest.mark.parametrize(("version", "score", "band"), [
    ("3.1", 0.0, "none"), ("3.1", 0.1, "low"), ("3.1", 3.9, "low"), ("3.1", 4.0, "medium"),
    ("3.1", 6.9, "medium"), ("3.1", 7.0, "high"), ("3.1", 8.9, "high"), ("3.1", 9.0, "critical"),
    ("4.0", 10.0, "critical"), ("2.0", 0.0, "low"), ("2.0", 7.0, "high"), ("2.0", 10.0, "high"),
])
def test_severity_bands(version, score, band):
    assert nvd_mod.severity_band(version, score) == band


def _with_score(value: Any, where: str = "cvssMetricV31") -> dict[str, Any]:
    record = copy.deepcopy(RECORDS["CVE-2021-44228"])
    record["metrics"][where][0]["cvssData"]["baseScore"] = value
    return record


@pytest.mark.parametrize("bad", ["9.8", "10", 1e308, float("nan"), float("inf"), -1, 10.5,
                                 9.85, True, None, [9.8], {"v": 9.8}])
def test_a_score_that_is_not_a_cvss_number_is_bad_response(bad):
    with pytest.raises(BadResponse):
        NVD.parse(cve("CVE-2021-44228"), nvd_answer(_with_score(bad)))


@HOSTILE
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text(),
                 st.booleans(), st.none()))
def test_generated_scores_give_bad_response_or_a_consistent_badge(value):
    try:
        obs = NVD.parse(cve("CVE-2021-44228"), nvd_answer(_with_score(value)))
    except BadResponse:
        return
    # Accepted: a real CVSS number whose severity fits the stated CRITICAL.
    assert isinstance(value, int | float) and not isinstance(value, bool)
    assert math.isfinite(value) and 9.0 <= value <= 10
    assert_sane(nvd_mod.SPEC, obs)


def test_severity_that_contradicts_the_score_is_bad_response():
    record = _with_score(9.8)
    record["metrics"]["cvssMetricV31"][0]["cvssData"]["baseSeverity"] = "LOW"
    with pytest.raises(BadResponse):
        NVD.parse(cve("CVE-2021-44228"), nvd_answer(record))


def test_unknown_severity_word_is_bad_response():
    record = _with_score(9.8)
    record["metrics"]["cvssMetricV31"][0]["cvssData"]["baseSeverity"] = "APOCALYPTIC"
    with pytest.raises(BadResponse):
        NVD.parse(cve("CVE-2021-44228"), nvd_answer(record))


def test_total_zero_with_results_or_two_records_is_bad_response():
    r = RECORDS["CVE-2021-44228"]
    with pytest.raises(BadResponse):
        NVD.parse(cve("CVE-2021-44228"), resp({**nvd_envelope([r]), "totalResults": 0}))
    with pytest.raises(BadResponse):
        NVD.parse(cve("CVE-2021-44228"), resp(nvd_envelope([r, r])))


@HOSTILE
@given(json_values)
def test_nvd_any_json_body_is_sane(body):
    try:
        out = NVD.parse(cve("CVE-2021-44228"), resp(body))
    except BadResponse:
        return
    assert_sane(nvd_mod.SPEC, out)


@HOSTILE
@given(st.sampled_from(sorted(RECORDS)), st.data())
def test_nvd_mutated_records_are_sane(ident, data):
    record = copy.deepcopy(RECORDS[ident])
    key = data.draw(st.sampled_from(sorted(record)))
    record[key] = data.draw(json_values)
    try:
        out = NVD.parse(cve(ident), nvd_answer(record))
    except BadResponse:
        return
    assert_sane(nvd_mod.SPEC, out)
    NVD.judge(cve(ident), out)  # a schema-valid observation always judges


@pytest.mark.parametrize(("status", "message", "code"), [
    (403, "Rate limit exceeded", ErrorCode.RATE_LIMITED),
    (403, "", ErrorCode.RATE_LIMITED),
    (403, "Invalid apiKey.", ErrorCode.AUTH),
    (404, "Invalid apiKey.", ErrorCode.AUTH),
    (404, "", ErrorCode.BAD_RESPONSE),
    (503, "", ErrorCode.SERVER_ERROR),
    (429, "", ErrorCode.RATE_LIMITED),
])
def test_nvd_status_mapping(status, message, code):
    out = NVD.parse(cve("CVE-2021-44228"), resp(b"", status, {"message": message}))
    assert isinstance(out, EnrichmentError) and out.code is code


def test_nvd_judge_is_pure_over_cached_facts():
    obs = NVD.parse(cve("CVE-2014-0160"), nvd_answer(RECORDS["CVE-2014-0160"]))
    again = Observation("nvd", True, json.loads(json.dumps(obs.facts)), 0)
    assert NVD.judge(cve("CVE-2014-0160"), again) == NVD.judge(cve("CVE-2014-0160"), obs)
    j = NVD.judge(cve("CVE-2014-0160"), obs)
    assert (j.severity, j.score, j.summary) == (Severity.HIGH, 0.75, "High 7.5")


# --- EPSS ----------------------------------------------------------------------------

EPSS = epss_mod.EPSS(ctx())


@pytest.mark.parametrize(("pct", "label"), [(0.97, "EPSS 97th pct"), (0.011, "EPSS 1st pct"),
                                            (0.5213, "EPSS 52nd pct"), (0.233, "EPSS 23rd pct"),
                                            (0.111, "EPSS 11th pct"), (0.0, "EPSS 0th pct")])
def test_epss_summary_ordinal(pct, label):
    obs = Observation("epss", True, {"cve_id": "CVE-2021-44228", "epss": 0.5,
                                     "percentile": pct, "date": None}, 0)
    assert EPSS.judge(cve("CVE-2021-44228"), obs).summary == label


@HOSTILE
@given(st.dictionaries(st.sampled_from(["cve", "epss", "percentile", "date"]), json_values))
def test_epss_generated_entries_are_sane(entry):
    body = epss_envelope([{"cve": "CVE-2021-44228", **entry}])
    try:
        out = EPSS.parse(cve("CVE-2021-44228"), resp(body))
    except BadResponse:
        return
    assert_sane(epss_mod.SPEC, out)
    if isinstance(out, Observation) and out.found:
        assert 0 <= out.facts["epss"] <= 1 and 0 <= out.facts["percentile"] <= 1


@HOSTILE
@given(json_values)
def test_epss_any_json_body_is_sane(body):
    try:
        out = EPSS.parse(cve("CVE-2021-44228"), resp(body))
    except BadResponse:
        return
    assert_sane(epss_mod.SPEC, out)


# --- KEV -----------------------------------------------------------------------------


def test_kev_feed_fixture_validates():
    catalog = kev_mod.parse_feed(json.dumps(load_feed()).encode())
    assert catalog.version == "2025.08.25" and len(catalog.entries) == 4
    for facts in catalog.entries.values():
        schema(kev_mod.SPEC).validate(facts)


@HOSTILE
@given(st.integers(0, 3), st.sampled_from(["cveID", "dateAdded", "dueDate", "vendorProject",
                                           "knownRansomwareCampaignUse", "cwes", "notes",
                                           "shortDescription"]), json_values)
def test_kev_mutated_feeds_are_refused_or_sane(index, field, value):
    feed = load_feed()
    feed["vulnerabilities"][index][field] = value
    try:
        catalog = kev_mod.parse_feed(json.dumps(feed).encode())
    except BadResponse:
        return
    for facts in catalog.entries.values():
        schema(kev_mod.SPEC).validate(facts)


@HOSTILE
@given(json_values)
def test_kev_any_json_feed_is_refused_or_sane(doc):
    try:
        catalog = kev_mod.parse_feed(json.dumps(doc).encode())
    except BadResponse:
        return
    for facts in catalog.entries.values():
        schema(kev_mod.SPEC).validate(facts)


def test_kev_judge_needs_the_flag():
    k = kev_mod.KEV(ctx())
    assert k.judge(cve("CVE-1"), Observation("kev", True, {"cve_id": "CVE-2021-44228",
                                                           "catalog_version": "x"}, 0)).summary == ""


@pytest.mark.parametrize(("base", "documented", "tail", "url"), [
    ("https://services.nvd.nist.gov/rest/json/cves/2.0", "/rest/json/cves/2.0", "/cves/2.0",
     "https://services.nvd.nist.gov/rest/json/cves/2.0"),
    ("https://services.nvd.nist.gov/rest/json/", "/rest/json/cves/2.0", "/cves/2.0",
     "https://services.nvd.nist.gov/rest/json/cves/2.0"),
    ("http://127.0.0.1:8080", "/rest/json/cves/2.0", "/cves/2.0",
     "http://127.0.0.1:8080/rest/json/cves/2.0"),
    ("https://api.first.org/data/v1", "/data/v1/epss", "/epss", "https://api.first.org/data/v1/epss"),
    ("https://mirror.example/epss/", "/data/v1/epss", "/epss", "https://mirror.example/epss"),
    ("https://mirror.example", "/data/v1/epss", "/epss", "https://mirror.example/data/v1/epss"),
    ("https://mirror.example/kev.json", kev_mod.FEED_PATH, "", "https://mirror.example/kev.json"),
    ("https://www.cisa.gov", kev_mod.FEED_PATH, "", kev_mod.FEED_URL),
])
def test_endpoint_for_a_base_url(base, documented, tail, url):
    assert nvd_mod.endpoint(base, documented, tail) == url


def test_every_module_defines_exactly_one_provider():
    # What providers/registry.py requires of a module it loads.
    import inspect

    from sentinelx.enrichment.providers.base import Provider
    for module in (nvd_mod, epss_mod, kev_mod):
        own = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, Provider) and c is not Provider and c.__module__ == module.__name__]
        assert len(own) == 1 and own[0].SPEC.role == "cve"


def test_facts_carry_what_the_cve_badge_needs():
    # The core's policy builds "Critical 9.8 · Known exploited · EPSS 97th pct" from these.
    needs = [(nvd_mod.SPEC, {"cvss_score", "cvss_severity", "cvss_version"}),
             (kev_mod.SPEC, {"known_exploited", "date_added", "due_date", "ransomware"}),
             (epss_mod.SPEC, {"epss", "percentile"})]
    for spec, names in needs:
        props = json.loads(spec.facts_schema_path.read_text())["properties"]
        assert names <= set(props), spec.name
