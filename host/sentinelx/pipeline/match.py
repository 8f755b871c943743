"""Typed IOC matching inside one window of refanged text.

A single alternation, tried left to right at each position, decides what a span is; the
order (URL, email, IPv6, IPv4, hash, CVE, domain) makes the most specific reading win, so
`http://evil.com/a` is one URL, not a URL plus a domain. Quantifiers are possessive and every
alternative starts behind a negative look-behind, so no position is re-read more than a
bounded number of times: no catastrophic backtracking on runs of dots, hex or brackets.
"""

from __future__ import annotations

import encodings.idna
import re
from bisect import bisect_right
from collections.abc import Iterator
from typing import NamedTuple

from sentinelx.pipeline.addresses import normalise_ipv4, normalise_ipv6
from sentinelx.pipeline.domains import COMMON_TLDS, FILE_EXT_TLDS, looks_like_domain
from sentinelx.pipeline.models import IOCType
from sentinelx.pipeline.refang import Refanged
from sentinelx.pipeline.tlds import known_tlds
from sentinelx.pipeline.urls import normalise_url, url_end

_DASHES = "-_\u2010-\u2015"
# Where a URL stops: whitespace (ASCII and Unicode), quotes, angle brackets, pipes.
_URL_STOP = (r"\s\u00a0\u2000-\u200a\u2028\u2029\u202f\u205f\u3000<>\"'`{}|^"
             "\u201c\u201d\u2018\u2019\u00ab\u00bb\u2026")

# E-mail local parts: RFC 5322 atext, Unicode letters (`gómez@`), at most 64 characters (which
# also bounds how far a failed match reads). A dotted local part (`first.last`) may not use the
# rarer signs, so `example.com/?u=a@b.com` is not one long address.
_ATEXT = r"\w%+=#!$&*?^~/-"
# A host label of an e-mail, in any script; it neither starts nor ends with a dash (`-----`
# round an address is decoration).
_LABEL = r"[^\W_] (?:[\w-]*[^\W_])?"
# A host name. It may start after a lone dot or dash (`([.]evil[.]com)`, `</b>.evil.com`,
# `-evil.com` at the start of a line) or AsciiDoc's passthrough plus signs (`+evil.com+`,
# `++evil.com++`), but never inside a longer name, e-mail or IP (`a+b.com` is a local part or
# an expression).
_DOMAIN = r"""
    (?P<domain> (?<![\w@%]) (?<![\w.@%-]\+) (?<![\w.@%+-]\+\+) (?<![\w.@%+-]\.) (?<![^\s]-)
                (?: [a-z0-9_-]++ \. (?=[a-z0-9_-]) )++
                (?: xn--[a-z0-9-]++ | [a-z]{2,63}+ ) (?![\w-]) )
"""
_IOC_RE = re.compile(
    rf"""
      (?P<url> (?<![\w.-]) (?<![\w.-]\+) (?<![\w.+-]\+\+)
               (?: [a-z][a-z0-9+*_.-]{{1,15}} : (?: // | \\\\ | __ ) | h[a-z0-9*_]{{2}}ps?(?:__|//) )
               (?=[^{_URL_STOP}]) )
    | (?P<email> (?u: (?<![\w.%+]) \w [\w%+-]{{0,63}}+
                      (?: (?: \.[\w%+-]++ )++ | [=#!$&*?^~/] [{_ATEXT}]{{0,63}}+ )? )
                 @ (?: \[ (?:ipv6:)? [0-9a-f:.]{{2,45}}+ \]
                     | (?u: {_LABEL} (?: \.{_LABEL} )++ ) ) )
    | (?P<ipv6> (?<![\w:]) (?<!\w\.) (?: [0-9a-f]{{1,4}} | (?=::) ) (?: :[0-9a-f]{{0,4}} ){{2,7}}+
                (?: \.[0-9]{{1,3}} ){{0,3}}+ (?: %[0-9a-z._-]++ )? (?! [0-9a-z] | :[0-9a-z:] ) )
    | (?P<ipv4> (?<!\w) (?<![^.]\.) (?<!^\.) (?: [0-9]{{1,3}}\. ){{3}} [0-9]{{1,3}} (?! \w | \.\w ) )
    | (?P<hash> (?<![0-9a-z]) [0-9a-f]{{32,}}+ (?![0-9a-z]) )
    | (?P<cve> (?<![0-9a-z]) cve [{_DASHES}] (?:19|20)[0-9]{{2}} [{_DASHES}] [0-9]{{4,7}} (?![0-9]) )
    | (?P<cve_spaced> (?<=cve[ \u00a0]) (?<![0-9a-z]cve[ \u00a0])       # `CVE 2014-1001`: starts at the
                      (?:19|20)[0-9]{{2}} [{_DASHES}] [0-9]{{4,7}} (?![0-9]) )  # year, its own token
    | {_DOMAIN}
    """,
    re.ASCII | re.IGNORECASE | re.VERBOSE,
)
# The domain branch alone, for a hex run that turned out to be a label.
_DOMAIN_RE = re.compile(_DOMAIN, re.ASCII | re.IGNORECASE | re.VERBOSE)
_HASH_TYPES = {32: IOCType.MD5, 40: IOCType.SHA1, 64: IOCType.SHA256}
# The `(?: /...)?` tails of the ipv4 and domain branches swallow a scheme-less path (so
# `evil.com/a/b.php` is one host), up to a comma or semicolon (`10.0.0.0/8,172.16.0.0/12`).
# Hashes and CVEs inside a URL (virustotal.com/gui/file/<sha256>, nvd.nist.gov/vuln/detail/
# CVE-...): the file or the vulnerability is the subject of the link.
_URL_INNER_RE = re.compile(
    rf"(?<![0-9a-z])(?:(?P<hash>[0-9a-f]{{32,64}}+)"
    rf"|(?P<cve>cve[{_DASHES}](?:19|20)[0-9]{{2}}[{_DASHES}][0-9]{{4,7}}+))(?![0-9a-z])",
    re.ASCII | re.IGNORECASE,
)
# The host of a URL: an IP literal there is an indicator of its own (VT looks IPs up apart from
# URLs). The scheme was checked by the URL branch, so this only looks past `://`.
_URL_HOST_RE = re.compile(r"(?:[^:/\\]*+:(?://|\\\\|__)|h[a-z0-9*_]{2}ps?(?://|__))(?:[^/?#\\@\s]*+@)?+"
                          r"(?:\[(?P<v6>[0-9a-f:.]++)\]|(?P<v4>[0-9.]++)(?![^:/?#\\]))",
                          re.ASCII | re.IGNORECASE)


