"""JSON: every record in full (ioc, combined, every provider's result or error), in an
envelope described by export/schema/export.json (see the README, "Exports and history")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sentinelx.export.base import Options, iso_z, shown
from sentinelx.export.records import ExportRecord

SCHEMA_ID = "https://schemas.sentinelx.invalid/export/export.json"
FORMAT_VERSION = 1
_KEEP = ("run_id", "fetched_at", "source_title", "source_url")


def _record(rec: ExportRecord, defanged: bool) -> dict[str, Any]:
    raw = rec.raw
    ioc = dict(raw["ioc"])
    if defanged:
        ioc["value"] = shown(rec, True)
    out: dict[str, Any] = {"ioc": ioc, "combined": raw.get("combined") or {},
                           "results": raw.get("results") or []}
    for k in _KEEP:
        if raw.get(k) is not None:
            out[k] = raw[k]
    return out


class JsonFormat:
    name = "json"
    extension = "json"
    mime = "application/json"
    defang_default = False

    def render(self, records: Sequence[ExportRecord], opts: Options, defanged: bool) -> str:
        doc = {"$schema": SCHEMA_ID, "format": "sentinelx.export", "version": FORMAT_VERSION,
               "generated_at": iso_z(opts.now), "defanged": defanged, "count": len(records),
               "records": [_record(r, defanged) for r in records]}
        # allow_nan=False: a non-finite number in a hand-edited history fails loudly here.
        return json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n"


FORMAT = JsonFormat()
