"""IOCs named in an enrich or preview request's `iocs` list: the port is an input like any
other, so each value goes through the pipeline itself (its own refang, normalisers and
private rule) rather than a copy of its rules here. A value the pipeline does not find
whole keeps its trimmed form; providers' check() then refuses what they cannot take.
"""

from __future__ import annotations

from collections.abc import Iterable

from sentinelx.pipeline.classify import is_private
from sentinelx.pipeline.extract import extract_iocs
from sentinelx.pipeline.models import IOC, IOCType

MAX_REEXTRACT = 8192  # longer values are taken as given (the pipeline caps URLs too)

# Values this process's pipeline just produced, as (type, value): already in normal form
# (the pipeline is idempotent on its own output; tests/unit/test_enrich_iocs_normal.py), so a
# preview or enrich of a page's IOCs skips re-extracting each one (~35 us a value: 0.35 s at
# 10,000). Bounded: a flood of extractions cannot grow it past _PRODUCED_MAX.
_PRODUCED: set[tuple[str, str]] = set()
_PRODUCED_MAX = 200_000


def remember(iocs: Iterable[IOC]) -> None:
    """Note the values an `extract` reply is about to carry."""
    fresh = [(ioc.type.value, ioc.value) for ioc in iocs]
    if len(_PRODUCED) + len(fresh) > _PRODUCED_MAX:
        _PRODUCED.clear()
    _PRODUCED.update(fresh[:_PRODUCED_MAX])


def normalise(ioc_type: IOCType, value: str) -> str:
    """The pipeline's normal form of `value` as an IOC of `ioc_type`, so cache keys agree."""
    v = value.strip()
    if (ioc_type.value, v) in _PRODUCED or not v or len(v) > MAX_REEXTRACT:
        return v
    whole = {v, v.rstrip(".")}  # a domain's root dot is not part of what the pipeline matches
    for ioc in extract_iocs(v):
        if ioc.type is ioc_type and ioc.offset == 0 and ioc.raw in whole:
            return ioc.value
    return v


def from_ref(ref: dict[str, str]) -> IOC:
    ioc_type = IOCType(ref["type"])
    value = normalise(ioc_type, ref["value"]) or ref["value"]
    return IOC(ioc_type, value, raw=ref["value"], offset=0, private=is_private(ioc_type, value))
