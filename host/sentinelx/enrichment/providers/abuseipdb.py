"""AbuseIPDB API v2 `/check`: crowd-sourced abuse reports for one IP address.

Verdict (PROVIDERS.md §1.4):
- clean:      `isWhitelisted` true (AbuseIPDB's own allow-list)
- malicious:  abuse confidence score > `malicious_above` (default 30, as wtfis colours it)
- suspicious: score 1..`malicious_above`
- no_data:    score 0 (whatever the old reports), or `isPublic` false
There is no "not found": unknown addresses come back with 0 reports and score 0.
Score: abuse confidence / 100. `verbose` is not asked for: it adds up to 10,000 reports,
which would blow the response size cap, and the verdict needs none of them.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import quote

from sentinelx.config import Setting, int_range
from sentinelx.enrichment.http import HttpRequest, HttpResponse
from sentinelx.enrichment.models import (
    BadResponse,
    EnrichmentError,
    Judgement,
    Observation,
    Verdict,
)
from sentinelx.enrichment.providers.base import (
    NO_DATA,
    Provider,
    ProviderSpec,
    count,
    echoed_ip,
    flag,
    ip_address,
    json_body,
    judgement,
    opt_text,
    text_list,
)
from sentinelx.pipeline.models import IOC, IOCType

API_ROOT = "/api/v2"
_SENDS = "the IP address"


class AbuseIPDB(Provider):
    SPEC = ProviderSpec(
        name="abuseipdb",
        label="AbuseIPDB",
        types=frozenset({IOCType.IPV4, IOCType.IPV6}),
        default_base_url="https://api.abuseipdb.com/api/v2",
        key="required",
        # The 80-character shape is only observed by third parties (PROVIDERS.md §7.2):
        # the generic rule decides, the hint says what a real key usually looks like.
        key_pattern=None,
        key_hint="AbuseIPDB keys seen so far are 80 letters and digits (Account > API)",
        per_day=1000,
        sends={"ipv4": _SENDS, "ipv6": _SENDS},
        settings={
            "max_age_days": Setting(90, int_range(1, 365), "only count reports from the last N days"),
            "malicious_above": Setting(
                30, int_range(0, 99), "abuse confidence score above which an address is malicious"),
        },
        docs="https://docs.abuseipdb.com/#check-endpoint",
    )

    def _root(self) -> str:
        # The base URL may be given with or without the documented /api/v2 root.
        return self.base_url if self.base_url.endswith(API_ROOT) else self.base_url + API_ROOT

    def _headers(self) -> dict[str, str]:
        # Without Accept: application/json, AbuseIPDB answers errors as an HTML page.
        return {"Key": self.ctx.key or "", "Accept": "application/json"}

    def target(self, ioc: IOC) -> str:
        if ioc.type not in self.SPEC.types:
            raise ValueError(f"AbuseIPDB has no lookup for {ioc.type.value}")
        return ip_address(ioc)

    def request(self, ioc: IOC) -> HttpRequest:
        return HttpRequest("GET", f"{self._root()}/check", self._headers(), params={
            "ipAddress": self.target(ioc), "maxAgeInDays": str(int(self.setting("max_age_days")))})

    def verify_key(self) -> HttpRequest | None:
        # One check of the documentation's own example address: 401 means a bad key.
        return HttpRequest("GET", f"{self._root()}/check", self._headers(),
                           params={"ipAddress": "127.0.0.1", "maxAgeInDays": "1"})

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        return f"https://www.abuseipdb.com/check/{quote(ioc.value, safe=':')}"

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        if resp.status != 200:
            return self.status_error(resp, error_detail(resp))
        doc = json_body(resp)
        data = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(data, dict):
            raise BadResponse("no data object in the reply")
        facts = read_facts(data, ioc.value)
        found = facts["is_public"] and bool(facts["total_reports"] or facts["score"]
                                            or facts["whitelisted"] is True)
        return self.observe(found, facts)

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        f = obs.facts
        if not f.get("is_public", False):
            return NO_DATA
        score, reports = count(f["score"], "score", high=100), f.get("total_reports")
        summary = f"abuse score {score}"
        if isinstance(reports, int):
            summary += f", {reports} report{'s' if reports != 1 else ''}"
        if f.get("is_tor"):
            summary += ", Tor exit"
        if f.get("whitelisted") is True:
            return judgement(Verdict.CLEAN, 0.0, f"whitelisted ({summary})")
        if score > int(self.setting("malicious_above")):
            return judgement(Verdict.MALICIOUS, score / 100, summary)
        if score > 0:
            return judgement(Verdict.SUSPICIOUS, score / 100, summary)
        # Score 0: nothing AbuseIPDB still holds against it (old or discounted reports at most).
        return judgement(Verdict.NO_DATA, 0.0, summary if reports else "")


def read_facts(data: dict[str, Any], ip: str) -> dict[str, Any]:
    """The facts of one `data` object; BadResponse for any field of the wrong type."""
    version = data.get("ipVersion")
    if version is None:
        version = ipaddress.ip_address(ip).version
    if version not in (4, 6) or isinstance(version, bool):
        raise BadResponse(f"ipVersion is not 4 or 6: {str(version)[:20]!r}")
    whitelisted = data.get("isWhitelisted")  # null when no allow-list lookup was made
    return {
        "ip": echoed_ip(data.get("ipAddress"), ip, "ipAddress"),
        "is_public": flag(data.get("isPublic"), "isPublic", default=True),
        "ip_version": version,
        "whitelisted": None if whitelisted is None else flag(whitelisted, "isWhitelisted"),
        "score": count(data.get("abuseConfidenceScore"), "abuseConfidenceScore", high=100),
        "total_reports": None if data.get("totalReports") is None
        else count(data["totalReports"], "totalReports"),
        "distinct_users": count(data.get("numDistinctUsers", 0), "numDistinctUsers"),
        "last_reported_at": opt_text(data.get("lastReportedAt"), "lastReportedAt", 40),
        "country_code": opt_text(data.get("countryCode"), "countryCode", 8),
        "usage_type": opt_text(data.get("usageType"), "usageType", 80),
        "isp": opt_text(data.get("isp"), "isp", 200),
        "domain": opt_text(data.get("domain"), "domain", 253),
        "hostnames": text_list(data.get("hostnames"), "hostnames", 20),
        "is_tor": flag(data.get("isTor"), "isTor", default=False),
    }


def error_detail(resp: HttpResponse) -> str:
    """The first `errors[].detail` of an error body; "" for HTML or anything else."""
    try:
        errors = json_body(resp).get("errors")
        detail = errors[0].get("detail")
    except (BadResponse, AttributeError, TypeError, IndexError, KeyError):
        return ""
    return detail[:200] if isinstance(detail, str) else ""
