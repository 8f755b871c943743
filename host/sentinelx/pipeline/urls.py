"""Trim a URL candidate to where the URL really ends, validate its host, normalise it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sentinelx.pipeline.addresses import normalise_ipv4, normalise_ipv6
from sentinelx.pipeline.refang import refang_scheme
from sentinelx.pipeline.tlds import known_tlds

# A scheme and its separator: `http://`, `http:\\` (Windows-style), `https:__`, and `http__`,
# `h__ps__` (underscores for `://`, only after an http-like scheme: `foo__bar` is a name).
SCHEME_SEP_RE = re.compile(
    r"(?:(?P<scheme>[a-z][a-z0-9+*_.-]{0,15}):(?://|\\\\|__)|(?P<bare>h[a-z0-9*_]{2}ps?)(?:__|//))", re.I)
_SPECIAL_RE = re.compile(r"[()\[\]{},?#]")
_COMMA_OR_SLASH_RE = re.compile(r"[,/]")
_TRAILING = ".,;:!?*'\""
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def url_end(text: str, start: int, stop: int, *, csv_field: bool = False) -> int:
    """Where the URL candidate text[start:stop] really ends.

    Cuts at the first unbalanced closing bracket, so `[text](http://a.com/x)`,
    `(see http://a.com/x).` and `http://a.com/x_(y)` all end right; then at a CSV comma
    (`http://a.com/x.msi,url,2023-09-02`; `csv_field` says the URL itself follows a comma);
    then drops trailing punctuation. Commas are legal in URLs (`?ids=1,2`,
    `/wiki/Washington,_D.C.`), so a comma in the path ends the URL only when the text after
    it reaches another comma before any `/`.

    Works on indices and reads only up to the cut: the caller resumes scanning at the
    returned end, so every character is read a bounded number of times (text[start:stop]
    is never copied, which would make `http://a/)http://a/)...` quadratic).
    """
    depth = {"(": 0, "[": 0, "{": 0}
    end = stop
    in_query = False
    comma_seen = False
    link_text = -1  # a `[` in the path that may open AsciiDoc link text: `https://a.com/x[Title]`
    # One left-to-right pass that stops at the first cut: never reads past it.
    for b in _SPECIAL_RE.finditer(text, start, stop):
        ch = b.group()
        if ch in depth:
            if (ch == "[" and depth["["] == 0 and not in_query
                    and text[b.start() - 2:b.start()] not in ("//", "\\")
                    and text[b.start() - 1] != "@"  # not an IPv6 host: `http://[::1]/`
                    and text[b.end():b.end() + 1] not in ("/", ".", ":")):  # `a.com[/x`: a defang
                link_text = b.start()
            depth[ch] += 1
        elif ch in _CLOSERS:
            opener = _CLOSERS[ch]
            if depth[opener] == 0:
                # `/a)b`: a closer with more path right after it belongs to the path.
                if b.end() < stop and text[b.end()].isalnum():
                    continue
                end = b.start()
                break
            depth[opener] -= 1
            if ch == "]" and depth["["] == 0 and link_text >= 0:
                if stop - link_text <= _LINK_TEXT_MAX and _only_trailing(text, b.end(), stop):
                    end = link_text  # `.../detail[Win32/Agent]`: the brackets are link text
                    break
                link_text = -1  # `?c=x-[dup]-(y)`: brackets inside the path belong to it
        elif ch in "?#":
            in_query = True
        elif not comma_seen:
            comma_seen = True
            if csv_field:
                end = b.start()
                break
            if not in_query:
                nxt = _COMMA_OR_SLASH_RE.search(text, b.end(), stop)
                if nxt is not None and nxt.group() == ",":
                    end = b.start()
                    break
    if depth["["] > 0 and 0 <= link_text < end and end - link_text <= _LINK_TEXT_MAX:
        end = link_text  # `.../[Link text` cut by a space or a line end: never closed here
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    if text[start - 1:start] == "+":  # AsciiDoc passthrough `+https://a.com/x+`: not the URL's
        while end > start and text[end - 1] == "+":
            end -= 1
    return end


# Link text is a short title. The bound also keeps a cut inside an already-read body from
# making the next URL re-read more than this much (`http://a/[http://a/[...]]` stays linear).
_LINK_TEXT_MAX = 256


def _only_trailing(text: str, pos: int, stop: int) -> bool:
    """Nothing but a little trailing punctuation from pos to stop (`[Title].` ending a clause)."""
    return stop - pos <= 3 and all(text[i] in _TRAILING for i in range(pos, stop))


def trim_url(candidate: str, *, csv_field: bool = False) -> str:
    """`url_end` on a string of its own."""
    return candidate[:url_end(candidate, 0, len(candidate), csv_field=csv_field)]


def _host_ok(host: str) -> str | None:
    """Normalised host if it is an IP, `localhost` or a name on a known TLD."""
    if host.startswith("["):
        return f"[{v6}]" if (v6 := normalise_ipv6(host[1:-1])) else None
    host = host.rstrip(".").lower()
    if host[:1].isdigit() and host.replace(".", "").isdigit():
        return normalise_ipv4(host, before="", after="")
    if host == "localhost":
        return host
    labels = host.split(".")
    if len(labels) < 2 or any(not label or label.startswith("-") for label in labels):
        return None
    # Letters, digits, `-` and `_` only (one C call instead of a test per character).
    rest = host.replace(".", "").replace("-", "").replace("_", "")
    if rest and not rest.isalnum():
        return None
    return host if labels[-1] in known_tlds() else None


def normalise_url(candidate: str) -> str | None:
    """`hxxps://Evil.COM/Path` -> `https://evil.com/Path`; None for junk.

    Only the scheme and host are lower-cased: paths and queries are case-sensitive.
    """
    m = SCHEME_SEP_RE.match(candidate)
    if m is None:
        return None
    plain = refang_scheme(m.group("scheme") or m.group("bare"))
    if plain is None:
        return None
    rest = candidate[m.end():]
    cut = len(rest)
    for ch in "/?#\\":
        i = rest.find(ch)
        if i != -1 and i < cut:
            cut = i
    authority, tail = rest[:cut], rest[cut:]
    userinfo, at, hostport = authority.rpartition("@")
    # Split host from port, minding [v6]:port.
    if hostport.startswith("["):
        close = hostport.find("]")
        if close == -1:
            return None
        host, port = hostport[: close + 1], hostport[close + 1 :]
    else:
        host, _, port_digits = hostport.partition(":")
        port = ":" + port_digits if _ else ""
    if port and not (port[0] == ":" and port[1:].isdigit() and 0 < int(port[1:]) < 65536):
        return None
    norm_host = _host_ok(host) if host else None
    if norm_host is None:
        return None
    url = f"{plain}://{userinfo}{at}{norm_host}{port}{tail}"
    try:
        urlsplit(url)  # last guard: whatever we emit must parse
    except ValueError:
        return None
    return url


def normalise_any_url(candidate: str) -> str | None:
    """`normalise_url`, also for a URL written without a scheme (`evil.com/a` ->
    `http://evil.com/a`, the form extraction gives scheme-less URLs). For callers outside the
    pipeline that get URLs from elsewhere (an enrich request), so their values and the
    extractor's agree."""
    value = normalise_url(candidate)
    if value is None and SCHEME_SEP_RE.match(candidate) is None:
        value = normalise_url("http://" + candidate)
    return value
