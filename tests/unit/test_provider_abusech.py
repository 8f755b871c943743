"""What URLhaus, ThreatFox and MalwareBazaar share: SPEC, the Auth-Key, the HTTP-200 error
envelope, and hostile answers (generated) that must never become a verdict."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinelx.enrichment.models import BadResponse, EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers import abusech
from sentinelx.enrichment.providers.base import GENERIC_KEY, Provider
from sentinelx.enrichment.providers.malwarebazaar import MalwareBazaar
from sentinelx.enrichment.providers.threatfox import ThreatFox
from sentinelx.enrichment.providers.urlhaus import URLhaus
from tests.unit.abusech_support import KEY, cacheable, fx, ioc, make, resp, validator

PROVIDERS = [URLhaus, ThreatFox, MalwareBazaar]
SHA256 = "b325c92fa540edeb89b95dbfd4400c1cb33599c66859a87aead820e568a2ebe7"
# One IOC each provider takes, used where the type does not matter.
SAMPLE = {"urlhaus": ioc("url", "http://evil.test/a.exe"), "threatfox": ioc("ipv4", "139.180.203.104"),
          "malwarebazaar": ioc("sha256", SHA256)}
OK_BODY: dict[str, dict[str, Any]] = {"urlhaus": {"query_status": "ok", "url_status": "online"},
           "threatfox": {"query_status": "ok", "data": [{"ioc": "139.180.203.104:443",
                                                         "confidence_level": 75}]},
           "malwarebazaar": {"query_status": "ok", "data": [{"sha256_hash": SHA256}]}}


@pytest.mark.parametrize("cls", PROVIDERS)
def test_spec(cls: type[Provider]) -> None:
    spec = cls.SPEC
    assert spec.key == "required" and spec.key_pattern is None  # undocumented: generic rule
    assert spec.valid_key("a" * 48) and not spec.valid_key("short") and not spec.valid_key("a b" * 10)
    assert all(w in spec.key_hint for w in ("URLhaus", "ThreatFox", "MalwareBazaar"))
    assert spec.default_base_url.startswith("https://")
    assert (urlsplit(spec.default_base_url).hostname or "").endswith(".abuse.ch")
    assert set(spec.sends) == {t.value for t in spec.types}, "the preview must say what each type sends"
    assert spec.role == "verdict" and spec.docs.startswith("https://")
    jsonschema.Draft202012Validator.check_schema(json.loads(spec.facts_schema_path.read_text()))


def test_generic_key_rule_is_the_bases() -> None:
    assert URLhaus.SPEC.valid_key("x" * 16) and re.fullmatch(GENERIC_KEY, "x" * 16)
    assert not URLhaus.SPEC.valid_key("x" * 15) and not URLhaus.SPEC.valid_key("é" * 20)


@pytest.mark.parametrize("cls", PROVIDERS)
def test_request_carries_the_key_and_posts(cls: type[Provider]) -> None:
    p = make(cls)
    req = p.request(SAMPLE[p.name])
    assert req.method == "POST" and req.headers["Auth-Key"] == KEY
    assert req.url.startswith(cls.SPEC.default_base_url) and req.url.endswith("/")
    assert "Auth-Key" not in make(cls, key=None).request(SAMPLE[p.name]).headers
    verify = p.verify_key()
    assert verify is not None and verify.headers["Auth-Key"] == KEY
    # The key check looks up the empty file: nothing of the user's goes out.
    sent = json.dumps([verify.form, verify.json])
    assert abusech.EMPTY_MD5 in sent or abusech.EMPTY_SHA256 in sent


@pytest.mark.parametrize("cls", PROVIDERS)
def test_unsupported_types_and_bad_values_never_reach_the_wire(cls: type[Provider]) -> None:
    p = make(cls)
    err = p.check(ioc("cve", "CVE-2024-3094"))
    assert isinstance(err, EnrichmentError) and err.code is ErrorCode.UNSUPPORTED
    for t in sorted(cls.SPEC.types, key=str):
        bad = p.check(ioc(t.value, "not valid/../x y"))
        assert isinstance(bad, EnrichmentError) and bad.code is ErrorCode.BAD_REQUEST, t


@pytest.mark.parametrize("cls", PROVIDERS)
@pytest.mark.parametrize(("status", "code"), [
    (401, ErrorCode.AUTH), (403, ErrorCode.AUTH), (429, ErrorCode.RATE_LIMITED),
    (500, ErrorCode.SERVER_ERROR), (503, ErrorCode.SERVER_ERROR), (400, ErrorCode.BAD_REQUEST),
    (404, ErrorCode.BAD_RESPONSE),
])
def test_http_status_errors(cls: type[Provider], status: int, code: ErrorCode) -> None:
    p = make(cls)
    out = p.parse(SAMPLE[p.name], resp({"query_status": "unknown_auth_key"}, status))
    assert isinstance(out, EnrichmentError) and out.code is code
    assert out.provider == p.name and out.provider_code == "unknown_auth_key"


@pytest.mark.parametrize("cls", PROVIDERS)
def test_429_retry_after_becomes_retry_at(cls: type[Provider]) -> None:
    p = make(cls)
    out = p.parse(SAMPLE[p.name], resp(b"", 429, {"retry-after": "120"}))
    assert isinstance(out, EnrichmentError) and out.retry_at == "2023-11-14T22:15:20Z"
    date = p.parse(SAMPLE[p.name], resp(b"", 429, {"retry-after": "Tue, 14 Nov 2023 22:20:00 GMT"}))
    assert isinstance(date, EnrichmentError) and date.retry_at == "2023-11-14T22:20:00Z"
    junk = p.parse(SAMPLE[p.name], resp(b"", 429, {"retry-after": "soon"}))
    assert isinstance(junk, EnrichmentError) and junk.retry_at is None


@pytest.mark.parametrize("cls", PROVIDERS)
@pytest.mark.parametrize("status", ["unknown_auth_key", "unauthorized", "invalid_api_key"])
def test_http_200_key_errors(cls: type[Provider], status: str) -> None:
    p = make(cls)
    out = p.parse(SAMPLE[p.name], resp({"query_status": status}))
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.AUTH and out.provider_code == status


@pytest.mark.parametrize("cls", PROVIDERS)
def test_http_200_rate_limited(cls: type[Provider]) -> None:
    p = make(cls)
    out = p.parse(SAMPLE[p.name], resp({"query_status": "rate_limited"}))
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.RATE_LIMITED


@pytest.mark.parametrize("cls", PROVIDERS)
def test_the_key_never_travels_in_a_message(cls: type[Provider]) -> None:
    p = make(cls)
    for body in ({"query_status": f"unknown_auth_key {KEY}"}, {"query_status": KEY}):
        try:
            out = p.parse(SAMPLE[p.name], resp(body, 401))
        except BadResponse as e:  # pragma: no cover - 401 is always an error
            pytest.fail(str(e))
        assert isinstance(out, EnrichmentError) and KEY not in out.message + str(out.provider_code)


@pytest.mark.parametrize("cls", PROVIDERS)
@pytest.mark.parametrize("http", [200, 401, 403, 429])
def test_a_word_like_key_echoed_as_query_status_is_dropped(cls: type[Provider], http: int) -> None:
    """A hex key looks like a status word: the overlap check, not the word rule, must stop it."""
    key = "0123456789abcdef0123456789abcdef"
    p = make(cls, key=key)
    for status in (key, f"bad_{key}", key[:20]):
        try:
            out = p.parse(SAMPLE[p.name], resp({"query_status": status}, http))
        except BadResponse as e:
            assert key[:20] not in str(e)
            continue
        assert isinstance(out, EnrichmentError) and out.provider_code is None
        assert key[:20] not in out.message


@pytest.mark.parametrize("cls", PROVIDERS)
@pytest.mark.parametrize("body", [
    b"", b"<html>502 Bad Gateway</html>", b'{"query_status": "ok"', b"[]", b"null", b'"ok"',
    b'{"query_status": 1}', b'{"query_status": null}', b'{"status": "ok"}',
    b'{"query_status": "something_new"}', b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000,
])
def test_unusable_bodies_are_bad_responses(cls: type[Provider], body: bytes) -> None:
    p = make(cls)
    with pytest.raises(BadResponse):
        p.parse(SAMPLE[p.name], resp(body))


@pytest.mark.parametrize("cls", PROVIDERS)
def test_not_found_is_no_data_never_clean(cls: type[Provider]) -> None:
    p = make(cls)
    spelled = {"urlhaus": "no_results", "threatfox": "no_result", "malwarebazaar": "hash_not_found"}
    out = p.parse(SAMPLE[p.name], resp({"query_status": spelled[p.name]}))
    assert isinstance(out, Observation) and not out.found
    j = cacheable(p, SAMPLE[p.name], out)
    assert j.verdict is Verdict.NO_DATA and j.score == 0


@pytest.mark.parametrize("cls", PROVIDERS)
def test_each_service_spells_not_found_its_own_way(cls: type[Provider]) -> None:
    """Another service's spelling is not taken as not-found unless that service uses it."""
    p = make(cls)
    accepted = {"urlhaus": {"no_results"},
                "threatfox": {"no_result", "no_results", "hash_not_found"},
                "malwarebazaar": {"hash_not_found", "no_results"}}[p.name]
    for spelling in ("no_results", "no_result", "hash_not_found"):
        if spelling in accepted:
            out = p.parse(SAMPLE[p.name], resp({"query_status": spelling}))
            assert isinstance(out, Observation) and not out.found
        else:
            with pytest.raises(BadResponse):
                p.parse(SAMPLE[p.name], resp({"query_status": spelling}))