class Hit(NamedTuple):
    """A validated, normalised match; start/end index the REFANGED text."""

    type: IOCType
    value: str
    start: int
    end: int


def _original(ref: Refanged, start: int, end: int) -> str:
    o_start, o_end = ref.to_original(start, end)
    return ref.original[o_start:o_end]


def _written(ref: Refanged, start: int, end: int) -> tuple[bool, bool]:
    """(defanged, spaced) for a span: whether the analyst wrote brackets, words or escapes
    there (`evil[.]com`), or only spaces (`evil . com`), which prove nothing: prose has them."""
    i = bisect_right(ref.r_starts, end) - 1
    if i < 0 or ref.r_ends[i] < start:  # no replacement in or next to the span
        return False, False
    now = ref.text[start:end]
    original = _original(ref, start, end)
    if original == now:
        return False, False
    spaced = original.replace(" ", "").replace("\t", "") == now
    return not spaced, spaced


def _defanged(ref: Refanged, start: int, end: int) -> bool:
    return _written(ref, start, end)[0]


# The body of a URL runs to the next stop character. The url branch of _IOC_RE matches only
# the scheme (a bounded prefix); the body's end is found with this and cached per window, so
# a URL cut short by a bracket or comma does not make the next one re-read the same body.
_URL_BODY_RE = re.compile(rf"[^{_URL_STOP}]*+")


def _url(ref: Refanged, m: re.Match[str], body_end: int) -> tuple[Hit | None, int]:
    text, start = ref.text, m.start()
    end = url_end(text, start, body_end, csv_field=text[start - 1:start] == ",")
    value = normalise_url(text[start:end]) if end > m.end() else None
    if value is None:  # junk: skip its whole body, as one token
        return None, body_end
    return Hit(IOCType.URL, value, start, end), end


