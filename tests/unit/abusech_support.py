"""Shared helpers for the abuse.ch provider unit tests: a provider with a context that does
no I/O, answers built from the recorded shapes, and the facts-schema check the engine does."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema

from sentinelx.enrichment.http import HttpResponse, SafeHttp
from sentinelx.enrichment.models import Judgement, Observation
from sentinelx.enrichment.providers.base import Provider, ProviderContext
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.abusech import fixture

KEY = "abusech-unit-key-0123456789abcdef"


def make(cls: type[Provider], key: str | None = KEY, **settings: Any) -> Provider:
    ctx = ProviderContext(cls.SPEC.default_base_url, key, settings, SafeHttp(frozenset()),
                          lambda: 1_700_000_000.0, Path("/nonexistent"))
    return cls(ctx)


def ioc(t: str, v: str) -> IOC:
    return IOC(IOCType(t), v, v, 0)


def resp(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, raw, "application/json", headers or {})


def fx(provider: str, name: str) -> Any:
    return fixture(provider, name)


def validator(p: Provider) -> jsonschema.Draft202012Validator:
    schema = json.loads(Path(p.SPEC.facts_schema_path).read_text())
    return jsonschema.Draft202012Validator(schema)


def cacheable(p: Provider, i: IOC, obs: Observation) -> Judgement:
    """What the engine checks before caching: schema-valid, finite JSON; and the verdict
    is the same after a round trip through the cache (judge is pure from facts)."""
    validator(p).validate(obs.facts)
    text = json.dumps(obs.facts, allow_nan=False)
    again = Observation(obs.provider, obs.found, json.loads(text), time.time())
    first = p.judge(i, obs)
    assert p.judge(i, again) == first
    return first

