"""Shodan InternetDB (`https://internetdb.shodan.io/{ip}`): open ports, hostnames, tags,
CPEs and known CVEs of an address, from Shodan's weekly scans. No key, no account.

CONTEXT ONLY (role "context"): exposure is not maliciousness, so it never decides a
verdict; `judge` is always no_data and its summary describes the exposure.
404 `{"detail":"No information available"}` (common for residential and CGNAT addresses)
is no_data. Free for non-commercial use (PROVIDERS.md §1.6).
"""

from __future__ import annotations

import re
from typing import Any

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
    NO_DATA,
    Provider,
    ProviderSpec,
    echoed_ip,
    ip_address,
    json_body,
    text_list,
)
from sentinelx.pipeline.models import IOC, IOCType

NOT_FOUND = "No information available"
MAX_PORTS = 200
LISTS = ("ports", "hostnames", "tags", "vulns", "cpes")
_CVE = re.compile(r"CVE-[0-9]{4}-[0-9]{4,}", re.IGNORECASE)


class InternetDB(Provider):
    SPEC = ProviderSpec(
        name="internetdb",
        label="Shodan InternetDB",
        types=frozenset({IOCType.IPV4}),  # the only type its OpenAPI documents
        default_base_url="https://internetdb.shodan.io",
        key="none",
        per_minute=60,  # no published limit; clients pace at about one a second
        role="context",
        sends={"ipv4": "the IP address"},
        docs="https://internetdb.shodan.io/docs",
    )

    def target(self, ioc: IOC) -> str:
        if ioc.type is not IOCType.IPV4:
            raise ValueError(f"InternetDB has no lookup for {ioc.type.value}")
        return ip_address(ioc)

    def request(self, ioc: IOC) -> HttpRequest:
        return HttpRequest("GET", f"{self.base_url}/{self.target(ioc)}",
                           {"Accept": "application/json"})

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        return f"https://www.shodan.io/host/{ioc.value}"

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        if resp.status == 404:
            doc = json_body(resp)
            detail = doc.get("detail") if isinstance(doc, dict) else None
            if detail == NOT_FOUND:
                return self.observe(False, {"ip": ioc.value, "ports": [], "hostnames": [],
                                            "tags": [], "vulns": [], "cpes": []})
            return self.status_error(resp, str(detail)[:100] if isinstance(detail, str) else "")
        if resp.status != 200:
            return self.status_error(resp)
        doc = json_body(resp)
        if not isinstance(doc, dict):
            raise BadResponse("the reply is not an object")
        facts = read_facts(doc, ioc.value)
        return self.observe(any(facts[k] for k in LISTS), facts)

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        # Never a verdict: the summary only says what is exposed.
        if not obs.found:
            return NO_DATA
        return Judgement(Verdict.NO_DATA, 0.0, Severity.BENIGN, exposure(obs.facts))


def exposure(f: dict[str, Any]) -> str:
    parts = []
    if ports := f.get("ports"):
        shown = ", ".join(str(p) for p in ports[:5]) + (", ..." if len(ports) > 5 else "")
        parts.append(f"{'port' if len(ports) == 1 else 'ports'} {shown}")
    if vulns := f.get("vulns"):
        parts.append(f"{len(vulns)} known CVE{'s' if len(vulns) != 1 else ''}")
    if tags := f.get("tags"):
        parts.append(", ".join(tags[:3]))
    return "; ".join(parts) or "hostnames only"


def read_facts(doc: dict[str, Any], ip: str) -> dict[str, Any]:
    """The facts of a 200 answer; BadResponse for any field of the wrong type, or for an
    object with none of InternetDB's lists (not an InternetDB answer)."""
    if all(doc.get(k) is None for k in LISTS):
        raise BadResponse("none of ports, hostnames, tags, vulns, cpes in the reply")
    ports = doc.get("ports")
    ports = [] if ports is None else ports
    if not isinstance(ports, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 65535 for p in ports):
        raise BadResponse("ports is not a list of port numbers")
    vulns = text_list(doc.get("vulns"), "vulns", 200)
    if not all(_CVE.fullmatch(v) for v in vulns):
        raise BadResponse("vulns is not a list of CVE ids")
    return {
        "ip": echoed_ip(doc.get("ip"), ip, "ip"),
        "ports": sorted(set(ports))[:MAX_PORTS],
        "hostnames": text_list(doc.get("hostnames"), "hostnames"),
        "tags": text_list(doc.get("tags"), "tags"),
        "vulns": [v.upper() for v in vulns],
        "cpes": text_list(doc.get("cpes"), "cpes"),
    }
