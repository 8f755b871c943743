"""abuse.ch URLhaus: malware-distribution URLs, the hosts serving them, and their payloads.

Lookups (form POSTs, PROVIDERS.md §1.1): a URL on `/url/`, a domain or IPv4 address on
`/host/`, an md5/sha256 on `/payload/`. Not found is HTTP 200 `no_results`.

Verdict (PROVIDERS.md §1.1 proposal):
- URL: online -> malicious; offline/unknown -> suspicious (a historical listing).
- host: any listed URL online -> malicious, else suspicious; a host Spamhaus DBL marks as
  an abused legitimate service (`abused_legit_*`, `abused_redirector`, e.g. gist.github.com)
  is capped at suspicious: the host serves malware, it is not the adversary's own.
- payload: a known malware family (signature) -> malicious; otherwise suspicious (a file
  URLhaus fetched from a malware URL, not classified).
- no_results -> no_data, never clean (URLhaus tracks malware distribution only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

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

WEB = "https://urlhaus.abuse.ch"
URL_STATUSES = frozenset({"online", "offline", "unknown"})
NOT_FOUND = frozenset({"no_results"})
REJECTED = frozenset({"invalid_url", "invalid_host", "invalid_md5", "invalid_md5_hash",
                      "invalid_sha256", "invalid_sha256_hash", "http_post_expected"})
MAX_URLS = 1000  # /host/ lists at most a few hundred; more is not URLhaus
SCORES = {"online": 0.8, "listed": 0.45, "capped": 0.4, "family": 0.75, "payload": 0.4}


def _blacklists(v: Any) -> dict[str, str]:
    """Spamhaus DBL / SURBL status; absent for IPv4 hosts (URLhaus API doc)."""
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise BadResponse("blacklists is not an object")
    out = {}
    for name in ("spamhaus_dbl", "surbl"):
        if (s := ac.opt_text(v.get(name), f"blacklists.{name}", 64)) is not None:
            out[name] = s
    return out


def _url_status(v: Any, name: str) -> str:
    if not isinstance(v, str) or v not in URL_STATUSES:
        raise BadResponse(f"{name} is not online/offline/unknown: {str(v)[:40]!r}")
    return str(v)


def abused_legit(facts: dict[str, Any]) -> bool:
    dbl = (facts.get("blacklists") or {}).get("spamhaus_dbl") or ""
    return isinstance(dbl, str) and (dbl.startswith("abused_legit") or dbl == "abused_redirector")


class URLhaus(Provider):
    SPEC: ClassVar[ProviderSpec] = ProviderSpec(
        name="urlhaus",
        label="URLhaus",
        types=frozenset({IOCType.URL, IOCType.DOMAIN, IOCType.IPV4, IOCType.MD5, IOCType.SHA256}),
        default_base_url="https://urlhaus-api.abuse.ch/v1",
        key="required",
        key_hint=ac.KEY_HINT,
        key_group="abusech",  # one abuse.ch Auth-Key serves URLhaus, ThreatFox and MalwareBazaar
        per_minute=60,  # fair use; abuse.ch publishes no number
        per_day=0,
        sends={"url": "the full URL", "domain": "the domain", "ipv4": "the IP address",
               "md5": "the file hash", "sha256": "the file hash"},
        docs="https://urlhaus-api.abuse.ch/",
    )

    def target(self, ioc: IOC) -> tuple[str, dict[str, str]]:
        """The endpoint and its form field."""
        if ioc.type is IOCType.URL:
            return "url", {"url": ac.url_value(ioc)}
        if ioc.type in (IOCType.DOMAIN, IOCType.IPV4):
            return "host", {"host": ac.host_value(ioc)}
        if ioc.type in (IOCType.MD5, IOCType.SHA256):
            return "payload", {f"{ioc.type.value}_hash": ac.hash_value(ioc)}
        raise ValueError(f"URLhaus has no lookup for {ioc.type.value}")

    def request(self, ioc: IOC) -> HttpRequest:
        from sentinelx.enrichment.http import HttpRequest

        path, form = self.target(ioc)
        return HttpRequest("POST", f"{self.base_url}/{path}/", ac.headers(self.ctx.key), form=form)

    def verify_key(self) -> HttpRequest | None:
        from sentinelx.enrichment.http import HttpRequest

        return HttpRequest("POST", f"{self.base_url}/payload/", ac.headers(self.ctx.key),
                           form={"md5_hash": ac.EMPTY_MD5})

    def key_problem(self, resp: HttpResponse) -> EnrichmentError | None:
        # abuse.ch refuses a key in an HTTP 200 answer (query_status unknown_auth_key).
        return parsed_problem(self, ac.EMPTY_MD5_IOC, resp)

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        doc = ac.envelope(self, resp, not_found=NOT_FOUND, rejected=REJECTED)
        if not isinstance(doc, dict):
            return doc
        if ioc.type is IOCType.URL:
            facts = self._url(doc)
        elif ioc.type in (IOCType.DOMAIN, IOCType.IPV4):
            facts = self._host(doc)
        else:
            facts = self._payload(ioc, doc)
        return self.observe(True, ac.compact(facts))

    @staticmethod
    def _url(doc: dict[str, Any]) -> dict[str, Any]:
        payloads = ac.records(doc.get("payloads"), "payloads")
        signatures = sorted({s for p in payloads
                             if (s := ac.opt_text(p.get("signature"), "payloads[].signature", 128))})
        return {
            "kind": "url",
            "id": ac.opt_num(doc.get("id"), "id"),
            "url_status": _url_status(doc.get("url_status"), "url_status"),
            "threat": ac.opt_text(doc.get("threat"), "threat", 64),
            "date_added": ac.opt_text(doc.get("date_added"), "date_added", 64),
            "last_online": ac.opt_text(doc.get("last_online"), "last_online", 64),
            "tags": ac.tag_list(doc.get("tags")),
            "blacklists": _blacklists(doc.get("blacklists")),
            "payloads": len(payloads),
            "signatures": signatures[:20],
        }

    @staticmethod
    def _host(doc: dict[str, Any]) -> dict[str, Any]:
        urls = ac.records(doc.get("urls"), "urls")
        if len(urls) > MAX_URLS:
            raise BadResponse(f"{len(urls)} URLs for one host")
        statuses = [_url_status(u.get("url_status"), "urls[].url_status") for u in urls]
        threats = sorted({t for u in urls if (t := ac.opt_text(u.get("threat"), "urls[].threat", 64))})
        tags = sorted({t for u in urls for t in ac.tag_list(u.get("tags"), "urls[].tags")})
        url_count = ac.opt_num(doc.get("url_count"), "url_count")
        return {
            "kind": "host",
            "url_count": max(url_count or 0, len(urls)),
            "urls_online": statuses.count("online"),
            "firstseen": ac.opt_text(doc.get("firstseen"), "firstseen", 64),
            "threats": threats[:20],
            "tags": tags[:50],
            "blacklists": _blacklists(doc.get("blacklists")),
        }

    @staticmethod
    def _payload(ioc: IOC, doc: dict[str, Any]) -> dict[str, Any]:
        field = f"{ioc.type.value}_hash"
        got = ac.opt_text(doc.get(field), field, 128)
        if got is not None and got.lower() != ioc.value.lower():
            raise BadResponse(f"the answer is about another file ({field} differs)")
        sha256 = ac.opt_text(doc.get("sha256_hash"), "sha256_hash", 128)
        sha256 = sha256.lower() if sha256 else None
        urls = ac.records(doc.get("urls"), "urls")
        return {
            "kind": "payload",
            "sha256": sha256 if ac.is_hex(sha256, 64) else None,
            "file_type": ac.opt_text(doc.get("file_type"), "file_type", 64),
            "file_size": ac.opt_num(doc.get("file_size"), "file_size"),
            "signature": ac.opt_text(doc.get("signature"), "signature", 128),
            "firstseen": ac.opt_text(doc.get("firstseen"), "firstseen", 64),
            "url_count": max(ac.opt_num(doc.get("url_count"), "url_count") or 0, len(urls)),
        }

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        f = obs.facts
        if not obs.found:
            return NO_DATA
        kind = f.get("kind")
        if kind == "url":
            status = f.get("url_status")
            if status == "online":
                return judgement(Verdict.MALICIOUS, SCORES["online"], "online malware URL")
            summary = "offline malware URL" if status == "offline" else "malware URL, status unknown"
            return judgement(Verdict.SUSPICIOUS, SCORES["listed"], summary)
        if kind == "host":
            online, legit = int(f.get("urls_online") or 0), abused_legit(f)
            total = int(f.get("url_count") or 0)
            if legit:
                return judgement(Verdict.SUSPICIOUS, SCORES["capped"],
                                 f"abused legitimate host ({total} malware URLs)")
            if online:
                return judgement(Verdict.MALICIOUS, SCORES["online"], "online payload host"
                                 + (f" ({online} URLs)" if online > 1 else ""))
            return judgement(Verdict.SUSPICIOUS, SCORES["listed"], f"past payload host ({total} URLs)")
        if kind == "payload":
            if sig := f.get("signature"):
                return judgement(Verdict.MALICIOUS, SCORES["family"], f"{sig} payload")
            return judgement(Verdict.SUSPICIOUS, SCORES["payload"], "payload from malware URLs")
        return NO_DATA

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        f = obs.facts if obs and obs.found else {}
        try:
            if ioc.type is IOCType.URL:
                if isinstance(f.get("id"), int):
                    return f"{WEB}/url/{f['id']}/"
                return f"{WEB}/browse.php?search={quote(ac.url_value(ioc), safe='')}"
            if ioc.type in (IOCType.DOMAIN, IOCType.IPV4):
                return f"{WEB}/host/{ac.host_value(ioc)}/"
            if ioc.type in (IOCType.MD5, IOCType.SHA256):
                sha = f.get("sha256") if ac.is_hex(f.get("sha256"), 64) else None
                return f"{WEB}/browse.php?search={sha or ac.hash_value(ioc)}"
        except ValueError:
            return None
        return None