# --- generated hostile answers ---------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4),
    max_leaves=30,
)
# Values that are wrong for any field the providers read (text, count, list, or object).
WRONG: st.SearchStrategy[Any] = (st.booleans() | st.floats(allow_nan=True, allow_infinity=True)
         | st.integers(min_value=10**13, max_value=10**40) | st.integers(max_value=-1)
         | st.just([[[[]]]]) | st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2))


def _outcome_is_sound(p: Provider, body: bytes) -> None:
    """Any answer: a BadResponse, a typed error, or an Observation the engine can cache."""
    try:
        out = p.parse(SAMPLE[p.name], resp(body))
    except BadResponse:
        return
    if isinstance(out, EnrichmentError):
        assert out.code in set(ErrorCode)
        return
    assert isinstance(out, Observation)
    cacheable(p, SAMPLE[p.name], out)


@pytest.mark.parametrize("cls", PROVIDERS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=JSON)
def test_any_json_is_handled_soundly(cls: type[Provider], doc: object) -> None:
    _outcome_is_sound(make(cls), json.dumps(doc).encode())


@pytest.mark.parametrize("cls", PROVIDERS)
@settings(max_examples=150, deadline=None)
@given(extra=st.dictionaries(st.text(max_size=12), JSON, max_size=6))
def test_ok_answers_with_arbitrary_fields_are_handled_soundly(cls: type[Provider],
                                                            extra: dict[str, Any]) -> None:
    p = make(cls)
    body = {**OK_BODY[p.name], **extra, "query_status": "ok"}
    _outcome_is_sound(p, json.dumps(body).encode())


