"""NVD CVE API 2.0: CVSS base score and severity, description, dates, status of one CVE.

A CVE is not malicious or clean: `judge` always says no_data and carries the CVSS severity
(and score / 10) for the CVE badge, with a summary such as "Critical 9.8" or "Rejected".
CVSS: the newest version present wins (4.0, then 3.1, 3.0, 2.0); within a version the
Primary entry (NVD's own) wins over Secondary (the CNA's).

Quirks (PROVIDERS.md §1.7): throttling is 403, not 429; error text comes in a `message`
response header with an empty body (an invalid key: 404 + "Invalid apiKey."); an unknown CVE
is 200 with totalResults 0. Keyless NVD allows 5 requests per rolling 30 s (50 with a key).
Our quota counts a sliding minute, so 5 a minute (50 with a key: the lane picks it while
providers.nvd.requests_per_minute is left at its default) can never put 6 (51) in any 30 s.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sentinelx.enrichment.http import HttpRequest, HttpResponse
from sentinelx.enrichment.models import (
    BadResponse,
    EnrichmentError,
    ErrorCode,
    Judgement,
    Observation,
    Severity,
    Verdict,
    iso_utc,
)
from sentinelx.enrichment.providers.base import (
    NO_DATA,
    Provider,
    ProviderSpec,
    count,
    json_body,
    parsed_problem,
    text,
)
from sentinelx.pipeline.models import IOC, IOCType

RETRY_AFTER_S = 30  # the rolling window: a throttled client may try again after it
KEY_CHECK_IOC = IOC(IOCType.CVE, "CVE-2021-44228", "CVE-2021-44228", 0)
GUI = "https://nvd.nist.gov/vuln/detail/"
_CVE = re.compile(r"CVE-\d{4}-\d{4,12}")
# metrics key -> CVSS version, newest first (the order of preference)
METRICS = (("cvssMetricV40", "4.0"), ("cvssMetricV31", "3.1"), ("cvssMetricV30", "3.0"),
           ("cvssMetricV2", "2.0"))
SEVERITIES = ("none", "low", "medium", "high", "critical")
_TO_SEVERITY = {"none": Severity.BENIGN, "low": Severity.LOW, "medium": Severity.MEDIUM,
                "high": Severity.HIGH, "critical": Severity.CRITICAL}
MAX_DESCRIPTION = 1000
MAX_CWES = 20


def endpoint(base_url: str, documented_path: str, tail: str) -> str:
    """The URL to call for a configured base URL: a bare origin (a mirror, a test server)
    gets the documented path, a URL already ending with `tail` is the endpoint itself, any
    other path gets `tail` appended (e.g. https://services.nvd.nist.gov/rest/json)."""
    base = base_url.rstrip("/")
    path = urlsplit(base).path
    if not path:
        return base + documented_path
    return base if path.endswith(tail) else base + tail


def cve_id(value: str) -> str:
    """The canonical id (upper case) or ValueError: nothing else reaches a URL or a file."""
    v = value.strip().upper()
    if not _CVE.fullmatch(v):
        raise ValueError("not a CVE id (CVE-YYYY-NNNN)")
    return v


def severity_band(version: str, score: float) -> str:
    """The qualitative rating CVSS defines for a base score (v2 has no none/critical)."""
    if version == "2.0":
        return "low" if score < 4.0 else "medium" if score < 7.0 else "high"
    if score == 0:
        return "none"
    return "low" if score < 4.0 else "medium" if score < 7.0 else "high" if score < 9.0 else "critical"


def _score(v: Any) -> float:
    # A JSON number 0..10 with at most one decimal; "9.8", 1e308, NaN, true are not scores.
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise BadResponse(f"CVSS baseScore is not a number: {str(v)[:40]!r}")
    if not 0 <= v <= 10 or abs(v * 10 - round(v * 10)) > 1e-6:
        raise BadResponse(f"CVSS baseScore out of range: {v!r}")
    return round(float(v), 1)


def _date(v: Any, name: str) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str) or len(v) > 40:
        raise BadResponse(f"{name} is not a date")
    try:
        datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError as e:
        raise BadResponse(f"{name} is not a date: {v[:40]!r}") from e
    return v


