"""AlienVault OTX DirectConnect v1: the `general` section of an indicator, i.e. the
community pulses (threat reports) that list it, and OTX's allow-list hits (`validation`).

Verdict (PROVIDERS.md §1.10):
- clean:      `validation` non-empty (allow-listed, e.g. a top domain or a public DNS)
- malicious:  a pulse names malware families, or >= `malicious_pulses` pulses (default 3)
- suspicious: 1 pulse or more
- no_data:    `pulse_info.count` 0, or 404: absent pulses are unknown, never clean
A CVE is never malicious or clean: its pulses are context (no_data with a summary).
Score: log1p(pulses) / log1p(50), at least 0.55 when malicious, at most 0.5 when suspicious.
"""

from __future__ import annotations

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
    Severity,
    Verdict,
)
from sentinelx.enrichment.providers.base import (
    HEX_DIGITS,
    NO_DATA,
    Provider,
    ProviderSpec,
    count,
    ip_address,
    json_body,
    judgement,
    opt_text,
    text_list,
)
from sentinelx.pipeline.models import IOC, IOCType

API_ROOT = "/api/v1"
GUI = "https://otx.alienvault.com"
# Path type per IOC type (OTX-SDK IndicatorTypes.py); all hashes are `file`. Domains go to
# `domain` as IntelOwl and Cyberbro do (OTX's `hostname` is not used).
OTX_TYPE = {
    IOCType.IPV4: "IPv4", IOCType.IPV6: "IPv6", IOCType.DOMAIN: "domain", IOCType.URL: "url",
    IOCType.MD5: "file", IOCType.SHA1: "file", IOCType.SHA256: "file", IOCType.CVE: "cve",
}
_GUI_TYPE = {"IPv4": "ip", "IPv6": "ip"}
_HASH_LEN = {IOCType.MD5: 32, IOCType.SHA1: 40, IOCType.SHA256: 64}
_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+"
                       r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_CVE = re.compile(r"CVE-[0-9]{4}-[0-9]{4,7}")
MAX_URL = 2048
MAX_PULSES = 10  # kept in the facts (the count is kept whole)
_SENDS_URL = "the full URL"


class OTX(Provider):
    SPEC = ProviderSpec(
        name="otx",
        label="AlienVault OTX",
        types=frozenset(OTX_TYPE),
        default_base_url="https://otx.alienvault.com/api/v1",
        key="required",  # keyless calls stopped returning results in 2025 (PROVIDERS.md §1.10)
        key_pattern=None,  # 64 characters is only observed by third parties (§7.2)
        key_hint="OTX keys seen so far are 64 letters and digits (Settings > OTX Key)",
        sends={"ipv4": "the IP address", "ipv6": "the IP address", "domain": "the domain name",
               "url": _SENDS_URL, "md5": "the hash", "sha1": "the hash", "sha256": "the hash",
               "cve": "the CVE id"},
        settings={"malicious_pulses": Setting(
            3, int_range(1, 1000), "pulses listing an indicator for 'malicious' (fewer: suspicious)")},
        docs="https://otx.alienvault.com/api",
    )

    def _root(self) -> str:
        return self.base_url if self.base_url.endswith(API_ROOT) else self.base_url + API_ROOT

    def _headers(self) -> dict[str, str]:
        return {"X-OTX-API-KEY": self.ctx.key or "", "Accept": "application/json"}

    def target(self, ioc: IOC) -> tuple[str, str]:
        return indicator(ioc)

    def request(self, ioc: IOC) -> HttpRequest:
        kind, value = self.target(ioc)
        # Every character outside A-Za-z0-9_.-~ is escaped, "/" included: a URL's own
        # slashes and dot segments must never reach (or be normalised in) the API path.
        path = f"{self._root()}/indicators/{kind}/{quote(value, safe='')}/general"
        return HttpRequest("GET", path, self._headers())

    def verify_key(self) -> HttpRequest | None:
        return HttpRequest("GET", f"{self._root()}/users/me", self._headers())

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        try:
            kind, value = indicator(ioc)
        except ValueError:
            return None
        safe = "" if kind == "url" else ":"
        return f"{GUI}/indicator/{_GUI_TYPE.get(kind, kind)}/{quote(value, safe=safe)}"

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        if resp.status == 404:  # the SDK's NotFound; usually OTX answers 200 with 0 pulses
            return self.observe(False, empty_facts())
        if resp.status != 200:
            return self.status_error(resp, error_detail(resp))
        doc = json_body(resp)
        if not isinstance(doc, dict):
            raise BadResponse("the reply is not an object")
        facts = read_facts(doc)
        return self.observe(facts["pulse_count"] > 0 or bool(facts["validation"]), facts)

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        f = obs.facts
        if f.get("validation"):
            first = f["validation"][0]
            why = first.get("message") or first.get("source") or "allow-listed"
            return judgement(Verdict.CLEAN, 0.0, f"allow-listed: {why}"[:120])
        n = count(f.get("pulse_count", 0), "pulse_count")
        if n == 0:
            return NO_DATA
        families = f.get("malware_families") or []
        summary = f"{n} pulse{'s' if n != 1 else ''}"
        if families:
            summary += ", " + ", ".join(families[:3])
        if ioc.type is IOCType.CVE:  # context for a CVE, never a verdict
            return Judgement(Verdict.NO_DATA, 0.0, Severity.BENIGN, summary)
        weight = math.log1p(n) / math.log1p(50)
        if families or n >= int(self.setting("malicious_pulses")):
            return judgement(Verdict.MALICIOUS, max(0.55, weight), summary)
        return judgement(Verdict.SUSPICIOUS, min(0.5, weight), summary)


