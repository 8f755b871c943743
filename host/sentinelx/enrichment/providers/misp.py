"""Your team's MISP: `POST /attributes/restSearch` on the exact value (PROVIDERS.md §7.1).

Verdict, per matching attribute, then the strongest one wins:
- malicious:  `to_ids` set and its event published (meant for detection by your team);
- suspicious: any other match (not for IDS, or the event is not published);
- one step down (malicious -> suspicious -> clean) when MISP flags the attribute on a
  warninglist or someone recorded a false-positive sighting of it;
- no_data:    no attribute matches (never clean).
The summary says which rule decided, e.g. "IDS attribute in published event #42 (Emotet C2)".

Off until configured: the user sets the base URL (https://, or http://127.0.0.1 for tests)
in the options page, the 40-character auth key, and optionally `ca_bundle`, a PEM file of an
internal CA that the engine passes to SafeHttp as `verify` (TLS verification is never off).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sentinelx.config import ConfigError, Setting, Value
from sentinelx.enrichment.http import HttpRequest, HttpResponse
from sentinelx.enrichment.models import (
    BadResponse,
    EnrichmentError,
    ErrorCode,
    Judgement,
    Observation,
    Verdict,
    iso_utc,
)
from sentinelx.enrichment.providers.base import (
    NO_DATA,
    NotLookedUp,
    Provider,
    ProviderSpec,
    json_body,
    judgement,
    parsed_problem,
)
from sentinelx.enrichment.providers.misp_answer import (
    _LEVELS,
    THREAT_LEVELS,
    attribute,
    attribute_verdict,
)
from sentinelx.pipeline.models import IOC, IOCType

LIMIT = 50  # attributes per lookup; more is "truncated"
MAX_KEPT = 20  # attributes and events kept in the facts
MAX_CA_BYTES = 1_000_000
_SCORE = {1: 0.95, 2: 0.85, 3: 0.7, 4: 0.8}  # malicious, by the event's threat level
SUSPICIOUS_SCORE = 0.45
KEY_CHECK_IOC = IOC(IOCType.DOMAIN, "sentinelx-key-check.invalid", "", 0)


def base_url_setting(v: Value) -> Value:
    """https:// only; plain http only to 127.0.0.1 (a local test server). Not local-only:
    the user sets it in the options page, so it is checked as strictly as the CLI does."""
    s = str(v if v is not None else "").strip().rstrip("/")
    if not s:
        return ""
    try:
        parts = urlsplit(s)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as e:
        raise ConfigError(f"not a URL: {e}") from e
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname == "127.0.0.1")):
        raise ConfigError("the MISP URL must start with https:// (http only for 127.0.0.1)")
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError("the MISP URL must be a plain base URL with a host and no "
                          "credentials, query or fragment")
    if any(c.isspace() or not c.isprintable() for c in s) or len(s) > 300:
        raise ConfigError("the MISP URL has spaces or control characters, or is too long")
    return s


def ca_bundle_setting(v: Value) -> Value:
    """"" (system CAs) or an absolute path to a readable PEM file with a certificate."""
    s = str(v if v is not None else "").strip()
    if not s:
        return ""
    p = Path(s).expanduser()
    if not p.is_absolute():
        raise ConfigError("the CA bundle must be an absolute path")
    try:
        data = p.read_bytes()[:MAX_CA_BYTES + 1] if p.is_file() else None
    except OSError as e:
        raise ConfigError(f"cannot read the CA bundle: {e.strerror}") from None
    if data is None or len(data) > MAX_CA_BYTES or b"-----BEGIN CERTIFICATE-----" not in data:
        raise ConfigError("the CA bundle must be a PEM file holding a certificate")
    return str(p)


def searchable(value: str) -> str:
    """The value as MISP will match it exactly, or ValueError: MISP reads a leading '!' as
    NOT and a leading/trailing '%' as LIKE even inside the value array."""
    if not value or len(value) > 2048:
        raise ValueError("empty or over 2048 characters")
    if value.startswith("!") or value.startswith("%") or value.endswith("%"):
        raise ValueError("MISP would read this value as a filter ('!' or '%'), not a value")
    return value


def search_body(value: str, limit: int = LIMIT) -> dict[str, Any]:
    return {"returnFormat": "json", "value": [value], "limit": limit, "page": 1,
            "includeContext": 1, "includeEventTags": 1, "includeSightings": 1,
            "includeWarninglistHits": 1}


SPEC = ProviderSpec(
    name="misp",
    label="MISP",
    types=frozenset(IOCType),
    default_base_url="",  # none: the user's own server
    key="required",
    key_pattern=r"[A-Za-z0-9]{40}",  # MISP refuses any other shape before a lookup
    key_hint="40 letters and digits (MISP auth key)",
    per_minute=60,
    per_day=0,
    role="verdict",
    sends={t.value: "the exact value, to your own MISP server" for t in IOCType},
    settings={
        # Overrides the core's local-only base_url: the user sets this one in the options page.
        "base_url": Setting("", base_url_setting,
                            "your MISP base URL (https://; http only for 127.0.0.1)"),
        "ca_bundle": Setting("", ca_bundle_setting,
                             "PEM file of the CA that signed your MISP's certificate "
                             "(empty: the system CAs); verification is never off",
                             local_only=True),
    },
    enabled_by_default=False,
    docs="https://www.misp-project.org/openapi/#tag/Attributes/operation/restSearchAttributes",
)


class MISP(Provider):
    SPEC = SPEC

    def target(self, ioc: IOC) -> str:
        value = searchable(ioc.value)
        self._usable()
        return value

    def request(self, ioc: IOC) -> HttpRequest:
        return self._search(self.target(ioc), LIMIT)

    def _usable(self) -> None:
        if not self.base_url:  # the engine treats MISP as off until then; never an error
            raise NotLookedUp("set the MISP base URL first (options page or "
                              "`sentinelx config set providers.misp.base_url URL`)")

    def _search(self, value: str, limit: int) -> HttpRequest:
        self._usable()
        headers = {"Authorization": self.ctx.key or "", "Accept": "application/json",
                   "Content-Type": "application/json"}
        return HttpRequest("POST", f"{self.base_url}/attributes/restSearch", headers,
                           json=search_body(value, limit))

    def fetch(self, ioc: IOC) -> Observation | EnrichmentError:
        # Never an empty Authorization header to the server. The engine skips a keyless
        # MISP as no_api_key before this (after the cache); check() stays about the value.
        if not self.ctx.key:
            return self.error(ErrorCode.NO_API_KEY, "no MISP auth key set")
        return super().fetch(ioc)

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        if resp.status != 200:
            return self._status(resp)
        doc = json_body(resp)
        inner = doc.get("response") if isinstance(doc, dict) else None
        if inner == []:  # how some MISP versions say "nothing": no match, no verdict
            inner = {"Attribute": []}
        attrs = inner.get("Attribute") if isinstance(inner, dict) else None
        if not isinstance(attrs, list):
            raise BadResponse("no response.Attribute list")
        if not attrs:
            return self.observe(False, {"matches": 0})
        if len(attrs) > LIMIT:
            raise BadResponse(f"{len(attrs)} attributes for limit {LIMIT}")
        kept: list[dict[str, Any]] = []
        events: dict[int | None, dict[str, Any]] = {}
        for a in attrs:
            attr, event = attribute(a)
            kept.append(attr)
            events.setdefault(event["id"], event)
        # Keep the attributes that matter most if there are more than MAX_KEPT.
        kept.sort(key=lambda x: _LEVELS.index(attribute_verdict(x, events.get(x["event_id"]))[0]),
                  reverse=True)
        kept = kept[:MAX_KEPT]
        wanted = {a["event_id"] for a in kept}
        return self.observe(True, {
            "matches": len(attrs), "truncated": len(attrs) >= LIMIT,
            "attributes": kept, "events": [e for k, e in events.items() if k in wanted],
        })

    def _status(self, resp: HttpResponse) -> EnrichmentError:
        message = _message(resp)
        tail = f": {message}" if message else ""
        if resp.status == 405:
            # Malformed JSON (our side), or a role without API search rights (theirs).
            if "json" in message.lower():
                return self.error(ErrorCode.BAD_REQUEST, f"MISP refused the request{tail}", "405")
            return self.error(ErrorCode.AUTH, f"MISP does not allow this key to search{tail}",
                              "405")
        if resp.status == 429:
            reset = resp.headers.get("x-rate-limit-reset", "")
            retry_at = (iso_utc(self.ctx.clock() + int(reset))
                        if reset.isdigit() and int(reset) <= 86400 else None)
            return self.error(ErrorCode.RATE_LIMITED, f"MISP rate limit{tail}", "429", retry_at)
        return self.status_error(resp, message)

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        if not obs.found:
            return NO_DATA
        events = {e["id"]: e for e in obs.facts.get("events", [])}
        best: tuple[int, str, dict[str, Any] | None] = (-1, "", None)
        for attr in obs.facts.get("attributes", []):
            event = events.get(attr.get("event_id"))
            verdict, rule = attribute_verdict(attr, event)
            if _LEVELS.index(verdict) > best[0]:
                best = (_LEVELS.index(verdict), rule, event)
        if best[0] < 0:
            return NO_DATA
        verdict = _LEVELS[best[0]]
        if verdict is Verdict.MALICIOUS:
            named = str((best[2] or {}).get("threat_level"))
            score = _SCORE[next((k for k, v in THREAT_LEVELS.items() if v == named), 4)]
        else:
            score = SUSPICIOUS_SCORE if verdict is Verdict.SUSPICIOUS else 0.0
        return judgement(verdict, score, best[1])

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        if not self.base_url:
            return None
        events = (obs.facts.get("events") or []) if obs and obs.found else []
        if events and isinstance(events[0].get("id"), int):
            return f"{self.base_url}/events/view/{events[0]['id']}"
        return None

    def verify_key(self) -> HttpRequest | None:
        # A search with limit 1: 403 means a bad key (PROVIDERS.md §7.2).
        try:
            return self._search(KEY_CHECK_IOC.value, 1)
        except ValueError:
            return None

    def key_problem(self, resp: HttpResponse) -> EnrichmentError | None:
        return parsed_problem(self, KEY_CHECK_IOC, resp)


def _message(resp: HttpResponse) -> str:
    """MISP's error text: body {"name", "message", "url"}; nothing if it is not that."""
    try:
        doc = json_body(resp)
    except BadResponse:
        return ""
    m = doc.get("message") if isinstance(doc, dict) else None
    return "".join(c if c.isprintable() else " " for c in m)[:200] if isinstance(m, str) else ""
