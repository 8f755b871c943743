"""VirusTotal API v3: endpoint map, verdict/score/severity, GUI links.

Verdict (thresholds from config, documented in README):
- malicious:  malicious engines >= vt.malicious_threshold
- suspicious: otherwise, malicious + suspicious engines >= vt.suspicious_threshold
- clean:      no such detections AND an analysis exists (last_analysis_date and engines > 0)
- no_data:    404, or an object that was never analysed
Score: log1p(w) / log1p(20) capped at 1, w = malicious + suspicious / 2 engines, so
1 engine ~0.23, 5 ~0.59, 20+ = 1. Severity bins: 0 benign, <0.3 low, <0.55 medium,
<0.85 high, else critical.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from sentinelx.enrichment.http import HttpError, SafeHttp, allowlist
from sentinelx.enrichment.models import (
    EnrichmentError,
    EnrichmentResult,
    ErrorCode,
    Outcome,
    Severity,
    Verdict,
    iso_utc,
)
from sentinelx.pipeline.models import IOCType

NAME = "virustotal"
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
MAX_TAGS = 50
MAX_STR = 512


@dataclass(frozen=True, slots=True)
class Thresholds:
    malicious: int = 1
    suspicious: int = 1


def url_id(url: str) -> str:
    """VT's URL identifier: unpadded urlsafe base64 of the URL."""
    return base64.urlsafe_b64encode(url.encode()).decode().strip("=")


def object_id(ioc_type: IOCType, value: str) -> str:
    """The path segment for this IOC; raises ValueError for a value of the wrong shape,
    so nothing odd (slashes, dot segments, '@') ever reaches the URL."""
    if ioc_type in (IOCType.IPV4, IOCType.IPV6):
        ip = ipaddress.ip_address(value)
        if (ip.version == 4) != (ioc_type is IOCType.IPV4):
            raise ValueError(f"not an {ioc_type.value} address")
        return ip.compressed
    if ioc_type in _HASH_LEN:
        v = value.lower()
        if len(v) != _HASH_LEN[ioc_type] or not all(c in "0123456789abcdef" for c in v):
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


def verdict_for(stats: dict[str, int], analysed: bool, t: Thresholds) -> Verdict:
    mal, sus = stats.get("malicious", 0), stats.get("suspicious", 0)
    if mal >= t.malicious:
        return Verdict.MALICIOUS
    if mal + sus >= t.suspicious and mal + sus > 0:
        return Verdict.SUSPICIOUS
    return Verdict.CLEAN if analysed else Verdict.NO_DATA


def score_for(malicious: int, suspicious: int) -> float:
    w = malicious + suspicious / 2
    return round(min(1.0, math.log1p(w) / math.log1p(20)), 3)


def severity_for(score: float) -> Severity:
    if score <= 0:
        return Severity.BENIGN
    if score < 0.3:
        return Severity.LOW
    if score < 0.55:
        return Severity.MEDIUM
    if score < 0.85:
        return Severity.HIGH
    return Severity.CRITICAL


def gui_link(ioc_type: IOCType, value: str, vt_id: str | None = None) -> str:
    collection = COLLECTIONS[ioc_type]
    if collection == "urls":
        # The GUI names URLs by VT's own id (sha256 of its canonical form) when known.
        ident = vt_id if vt_id and re.fullmatch(r"[0-9a-f]{64}", vt_id) else None
        return f"{GUI}/url/{ident}" if ident else f"{GUI}/search/{quote(value, safe='')}"
    return f"{GUI}/{_GUI_KIND[collection]}/{quote(object_id(ioc_type, value), safe=':')}"


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else 0


def _str(v: Any) -> str | None:
    return v[:MAX_STR] if isinstance(v, str) and v else None


