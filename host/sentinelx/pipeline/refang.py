"""Undo defanging (`evil[.]com`, `user[at]x(dot)org`, `[://]`) in one linear pass.

The refanged text is what the scanner reads; an offset map sends every match back to its
span in the ORIGINAL text, so each IOC can show exactly what the analyst highlighted.
Scheme defangs (`hxxp`, `fxp`, `h**p`) keep their length and are mapped by `refang_scheme`
when a URL is normalised, so the whole-text pass only has to look at bracket-like characters.
"""

from __future__ import annotations

import heapq
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

# Every defang starts with one of `[ ( { \ : . / @` or is a zero-width character. The forms
# are grouped by that first character, one regex each, searched only in texts that hold the
# character. A regex that starts with one literal character skips ahead about ten times faster
# than one that starts with a set of them (measured: ~5 against ~50 instructions a character),
# so a few literal passes cost less than one pass with a set. Within one first character the
# forms keep the order that decides between them. `defang_matches` merges the passes into what
# a single alternation's finditer would give.
_DOT = r"[ \t]{0,3} (?P<dot> \. | [dD][oO][tT] ) [ \t]{0,3} [\])}]"       # [.] ( . ) [dot]
_AT = r"[ \t]? (?P<at> @ | [aA][tT] ) [ \t]? [\])}]"                     # [@] (@) [at] {at}
_ZW = "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width characters and the soft hyphen
_FORMS = {
    "[": rf"""\[ (?: {_DOT} | {_AT}
                  | (?P<sep> :/?/? | //? ) \]             # [://] [:] [:/] [/] [//]
                  | (?P<hdot> \. ) (?=\w)                 # half bracket: evil[.com
                  | (?P<bnum> [0-9]{{1,3}} ) \] )          # 1.2.3.[4]""",
    "(": rf"\( (?: {_DOT} | {_AT} | (?P<slash> / ) \) )    # (/)",
    "{": rf"\{{ (?: {_DOT} | {_AT} )",
    "\\": r"\\ (?P<esc> \. )                                  # regex-style evil\.com",
    ":": r": (?P<sslash> // [ \t]{1,2} ) (?=[\w\[])            # http:// evil.com",
    ".": r"\. (?<=[ \t]\.) (?P<sdot>) (?=[ \t]{0,2}[a-z0-9])   # evil . com, 1.2.3 . 4",
    "/": r"/ (?<=[ \t]/) (?P<spath>) (?=[\w.~%-])               # http://evil.com /a",
    "@": r"@ (?P<sat>) (?: (?=[ \t]{1,2}\w) | (?<=[ \t]@)(?=\w) )  # user @ evil.com",
    **{zw: rf"{zw} (?P<zw>)" for zw in _ZW},
}
# No IGNORECASE: it would take away the literal first character.
_DEFANG_RES = tuple((first, re.compile(form, re.VERBOSE)) for first, form in _FORMS.items())


def _start(m: re.Match[str]) -> int:
    return m.start()


# Below one `first` character per this many characters, hopping between them with str.find
# (memchr) costs less than the regex engine's scan; above it the engine's scan wins.
_SPARSE = 1024


def _pass(rx: re.Pattern[str], first: str, text: str) -> Iterator[re.Match[str]]:
    """rx.finditer(text) for a regex that starts with the literal `first`: the same matches."""
    find, match = text.find, rx.match
    pos = seen = 0
    while (p := find(first, pos)) != -1:
        seen += 1
        if seen >= 16 and p < seen * _SPARSE:  # dense: let the engine scan the rest
            yield from rx.finditer(text, p)
            return
        m = match(text, p)
        if m is None:
            pos = p + 1
        else:
            pos = m.end()  # never empty: a match holds at least `first`
            yield m


