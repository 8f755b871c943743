"""abuse.ch ThreatFox: vetted IOCs (C2s, payload hosts, samples) with a confidence level.

One endpoint, JSON POST (PROVIDERS.md §1.2): `search_ioc` for an IPv4 address, domain or
URL; `search_hash` for an md5/sha256 (the IOCs seen with that sample). IPs are stored as
`ip:port`, so a bare IP matches rows whose host part is that IP; a row for any other value
(a broader match) is set aside, never counted. Not found is `no_result` (singular).

Verdict (PROVIDERS.md §1.2 proposal): the highest confidence_level among the matching rows
>= `malicious_confidence` (setting, default 50) -> malicious, else suspicious.
`no_result` -> no_data; `illegal_search_term` -> no_data ("not searchable"), as clients do.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from sentinelx.config import ConfigError, Setting, Value
from sentinelx.enrichment.models import BadResponse, EnrichmentError, Judgement, Observation, Verdict
from sentinelx.enrichment.providers import abusech as ac
from sentinelx.enrichment.providers.base import (
    NO_DATA,
    Provider,
    ProviderSpec,
    judgement,
    parsed_problem,
)
from sentinelx.pipeline.models import IOC, IOCType

if TYPE_CHECKING:
    from sentinelx.enrichment.http import HttpRequest, HttpResponse

WEB = "https://threatfox.abuse.ch"
# search_hash answers are documented as no_result; clients also meet the other spellings.
NOT_FOUND = frozenset({"no_result", "no_results", "hash_not_found", "illegal_search_term"})
REJECTED = frozenset({"illegal_hash", "unknown_query", "missing_search_term", "missing_hash"})
DEFAULT_MALICIOUS = 50
MAX_ROWS = 1000
KEEP_ROWS = 10
THREATS = {"botnet_cc": "botnet C2", "payload_delivery": "payload delivery",
           "payload": "malware payload", "cc_skimming": "card skimming"}
HASH_TYPES = (IOCType.MD5, IOCType.SHA256)


def _confidence_setting(v: Value) -> Value:
    if isinstance(v, bool):
        raise ConfigError("expected an integer from 0 to 100")
    try:
        n = v if isinstance(v, int) else int(str(v).strip())
    except ValueError as e:
        raise ConfigError("expected an integer from 0 to 100") from e
    if not 0 <= n <= 100:
        raise ConfigError("must be between 0 and 100")
    return n


def _host_of(ioc_value: str) -> str | None:
    """The IPv4 address of an `ip:port` (or bare IP) IOC; None if it is not one."""
    host = ioc_value.rsplit(":", 1)[0] if ioc_value.count(":") == 1 else ioc_value
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        return None


def _row(r: dict[str, Any]) -> dict[str, Any]:
    confidence = ac.opt_num(r.get("confidence_level"), "confidence_level", 100)
    if confidence is None:
        raise BadResponse("a match without a confidence_level")
    ioc = ac.opt_text(r.get("ioc"), "ioc", 1024)
    if ioc is None:
        raise BadResponse("a match without an ioc")
    printable = ac.opt_text(r.get("malware_printable"), "malware_printable", 128)
    malware = printable or ac.opt_text(r.get("malware"), "malware", 128)
    if malware and malware.lower() in ("unknown malware", "unknown"):
        malware = None  # ThreatFox's placeholder: no family to name
    return ac.compact({
        "id": ac.opt_num(r.get("id"), "id"),
        "ioc": ioc,
        "ioc_type": ac.opt_text(r.get("ioc_type"), "ioc_type", 32),
        "threat_type": ac.opt_text(r.get("threat_type"), "threat_type", 64),
        "malware": malware,
        "confidence": confidence,
        "first_seen": ac.opt_text(r.get("first_seen"), "first_seen", 64),
        "last_seen": ac.opt_text(r.get("last_seen"), "last_seen", 64),
        "tags": ac.tag_list(r.get("tags")),
    })


def threat_summary(row: dict[str, Any]) -> str:
    t = row.get("threat_type")
    label = THREATS.get(t, t.replace("_", " ")[:40]) if isinstance(t, str) and t else "listed IOC"
    malware = row.get("malware")
    return f"{label} ({malware})" if isinstance(malware, str) and malware else label


class ThreatFox(Provider):
    SPEC: ClassVar[ProviderSpec] = ProviderSpec(
        name="threatfox",
        label="ThreatFox",
        types=frozenset({IOCType.IPV4, IOCType.DOMAIN, IOCType.URL, *HASH_TYPES}),
        default_base_url="https://threatfox-api.abuse.ch/api/v1",
        key="required",
        key_hint=ac.KEY_HINT,
        key_group="abusech",  # one abuse.ch Auth-Key serves URLhaus, ThreatFox and MalwareBazaar
        per_minute=60,  # fair use; abuse.ch publishes no number
        per_day=0,
        sends={"ipv4": "the IP address", "domain": "the domain", "url": "the full URL",
               "md5": "the file hash", "sha256": "the file hash"},
        settings={"malicious_confidence": Setting(
            DEFAULT_MALICIOUS, _confidence_setting,
            "ThreatFox confidence_level (0-100) from which a match is malicious; below: suspicious")},
        docs="https://threatfox.abuse.ch/api/",
    )

    def target(self, ioc: IOC) -> str:
        if ioc.type in HASH_TYPES:
            return ac.hash_value(ioc)
        if ioc.type is IOCType.URL:
            return ac.url_value(ioc)
        if ioc.type in (IOCType.IPV4, IOCType.DOMAIN):
            return ac.host_value(ioc)
        raise ValueError(f"ThreatFox has no lookup for {ioc.type.value}")

    def request(self, ioc: IOC) -> HttpRequest:
        from sentinelx.enrichment.http import HttpRequest

        term = self.target(ioc)
        body = ({"query": "search_hash", "hash": term} if ioc.type in HASH_TYPES
                else {"query": "search_ioc", "search_term": term})
        return HttpRequest("POST", f"{self.base_url}/", ac.headers(self.ctx.key), json=body)

    def verify_key(self) -> HttpRequest | None:
        from sentinelx.enrichment.http import HttpRequest

        return HttpRequest("POST", f"{self.base_url}/", ac.headers(self.ctx.key),
                           json={"query": "search_hash", "hash": ac.EMPTY_MD5})

    def key_problem(self, resp: HttpResponse) -> EnrichmentError | None:
        # abuse.ch refuses a key in an HTTP 200 answer (query_status unknown_auth_key).
        return parsed_problem(self, ac.EMPTY_MD5_IOC, resp)

    def _matches(self, ioc: IOC, row: dict[str, Any]) -> bool:
        if ioc.type in HASH_TYPES:
            return True  # the IOCs seen with that sample, not the hash itself
        value: str = row["ioc"]
        term = self.target(ioc)
        if ioc.type is IOCType.IPV4:
            return _host_of(value) == term
        if ioc.type is IOCType.DOMAIN:
            return value.lower().rstrip(".") == term
        return value == term or value.rstrip("/") == term.rstrip("/")

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        doc = ac.envelope(self, resp, not_found=NOT_FOUND, rejected=REJECTED)
        if not isinstance(doc, dict):
            return doc
        data = doc.get("data")
        if not isinstance(data, list):
            raise BadResponse("query_status ok without a data list")
        if len(data) > MAX_ROWS:
            raise BadResponse(f"{len(data)} rows for one value")
        rows = [_row(r) for r in ac.records(data, "data")]
        kept = sorted((r for r in rows if self._matches(ioc, r)),
                      key=lambda r: (-r["confidence"], -r.get("id", 0)))
        facts = ac.compact({
            "query": "search_hash" if ioc.type in HASH_TYPES else "search_ioc",
            "matches": len(kept),
            "other_rows": len(rows) - len(kept),
            "max_confidence": kept[0]["confidence"] if kept else None,
            "malware": sorted({r["malware"] for r in kept if "malware" in r})[:20],
            "iocs": kept[:KEEP_ROWS],
        })
        return self.observe(bool(kept), facts)

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        f = obs.facts
        if f.get("query_status") == "illegal_search_term":
            return judgement(Verdict.NO_DATA, 0, "not searchable on ThreatFox")
        iocs = f.get("iocs") or []
        if not obs.found or not iocs:
            return NO_DATA
        best = iocs[0]
        confidence = int(best.get("confidence") or 0)
        threshold = ac.int_setting(self.ctx.settings, "malicious_confidence", DEFAULT_MALICIOUS, 0, 100)
        summary = threat_summary(best)
        if ioc.type in HASH_TYPES:
            summary = f"sample tied to {summary}"
        if confidence >= threshold:
            return judgement(Verdict.MALICIOUS, max(confidence, 50) / 100, summary)
        return judgement(Verdict.SUSPICIOUS, max(confidence, 10) / 100,
                         f"{summary}, {confidence}% confidence")

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        iocs = obs.facts.get("iocs") if obs and obs.found else None
        if ioc.type not in HASH_TYPES and iocs and isinstance(iocs[0].get("id"), int):
            return f"{WEB}/ioc/{iocs[0]['id']}/"
        try:
            term = self.target(ioc)
        except ValueError:
            return None
        return f"{WEB}/browse.php?search={quote(f'ioc:{term}', safe='')}"