@pytest.mark.parametrize("cls", PROVIDERS)
@settings(max_examples=60, deadline=None)
@given(status=st.text(max_size=80))
def test_any_query_status_is_an_error_a_not_found_or_bad(cls: type[Provider], status: str) -> None:
    p = make(cls)
    try:
        out = p.parse(SAMPLE[p.name], resp({"query_status": status}))
    except BadResponse:
        return
    if isinstance(out, Observation):
        assert not out.found and p.judge(SAMPLE[p.name], out).verdict is Verdict.NO_DATA
        validator(p).validate(out.facts)
    else:
        assert out.code in (ErrorCode.AUTH, ErrorCode.RATE_LIMITED, ErrorCode.BAD_REQUEST)


@settings(max_examples=80, deadline=None)
@given(v=WRONG)
def test_readers_reject_wrong_types(v: object) -> None:
    for read in (abusech.opt_text, abusech.opt_num, abusech.tag_list):
        if read is abusech.opt_text and isinstance(v, str):
            continue
        with pytest.raises(BadResponse):
            read(v, "field")
    with pytest.raises(BadResponse):
        abusech.records(v if not isinstance(v, list) else [v], "rows")


def test_numbers_as_strings() -> None:
    assert abusech.opt_num("656896", "n") == 656896 and abusech.opt_num(12, "n") == 12
    assert abusech.opt_num(None, "n") is None and abusech.opt_num("", "n") is None
    for bad in ("12.5", "1e9", "-3", " 4", "9" * 16, "NaN", "Infinity", 12.0, True, 10**13):
        with pytest.raises(BadResponse):
            abusech.opt_num(bad, "n")


