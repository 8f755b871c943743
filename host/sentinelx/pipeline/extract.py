"""`extract_iocs(text)`: the public entry point of the pipeline.

refang (whole text, offset map) -> scan (candidate windows) -> match (typed, normalised,
classified IOCs) -> dedupe by (type, value), first seen first. Pure, linear in len(text),
and cheap to import: neither iocsearcher nor iocextract is loaded on this path (see the
README, "How extraction works", for the measurements behind that choice).
"""

from __future__ import annotations

from sentinelx.pipeline.classify import is_private
from sentinelx.pipeline.match import iocs_in_window
from sentinelx.pipeline.models import IOC, IOCType
from sentinelx.pipeline.refang import refang
from sentinelx.pipeline.scan import windows


def extract_iocs(text: str) -> list[IOC]:
    """Deduplicated IOCs in first-seen order; offsets and raw point into `text` itself."""
    ref = refang(text)
    found: dict[tuple[IOCType, str], IOC] = {}
    for w_start, w_end in windows(ref.text):
        for hit in iocs_in_window(ref, w_start, w_end):
            key = (hit.type, hit.value)
            if key in found:  # map offsets and classify once per distinct IOC
                continue
            start, end = ref.to_original(hit.start, hit.end)
            found[key] = IOC(hit.type, hit.value, text[start:end], start,
                             is_private(hit.type, hit.value))
    return list(found.values())
