"""`extract_iocs(text)`: the public entry point of the pipeline.

refang (whole text, offset map) -> scan (candidate windows) -> match (typed, normalised,
classified IOCs) -> dedupe by (type, value), first seen first. Pure, linear in len(text),
and cheap to import: neither iocsearcher nor iocextract is loaded on this path (see the
README, "How extraction works", for the measurements behind that choice).
"""

from __future__ import annotations

import re
from bisect import bisect_right

from sentinelx.pipeline import rescue
from sentinelx.pipeline.classify import is_private
from sentinelx.pipeline.match import iocs_in_window
from sentinelx.pipeline.models import IOC, IOCType
from sentinelx.pipeline.refang import Refanged, refang
from sentinelx.pipeline.scan import windows

# Windows already read in this text. Reports repeat their tokens (`e.g.`, version numbers, the
# same IOC many times); a window read before in the same surroundings gives nothing new, so it
# is not matched again. Bounded, so a text of millions of distinct tokens costs no more memory.
_SEEN_MAX = 4096
_SEEN_MAX_CHARS = 256
# A window that starts with an IPv4 address (after quotes, `:` or `=`) or with the year of a
# CVE: its verdict also depends on up to 16 characters before it (`version 1.2.3.4` is a
# version, see addresses.py; `CVE 2014-1001` is a CVE, see match.py).
_LEAD_RE = re.compile(r"[\"' :=]*+[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]"
                      r"|(?:19|20)[0-9]{2}[\-_\u2010-\u2015]")
_LEAD_FIRST = frozenset("\"' :=0123456789")  # what _LEAD_RE can start with


def _window_key(ref: Refanged, start: int, end: int) -> tuple[str, str] | None:
    """What a window's matches depend on, or None when that is more than its own text.

    The matcher reads the window, the one (blank) character before it, for an IPv4 or a
    CVE year at its start up to 16 characters before, and for a `<` at its start (a mail
    header's message id) up to 40. A window that overlaps a refang
    replacement also depends on what the analyst wrote there (defanged or spaced), so it is
    never cached.
    """
    if end - start > _SEEN_MAX_CHARS:
        return None
    if ref.r_starts:
        i = bisect_right(ref.r_starts, end) - 1
        if i >= 0 and ref.r_ends[i] >= start - 1:
            return None
    text = ref.text
    window = text[start:end]
    if window[0] in _LEAD_FIRST and _LEAD_RE.match(window):
        return text[max(0, start - 16):start], window
    if window[0] == "<":  # `Message-ID: <id@host>`: the header before it decides (match.py)
        return text[max(0, start - 40):start], window
    return text[start - 1:start], window


def extract_iocs(text: str) -> list[IOC]:
    """Deduplicated IOCs in first-seen order; offsets and raw point into `text` itself."""
    return _extract(text, rescue_budget=rescue.MAX_TOKENS)


def _extract(text: str, rescue_budget: int) -> list[IOC]:
    ref = refang(text)
    found: dict[tuple[IOCType, str], IOC] = {}
    # Window key -> whether it asked for a rescue (no hits and a defang mark left over).
    seen: dict[tuple[str, str], bool] = {}
    for w_start, w_end in windows(ref.text):
        key = _window_key(ref, w_start, w_end)
        if key is not None and (wanted := seen.get(key)) is not None:
            # Its IOCs are all in `found` already, and so are its rescue's (done the first
            # time, when the budget was larger); a rescue still spends the budget, as before.
            if wanted and rescue_budget > 0:
                rescue_budget -= 1
            continue
        hits = 0
        for hit in iocs_in_window(ref, w_start, w_end):
            hits += 1
            ioc_key = (hit.type, hit.value)
            if ioc_key in found:  # map offsets and classify once per distinct IOC
                continue
            start, end = ref.to_original(hit.start, hit.end)
            found[ioc_key] = IOC(hit.type, hit.value, text[start:end], start,
                                 is_private(hit.type, hit.value))
        wanted = not hits and rescue.wants_rescue(ref.text[w_start:w_end])
        if key is not None and len(seen) < _SEEN_MAX:
            seen[key] = wanted
        if not wanted or rescue_budget <= 0:
            continue
        rescue_budget -= 1
        start, end = ref.to_original(w_start, w_end)
        raw = text[start:end]
        for ioc_key in rescue.rescue(raw, lambda value: _extract(value, rescue_budget=0)):
            if ioc_key not in found:
                found[ioc_key] = IOC(ioc_key[0], ioc_key[1], raw, start, is_private(*ioc_key))
    return list(found.values())
