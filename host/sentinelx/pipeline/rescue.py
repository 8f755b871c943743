"""A second opinion from iocextract on the rare tokens our own scanner could not read.

iocextract knows defang variants that our refang does not, such as other half brackets
(`evil(.com`, `evil.]com`; `evil[.com` is ours since issue 15) and commas for dots inside
URLs (`hxxp://evil,com/a`). Over whole texts it is superlinear and slow, and importing it costs about
120 ms. So it only sees short tokens that still carry a defang mark after our refang
and gave no IOC, with a fixed number of such tokens per text. Each of its answers is
checked again by our own matcher, so it can add recall, but not its false positives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from sentinelx.pipeline.models import IOC, IOCType

MAX_TOKEN_CHARS = 256  # keeps iocextract's superlinear cost a small constant per token
MAX_TOKENS = 64  # per text: a page of junk brackets cannot make extraction slow
# A defang mark left next to a dot, colon, comma or slash: what our refang did not resolve.
_LEFTOVER = re.compile(r"[\[({][.:/,@]|[.:/,@][\])}]|\w,\w+[./]")
_SCHEME_TYPO = re.compile(r"(?i)\b[a-z]{3,5}://")
# What _LEFTOVER cannot match without: most tokens have none, and this scan is much cheaper.
_MARK_RE = re.compile(r"[\[\](){},]")
_TYPES = frozenset({IOCType.URL, IOCType.IPV4, IOCType.IPV6, IOCType.EMAIL, IOCType.DOMAIN})


def wants_rescue(token: str) -> bool:
    """Whether a token that gave no IOC still looks like a defanged one."""
    if len(token) > MAX_TOKEN_CHARS:
        return False
    if _MARK_RE.search(token) and _LEFTOVER.search(token):
        return True
    return "://" in token and _SCHEME_TYPO.match(token) is not None


def _iocextract_values(token: str) -> Iterable[str]:
    import iocextract  # lazy: most texts never need it

    seen: set[str] = set()
    for extract in (iocextract.extract_urls, iocextract.extract_ips, iocextract.extract_emails):
        for value in extract(token, refang=True):
            if value not in seen:
                seen.add(value)
                yield value


def _starts_on_a_boundary(token: str, value: str) -> bool:
    """False when iocextract's answer only occurs glued to a word: it reads `99.1.1.1` out of
    `http://999.1.1.1`. Answers it refanged (not found verbatim) are judged by our matcher."""
    i = token.find(value)
    if i == -1:
        return True
    while i != -1:
        if i == 0 or not (token[i - 1].isalnum() or token[i - 1] == "."):
            return True
        i = token.find(value, i + 1)
    return False


def rescue(token: str, validate: Callable[[str], list[IOC]]) -> list[tuple[IOCType, str]]:
    """IOCs iocextract finds in `token` that `validate` (our matcher) accepts on their own."""
    out: list[tuple[IOCType, str]] = []
    for value in _iocextract_values(token):
        if not _starts_on_a_boundary(token, value):
            continue
        for ioc in validate(value):
            # Only indicators that span iocextract's whole answer: a domain that our matcher
            # pulls out of a URL it rejected is not what iocextract meant.
            if ioc.type in _TYPES and ioc.raw == value and (ioc.type, ioc.value) not in out:
                out.append((ioc.type, ioc.value))
    return out
