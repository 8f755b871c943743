"""Typed IOC matching inside one window of refanged text.

A single alternation, tried left to right at each position, decides what a span is; the
order (URL, email, IPv6, IPv4, hash, CVE, domain) makes the most specific reading win, so
`http://evil.com/a` is one URL, not a URL plus a domain. Quantifiers are possessive and every
alternative starts behind a negative look-behind, so no position is re-read more than a
bounded number of times: no catastrophic backtracking on runs of dots, hex or brackets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from sentinelx.pipeline.addresses import normalise_ipv4, normalise_ipv6
from sentinelx.pipeline.domains import looks_like_domain
from sentinelx.pipeline.models import IOCType
from sentinelx.pipeline.refang import Refanged
from sentinelx.pipeline.tlds import known_tlds
from sentinelx.pipeline.urls import normalise_url, trim_url

_DASHES = "-_\u2010-\u2015"
# Where a URL stops: whitespace (ASCII and Unicode), quotes, angle brackets, pipes.
_URL_STOP = (r"\s\u00a0\u2000-\u200a\u2028\u2029\u202f\u205f\u3000<>\"'`{}|^"
             "\u201c\u201d\u2018\u2019\u00ab\u00bb\u2026")

_IOC_RE = re.compile(
    rf"""
      (?P<url> (?<![\w+.-]) [a-z][a-z0-9+*_.-]{{1,11}} : (?: // | \\\\ ) [^{_URL_STOP}]++ )
    | (?P<email> (?<![\w.%+-]) [a-z0-9_%+-] (?: [a-z0-9_%+-] | \.(?=[a-z0-9_%+-]) )*+
                 @ [a-z0-9-]++ (?: \.[a-z0-9-]++ )++ )
    | (?P<ipv6> (?<![\w:.]) (?: [0-9a-f]{{1,4}} | (?=::) ) (?: :[0-9a-f]{{0,4}} ){{2,7}}
                (?: \.[0-9]{{1,3}} ){{0,3}} (?: %[0-9a-z._-]+ )? )
    | (?P<ipv4> (?<![\w.]) (?: [0-9]{{1,3}}\. ){{3}} [0-9]{{1,3}} (?! \w | \.[0-9] ) )
        (?: /[^\s<>"'`]*+ )?
    | (?P<hash> (?<![0-9a-z]) [0-9a-f]{{32,}}+ (?![0-9a-z]) )
    | (?P<cve> (?<![0-9a-z]) cve [{_DASHES}] (?:19|20)[0-9]{{2}} [{_DASHES}] [0-9]{{4,7}} (?![0-9]) )
    | (?P<domain> (?<![\w.@%+-]) (?: [a-z0-9_-]++ \. (?=[a-z0-9_-]) )++
                  (?: xn--[a-z0-9-]++ | [a-z]{{2,63}}+ ) (?![\w-]) )
        (?: [/?#][^\s<>"'`]*+ )?
    """,
    re.ASCII | re.IGNORECASE | re.VERBOSE,
)
_HASH_TYPES = {32: IOCType.MD5, 40: IOCType.SHA1, 64: IOCType.SHA256}
# Hashes inside a URL (virustotal.com/gui/file/<sha256>): the file is the subject of the link.
_URL_HASH_RE = re.compile(r"(?<![0-9a-z])[0-9a-f]{32,64}+(?![0-9a-z])", re.ASCII | re.IGNORECASE)


class Hit(NamedTuple):
    """A validated, normalised match; start/end index the REFANGED text."""

    type: IOCType
    value: str
    start: int
    end: int


def _defanged(ref: Refanged, start: int, end: int) -> bool:
    o_start, o_end = ref.to_original(start, end)
    return ref.original[o_start:o_end] != ref.text[start:end]


def _url(ref: Refanged, m: re.Match[str]) -> tuple[Hit | None, int]:
    start = m.start()
    candidate = trim_url(m.group())
    end = start + len(candidate)
    value = normalise_url(candidate)
    if value is None:
        return None, m.end()
    return Hit(IOCType.URL, value, start, end), end


def _email(ref: Refanged, m: re.Match[str]) -> Hit | None:
    value = m.group().lower()
    local, _, host = value.partition("@")
    if local.endswith(".") or host.rsplit(".", 1)[-1] not in known_tlds():
        return None
    if any(not label or label[0] == "-" or label[-1] == "-" for label in host.split(".")):
        return None
    return Hit(IOCType.EMAIL, value, m.start(), m.end())


def _ipv6(ref: Refanged, m: re.Match[str]) -> Hit | None:
    raw, start = m.group(), m.start()
    value = normalise_ipv6(raw)
    if value is None and raw.endswith(":") and not raw.endswith("::"):
        raw = raw[:-1]  # "fe80::1:" at the end of a clause
        value = normalise_ipv6(raw)
    if value is None:
        return None
    return Hit(IOCType.IPV6, value, start, start + len(raw))


def _ipv4(ref: Refanged, m: re.Match[str]) -> Hit | None:
    text, start, end = ref.text, m.start("ipv4"), m.end("ipv4")
    value = normalise_ipv4(m.group("ipv4"), before=text[max(0, start - 16):start],
                           after=text[end:end + 2])
    if value is None:
        return None
    return Hit(IOCType.IPV4, value, start, end)


def _hash(ref: Refanged, m: re.Match[str]) -> Hit | None:
    raw = m.group()
    kind = _HASH_TYPES.get(len(raw))
    if kind is None or raw.isdigit():  # wrong length, or a long decimal number
        return None
    return Hit(kind, raw.lower(), m.start(), m.end())


def _hashes_in(text: str, start: int, end: int) -> Iterator[Hit]:
    for h in _URL_HASH_RE.finditer(text, start, end):
        kind = _HASH_TYPES.get(h.end() - h.start())
        if kind is not None and not h.group().isdigit():
            yield Hit(kind, h.group().lower(), h.start(), h.end())


def _cve(ref: Refanged, m: re.Match[str]) -> Hit:
    raw = m.group()
    value = f"CVE-{raw[4:8]}-{raw[9:]}"
    return Hit(IOCType.CVE, value, m.start(), m.end())


def _domain(ref: Refanged, m: re.Match[str]) -> Hit | None:
    text, start, end = ref.text, m.start("domain"), m.end("domain")
    raw = m.group("domain")
    if not looks_like_domain(raw, defanged=_defanged(ref, start, end),
                             before=text[start - 1:start], after=text[end:end + 1]):
        return None
    return Hit(IOCType.DOMAIN, raw.lower(), start, end)


_SIMPLE = {"email": _email, "ipv6": _ipv6, "ipv4": _ipv4, "hash": _hash, "cve": _cve,
           "domain": _domain}


def iocs_in_window(ref: Refanged, start: int, end: int) -> Iterator[Hit]:
    """Every IOC in ref.text[start:end], left to right (duplicates included)."""
    text = ref.text
    pos = start
    while pos < end:
        m = _IOC_RE.search(text, pos, end)
        if m is None:
            return
        kind = m.lastgroup
        if kind == "url":
            hit, pos = _url(ref, m)
            if hit is not None:
                yield hit
                hit = None
                yield from _hashes_in(text, m.start(), pos)
        else:
            hit, pos = _SIMPLE[kind](ref, m), m.end()  # type: ignore[index]
            if hit is None and kind == "domain":
                # Rejected dotted names (Exploit.MSOffice.CVE-2017-11882.gen, sample_<md5>.exe)
                # may still hold a CVE or hash: rescan them. Look-behinds stop every branch
                # but hash/CVE from starting inside the name, so this stays linear.
                pos = m.start() + 1
        if hit is not None:
            yield hit