def defang_matches(text: str) -> Iterator[re.Match[str]]:
    """Every defang form in `text`, left to right and never overlapping: what one alternation
    of all the forms would find. A form's match holds its first character only at its start,
    so no pass skips a place where another match of its own could start; a match that starts
    inside the one before it is dropped, as the single regex would never try there."""
    passes = [_pass(rx, first, text) for first, rx in _DEFANG_RES if first in text]
    if len(passes) == 1:
        yield from passes[0]
        return
    end = 0
    for m in heapq.merge(*passes, key=_start):
        if m.start() >= end:
            end = m.end()
            yield m


_HSPACE = " \t"
_SCHEMES = {"http", "https", "ftp", "ftps", "sftp", "ws", "wss", "tcp", "udp", "smb", "ssh",
            "telnet", "rdp", "ldap", "ldaps", "irc", "ircs", "file", "git", "svn", "rtsp", "smtp",
            "imap", "pop3", "socks", "socks4", "socks5", "dns", "stratum+tcp", "stratum+ssl",
            "stratum+tls", "stratum+udp"}
# hxxp, hXXp, h**p, h__p, h00p, hxtp, htxp, hxxts; fxp, fxxp, ftx; sfxp: defanged http(s)/ftp(s)/sftp.
_DEFANGED_SCHEME_RE = re.compile(
    r"(?P<http>h(?:[xt*_0]{2}p|[x*_0]{2}t))(?P<hs>s?)|(?P<ftp>f(?:[xt*_]{1,2}p|tx))(?P<fs>s?)"
    r"|(?P<sftp>sf[xt*_]p)",
    re.I)


