"""Private/reserved classification: such IOCs are shown, but never sent to a provider.

Input values are already normalised (lower-case hosts, compressed IPv6).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from sentinelx.pipeline.models import IOCType
from sentinelx.pipeline.tlds import PRIVATE_TLDS

# RFC 2606 / 6761 reserved second-level names, and the RFC 8375 home network zone.
_RESERVED_DOMAINS = frozenset({
    "example.com", "example.net", "example.org", "example.edu", "home.arpa", "localhost",
})
_RESERVED_SUFFIXES = tuple(sorted("." + d for d in _RESERVED_DOMAINS))  # one endswith() call


def is_private_ip(value: str) -> bool:
    """RFC 1918, loopback, link-local, documentation, CGNAT, multicast, reserved, unspecified."""
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    # `is_global` is False for every special-purpose block in the IANA registries (including
    # 100.64/10 CGNAT and 2001:db8::/32); multicast is excluded explicitly because a few
    # multicast scopes count as "global" there.
    return (not addr.is_global) or addr.is_multicast


def is_private_domain(value: str) -> bool:
    """Internal suffixes (.local, .internal, .lan, .corp, .test...), reserved names, and
    single-label hosts (`http://fileserver/`), which only resolve inside one network."""
    host = value.lower().rstrip(".")
    if "." not in host or host in _RESERVED_DOMAINS or host.rsplit(".", 1)[-1] in PRIVATE_TLDS:
        return True
    return host.endswith(_RESERVED_SUFFIXES)


def _url_host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _is_private_host(host: str) -> bool:
    if not host:
        return False
    if host[0].isdigit() or ":" in host:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return is_private_domain(host)
        return is_private_ip(host)
    return is_private_domain(host)


def is_private(ioc_type: IOCType, value: str) -> bool:
    """Whether an IOC of this type and normalised value points at private/reserved space."""
    if ioc_type in (IOCType.IPV4, IOCType.IPV6):
        return is_private_ip(value)
    if ioc_type is IOCType.DOMAIN:
        return is_private_domain(value)
    if ioc_type is IOCType.URL:
        return _is_private_host(_url_host(value))
    if ioc_type is IOCType.EMAIL:
        return is_private_domain(value.rpartition("@")[2])
    return False
