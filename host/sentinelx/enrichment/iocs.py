"""IOCs named in an enrich request's `iocs` list: normalise, and flag private ones here.

The extension normally sends values the pipeline produced, but the port is an input
like any other, so a private address must be caught even if it arrives unflagged.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from sentinelx.pipeline.models import IOC, IOCType

# Names that only mean something inside one network (RFC 6761/6762/8375 and habit).
PRIVATE_SUFFIXES = (".local", ".internal", ".lan", ".localhost", ".localdomain",
                    ".home.arpa", ".intranet", ".corp", ".home", ".private", ".test",
                    ".example", ".invalid", ".in-addr.arpa", ".ip6.arpa")
_DOC_NETS = tuple(ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "100.64.0.0/10"))


def ip_is_private(value: str) -> bool:
    try:
        ip = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
            or ip.is_multicast or ip.is_unspecified or any(ip in n for n in _DOC_NETS
                                                           if n.version == ip.version))


def host_is_private(host: str) -> bool:
    host = host.lower().rstrip(".")
    if ip_is_private(host):
        return True
    return "." not in host or any(("." + host).endswith(s) for s in PRIVATE_SUFFIXES)


def is_private(ioc_type: IOCType, value: str) -> bool:
    if ioc_type in (IOCType.IPV4, IOCType.IPV6):
        return ip_is_private(value)
    if ioc_type is IOCType.DOMAIN:
        return host_is_private(value)
    if ioc_type is IOCType.EMAIL:
        return host_is_private(value.rpartition("@")[2])
    if ioc_type is IOCType.URL:
        try:
            host = urlsplit(value).hostname
        except ValueError:
            return False
        return bool(host) and host_is_private(host)
    return False


def normalise(ioc_type: IOCType, value: str) -> str:
    """The pipeline's normal form for the value (DESIGN.md), so cache keys agree."""
    v = value.strip()
    if ioc_type in (IOCType.IPV4, IOCType.IPV6):
        try:
            return ipaddress.ip_address(v).compressed
        except ValueError:
            return v
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


def with_private_check(ioc: IOC) -> IOC:
    """Keep the pipeline's flag, and add ours: either one saying private wins."""
    if ioc.private or not is_private(ioc.type, ioc.value):
        return ioc
    return IOC(ioc.type, ioc.value, ioc.raw, ioc.offset, True)
