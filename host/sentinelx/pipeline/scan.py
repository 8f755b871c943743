"""Find the few windows of a text that can hold an IOC, without looking at the rest twice.

Every IOC (after refanging) has a tell-tale character that prose rarely has: a dot, colon or
`@` followed by a word character (hosts, IPs, URLs, emails), a digit followed by hex
(hashes), or `-dddd-dddd` (CVEs). One regex whose every alternative starts with such a
character lets the engine skip ahead at C speed; each hit is widened to its whitespace-
delimited token, and the scan resumes after that token. Each character is therefore read
a constant number of times: linear in the input, whatever the input is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_D = r"\-_\u2010-\u2015"  # hyphen, underscore, Unicode dashes (web pages use U+2011 in CVEs)
_ANCHOR_RE = re.compile(
    # A bare character set must come first, or the engine tries every position (3x slower).
    rf"[.:@0-9{_D}]"
    r"(?:(?<=[.:@])(?=[\w:/\[])"                      # host, IP, URL, email, IPv6
    r"|(?<=[0-9])[0-9a-fA-F]{7}"                       # a digit inside a hex run: hashes
    rf"|(?<=[{_D}])[0-9]{{4}}[{_D}][0-9]{{4}}"         # CVE-yyyy-nnnn
    rf"|(?<=[cC][vV][eE][ \u00a0][0-9]{{4}}[{_D}])[0-9]{{4}})"  # CVE yyyy-nnnn (year: own token)
)
# Possessive: a token is read once, never backtracked into.
_TOKEN_RE = re.compile(r"\S*+")


def windows(text: str) -> Iterator[tuple[int, int]]:
    """Yield sorted, disjoint (start, end) token spans that contain an anchor."""
    n = len(text)
    backwards: str | None = None  # reversed text, to widen tokens to the left in C
    search, token = _ANCHOR_RE.search, _TOKEN_RE.match  # hot loop: no attribute look-ups
    pos = 0
    while True:
        m = search(text, pos)
        if m is None:
            return
        a = m.start()
        if backwards is None:
            backwards = text[::-1]
        # In `backwards`, text[a - 1] sits at index n - a; `\S*+` always matches.
        start = n - token(backwards, n - a).end()  # type: ignore[union-attr]
        # The anchor character is never blank, so the token ends past it.
        pos = token(text, a).end()  # type: ignore[union-attr]
        yield start, pos