@dataclass(frozen=True, slots=True)
class Refanged:
    """Refanged text plus the map from its offsets back to the original text.

    Replacement i turned original[o_starts[i]:o_ends[i]] into text[r_starts[i]:r_ends[i]];
    between replacements both texts advance together.
    """

    text: str
    original: str
    r_starts: array
    r_ends: array
    o_starts: array
    o_ends: array

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of `text` to the span of `original` it came from."""
        return self._map(start, is_end=False), self._map(end, is_end=True)

    def _map(self, pos: int, *, is_end: bool) -> int:
        i = bisect_right(self.r_starts, pos) - 1
        if i < 0:
            return pos
        r_start, r_end = self.r_starts[i], self.r_ends[i]
        if pos >= r_end:
            return pos - r_end + self.o_ends[i]
        # Inside (or at the start of) a replacement: widen to the whole original defang.
        if is_end and pos > r_start:
            return self.o_ends[i]
        return self.o_starts[i]


def _replacement(m: re.Match[str], kind: str) -> str:
    if kind == "dot" or kind == "esc":
        return "."
    if kind == "at":
        return "@"
    if kind == "zw":
        return ""
    if kind == "sslash":
        return "://"
    if kind == "sdot" or kind == "hdot":
        return "."
    if kind == "sat":
        return "@"
    if kind == "bnum":
        return m.group("bnum")
    if kind == "spath":
        return "/"
    return m.group(kind)  # sep / slash: the bracketed text itself, e.g. "://" or ":"


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch in "-_"


def _eat_spaces(text: str, start: int, end: int) -> tuple[int, int]:
    """`evil [.] com` -> treat the spaces round the defang as part of it (word on both sides)."""
    s, e = start, end
    while s > start - 3 and s > 0 and text[s - 1] in _HSPACE:
        s -= 1
    while e < end + 3 and e < len(text) and text[e] in _HSPACE:
        e += 1
    # Both sides or neither: `see [.]evil[.]com` is a leading defang, not `see.evil.com`.
    if s == start or e == end:
        return start, end
    if s > 0 and _is_word(text[s - 1]) and e < len(text) and _is_word(text[e]):
        return s, e
    return start, end


def _hdot(text: str, start: int, end: int, url_until: int) -> tuple[int, int] | None:
    """`evil[.com`: a half bracket counts only between two words."""
    return (start, end) if start > 0 and _is_word(text[start - 1]) else None


def _bnum(text: str, start: int, end: int, url_until: int) -> tuple[int, int] | None:
    """`1[.]2[.]3.[4]`: a bracketed last octet, right after a dot that follows a digit."""
    if start >= 2 and text[start - 1] == "." and text[start - 2].isdigit():
        return start, end
    return None


def _sslash(text: str, start: int, end: int, url_until: int) -> tuple[int, int] | None:
    """`http:// evil.com`: only after a scheme word (a clock `10:// x` is not one)."""
    return (start, end) if start > 0 and text[start - 1].isalpha() else None


def _spaces_before(text: str, start: int) -> int:
    s = start
    while s > start - 2 and s > 0 and text[s - 1] in _HSPACE:
        s -= 1
    return s


def _spaces_after(text: str, end: int) -> int:
    e = end
    while e < end + 2 and e < len(text) and text[e] in _HSPACE:
        e += 1
    return e


def _sat(text: str, start: int, end: int, url_until: int) -> tuple[int, int] | None:
    """`user @ evil.com`: spaces round an at sign, with a word on both sides."""
    s, e = _spaces_before(text, start), _spaces_after(text, end)
    if s > 0 and text[s - 1].isalnum() and e < len(text) and text[e].isalnum():
        return s, e
    return None


# A scheme and its separator at the start of a token: `http://`, `hxxp:\\`, `https:__`.
_SCHEME_START_RE = re.compile(r"[a-z][a-z0-9+*_.-]{1,11}:(?://|\\\\|__)|h[a-z0-9*_]{2}ps?(?:__|//)", re.I)
_LOOKBACK = 256  # how far back a spaced dot looks for the start of its URL (keeps it O(1))


def _in_url_token(text: str, pos: int) -> bool:
    """Whether the token ending at `pos` starts with a scheme (`http://evil .com`), also when
    the scheme stands apart (`http:// evil .com`)."""
    lo = max(0, pos - _LOOKBACK)
    i = pos
    while i > lo and not text[i - 1].isspace():
        i -= 1
    if _SCHEME_START_RE.match(text, i, pos):
        return True
    j = i
    while j > lo and j > i - 2 and text[j - 1] in _HSPACE:
        j -= 1
    k = j
    while k > lo and not text[k - 1].isspace():
        k -= 1
    m = _SCHEME_START_RE.match(text, k, j)
    return j < i and m is not None and m.end() == j


def _sdot(text: str, start: int, end: int, url_until: int) -> tuple[int, int] | None:
    """`evil . com`, `1.2.3 . 4`, `http://evil .com/a`: spaces before a dot.

    `end . Next` stays prose: a dot with spaces on both sides joins only between two digits or
    before a lower-case word (the domain rules then ask for a common TLD, see match.py); a dot
    with spaces before it only joins inside a URL that has a scheme (`the .com TLD` stays).
    """
    s, e = _spaces_before(text, start), _spaces_after(text, end)
    if s == start or s == 0 or e >= len(text) or not text[s - 1].isalnum():
        return None
    left, right = text[s - 1], text[e]
    if e > end:
        if (left.isdigit() and right.isdigit()) or right.islower():
            return s, e
        return None
    return (s, e) if _in_url(text, s, url_until) else None


def _spath(text: str, start: int, end: int, url_until: int) -> tuple[int, int] | None:
    """`http://evil.com /a/b`: spaces before the path of a URL that has a scheme."""
    s = _spaces_before(text, start)
    if s == start or s == 0 or not text[s - 1].isalnum():
        return None
    return (s, end) if _in_url(text, s, url_until) else None


_WS_RE = re.compile(r"\s")


def _last_blank(s: str) -> int:
    return max(s.rfind(" "), s.rfind("\n"), s.rfind("\t"), s.rfind("\r"))


def _at_after(state: bool, piece: str) -> bool:
    """Whether the output token holds an `@` once `piece` is appended (state: before it)."""
    blank = _last_blank(piece)
    if blank == -1:
        return state or "@" in piece
    return piece.find("@", blank + 1) != -1


def _token_has_at(text: str, last: int, pos: int, state: bool) -> bool:
    """Whether the output token that ends at `pos` holds an `@`: text[last:pos] is still the
    original and `state` says whether the output before it ends in a token with an `@`.
    Reads at most _LOOKBACK characters back."""
    lo = max(last, pos - _LOOKBACK)
    window = text[lo:pos]
    blank, at = _last_blank(window), window.rfind("@")
    if blank != -1 or at != -1:
        return at > blank
    return lo == last and state


def _in_url(text: str, pos: int, url_until: int) -> bool:
    """Inside a URL with a scheme: right after an earlier URL join (`http:// evil .com /a`
    joins three times) with no blank since, or in a token that starts with a scheme."""
    if 0 < url_until <= pos and _WS_RE.search(text, url_until, pos) is None:
        return True
    return _in_url_token(text, pos)


_SPACED = {"hdot": _hdot, "bnum": _bnum, "sslash": _sslash, "sdot": _sdot, "sat": _sat, "spath": _spath}
_URL_JOINS = frozenset({"sslash", "sdot", "spath"})


def refang(text: str) -> Refanged:
    """Replace every defang form with its plain character(s); linear in len(text)."""
    # 'i' (4 bytes) is plenty: inputs are capped at a few MB, far below 2 GiB.
    r_starts, r_ends, o_starts, o_ends = array("i"), array("i"), array("i"), array("i")
    chunks: list[str] = []
    pieces: list[str] = []
    last = 0  # end of the previous replacement, in the original
    url_until = 0  # end of the last join made inside a URL (`http:// evil .com /a`)
    token_at = False  # whether the output so far ends in a token that holds an `@`
    out_len = 0
    for m in defang_matches(text):
        start, end = m.span()
        if start < last:  # a widened (space-eating) replacement already covered this
            continue
        kind = m.lastgroup or ""
        if kind in ("dot", "at"):
            start, end = _eat_spaces(text, start, end)
        elif kind in _SPACED:
            span = _SPACED[kind](text, start, end, url_until)
            if span is None:
                continue
            start, end = span
            # `user@example . com`: spaces never extend an e-mail's host (`bob@corp . next`).
            if kind == "sdot" and end > m.end() and _token_has_at(text, last, start, token_at):
                continue
            if kind in _URL_JOINS and (kind != "sdot" or text[end - 1] == "."):
                url_until = end
        if start < last:
            continue
        repl = _replacement(m, kind)
        token_at = _at_after(_at_after(token_at, text[last:start]), repl)
        pieces.append(text[last:start])
        out_len += start - last
        o_starts.append(start)
        o_ends.append(end)
        r_starts.append(out_len)
        pieces.append(repl)
        out_len += len(repl)
        r_ends.append(out_len)
        last = end
        if len(pieces) >= 4096:  # bound the number of small live strings (memory on `a[.]b[.]...`)
            chunks.append("".join(pieces))
            pieces.clear()
    if not chunks and not pieces:
        return Refanged(text, text, r_starts, r_ends, o_starts, o_ends)
    chunks.append("".join(pieces))
    chunks.append(text[last:])
    return Refanged("".join(chunks), text, r_starts, r_ends, o_starts, o_ends)


def refang_text(text: str) -> str:
    """Just the refanged text (for callers that do not need offsets)."""
    return refang(text).text


def refang_scheme(scheme: str) -> str | None:
    """`hxxps` -> `https`, `fxp` -> `ftp`, `HTTP` -> `http`; None for unknown schemes."""
    low = scheme.lower()
    if low in _SCHEMES:
        return low
    m = _DEFANGED_SCHEME_RE.fullmatch(low)
    if m is None:
        return None
    if m.group("http"):
        return "http" + m.group("hs")
    if m.group("ftp"):
        return "ftp" + m.group("fs")
    return "sftp"
