"""VirusTotal API v3 on the provider core: endpoint map, facts, verdict, GUI links.

Verdict (thresholds from settings, applied on every read, so cached facts follow a change):
- malicious:  malicious engines >= providers.virustotal.malicious_threshold (vt.* alias)
- suspicious: otherwise, malicious + suspicious engines >= suspicious_threshold
- clean:      no such detections AND an analysis exists (last_analysis_date and engines > 0)
- no_data:    404, or an object that was never analysed
Score: log1p(w) / log1p(20) capped at 1, w = malicious + suspicious / 2 engines, so
1 engine ~0.23, 5 ~0.59, 20+ = 1. Severity bins in base.severity_for.
"""

from __future__ import annotations

import base64
import math
import re
from typing import Any
from urllib.parse import quote, urlsplit

from sentinelx.config import Setting, int_range
from sentinelx.enrichment.http import HttpRequest, HttpResponse
from sentinelx.enrichment.models import (
    BadResponse,
    EnrichmentError,
    Judgement,
    Observation,
    Verdict,
    iso_utc,
)
from sentinelx.enrichment.providers.base import (
    HEX_DIGITS,
    NO_DATA,
    Provider,
    ProviderSpec,
    count,
    json_body,
    judgement,
    parsed_ip,
    text,
    texts,
)
from sentinelx.pipeline.models import IOC, IOCType

GUI = "https://www.virustotal.com/gui"
COLLECTIONS: dict[IOCType, str] = {
    IOCType.IPV4: "ip_addresses",
    IOCType.IPV6: "ip_addresses",
    IOCType.DOMAIN: "domains",
    IOCType.URL: "urls",
    IOCType.MD5: "files",
    IOCType.SHA1: "files",
    IOCType.SHA256: "files",
}
_GUI_KIND = {"ip_addresses": "ip-address", "domains": "domain", "files": "file", "urls": "url"}
_HASH_LEN = {IOCType.MD5: 32, IOCType.SHA1: 40, IOCType.SHA256: 64}
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*"
                       r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Engines that gave a verdict; timeouts, failures and unsupported types did not.
_ANSWERED = ("harmless", "malicious", "suspicious", "undetected")
MAX_ENGINES = 10_000  # VT has ~95 engines; anything near this is not a real answer
LATEST_DATE = 4_102_444_800  # 2100-01-01: a later "last analysis" is not a real answer
MAX_TAGS = 50

SPEC = ProviderSpec(
    name="virustotal",
    label="VirusTotal",
    types=frozenset(COLLECTIONS),
    default_base_url="https://www.virustotal.com/api/v3",
    key="required",
    key_pattern=r"[0-9a-fA-F]{64}",
    key_hint="64 hexadecimal characters",
    per_minute=4,
    per_day=500,
    role="verdict",
    sends={
        "ipv4": "the IP address", "ipv6": "the IP address", "domain": "the domain name",
        "url": "the full URL", "md5": "the hash", "sha1": "the hash", "sha256": "the hash",
    },
    settings={
        "malicious_threshold": Setting(1, int_range(1, 1000),
                                       "engines saying malicious for 'malicious'"),
        "suspicious_threshold": Setting(
            1, int_range(1, 1000),
            "malicious + suspicious engines, below the malicious threshold, for 'suspicious'"),
    },
    docs="https://docs.virustotal.com/reference/overview",
)


def url_id(url: str) -> str:
    """VT's URL identifier: unpadded urlsafe base64 of the URL."""
    return base64.urlsafe_b64encode(url.encode()).decode().strip("=")


def object_id(ioc_type: IOCType, value: str) -> str:
    """The path segment for this IOC; raises ValueError for a value of the wrong shape,
    so nothing odd (slashes, dot segments, '@') ever reaches the URL."""
    if ioc_type in (IOCType.IPV4, IOCType.IPV6):
        parsed = parsed_ip(value)
        if parsed is None:
            raise ValueError(f"{value[:80]!r} does not appear to be an IPv4 or IPv6 address")
        if (parsed[0] == 4) != (ioc_type is IOCType.IPV4):
            raise ValueError(f"not an {ioc_type.value} address")
        return parsed[1]
    if ioc_type in _HASH_LEN:
        v = value.lower()
        if len(v) != _HASH_LEN[ioc_type] or not HEX_DIGITS.issuperset(v):
            raise ValueError(f"not a {ioc_type.value} hash")
        return v
    if ioc_type is IOCType.DOMAIN:
        v = value.lower().rstrip(".")
        if not _HOSTNAME.match(v):
            raise ValueError("not a domain name")
        return v
    if ioc_type is IOCType.URL:
        if not urlsplit(value).scheme or len(value) > 8192:
            raise ValueError("not a URL")
        return url_id(value)
    raise ValueError(f"{ioc_type.value} is not looked up on VirusTotal")


def score_for(malicious: int, suspicious: int) -> float:
    w = malicious + suspicious / 2
    return round(min(1.0, math.log1p(w) / math.log1p(20)), 3)


def gui_link(ioc_type: IOCType, value: str, vt_id: str | None = None) -> str:
    collection = COLLECTIONS[ioc_type]
    if collection == "urls":
        # The GUI names URLs by VT's own id (sha256 of its canonical form) when known.
        ident = vt_id if vt_id and re.fullmatch(r"[0-9a-f]{64}", vt_id) else None
        return f"{GUI}/url/{ident}" if ident else f"{GUI}/search/{quote(value, safe='')}"
    return f"{GUI}/{_GUI_KIND[collection]}/{quote(object_id(ioc_type, value), safe=':')}"


