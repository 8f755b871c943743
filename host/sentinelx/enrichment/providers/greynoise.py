"""GreyNoise Community API v3 (`/v3/community/{ip}`): is this address a mass scanner, or a
known benign business service? IPv4 only; the key is optional (keyless calls get a smaller
quota), so it answers on first run.

Verdict (PROVIDERS.md §1.5):
- malicious:  classification "malicious"
- suspicious: classification "suspicious" (seen since late 2025), or "unknown" + noise
- clean:      classification "benign", or riot (a known business service: CDN, DNS, ...)
- no_data:    404 (not observed scanning, not in RIOT), or unknown without noise
429 is `rate_limited` (the community plan allows about 50 lookups a week).
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
    Verdict,
)
from sentinelx.enrichment.providers.base import (
    NO_DATA,
    Provider,
    ProviderSpec,
    echoed_ip,
    flag,
    ip_address,
    json_body,
    judgement,
    opt_text,
    parsed_problem,
)
from sentinelx.pipeline.models import IOC, IOCType

API_PATH = "/v3/community"
_CLASS = re.compile(r"[a-z_]{1,32}")
# Scores for verdicts GreyNoise gives without a number of its own.
KEY_CHECK_IOC = IOC(IOCType.IPV4, "8.8.8.8", "8.8.8.8", 0)
SCORES = {"malicious": 0.75, "suspicious": 0.45, "noise": 0.35}


class GreyNoise(Provider):
    SPEC = ProviderSpec(
        name="greynoise",
        label="GreyNoise",
        types=frozenset({IOCType.IPV4}),
        default_base_url="https://api.greynoise.io",
        key="optional",
        key_pattern=None,  # no documented shape (PROVIDERS.md §7.2): the generic rule
        key_hint="the API key from your GreyNoise account (optional)",
        # About 50 lookups a week on a free account, fewer without one: 7 a day keeps a
        # page full of addresses from spending the whole week at once.
        per_day=7,
        sends={"ipv4": "the IP address"},
        docs="https://docs.greynoise.io/reference/getcommunityip",
    )

    def _url(self, ip: str) -> str:
        base = self.base_url
        # Accept the base URL with or without the documented /v3/community path.
        if base.endswith(API_PATH):
            return f"{base}/{ip}"
        if base.endswith("/v3"):
            return f"{base}/community/{ip}"
        return f"{base}{API_PATH}/{ip}"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.ctx.key:  # optional: without one GreyNoise answers at the keyless rate
            headers["key"] = self.ctx.key
        return headers

    def target(self, ioc: IOC) -> str:
        if ioc.type is not IOCType.IPV4:
            raise ValueError(f"GreyNoise Community has no lookup for {ioc.type.value}")
        return ip_address(ioc)

    def request(self, ioc: IOC) -> HttpRequest:
        return HttpRequest("GET", self._url(self.target(ioc)), self._headers())

    def verify_key(self) -> HttpRequest | None:
        # No key-only endpoint on the community plan: one lookup of a known RIOT address.
        return (HttpRequest("GET", self._url(KEY_CHECK_IOC.value), self._headers())
                if self.ctx.key else None)

    def key_problem(self, resp: HttpResponse) -> EnrichmentError | None:
        # Read as the lookup it is: 404 ("not observed") still proves the key.
        return parsed_problem(self, KEY_CHECK_IOC, resp)

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        return f"https://viz.greynoise.io/ip/{ioc.value}"

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        if resp.status == 404:
            # "IP not observed scanning the internet or contained in RIOT data set."
            doc = _maybe_json(resp)
            message = opt_text(doc.get("message"), "message", 200) if isinstance(doc, dict) else None
            return self.observe(False, {"ip": ioc.value, "noise": False, "riot": False,
                                        "classification": None, "name": None,
                                        "last_seen": None, "message": message})
        if resp.status != 200:
            return self.status_error(resp, error_message(resp))
        doc = json_body(resp)
        if not isinstance(doc, dict):
            raise BadResponse("the reply is not an object")
        facts = read_facts(doc, ioc.value)
        found = facts["noise"] or facts["riot"] or facts["classification"] not in (None, "unknown")
        return self.observe(found, facts)

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        f = obs.facts
        if not obs.found:
            return NO_DATA
        cls, name = f.get("classification"), f.get("name")
        named = f" ({name})" if name and name.lower() != "unknown" else ""
        if cls == "malicious":
            return judgement(Verdict.MALICIOUS, SCORES["malicious"],
                             f"malicious {'scanner' if f.get('noise') else 'activity'}{named}")
        if cls == "suspicious":
            return judgement(Verdict.SUSPICIOUS, SCORES["suspicious"], f"suspicious{named}")
        if f.get("riot"):
            return judgement(Verdict.CLEAN, 0.0, f"known benign service{named}")
        if cls == "benign":
            kind = "scanner" if f.get("noise") else "service"
            return judgement(Verdict.CLEAN, 0.0, f"known benign {kind}{named}")
        if f.get("noise"):
            return judgement(Verdict.SUSPICIOUS, SCORES["noise"], f"mass scanner (noise){named}")
        return NO_DATA


def read_facts(doc: dict[str, Any], ip: str) -> dict[str, Any]:
    """The facts of a 200 answer; BadResponse for any field of the wrong type, or for an
    object that carries none of noise, riot and classification (not a GreyNoise answer)."""
    if all(doc.get(k) is None for k in ("noise", "riot", "classification")):
        raise BadResponse("no noise, riot or classification in the reply")
    cls = opt_text(doc.get("classification"), "classification", 64)
    if cls is not None:
        cls = cls.lower()
        if not _CLASS.fullmatch(cls):
            raise BadResponse(f"classification is not a word: {cls[:40]!r}")
    return {
        "ip": echoed_ip(doc.get("ip"), ip, "ip"),
        "noise": flag(doc.get("noise"), "noise", default=False),
        "riot": flag(doc.get("riot"), "riot", default=False),
        "classification": cls,
        "name": opt_text(doc.get("name"), "name", 200),
        "last_seen": opt_text(doc.get("last_seen"), "last_seen", 40),
        "message": opt_text(doc.get("message"), "message", 200),
    }


def _maybe_json(resp: HttpResponse) -> Any:
    try:
        return json_body(resp)
    except BadResponse:
        return None


def error_message(resp: HttpResponse) -> str:
    doc = _maybe_json(resp)
    message = doc.get("message") if isinstance(doc, dict) else None
    return message.strip()[:200] if isinstance(message, str) else ""
