"""Validate and normalise IP address candidates with the stdlib `ipaddress` module."""

from __future__ import annotations

import ipaddress
import re

# "version 1.2.3.4", "build 10.0.1.2", "v 1.2.3.4", "ProductVersion: 1.0.0.1",
# `"version": "1.4.2.0"`, "section 4.2.1.3": a version or section number, not a host.
_VERSION_BEFORE = re.compile(
    r"(?:version|\bver\.?|\bbuild|\brelease|\brev\.?|\bv|\bsection|\bsect?\.|\u00a7)"
    r"[\"' :=]*\Z",
    re.IGNORECASE)


def normalise_ipv4(raw: str, *, before: str, after: str) -> str | None:
    """Canonical dotted quad, or None for non-addresses (octet > 255, leading zeros, versions).

    `before` is up to 16 characters of text before the candidate, `after` the two after it.
    """
    parts = raw.split(".")
    if len(parts) != 4:
        return None
    for p in parts:
        # Leading zeros are octal to some parsers and a version/date to most readers.
        if (len(p) > 1 and p[0] == "0") or int(p) > 255:
            return None
    # 1.2.3.4-beta / 1.2.3.4-rc1 are versions; 1.2.3.4-1.2.3.9 is a range and stays.
    if after[:1] == "-" and after[1:2].isalpha():
        return None
    if _VERSION_BEFORE.search(before):
        return None
    # User agents and product tokens: Chrome/120.0.0.0, Firefox/1.2.3.4.
    if before[-1:] == "/" and before[-2:-1].isalpha():
        return None
    return raw


def normalise_ipv6(raw: str) -> str | None:
    """Compressed lower-case IPv6 (zone id dropped), or None if `raw` is not an IPv6 address."""
    candidate = raw.split("%", 1)[0]
    # `a[1::2]` slices and `::` alone are not addresses; `::1` (loopback) is.
    if len(candidate) < 6 and candidate != "::1":
        return None
    if candidate.count(":") < 2:
        return None
    try:
        addr = ipaddress.IPv6Address(candidate)
    except ValueError:
        return None
    if addr.ipv4_mapped is not None:  # RFC 5952 section 5: keep the dotted quad readable
        return f"::ffff:{addr.ipv4_mapped}"
    return addr.compressed
