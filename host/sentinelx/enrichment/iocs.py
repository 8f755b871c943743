"""IOCs named in an enrich request's `iocs` list: normalise and classify them again.

The extension normally sends values the pipeline produced, but the port is an input like
any other, so values get the pipeline's normal form and its private check here too.
"""

from __future__ import annotations

import ipaddress

from sentinelx.pipeline.addresses import normalise_ipv6
from sentinelx.pipeline.classify import is_private
from sentinelx.pipeline.models import IOC, IOCType
from sentinelx.pipeline.urls import normalise_url


def normalise(ioc_type: IOCType, value: str) -> str:
    """The pipeline's normal form for the value (DESIGN.md), so cache keys agree."""
    v = value.strip()
    if ioc_type is IOCType.IPV4:
        try:
            return str(ipaddress.IPv4Address(v))
        except ValueError:
            return v
    if ioc_type is IOCType.IPV6:
        return normalise_ipv6(v) or v
    if ioc_type is IOCType.URL:
        return normalise_url(v) or v
    if ioc_type in (IOCType.DOMAIN, IOCType.EMAIL):
        return v.lower().rstrip(".")
    if ioc_type in (IOCType.MD5, IOCType.SHA1, IOCType.SHA256):
        return v.lower()
    if ioc_type is IOCType.CVE:
        return v.upper()
    return v


def from_ref(ref: dict[str, str]) -> IOC:
    ioc_type = IOCType(ref["type"])
    value = normalise(ioc_type, ref["value"]) or ref["value"]
    return IOC(ioc_type, value, raw=ref["value"], offset=0, private=is_private(ioc_type, value))
