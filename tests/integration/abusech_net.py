"""Real-socket cases every abuse.ch provider must pass against its local fake, through
`base.lookup` and `SafeHttp(allowlist([fake.base_url]))`: the same path as production.

A test module subclasses `TransportCases` and provides the fixtures `fake` (a started fake
with `seed()` done for `found_ioc`), `cls`, `found_ioc`, `missing_ioc` and `fake_cls`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema

from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Verdict
from sentinelx.enrichment.providers.base import Provider, ProviderContext, RetryPolicy, lookup
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.abusech import AbuseChFake

KEY = "abusech-test-key-0123456789"
FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)


def ioc(t: str, v: str) -> IOC:
    return IOC(IOCType(t), v, v, 0)


def provider(cls: type[Provider], fake: AbuseChFake, *, key: str | None = KEY,
             read_timeout: float = 10.0, allowed: list[str] | None = None, **cfg: Any) -> Provider:
    http = SafeHttp(allowlist(allowed if allowed is not None else [fake.base_url]),
                    timeout=(5.0, read_timeout))
    return cls(ProviderContext(fake.base_url, key, cfg, http, time.time, Path("/nonexistent")))


def run(p: Provider, i: IOC) -> Observation | EnrichmentError:
    return lookup(p, i, retry=FAST)


def found(p: Provider, i: IOC) -> Observation:
    out = run(p, i)
    assert isinstance(out, Observation) and out.found, out
    schema = json.loads(p.SPEC.facts_schema_path.read_text())
    jsonschema.Draft202012Validator(schema).validate(out.facts)  # what the engine checks
    json.dumps(out.facts, allow_nan=False)
    return out


def failed(p: Provider, i: IOC, code: ErrorCode) -> EnrichmentError:
    out = run(p, i)
    assert isinstance(out, EnrichmentError) and out.code is code, out
    assert KEY not in out.message and KEY not in str(out.provider_code)
    return out


class TransportCases:
    def test_found_over_the_wire(self, fake: AbuseChFake, cls: type[Provider], found_ioc: IOC) -> None:
        p = provider(cls, fake)
        obs = found(p, found_ioc)
        assert p.judge(found_ioc, obs).verdict in (Verdict.MALICIOUS, Verdict.SUSPICIOUS)
        req, = fake.requests
        assert req.method == "POST" and req.headers["auth-key"] == KEY
        assert req.headers["accept"] == "application/json"

    def test_not_found_is_no_data(self, fake: AbuseChFake, cls: type[Provider], missing_ioc: IOC) -> None:
        p = provider(cls, fake)
        out = run(p, missing_ioc)
        assert isinstance(out, Observation) and not out.found
        assert p.judge(missing_ioc, out).verdict is Verdict.NO_DATA

    def test_no_key_is_401_auth(self, fake: AbuseChFake, cls: type[Provider], found_ioc: IOC) -> None:
        failed(provider(cls, fake, key=None), found_ioc, ErrorCode.AUTH)
        assert "auth-key" not in fake.requests[0].headers and len(fake.requests) == 1

    def test_wrong_key_however_it_is_answered(self, fake: AbuseChFake, cls: type[Provider],
                                              found_ioc: IOC) -> None:
        for mode in ("401", "403", "200"):
            fake.bad_key = mode
            err = failed(provider(cls, fake, key="wrong-key-" + "x" * 20), found_ioc, ErrorCode.AUTH)
            assert err.provider_code == "unknown_auth_key", mode
        assert len(fake.requests) == 3, "a key error is never retried"

    def test_429_pauses_without_retry(self, fake: AbuseChFake, cls: type[Provider], found_ioc: IOC) -> None:
        fake.program("status", status=429, headers={"Retry-After": "30"},
                     body={"query_status": "rate_limited"})
        before = time.time()
        err = failed(provider(cls, fake), found_ioc, ErrorCode.RATE_LIMITED)
        assert err.retry_at is not None and err.retry_at >= time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                          time.gmtime(before + 29))
        assert len(fake.requests) == 1

    def test_http_200_rate_limited(self, fake: AbuseChFake, cls: type[Provider], found_ioc: IOC) -> None:
        fake.program("body", body={"query_status": "rate_limited"})
        failed(provider(cls, fake), found_ioc, ErrorCode.RATE_LIMITED)

    def test_a_5xx_is_retried_then_answers(self, fake: AbuseChFake, cls: type[Provider],
                                           found_ioc: IOC) -> None:
        fake.program("status", status=502, body=b"<html>Bad Gateway</html>")
        found(provider(cls, fake), found_ioc)
        assert len(fake.requests) == 2

    def test_a_5xx_that_stays(self, fake: AbuseChFake, cls: type[Provider], found_ioc: IOC) -> None:
        fake.program("status", status=503, times=5)
        failed(provider(cls, fake), found_ioc, ErrorCode.SERVER_ERROR)
        assert len(fake.requests) == 3

    def test_redirects_are_never_followed(self, fake: AbuseChFake, fake_cls: type[AbuseChFake],
                                          cls: type[Provider], found_ioc: IOC) -> None:
        with fake_cls(api_key=KEY) as elsewhere:
            fake.program("redirect", status=307, location=elsewhere.base_url + "/")
            failed(provider(cls, fake), found_ioc, ErrorCode.REDIRECT)
            assert elsewhere.requests == [], "the Auth-Key must not travel to another host"

    def test_huge_answers_are_cut(self, fake: AbuseChFake, cls: type[Provider], found_ioc: IOC) -> None:
        fake.program("huge", size=2_000_000)
        failed(provider(cls, fake), found_ioc, ErrorCode.TOO_LARGE)
        fake.program("huge", size=2_000_000, chunked=True)
        failed(provider(cls, fake), found_ioc, ErrorCode.TOO_LARGE)

    def test_malformed_bodies(self, fake: AbuseChFake, cls: type[Provider], found_ioc: IOC) -> None:
        for body in (b"<html>maintenance</html>", b'{"query_status": "ok", "da', b"[1, 2]",
                     b'{"query_status": "ok", "data": "yes", "url_status": 7, "urls": 1}'):
            fake.program("body", body=body)
            err = failed(provider(cls, fake), found_ioc, ErrorCode.BAD_RESPONSE)
            assert err.message.startswith(f"unusable answer from {cls.SPEC.label}")

    def test_slow_answers_time_out(self, fake: AbuseChFake, cls: type[Provider], found_ioc: IOC) -> None:
        fake.program("slow", delay=1.5)
        failed(provider(cls, fake, read_timeout=0.3), found_ioc, ErrorCode.TIMEOUT)

    def test_only_the_allowlisted_host(self, fake: AbuseChFake, cls: type[Provider], found_ioc: IOC) -> None:
        p = provider(cls, fake, allowed=["https://urlhaus-api.abuse.ch/v1"])
        failed(p, found_ioc, ErrorCode.FORBIDDEN_HOST)
        assert fake.requests == []
