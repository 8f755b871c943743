"""IOCs named in an enrich or preview request's `iocs` list: the port is an input like any
other, so each value goes through the pipeline itself (its own refang, normalisers and
private rule) rather than a copy of its rules here. A value the pipeline does not find
whole keeps its trimmed form; providers' check() then refuses what they cannot take.
"""

from __future__ import annotations

from sentinelx.pipeline.classify import is_private
from sentinelx.pipeline.extract import extract_iocs
from sentinelx.pipeline.models import IOC, IOCType

MAX_REEXTRACT = 8192  # longer values are taken as given (the pipeline caps URLs too)


def normalise(ioc_type: IOCType, value: str) -> str:
    """The pipeline's normal form of `value` as an IOC of `ioc_type`, so cache keys agree."""
    v = value.strip()
    if not v or len(v) > MAX_REEXTRACT:
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