def _tld_known(tld: str) -> bool:
    """A TLD of the root zone, also when written in Unicode (`.商務`, `.рф`)."""
    low = tld.lower()
    if low in known_tlds():
        return True
    if low.isascii():
        return False
    try:
        return encodings.idna.ToASCII(low).decode("ascii") in known_tlds()
    except UnicodeError:
        return False


# Mail headers whose `<local@host>` is a message identifier, not an address.
_MSGID_HEADER_RE = re.compile(r"(?:message-id|in-reply-to|references|content-id)[ \t]*:\s*\Z",
                              re.IGNORECASE)


def _email(ref: Refanged, m: re.Match[str]) -> list[Hit]:
    """The address, plus its host when that is an IP literal (`root@203.0.113.7`)."""
    start, end = m.start(), m.end()
    if ref.text[start - 1:start] == "<" and _MSGID_HEADER_RE.search(
            ref.text, max(0, start - 40), start - 1):
        return []  # `Message-ID: <uuid@mail.host>` names a message, not a mailbox
    local, _, host = m.group().lower().rpartition("@")
    # A certificate subject: `CN=x/emailAddress=a@b.com`, `E=a@b.com`: the attribute is not
    # part of the address.
    attr = max(local.rfind("emailaddress="), local.rfind("/e=") + 1 if "/e=" in local else -1)
    if attr >= 0 or local.startswith("e="):
        cut = local.index("=", attr if attr >= 0 else 0) + 1
        local, start = local[cut:], start + cut
        if not local:
            return []
    if host.startswith("["):
        inner = host[1:-1]
        if inner.startswith("ipv6:"):
            v6 = normalise_ipv6(inner[5:])
            return [Hit(IOCType.EMAIL, f"{local}@[ipv6:{v6}]", start, end)] if v6 else []
        v4 = normalise_ipv4(inner, before="", after="")
        return [Hit(IOCType.EMAIL, f"{local}@[{v4}]", start, end)] if v4 else []
    labels = host.split(".")
    if len(labels) == 4 and all(label.isdigit() for label in labels):
        v4 = normalise_ipv4(host, before="", after="")
        if v4 is None:
            return []
        host_start = end - len(host)
        return [Hit(IOCType.EMAIL, f"{local}@{v4}", start, end),
                Hit(IOCType.IPV4, v4, host_start, end)]
    if not _tld_known(labels[-1]) or labels[-1].isdigit():
        return []
    if any(not label or label[0] == "-" or label[-1] == "-" for label in labels):
        return []
    return [Hit(IOCType.EMAIL, f"{local}@{host}", start, end)]


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
    # Wrong length, a long decimal number, or a placeholder (`0000...`, `ffff...`).
    if kind is None or raw.isdigit() or raw.count(raw[0]) == len(raw):
        return None
    return Hit(kind, raw.lower(), m.start(), m.end())


def _inside_url(text: str, start: int, end: int) -> Iterator[Hit]:
    """IOCs of their own inside a valid URL: an IP host, hashes and CVEs in the path/query."""
    m = _URL_HOST_RE.match(text, start, end)
    if m is not None:
        if m.group("v4") is not None:
            v4 = normalise_ipv4(m.group("v4"), before="", after="")
            if v4 is not None:
                yield Hit(IOCType.IPV4, v4, m.start("v4"), m.end("v4"))
        elif (v6 := normalise_ipv6(m.group("v6"))) is not None:
            yield Hit(IOCType.IPV6, v6, m.start("v6"), m.end("v6"))
    for h in _URL_INNER_RE.finditer(text, start, end):
        raw = h.group()
        if h.lastgroup == "cve":
            yield Hit(IOCType.CVE, f"CVE-{raw[4:8]}-{raw[9:]}", h.start(), h.end())
            continue
        kind = _HASH_TYPES.get(len(raw))
        if kind is not None and not raw.isdigit():
            yield Hit(kind, raw.lower(), h.start(), h.end())