def _details(attrs: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    out: dict[str, Any] = {}
    for key in ("as_owner", "country", "network", "meaningful_name", "type_description"):
        if s := _str(attrs.get(key)):
            out[key] = s
    if isinstance(attrs.get("size"), int) and not isinstance(attrs["size"], bool):
        out["size"] = attrs["size"]
    ptc = attrs.get("popular_threat_classification")
    if isinstance(ptc, dict) and (label := _str(ptc.get("suggested_threat_label"))):
        out["threat_label"] = label
    cats = attrs.get("categories")
    if isinstance(cats, dict):
        values = sorted({c[:MAX_STR] for c in cats.values() if isinstance(c, str)})[:MAX_TAGS]
        if values:
            out["categories"] = tuple(values)
    votes = attrs.get("total_votes")
    if isinstance(votes, dict):
        out["votes_harmless"] = _int(votes.get("harmless"))
        out["votes_malicious"] = _int(votes.get("malicious"))
    return tuple(sorted(out.items()))


def parse_object(ioc_type: IOCType, value: str, doc: Any, t: Thresholds,
                 now: float) -> EnrichmentResult:
    """Map a v3 object reply to a result; raises ValueError if it is not v3-shaped."""
    data = doc.get("data") if isinstance(doc, dict) else None
    attrs = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(attrs, dict):
        raise ValueError("no data.attributes in the reply")
    raw_stats = attrs.get("last_analysis_stats")
    stats = {k: _int(v) for k, v in raw_stats.items()} if isinstance(raw_stats, dict) else {}
    engines = sum(stats.get(k, 0) for k in _ANSWERED)
    date = attrs.get("last_analysis_date")
    date_ts = date if isinstance(date, int | float) and not isinstance(date, bool) else None
    analysed = date_ts is not None and engines > 0
    verdict = verdict_for(stats, analysed, t)
    mal, sus = stats.get("malicious", 0), stats.get("suspicious", 0)
    score = score_for(mal, sus) if verdict in (Verdict.MALICIOUS, Verdict.SUSPICIOUS) else 0.0
    rep = attrs.get("reputation")
    tags = attrs.get("tags") if isinstance(attrs.get("tags"), list) else []
    return EnrichmentResult(
        provider=NAME, verdict=verdict, detections=mal, suspicious=sus, engines=engines,
        last_analysis_date=iso_utc(date_ts),
        reputation=rep if isinstance(rep, int) and not isinstance(rep, bool) else None,
        tags=tuple(s[:MAX_STR] for s in tags if isinstance(s, str))[:MAX_TAGS],
        details=_details(attrs), score=score, severity=severity_for(score),
        link=gui_link(ioc_type, value, data.get("id") if isinstance(data.get("id"), str) else None),
        fetched_at=iso_utc(now) or "",
    )


def no_data(ioc_type: IOCType, value: str, now: float) -> EnrichmentResult:
    return EnrichmentResult(
        provider=NAME, verdict=Verdict.NO_DATA, detections=0, suspicious=0, engines=0,
        last_analysis_date=None, reputation=None, tags=(), details=(), score=0.0,
        severity=Severity.BENIGN, link=gui_link(ioc_type, value), fetched_at=iso_utc(now) or "",
    )


def _vt_error(body: bytes) -> tuple[str | None, str]:
    try:
        err = json.loads(body).get("error", {})
        code, message = err.get("code"), err.get("message")
    except (ValueError, AttributeError):
        return None, ""
    return (code if isinstance(code, str) else None,
            message[:200] if isinstance(message, str) else "")


class VirusTotal:
    name = NAME

    def __init__(self, base_url: str, api_key: str | None, *, thresholds: Thresholds = Thresholds(),
                 http: SafeHttp | None = None, clock=time.time) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key or ""
        self.thresholds = thresholds
        self.http = http or SafeHttp(allowlist([self.base_url]))
        self.clock = clock

    def __repr__(self) -> str:  # never show the key, even in a traceback's locals
        return f"VirusTotal({self.base_url!r}, key=****)"

    def supports(self, ioc_type: IOCType) -> bool:
        return ioc_type in COLLECTIONS

    def url_for(self, ioc_type: IOCType, value: str) -> str:
        ident = quote(object_id(ioc_type, value), safe=":")
        return f"{self.base_url}/{COLLECTIONS[ioc_type]}/{ident}"

    def _error(self, code: ErrorCode, message: str, vt_code: str | None = None) -> EnrichmentError:
        # A server could echo request headers back; make sure the key never travels on.
        if self._key:
            message = message.replace(self._key, "****")
        return EnrichmentError(NAME, code, message, provider_code=vt_code)

    def check(self, ioc_type: IOCType, value: str) -> EnrichmentError | None:
        """Why this IOC cannot be looked up at all (no I/O, no quota), or None."""
        if not self.supports(ioc_type):
            return self._error(ErrorCode.UNSUPPORTED,
                               f"VirusTotal has no lookup for {ioc_type.value}")
        try:
            self.url_for(ioc_type, value)
        except ValueError as e:
            return self._error(ErrorCode.BAD_REQUEST, str(e))
        return None

    def fetch(self, ioc_type: IOCType, value: str) -> Outcome:
        if problem := self.check(ioc_type, value):
            return problem
        url = self.url_for(ioc_type, value)
        try:
            resp = self.http.get(url, {"x-apikey": self._key, "Accept": "application/json"})
        except HttpError as e:
            return self._error(ErrorCode(e.code), e.message)
        now = self.clock()
        vt_code, vt_msg = _vt_error(resp.body) if resp.status >= 400 else (None, "")
        detail = f": {vt_msg}" if vt_msg else ""
        if resp.status == 404:
            return no_data(ioc_type, value, now)
        if resp.status in (401, 403):
            return self._error(ErrorCode.AUTH, f"VirusTotal refused the API key "
                               f"({resp.status} {vt_code or ''}){detail}".replace(" )", ")"),
                               vt_code)
        if resp.status == 429:
            return self._error(ErrorCode.RATE_LIMITED, f"VirusTotal quota exceeded{detail}",
                               vt_code or "QuotaExceededError")
        if resp.status >= 500:
            return self._error(ErrorCode.SERVER_ERROR, f"VirusTotal error {resp.status}{detail}",
                               vt_code)
        if resp.status != 200:
            code = ErrorCode.BAD_REQUEST if resp.status == 400 else ErrorCode.BAD_RESPONSE
            return self._error(code, f"VirusTotal answered {resp.status}{detail}", vt_code)
        try:
            return parse_object(ioc_type, value, json.loads(resp.body), self.thresholds, now)
        except (ValueError, UnicodeDecodeError) as e:
            msg = "malformed JSON" if isinstance(e, json.JSONDecodeError) else str(e)[:100]
            return self._error(ErrorCode.BAD_RESPONSE, f"unusable reply from VirusTotal: {msg}")
