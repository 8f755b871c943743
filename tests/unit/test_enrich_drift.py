"""One source of truth per fact: the schemas, the code and pong's capabilities agree, and
every registered provider is complete (facts schema, settings, key rule)."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator

from sentinelx import config
from sentinelx.enrichment.capabilities import capabilities
from sentinelx.enrichment.models import ErrorCode, Severity, Verdict
from sentinelx.enrichment.providers import registry
from sentinelx.enrichment.providers.base import GENERIC_KEY
from sentinelx.pipeline.models import IOCType
from sentinelx.protocol import validate

COMMON = validate._schemas().by_uri["https://schemas.sentinelx.invalid/common.json"]
DEFS = COMMON["$defs"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    for var in ("CONFIG", "CACHE", "LOG"):
        monkeypatch.setenv(f"SENTINELX_{var}_DIR", str(tmp_path / var.lower()))


CONTRACT_NAMES = {"virustotal", "urlhaus", "threatfox", "malwarebazaar", "abuseipdb",
                  "greynoise", "internetdb", "otx", "nvd", "epss", "kev", "misp"}


def test_ioc_types_agree_everywhere():
    assert DEFS["ioc_type"]["enum"] == [t.value for t in IOCType] == capabilities()["ioc_types"]


def test_enums_agree_with_the_code():
    assert set(DEFS["enrichment_error"]["properties"]["code"]["enum"]) == {c.value for c in ErrorCode}
    assert DEFS["verdict"]["enum"] == [v.value for v in Verdict]
    assert DEFS["severity"]["enum"] == [s.value for s in Severity]
    assert set(DEFS["skip_reason"]["enum"]) == {"private", "unsupported", "disabled",
                                                "never_send", "no_api_key"}


@pytest.mark.parametrize("name", registry.names())
def test_every_provider_is_complete(name):
    spec = registry.spec(name)
    assert name in CONTRACT_NAMES and re.fullmatch(r"[a-z0-9_]{1,32}", name)
    schema = json.loads(spec.facts_schema_path.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    assert set(spec.sends) <= {t.value for t in spec.types}
    assert {t.value for t in spec.types} <= set(spec.sends)  # the preview can say it all
    assert spec.role in DEFS["role"]["enum"]
    re.compile(spec.key_pattern or GENERIC_KEY)
    settings = config.load()
    for s in spec.settings:
        assert f"providers.{name}.{s}" in settings


def test_capabilities_fit_the_pong_schema():
    pong = {"id": "1", "type": "pong", "version": "x", "protocol": 2,
            "capabilities": capabilities()}
    assert validate.check("reply", pong) is None