def pick_cvss(metrics: Any) -> dict[str, Any] | None:
    """The preferred CVSS entry as facts, or None if the CVE has no score yet."""
    if metrics is None:
        return None
    if not isinstance(metrics, dict):
        raise BadResponse("metrics is not an object")
    for key, version in METRICS:
        entries = metrics.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise BadResponse(f"{key} is not a list of objects")
        if not entries:
            continue
        entry = next((e for e in entries if e.get("type") == "Primary"), entries[0])
        data = entry.get("cvssData")
        if not isinstance(data, dict):
            raise BadResponse(f"{key} has no cvssData")
        score = _score(data.get("baseScore"))
        # v3/v4 carry baseSeverity inside cvssData; NVD puts v2's beside it.
        raw = data.get("baseSeverity", entry.get("baseSeverity"))
        severity = raw.lower() if isinstance(raw, str) else severity_band(version, score)
        if severity not in SEVERITIES:
            raise BadResponse(f"unknown CVSS severity {str(raw)[:20]!r}")
        if severity != severity_band(version, score):  # the badge must not contradict itself
            raise BadResponse(f"CVSS {version} severity {severity} does not fit score {score}")
        declared = data.get("version")
        if declared is not None and declared != version:
            raise BadResponse(f"{key} holds CVSS version {str(declared)[:8]!r}")
        return {"cvss_score": score, "cvss_severity": severity, "cvss_version": version,
                "cvss_vector": text(data.get("vectorString"), 200),
                "cvss_source": text(entry.get("source"), 100)}
    return None


def _description(descriptions: Any) -> str | None:
    if not isinstance(descriptions, list):
        return None
    english = [d.get("value") for d in descriptions
               if isinstance(d, dict) and d.get("lang") == "en"]
    return text(english[0] if english else None, MAX_DESCRIPTION)


def _cwes(weaknesses: Any) -> list[str]:
    out: list[str] = []
    for w in weaknesses if isinstance(weaknesses, list) else []:
        for d in (w.get("description") if isinstance(w, dict) else None) or []:
            v = d.get("value") if isinstance(d, dict) else None
            if isinstance(v, str) and re.fullmatch(r"CWE-\d{1,6}|NVD-CWE-\w{1,16}", v) \
                    and v not in out:
                out.append(v)
    return out[:MAX_CWES]


def cve_facts(cve_id_: str, cve: Any) -> dict[str, Any]:
    """Facts for one `vulnerabilities[].cve` object; BadResponse when it is not one."""
    if not isinstance(cve, dict) or cve.get("id") != cve_id_:
        raise BadResponse("the answer is about another CVE")
    status = cve.get("vulnStatus")
    if status is not None and (not isinstance(status, str) or len(status) > 64):
        raise BadResponse("vulnStatus is not a short string")
    facts: dict[str, Any] = {
        "cve_id": cve_id_,
        "vuln_status": status,
        "rejected": status == "Rejected",
        "description": _description(cve.get("descriptions")),
        "published": _date(cve.get("published"), "published"),
        "last_modified": _date(cve.get("lastModified"), "lastModified"),
        "cvss_score": None, "cvss_severity": None, "cvss_version": None,
        "cvss_vector": None, "cvss_source": None,
        "cwes": _cwes(cve.get("weaknesses")),
        "cisa_exploit_add": _date(cve.get("cisaExploitAdd"), "cisaExploitAdd"),
    }
    facts.update(pick_cvss(cve.get("metrics")) or {})
    return facts


def _clean(message: str) -> str:
    return "".join(c if c.isprintable() else " " for c in message)[:200].strip()