# --- parsed.json: the recorded shapes as the host parses them; the extension's renderer
# tests read this file, so a change in facts shows up here first. Regenerate with
# SENTINELX_REGEN_PARSED=1 after checking the difference. ---------------------------------

PARSED_CASES = {
    "urlhaus": [
        ("url_online", "url",
         "http://sskymedia.com/VMYB-ht_JAQo-gi/INV/99401FORPO/20673114777/US/Outstanding-Invoices/"),
        ("url_offline", "url", "http://45.61.49.78/razor/r4z0r.mips"), ("host_ip", "ipv4", "1.1.1.1"),
        ("host_abused_legit", "domain", "gist.github.com"), ("host_offline_domain", "domain", "vektorex.com"),
        ("payload", "md5", "12c8aec5766ac3e6f26f2505e2f4a8f2"), ("no_results", "url", "http://nope.test/"),
    ],
    "threatfox": [
        ("search_ioc_ip", "ipv4", "139.180.203.104"),
        ("search_ioc_domain_low", "domain", "update-check.example-cdn.net"),
        ("search_hash", "md5", "5b7e82e051ade4b14d163eea2a17bf8b"), ("no_result", "ipv4", "198.51.100.7"),
        ("illegal_search_term", "domain", "a.io"),
    ],
    "malwarebazaar": [("get_info", "sha256", SHA256), ("hash_not_found", "md5", "0" * 32)],
}


@pytest.mark.parametrize("cls", PROVIDERS)
def test_parsed_recorded_shapes_match_parsed_json(cls: type[Provider]) -> None:
    p, out = make(cls), {}
    for name, t, v in PARSED_CASES[cls.SPEC.name]:
        i = ioc(t, v)
        obs = p.parse(i, resp(fx(cls.SPEC.name, name)))
        assert isinstance(obs, Observation)
        j = cacheable(p, i, obs)
        out[name] = {"ioc": {"type": t, "value": v}, "found": obs.found, "facts": obs.facts,
                     "verdict": j.verdict.value, "summary": j.summary, "link": p.link(i, obs)}
    path = Path(__file__).resolve().parents[1] / "data" / "providers" / cls.SPEC.name / "parsed.json"
    if os.environ.get("SENTINELX_REGEN_PARSED"):
        path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    assert json.loads(path.read_text()) == out


ERROR_FIXTURES = {
    ("urlhaus", "invalid_url"): ErrorCode.BAD_REQUEST, ("urlhaus", "invalid_host"): ErrorCode.BAD_REQUEST,
    ("urlhaus", "http_post_expected"): ErrorCode.BAD_REQUEST, ("urlhaus", "unknown_auth_key"): ErrorCode.AUTH,
    ("threatfox", "illegal_hash"): ErrorCode.BAD_REQUEST, ("threatfox", "unknown_auth_key"): ErrorCode.AUTH,
    ("malwarebazaar", "illegal_hash"): ErrorCode.BAD_REQUEST,
    ("malwarebazaar", "unknown_auth_key"): ErrorCode.AUTH,
}


@pytest.mark.parametrize(("name", "fixture", "code"), [(*k, v) for k, v in ERROR_FIXTURES.items()])
def test_recorded_error_answers(name: str, fixture: str, code: ErrorCode) -> None:
    cls = next(c for c in PROVIDERS if c.SPEC.name == name)
    out = make(cls).parse(SAMPLE[name], resp(fx(name, fixture)))
    assert isinstance(out, EnrichmentError) and out.code is code
    assert out.provider_code == fx(name, fixture)["query_status"]


@pytest.mark.parametrize("cls", PROVIDERS)
def test_every_recorded_shape_is_tested(cls: type[Provider]) -> None:
    name = cls.SPEC.name
    folder = Path(__file__).resolve().parents[1] / "data" / "providers" / name
    on_disk = {p.stem for p in folder.glob("*.json")} - {"parsed"}
    covered = {f for f, *_ in PARSED_CASES[name]} | {f for (n, f) in ERROR_FIXTURES if n == name}
    assert on_disk == covered


@pytest.mark.parametrize("cls", PROVIDERS)
def test_facts_schema_ships_with_the_package(cls: type[Provider]) -> None:
    """install.sh does a plain (non-editable) pip install: the schema must be package data."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    rel = cls.SPEC.facts_schema_path.relative_to(root / "host" / "sentinelx").as_posix()
    assert any(fnmatch.fnmatch(rel, p) for p in patterns["sentinelx"])