def _host_after_bad_scheme(ref: Refanged, m: re.Match[str], body_end: int) -> Hit | None:
    """`h00ps://bad[.]to`: the scheme is unknown but the analyst defanged the host, which
    proves it is an indicator. One bounded match at the host, so this stays linear."""
    if not m.group().endswith("//"):
        return None
    h = _IOC_RE.match(ref.text, m.end(), body_end)
    if h is None or h.lastgroup not in ("domain", "ipv4"):
        return None
    hit = _ipv4(ref, h) if h.lastgroup == "ipv4" else _domain(ref, h)
    if hit is None or not _defanged(ref, hit.start, hit.end):
        return None
    return hit


def _cve(ref: Refanged, m: re.Match[str]) -> Hit:
    raw = m.group()
    value = f"CVE-{raw[4:8]}-{raw[9:]}"
    return Hit(IOCType.CVE, value, m.start(), m.end())


def _cve_spaced(ref: Refanged, m: re.Match[str]) -> Hit:
    """`CVE 2014-1001`: the match is the year and number; the hit spans `CVE ` too."""
    raw = m.group()
    return Hit(IOCType.CVE, f"CVE-{raw[:4]}-{raw[5:]}", m.start() - 4, m.end())


def _domain(ref: Refanged, m: re.Match[str]) -> Hit | None:
    text, start, end = ref.text, m.start("domain"), m.end("domain")
    raw = m.group("domain")
    defanged, spaced = _written(ref, start, end)
    # `end of sentence . next`: a host joined from spaced parts needs a common TLD.
    if spaced and raw.rpartition(".")[2].lower() not in COMMON_TLDS:
        return None
    if not looks_like_domain(raw, defanged=defanged,
                             before=text[start - 1:start], after=text[end:end + 1],
                             path_follows=_PATH_AFTER_RE.match(text, end) is not None):
        return None
    return Hit(IOCType.DOMAIN, raw.lower(), start, end)


# After a whole hash: one last label and nothing dotted after it (`<md5>.xyz`), read in a
# bounded number of characters, so a run of `<md5>.<md5>....` is never re-read.
_ONE_TLD_AFTER_RE = re.compile(r"\.(?:[a-z]{2,63}+|xn--[a-z0-9-]{1,59}+)(?![\w.-])",
                               re.ASCII | re.IGNORECASE)


def _hex_label_host(ref: Refanged, host: Hit) -> bool:
    """`<32 hex>.xyz` is a host (DGA names are hash-long) when defanged, or on a TLD that is
    not also a file extension: `<sha256>.zip`, `<md5>.sh` are sample files named by hash."""
    tld = host.value.rpartition(".")[2]
    return _defanged(ref, host.start, host.end) or tld not in FILE_EXT_TLDS | {"app", "com"}


# After a host: an optional port, then a path (`evil.com:8080/a`). Not `?` or `#`:
# `client=10.0.0.5#53122` is a BIND log's port.
_PATH_START_RE = re.compile(r"(?::[0-9]{1,5})?/")
_PORT_RE = re.compile(r":[0-9]{1,5}")
_CIDR_RE = re.compile(r"/[0-9]{1,3}(?:\.[0-9]{1,3}){0,3}")  # /24, /255.255.255.0
_LIST_SEP_RE = re.compile(r"[,;]")
_PATH_AFTER_RE = re.compile(r"/[\w~%-]")


def _schemeless(ref: Refanged, host: Hit, stop: int) -> tuple[Hit | None, int]:
    """`evil.com/a/b.php`, `203.0.113.7:8080/gate`: a host followed by a path is a URL.

    It gets `http://` in front, as browsers and VirusTotal do with a scheme-less address.
    A bare `/`, a port alone or a prefix length or netmask (`10.0.0.0/8`,
    `10.0.0.0/255.0.0.0`) leave just the host. `stop` is
    the end of the body or the next comma or semicolon: without a scheme, those end the URL
    (`evil.com/a,bad.net`, `10.0.0.0/8;192.168.0.0/16` are lists).
    """
    text, start = ref.text, host.start
    if text[start - 1:start] in ("/", "\\"):  # /var/www/evil.com/index.php is a file path
        return None, host.end
    end = url_end(text, start, stop)
    tail = text[host.end:end]
    port = _PORT_RE.match(tail)
    path = tail[port.end():] if port else tail
    if len(path) <= 1 or path.strip("/?#") == "":
        return None, end
    if host.type is IOCType.IPV4 and port is None and _CIDR_RE.fullmatch(path):
        return None, end
    value = normalise_url("http://" + text[start:end])
    if value is None:
        return None, end
    return Hit(IOCType.URL, value, start, end), end


