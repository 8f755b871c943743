"""FIRST EPSS: the probability (0..1) that a CVE is exploited in the next 30 days, and its
percentile among all scored CVEs.

Informational: `judge` says no_data with summary "EPSS 97th pct" for the CVE badge; any
"high" threshold is user policy (FIRST defines none). The API sends `epss` and `percentile`
as strings ("0.944240000"); a JSON number is accepted too, anything else is a bad answer.
`GET /epss?cve=A,B,...` takes a comma list (up to 2,000 characters): `batch_request` and
`parse_batch` serve an engine that batches; `request`/`parse` do one CVE (PROVIDERS.md §1.8).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
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
    json_body,
)
from sentinelx.enrichment.providers.nvd import cve_id, endpoint
from sentinelx.pipeline.models import IOC, IOCType

MAX_CVE_PARAM = 2000  # characters of the comma list, per FIRST's API page
_DECIMAL = re.compile(r"\d{1,3}(\.\d{1,20})?(e-?\d{1,3})?", re.IGNORECASE)


def probability(v: Any, name: str) -> float:
    """A 0..1 value from a decimal string or a JSON number; BadResponse for anything else."""
    number = isinstance(v, int | float) and not isinstance(v, bool)
    if not (number or (isinstance(v, str) and _DECIMAL.fullmatch(v.strip()))):
        raise BadResponse(f"{name} is not a number: {str(v)[:40]!r}")
    x = float(v)
    if not math.isfinite(x) or not 0.0 <= x <= 1.0:
        raise BadResponse(f"{name} is out of 0..1: {str(v)[:40]!r}")
    return x


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _entries(resp: HttpResponse) -> list[dict[str, Any]]:
    doc = json_body(resp)
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise BadResponse("no data list in the answer")
    if doc.get("status", "OK") != "OK":
        raise BadResponse(f"status {str(doc.get('status'))[:40]!r}")
    if not all(isinstance(e, dict) for e in doc["data"]):
        raise BadResponse("data holds a non-object")
    return doc["data"]


def _facts(ident: str, entry: dict[str, Any]) -> dict[str, Any]:
    date = entry.get("date")
    if date is not None and not (isinstance(date, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date)):
        raise BadResponse("date is not YYYY-MM-DD")
    return {"cve_id": ident, "epss": probability(entry.get("epss"), "epss"),
            "percentile": probability(entry.get("percentile"), "percentile"), "date": date}


SPEC = ProviderSpec(
    name="epss",
    label="EPSS",
    types=frozenset({IOCType.CVE}),
    default_base_url="https://api.first.org/data/v1",
    key="none",
    per_minute=60,  # FIRST publishes no limit; one a second is polite
    per_day=0,
    role="cve",
    sends={"cve": "the CVE id (public; says nothing about your environment)"},
    docs="https://api.first.org/epss",
)


class EPSS(Provider):
    SPEC = SPEC

    def request(self, ioc: IOC) -> HttpRequest:
        return self.batch_request([ioc])

    def batch_request(self, iocs: Sequence[IOC]) -> HttpRequest:
        """One request for several CVEs (ValueError if any is not a CVE or the list is too
        long for one request: split it first)."""
        ids = sorted({cve_id(i.value) for i in iocs})
        joined = ",".join(ids)
        if not ids or len(joined) > MAX_CVE_PARAM:
            raise ValueError(f"1 to {MAX_CVE_PARAM} characters of CVE ids per request")
        url = endpoint(self.base_url, "/data/v1/epss", "/epss")
        return HttpRequest("GET", url, {"Accept": "application/json"},
                           params={"cve": joined})

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        out = self.parse_batch([ioc], resp)
        return out[cve_id(ioc.value)]

    def parse_batch(self, iocs: Sequence[IOC], resp: HttpResponse,
                    ) -> dict[str, Observation | EnrichmentError]:
        """CVE id -> its outcome; a CVE absent from `data` is not found (no_data)."""
        ids = {cve_id(i.value) for i in iocs}
        if resp.status != 200:
            err = self.status_error(resp)
            return dict.fromkeys(ids, err)
        found: dict[str, dict[str, Any]] = {}
        for entry in _entries(resp):
            ident = entry.get("cve")
            if not isinstance(ident, str) or ident.upper() not in ids:
                raise BadResponse(f"an answer for a CVE not asked: {str(ident)[:40]!r}")
            if ident.upper() in found:
                raise BadResponse(f"two answers for {ident}")
            found[ident.upper()] = _facts(ident.upper(), entry)
        return {i: self.observe(True, found[i]) if i in found else self.observe(False, {"cve_id": i})
                for i in ids}

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        if not obs.found:
            return NO_DATA
        epss, pct = obs.facts["epss"], obs.facts["percentile"]
        # Priority context, not a severity: the badge's severity comes from CVSS.
        return Judgement(Verdict.NO_DATA, round(epss, 3), Severity.BENIGN,
                         f"EPSS {ordinal(math.floor(pct * 100))} pct")

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        try:
            return f"https://api.first.org/data/v1/epss?cve={cve_id(ioc.value)}"
        except ValueError:
            return None
