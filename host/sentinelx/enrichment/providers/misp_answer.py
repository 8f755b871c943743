"""Reading MISP's restSearch answer: one Attribute (and its Event) into checked facts, and
the rule that gives one attribute its verdict. Every field is checked: a wrong shape is a
BadResponse, never a verdict."""

from __future__ import annotations

import re
from typing import Any

from sentinelx.enrichment.models import BadResponse, Verdict
from sentinelx.enrichment.providers.base import text

THREAT_LEVELS = {1: "high", 2: "medium", 3: "low", 4: "undefined"}
MAX_TAGS = 20


def _bool(v: Any, name: str, default: bool | None = None) -> bool:
    if v is None and default is not None:
        return default
    if isinstance(v, bool):
        return v
    raise BadResponse(f"{name} is not a boolean: {str(v)[:20]!r}")


def _int_id(v: Any, name: str) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | str) or not re.fullmatch(r"\d{1,12}", str(v)):
        raise BadResponse(f"{name} is not an id: {str(v)[:20]!r}")
    return int(v)


def _tags(v: Any) -> list[str]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise BadResponse("Tag is not a list")
    out = [t["name"][:128] for t in v if isinstance(t, dict) and isinstance(t.get("name"), str)]
    return list(dict.fromkeys(out))[:MAX_TAGS]


def _sightings(v: Any) -> tuple[int, int]:
    """(sightings, false positives) from Sighting[] (type "0" sighting, "1" false positive,
    "2" expiration)."""
    if v is None:
        return 0, 0
    if not isinstance(v, list):
        raise BadResponse("Sighting is not a list")
    seen = fp = 0
    for s in v:
        kind = s.get("type", "0") if isinstance(s, dict) else None
        if str(kind) not in ("0", "1", "2") or isinstance(kind, bool):
            raise BadResponse(f"unknown sighting type {str(kind)[:10]!r}")
        seen += str(kind) == "0"
        fp += str(kind) == "1"
    return seen, fp


def _warnings(v: Any) -> list[str]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise BadResponse("warnings is not a list")
    names = [w.get("warninglist_name") or f"warninglist {w.get('warninglist_id')}"
             for w in v if isinstance(w, dict)]
    return [str(n)[:200] for n in dict.fromkeys(names)][:10]


def attribute(a: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(attribute facts, event facts) for one Attribute; BadResponse if it is not one."""
    if not isinstance(a, dict):
        raise BadResponse("an Attribute is not an object")
    ev = a.get("Event")
    if not isinstance(ev, dict):
        raise BadResponse("an Attribute has no Event")
    event_id = _int_id(ev.get("id", a.get("event_id")), "Event.id")
    level = _int_id(ev.get("threat_level_id"), "threat_level_id")
    if level is not None and level not in THREAT_LEVELS:
        raise BadResponse(f"threat_level_id {level} is not 1..4")
    orgc = ev.get("Orgc")
    event = {
        "id": event_id,
        "info": text(ev.get("info"), 300),
        "published": _bool(ev.get("published"), "Event.published", default=False),
        "threat_level": THREAT_LEVELS.get(level) if level else None,
        "date": text(ev.get("date"), 20),
        "org": text(orgc.get("name"), 100) if isinstance(orgc, dict) else None,
    }
    seen, fp = _sightings(a.get("Sighting"))
    attr = {
        "id": _int_id(a.get("id"), "Attribute.id"),
        "event_id": event_id,
        "type": text(a.get("type"), 64),
        "category": text(a.get("category"), 64),
        "to_ids": _bool(a.get("to_ids"), "to_ids"),
        "comment": text(a.get("comment"), 300),
        "tags": _tags(a.get("Tag")),
        "sightings": seen,
        "false_positives": fp,
        "warninglists": _warnings(a.get("warnings")),
    }
    return attr, event


_LEVELS = (Verdict.CLEAN, Verdict.SUSPICIOUS, Verdict.MALICIOUS)


def attribute_verdict(attr: dict[str, Any], event: dict[str, Any] | None) -> tuple[Verdict, str]:
    """One attribute's verdict and the rule that gave it (for the summary)."""
    where = f"event #{attr.get('event_id')}"
    if event and event.get("info"):
        where += f" ({event['info'][:60]})"
    if attr.get("to_ids") and event and event.get("published"):
        level, rule = 2, f"IDS attribute in published {where}"
    elif attr.get("to_ids"):
        level, rule = 1, f"IDS attribute in unpublished {where}"
    else:
        level, rule = 1, f"in {where}, not for IDS"
    demoted = []
    if attr.get("warninglists"):
        demoted.append(f"on warninglist {attr['warninglists'][0]}")
    if attr.get("false_positives"):
        demoted.append(f"{attr['false_positives']} false-positive sighting(s)")
    if demoted:
        level -= 1
        rule += "; lowered: " + ", ".join(demoted)
    return _LEVELS[level], rule