def _host_then_path(ref: Refanged, host: Hit, stop: int) -> tuple[list[Hit], int]:
    """The host, and the scheme-less URL it starts (with the hashes and CVEs inside it), for a
    host that a path follows. Returns the hits and where scanning resumes."""
    text = ref.text
    url, url_stop = _schemeless(ref, host, stop)
    if url is None:
        return [host], host.end
    inner = [h for h in _inside_url(text, url.start, url.end) if h.type not in _HOST_TYPES]
    return [url, host, *inner], url_stop


_HOST_TYPES = (IOCType.IPV4, IOCType.IPV6)
_SIMPLE = {"ipv6": _ipv6, "hash": _hash, "cve": _cve, "cve_spaced": _cve_spaced}


def iocs_in_window(ref: Refanged, start: int, end: int) -> Iterator[Hit]:
    """Every IOC in ref.text[start:end], left to right (duplicates included)."""
    text = ref.text
    pos = start
    body_end = start  # end of the last URL body read: valid for any URL starting before it
    list_end = start  # the next comma or semicolon (ends a scheme-less URL), cached likewise
    while pos < end:
        m = _IOC_RE.search(text, pos, end)
        if m is None:
            return
        kind = m.lastgroup
        hit: Hit | None
        if kind == "url":
            if m.end() >= body_end:
                body_end = _URL_BODY_RE.match(text, m.end(), end).end()  # type: ignore[union-attr]
            hit, pos = _url(ref, m, body_end)
            if hit is not None:
                yield hit
                hit = None
                yield from _inside_url(text, m.start(), pos)
            else:
                hit = _host_after_bad_scheme(ref, m, body_end)
        elif kind == "domain" or kind == "ipv4":
            hit = _domain(ref, m) if kind == "domain" else _ipv4(ref, m)
            pos = m.end()
            if hit is None:
                # Rejected dotted names (Exploit.MSOffice.CVE-2017-11882.gen, sample_<md5>.exe)
                # may still hold a CVE or hash: rescan them. Look-behinds stop every branch
                # but hash/CVE from starting inside the name, so this stays linear.
                pos = m.start() + 1 if kind == "domain" else m.end()
                continue
        elif kind == "email":
            yield from _email(ref, m)
            hit, pos = None, m.end()
        else:
            hit, pos = _SIMPLE[kind](ref, m), m.end()  # type: ignore[index]
            if kind == "hash" and text[pos:pos + 1] == ".":
                # A hex label, not a hash: `aaaa...(63).com`, or a hash-long DGA label
                # (`<md5>[.]xyz`). One bounded retry as a host; `<md5>.exe` stays a hash.
                d = (_DOMAIN_RE.match(text, m.start(), end)
                     if hit is None or _ONE_TLD_AFTER_RE.match(text, pos, end) else None)
                if d is not None:
                    host = _domain(ref, d)
                    if hit is None or (host is not None and _hex_label_host(ref, host)):
                        hit = host
                        pos = d.end()  # never read that dotted run again (`<hex63>.<hex63>...`)
        if (hit is not None and kind != "url" and hit.type in (IOCType.DOMAIN, IOCType.IPV4)
                and _PATH_START_RE.match(text, hit.end, end)):
            if hit.end >= body_end:
                body_end = _URL_BODY_RE.match(text, hit.end, end).end()  # type: ignore[union-attr]
            if hit.end >= list_end:  # cached like body_end: no separator before it
                sep = _LIST_SEP_RE.search(text, hit.end, end)
                list_end = sep.start() if sep else end
            hits, pos = _host_then_path(ref, hit, min(body_end, list_end))
            yield from hits
            continue
        if hit is not None:
            yield hit