SPEC = ProviderSpec(
    name="nvd",
    label="NVD",
    types=frozenset({IOCType.CVE}),
    default_base_url="https://services.nvd.nist.gov/rest/json/cves/2.0",
    key="optional",
    key_pattern=None,  # a GUID by observation only (PROVIDERS.md §7.2): not enforced
    key_hint="usually a GUID such as 01234567-89ab-cdef-0123-456789abcdef",
    per_minute=5,  # keyless: 5 per rolling 30 s, whatever the burst
    per_minute_with_key=50,  # 50 per rolling 30 s with a key
    per_day=0,
    role="cve",
    sends={"cve": "the CVE id (public; says nothing about your environment)"},
    docs="https://nvd.nist.gov/developers/vulnerabilities",
)


class NVD(Provider):
    SPEC = SPEC

    @property
    def api_url(self) -> str:
        return endpoint(self.base_url, "/rest/json/cves/2.0", "/cves/2.0")

    def request(self, ioc: IOC) -> HttpRequest:
        headers = {"Accept": "application/json"}
        if self.ctx.key:
            headers["apiKey"] = self.ctx.key
        return HttpRequest("GET", self.api_url, headers, params={"cveId": cve_id(ioc.value)})

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        ident = cve_id(ioc.value)
        message = _clean(resp.headers.get("message", ""))
        if resp.status != 200:
            return self._status(resp, message)
        doc = json_body(resp)
        if not isinstance(doc, dict):
            raise BadResponse("the answer is not an object")
        total = count(doc.get("totalResults"), "totalResults")
        vulns = doc.get("vulnerabilities")
        if not isinstance(vulns, list):
            raise BadResponse("vulnerabilities is not a list")
        if total == 0:
            if vulns:
                raise BadResponse("totalResults 0 with results")
            return self.observe(False, {"cve_id": ident})
        items = [v.get("cve") for v in vulns if isinstance(v, dict)]
        match = [c for c in items if isinstance(c, dict) and c.get("id") == ident]
        if len(match) != 1:
            raise BadResponse(f"{len(match)} records for {ident} among {len(vulns)}")
        return self.observe(True, cve_facts(ident, match[0]))

    def _status(self, resp: HttpResponse, message: str) -> EnrichmentError:
        status, low = resp.status, message.lower()
        if "invalid" in low and "key" in low:  # e.g. 404 + "Invalid apiKey."
            return self.error(ErrorCode.AUTH, f"NVD refused the API key ({status}): {message}",
                              str(status))
        if status == 403 or status == 429:
            # NVD throttles with 403; it is not an auth failure unless it says so (above).
            return self.error(ErrorCode.RATE_LIMITED,
                              f"NVD rate limit ({status}){': ' + message if message else ''}",
                              str(status), iso_utc(self.ctx.clock() + RETRY_AFTER_S))
        return self.status_error(resp, message)

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        f = obs.facts
        if not obs.found:
            return NO_DATA
        if f.get("rejected"):
            return Judgement(Verdict.NO_DATA, 0.0, Severity.BENIGN, "Rejected")
        score, severity = f.get("cvss_score"), f.get("cvss_severity")
        if not isinstance(score, int | float) or severity not in _TO_SEVERITY:
            return Judgement(Verdict.NO_DATA, 0.0, Severity.BENIGN, "Not scored yet")
        return Judgement(Verdict.NO_DATA, round(min(1.0, max(0.0, score / 10)), 3),
                         _TO_SEVERITY[severity], f"{severity.capitalize()} {score:.1f}")

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        try:
            return GUI + cve_id(ioc.value)
        except ValueError:
            return None

    def verify_key(self) -> HttpRequest | None:
        if not self.ctx.key:
            return None
        # One known CVE; NVD answers an invalid key with 404 + `message: Invalid apiKey.`
        return HttpRequest("GET", self.api_url, {"apiKey": self.ctx.key,
                                                  "Accept": "application/json"},
                           params={"cveId": KEY_CHECK_IOC.value})

    def key_problem(self, resp: HttpResponse) -> EnrichmentError | None:
        # NVD refuses a key with 404 + `message: Invalid apiKey.`; a 403 is throttling.
        return parsed_problem(self, KEY_CHECK_IOC, resp)