def _stats(raw: Any) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadResponse("last_analysis_stats is not an object")
    out: dict[str, int] = {}
    for k, v in list(raw.items())[:32]:
        if isinstance(k, str) and len(k) <= 40:
            out[k] = count(v, f"last_analysis_stats.{k[:40]}", high=MAX_ENGINES)
    return out


def _date(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= LATEST_DATE:
        raise BadResponse(f"last_analysis_date is not a date: {str(v)[:40]!r}")
    return iso_utc(v)


def facts_from(attrs: dict[str, Any], vt_id: Any) -> dict[str, Any]:
    """The facts VirusTotal gives about one object; BadResponse for impossible values."""
    stats = _stats(attrs.get("last_analysis_stats"))
    facts: dict[str, Any] = {
        "malicious": stats.get("malicious", 0),
        "suspicious": stats.get("suspicious", 0),
        "harmless": stats.get("harmless", 0),
        "undetected": stats.get("undetected", 0),
        "engines": sum(stats.get(k, 0) for k in _ANSWERED),
        "last_analysis_date": _date(attrs.get("last_analysis_date")),
        "tags": texts(attrs.get("tags"), MAX_TAGS),
    }
    rep = attrs.get("reputation")
    if rep is not None:
        if isinstance(rep, bool) or not isinstance(rep, int) or not -10**6 <= rep <= 10**6:
            raise BadResponse(f"reputation is not a number: {str(rep)[:40]!r}")
        facts["reputation"] = rep
    if isinstance(vt_id, str) and (ident := text(vt_id, 128)):
        facts["id"] = ident
    for key in ("as_owner", "country", "network", "meaningful_name", "type_description"):
        if s := text(attrs.get(key)):
            facts[key] = s
    if attrs.get("size") is not None:
        facts["size"] = count(attrs["size"], "size", high=2**53)
    ptc = attrs.get("popular_threat_classification")
    if isinstance(ptc, dict) and (label := text(ptc.get("suggested_threat_label"))):
        facts["threat_label"] = label
    cats = attrs.get("categories")
    if isinstance(cats, dict):
        values = sorted({c[:512] for c in cats.values() if isinstance(c, str) and c})[:MAX_TAGS]
        if values:
            facts["categories"] = values
    votes = attrs.get("total_votes")
    if isinstance(votes, dict):
        facts["votes_harmless"] = count(votes.get("harmless", 0), "total_votes.harmless")
        facts["votes_malicious"] = count(votes.get("malicious", 0), "total_votes.malicious")
    return facts


def _vt_error(body: bytes) -> tuple[str | None, str]:
    import json

    try:
        err = json.loads(body).get("error", {})
        code, message = err.get("code"), err.get("message")
    except (ValueError, AttributeError, RecursionError):
        return None, ""
    return (code[:64] if isinstance(code, str) else None,
            message[:200] if isinstance(message, str) else "")


class VirusTotal(Provider):
    SPEC = SPEC

    def target(self, ioc: IOC) -> str:
        if ioc.type not in COLLECTIONS:
            raise ValueError(f"{ioc.type.value} is not looked up on VirusTotal")
        return object_id(ioc.type, ioc.value)

    def request(self, ioc: IOC) -> HttpRequest:
        ident = quote(self.target(ioc), safe=":")
        return HttpRequest("GET", f"{self.base_url}/{COLLECTIONS[ioc.type]}/{ident}",
                           self._headers())

    def _headers(self) -> dict[str, str]:
        return {"x-apikey": self.ctx.key or "", "Accept": "application/json"}

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        if resp.status == 404:
            return self.observe(False)
        if resp.status != 200:
            vt_code, vt_msg = _vt_error(resp.body)
            err = self.status_error(resp, vt_msg)
            if resp.status == 429 and not vt_code:
                vt_code = "QuotaExceededError"
            return self.error(err.code, err.message, vt_code)
        doc = json_body(resp)
        data = doc.get("data") if isinstance(doc, dict) else None
        attrs = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(attrs, dict):
            raise BadResponse("no data.attributes in the reply")
        return self.observe(True, facts_from(attrs, data.get("id")))

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        if not obs.found:
            return NO_DATA
        f = obs.facts
        mal, sus, engines = f["malicious"], f["suspicious"], f["engines"]
        t_mal = self.ctx.settings.get("malicious_threshold", 1)
        t_sus = self.ctx.settings.get("suspicious_threshold", 1)
        summary = f"{mal}/{engines} engines" if engines else ""
        if mal >= t_mal:
            return judgement(Verdict.MALICIOUS, score_for(mal, sus), summary)
        if mal + sus >= t_sus and mal + sus > 0:
            return judgement(Verdict.SUSPICIOUS, score_for(mal, sus),
                             f"{mal + sus}/{engines} engines")
        if f.get("last_analysis_date") and engines > 0:
            return judgement(Verdict.CLEAN, 0.0, summary)
        return NO_DATA

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        try:
            return gui_link(ioc.type, ioc.value, obs.facts.get("id") if obs else None)
        except (KeyError, ValueError):
            return None

    def verify_key(self) -> HttpRequest | None:
        return HttpRequest("GET", f"{self.base_url}/metadata", self._headers())
