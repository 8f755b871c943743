"""`extract_iocs(text)`: the public entry point of the pipeline.

refang (whole text, offset map) -> scan (candidate windows) -> match (typed, normalised,
classified IOCs) -> dedupe by (type, value), first seen first. Pure, linear in len(text),
and cheap to import: neither iocsearcher nor iocextract is loaded on this path (see the
README, "How extraction works", for the measurements behind that choice).
"""

from __future__ import annotations

from sentinelx.pipeline import rescue
from sentinelx.pipeline.classify import is_private
from sentinelx.pipeline.match import iocs_in_window
from sentinelx.pipeline.models import IOC, IOCType
from sentinelx.pipeline.refang import refang
from sentinelx.pipeline.scan import windows


def extract_iocs(text: str) -> list[IOC]:
    """Deduplicated IOCs in first-seen order; offsets and raw point into `text` itself."""
    return _extract(text, rescue_budget=rescue.MAX_TOKENS)


def _extract(text: str, rescue_budget: int) -> list[IOC]:
    ref = refang(text)
    found: dict[tuple[IOCType, str], IOC] = {}
    for w_start, w_end in windows(ref.text):
        hits = 0
        for hit in iocs_in_window(ref, w_start, w_end):
            hits += 1
            key = (hit.type, hit.value)
            if key in found:  # map offsets and classify once per distinct IOC
                continue
            start, end = ref.to_original(hit.start, hit.end)
            found[key] = IOC(hit.type, hit.value, text[start:end], start,
                             is_private(hit.type, hit.value))
        if hits or rescue_budget <= 0 or not rescue.wants_rescue(ref.text[w_start:w_end]):
            continue
        rescue_budget -= 1
        start, end = ref.to_original(w_start, w_end)
        raw = text[start:end]
        for key in rescue.rescue(raw, lambda value: _extract(value, rescue_budget=0)):
            if key not in found:
                found[key] = IOC(key[0], key[1], raw, start, is_private(*key))
    return list(found.values())