def indicator(ioc: IOC) -> tuple[str, str]:
    """OTX's path type and value for this IOC; ValueError for a value of the wrong shape."""
    kind = OTX_TYPE.get(ioc.type)
    if kind is None:
        raise ValueError(f"OTX has no lookup for {ioc.type.value}")
    if ioc.type in (IOCType.IPV4, IOCType.IPV6):
        return kind, ip_address(ioc)
    if ioc.type in _HASH_LEN:
        v = ioc.value.lower()
        if len(v) != _HASH_LEN[ioc.type] or not HEX_DIGITS.issuperset(v):
            raise ValueError(f"not a {ioc.type.value} hash")
        return kind, v
    if ioc.type is IOCType.DOMAIN:
        v = ioc.value.lower().rstrip(".")
        if not _HOSTNAME.fullmatch(v):
            raise ValueError("not a domain name")
        return kind, v
    if ioc.type is IOCType.CVE:
        v = ioc.value.upper()
        if not _CVE.fullmatch(v):
            raise ValueError("not a CVE id")
        return kind, v
    parts = urlsplit(ioc.value)
    if parts.scheme.lower() not in ("http", "https", "ftp") or not parts.netloc:
        raise ValueError("not an http(s) or ftp URL")
    if len(ioc.value) > MAX_URL:
        raise ValueError(f"URL longer than {MAX_URL} characters")
    return kind, ioc.value


def empty_facts() -> dict[str, Any]:
    return {"indicator": None, "pulse_count": 0, "pulses": [], "malware_families": [],
            "adversaries": [], "validation": []}


def _families(v: Any, name: str) -> list[str]:
    """Malware families: a list of {"display_name"|"id"} objects (pulses) or of strings
    (`related`); null is []."""
    if v is None:
        return []
    if not isinstance(v, list):
        raise BadResponse(f"{name} is not a list")
    out = []
    for item in v:
        if isinstance(item, dict):
            label = opt_text(item.get("display_name"), f"{name}.display_name", 100) \
                or opt_text(item.get("id"), f"{name}.id", 100)
        elif isinstance(item, str):
            label = item[:100] or None
        else:
            raise BadResponse(f"{name} holds a {type(item).__name__}")
        if label:
            out.append(label)
    return out


def _pulse(p: Any) -> dict[str, Any]:
    if not isinstance(p, dict):
        raise BadResponse("a pulse is not an object")
    name = opt_text(p.get("name"), "pulse.name", 200)
    if name is None:
        raise BadResponse("a pulse has no name")
    return {
        "id": opt_text(p.get("id"), "pulse.id", 40),
        "name": name,
        "created": opt_text(p.get("created"), "pulse.created", 40),
        "adversary": opt_text(p.get("adversary"), "pulse.adversary", 100),
        "malware_families": _families(p.get("malware_families"), "pulse.malware_families")[:10],
        "tags": text_list(p.get("tags"), "pulse.tags", 10),
    }


def _unique(items: list[str], limit: int) -> list[str]:
    seen: dict[str, None] = {}
    for s in items:
        seen.setdefault(s, None)
    return list(seen)[:limit]


def read_facts(doc: dict[str, Any]) -> dict[str, Any]:
    """The facts of a `general` answer; BadResponse for any field of the wrong type."""
    info = doc.get("pulse_info")
    if not isinstance(info, dict):
        raise BadResponse("no pulse_info object in the reply")
    raw = info.get("pulses")
    raw = [] if raw is None else raw
    if not isinstance(raw, list):
        raise BadResponse("pulse_info.pulses is not a list")
    if info.get("count") is None and not raw:
        raise BadResponse("pulse_info has neither a count nor pulses")
    # The count is the total; `pulses` may be cut short, never longer.
    n = len(raw) if info.get("count") is None else count(info["count"], "pulse_info.count")
    if len(raw) > n:
        raise BadResponse("pulse_info.pulses is not a list of at most `count` pulses")
    pulses = [_pulse(p) for p in raw]
    related = info.get("related")
    related_families: list[str] = []
    related_adversaries: list[str] = []
    if related is not None:
        if not isinstance(related, dict):
            raise BadResponse("pulse_info.related is not an object")
        for source in ("alienvault", "other"):
            block = related.get(source)
            if block is None:
                continue
            if not isinstance(block, dict):
                raise BadResponse(f"pulse_info.related.{source} is not an object")
            related_families += _families(block.get("malware_families"), "related.malware_families")
            related_adversaries += text_list(block.get("adversary"), "related.adversary")
    validation = doc.get("validation")
    validation = [] if validation is None else validation
    if not isinstance(validation, list) or not all(isinstance(v, dict) for v in validation):
        raise BadResponse("validation is not a list of objects")
    return {
        "indicator": opt_text(doc.get("indicator"), "indicator", 300),
        "pulse_count": n,
        "pulses": pulses[:MAX_PULSES],
        "malware_families": _unique(
            [f for p in pulses for f in p["malware_families"]] + related_families, 20),
        "adversaries": _unique(
            [p["adversary"] for p in pulses if p["adversary"]] + related_adversaries, 10),
        "validation": [{"source": opt_text(v.get("source"), "validation.source", 60),
                        "message": opt_text(v.get("message"), "validation.message", 200)}
                       for v in validation[:10]],
    }


def error_detail(resp: HttpResponse) -> str:
    """`detail` of an OTX (Django REST) error body; "" for anything else."""
    try:
        doc = json_body(resp)
    except BadResponse:
        return ""
    detail = doc.get("detail") if isinstance(doc, dict) else None
    return detail[:200] if isinstance(detail, str) else ""
