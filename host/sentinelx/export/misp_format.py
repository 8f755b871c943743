"""A MISP event in the MISP core format ({"Event": {...}}; misp-rfc misp-core-format).

Plain JSON: pymisp is only needed to check it (tests). Attribute type, category and to_ids
follow PyMISP's describeTypes sane defaults per IOC type, except that to_ids is true only for
IOCs judged malicious or suspicious: the user asked a machine, not an analyst, so clean and
unknown IOCs go in as context, never as detection rules.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from sentinelx.export.base import Options, shown
from sentinelx.export.records import ExportRecord

# ioc type -> (MISP attribute type, category, default to_ids)
ATTRIBUTE = {
    "ipv4": ("ip-dst", "Network activity", True),
    "ipv6": ("ip-dst", "Network activity", True),
    "domain": ("domain", "Network activity", True),
    "url": ("url", "Network activity", True),
    "md5": ("md5", "Payload delivery", True),
    "sha1": ("sha1", "Payload delivery", True),
    "sha256": ("sha256", "Payload delivery", True),
    "email": ("email", "Social network", True),
    "cve": ("vulnerability", "External analysis", False),
}
DETECT = frozenset({"malicious", "suspicious"})
THREAT_LEVEL = {"malicious": "1", "suspicious": "2"}  # else "4" (undefined)
INFO_MAX = 256


def _attribute(rec: ExportRecord, defanged: bool, ts: str) -> dict[str, Any]:
    kind, category, to_ids = ATTRIBUTE[rec.ioc_type]
    comment = " ".join((rec.reason or rec.label or rec.verdict).split())[:1024]
    attr: dict[str, Any] = {
        "uuid": str(uuid.uuid4()), "type": kind, "category": category,
        "to_ids": to_ids and rec.verdict in DETECT and not defanged,
        "distribution": "5", "timestamp": ts, "deleted": False, "disable_correlation": False,
        "value": shown(rec, defanged), "comment": comment,
        "Tag": [{"name": f'sentinelx:verdict="{rec.verdict}"'}],
    }
    if rec.first_seen:
        attr["first_seen"] = rec.first_seen
    if rec.last_seen and (not rec.first_seen or rec.last_seen >= rec.first_seen):
        attr["last_seen"] = rec.last_seen
    return attr


def latest_per_ioc(records: Sequence[ExportRecord]) -> list[ExportRecord]:
    """One record per (type, value), the newest (records come oldest first): MISP refuses two
    attributes with the same type and value in one event."""
    by_key = {(r.ioc_type, r.value): r for r in records}
    return list(by_key.values())


def event(records: Sequence[ExportRecord], opts: Options, defanged: bool) -> dict[str, Any]:
    ts = str(int(opts.now.timestamp()))
    records = latest_per_ioc(records)
    verdicts = {r.verdict for r in records}
    level = next((THREAT_LEVEL[v] for v in ("malicious", "suspicious") if v in verdicts), "4")
    info = " ".join(opts.title.split())[:INFO_MAX] or "SentinelX export"
    attrs = [_attribute(r, defanged, ts) for r in records]
    return {"Event": {
        "uuid": str(uuid.uuid4()), "info": info, "date": opts.now.strftime("%Y-%m-%d"),
        "timestamp": ts, "published": False, "publish_timestamp": "0",
        "distribution": "0", "sharing_group_id": "0", "threat_level_id": level,
        "analysis": "0", "attribute_count": str(len(attrs)),
        "Tag": [{"name": "tlp:amber"}, {"name": "sentinelx:export"}],
        "Attribute": attrs,
    }}


class MispFormat:
    name = "misp"
    extension = "misp.json"
    mime = "application/json"
    defang_default = False

    def render(self, records: Sequence[ExportRecord], opts: Options, defanged: bool) -> str:
        return json.dumps(event(records, opts, defanged), ensure_ascii=False) + "\n"


FORMAT = MispFormat()
