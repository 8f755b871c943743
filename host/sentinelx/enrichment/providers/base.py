"""What a provider declares and does; the retry loop every provider shares.

A provider is one module under `enrichment/providers/`: a `Provider` subclass with a
`SPEC`, plus a facts schema in `providers/facts/<name>.json`. The engine owns quota,
retries, cache and the combined verdict; a provider only maps one IOC to one request and
one answer to an Observation, and judges an Observation. See docs/design/providers.md.
"""

from __future__ import annotations

import functools
import ipaddress
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

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
from sentinelx.pipeline.models import IOC, IOCType

if TYPE_CHECKING:  # keep `requests` out of import time: see enrichment/http.py
    from sentinelx.config import Setting
    from sentinelx.enrichment.http import HttpRequest, HttpResponse, SafeHttp

KeyNeed = Literal["required", "optional", "none"]
Role = Literal["verdict", "context", "cve"]
# Default rule for a key without a documented shape (PROVIDERS.md §7.2).
GENERIC_KEY = r"[\x21-\x7e]{16,256}"


class NotLookedUp(ValueError):
    """From `request()`: a well-formed value this provider never looks up (e.g. a private
    address a public service cannot know); `check()` reports it as `unsupported`."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff for 5xx and dropped connections."""

    attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), with jitter."""
        d = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return d * (0.75 + random.random() / 2)


@dataclass(frozen=True)
class ProviderSpec:
    """Everything the rest of SentinelX needs to know about a provider, in one place."""

    name: str
    label: str
    types: frozenset[IOCType]
    default_base_url: str
    key: KeyNeed = "required"
    key_pattern: str | None = None  # full-match regex for a key; None: GENERIC_KEY
    key_hint: str = ""  # shown when a key does not match, e.g. "64 hex characters"
    per_minute: int = 0  # default quota; 0 = no limit
    per_day: int = 0
    # The per-minute quota with a key set, when the provider grants more to a key (NVD);
    # 0: the same. Applies while requests_per_minute is left at `per_minute`.
    per_minute_with_key: int = 0
    role: Role = "verdict"
    sends: Mapping[str, str] = field(default_factory=dict)  # ioc type -> what is sent
    hosts: tuple[str, ...] = ()  # other base URLs it may contact (e.g. a feed)
    settings: Mapping[str, Setting] = field(default_factory=dict)  # extra, per provider
    enabled_by_default: bool = True
    docs: str = ""
    # Providers that share one key name the same group (abuse.ch: "abusech"); the key file
    # and SENTINELX_<GROUP>_API_KEY are per group. "" = the provider's own name.
    key_group: str = ""
    retry: RetryPolicy = RetryPolicy()  # 5xx and dropped connections; the engine applies it

    def valid_key(self, key: str) -> bool:
        return re.fullmatch(self.key_pattern or GENERIC_KEY, key) is not None

    @property
    def key_slot(self) -> str:
        return self.key_group or self.name

    @property
    def facts_schema_path(self) -> Path:
        return Path(__file__).with_name("facts") / f"{self.name}.json"


@dataclass(frozen=True)
class ProviderContext:
    """What one provider instance may use. `http` is allowlisted to its own hosts only."""

    base_url: str
    key: str | None
    settings: Mapping[str, Any]
    http: SafeHttp
    clock: Callable[[], float]
    data_dir: Path


def data_dir(name: str) -> Path:
    """`ctx.data_dir` of provider `name`: <cache dir>/providers/<name> (made when needed)."""
    from sentinelx import paths

    return paths.cache_dir() / "providers" / name


class Provider:
    SPEC: ClassVar[ProviderSpec]

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.base_url = ctx.base_url.rstrip("/")

    def __repr__(self) -> str:  # never show the key, even in a traceback's locals
        return f"{type(self).__name__}({self.base_url!r}, key=****)"

    @property
    def name(self) -> str:
        return self.SPEC.name

    def setting(self, name: str) -> Any:
        """One of this provider's extra settings: the configured value, else its default."""
        if name in self.ctx.settings:
            return self.ctx.settings[name]
        return self.SPEC.settings[name].default

    # --- to implement --------------------------------------------------------------

    def request(self, ioc: IOC) -> HttpRequest:
        """The one HTTP request for this IOC; raise ValueError for a value it cannot take."""
        raise NotImplementedError

    def target(self, ioc: IOC) -> object:
        """What this provider would look up for this IOC, checked: ValueError (NotLookedUp)
        for a value it cannot take. `check` calls only this, and a provider's `request` is
        built on it, so both refuse the same values (tests/unit/test_provider_target.py);
        it spares a preview building ~48,000 requests for a 12,000-IOC page. The default
        builds the request."""
        return self.request(ioc)

    def parse(self, ioc: IOC, resp: HttpResponse) -> Observation | EnrichmentError:
        """Map an answer to an Observation or a typed error; raise BadResponse if it makes
        no sense (never guess: a wrong-shaped answer must not become a verdict)."""
        raise NotImplementedError

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        """Pure: the verdict from (cached) facts under the current settings."""
        raise NotImplementedError

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        return None

    def verify_key(self) -> HttpRequest | None:
        """A cheap request that proves the key works, or None (see `key_problem`)."""
        return None

    def key_problem(self, resp: HttpResponse) -> EnrichmentError | None:
        """What the answer to `verify_key()` says: None if the key works, an `auth` error
        if it was refused, another error if it proves nothing. The default reads the HTTP
        status (401/403 = refused); a provider that says "bad key" otherwise (NVD's 404,
        abuse.ch's HTTP 200 `unknown_auth_key`) overrides it."""
        return None if 200 <= resp.status < 300 else self.status_error(resp)

    # --- shared behaviour ----------------------------------------------------------

    def supports(self, ioc_type: IOCType) -> bool:
        return ioc_type in self.SPEC.types

    def check(self, ioc: IOC) -> EnrichmentError | None:
        """Why this IOC cannot be looked up at all (no I/O, no quota), or None."""
        if not self.supports(ioc.type):
            return self.error(ErrorCode.UNSUPPORTED,
                              f"{self.SPEC.label} has no lookup for {ioc.type.value}")
        try:
            self.target(ioc)
        except NotLookedUp as e:
            return self.error(ErrorCode.UNSUPPORTED, str(e)[:200])
        except ValueError as e:
            return self.error(ErrorCode.BAD_REQUEST, str(e)[:200])
        return None

    def fetch(self, ioc: IOC) -> Observation | EnrichmentError:
        """One attempt: request, send through the safe HTTP path, parse. No retry, no quota."""
        from sentinelx.enrichment.http import HttpError

        if problem := self.check(ioc):
            return problem
        try:
            resp = self.ctx.http.send(self.request(ioc))
        except HttpError as e:
            return self.error(ErrorCode(e.code), e.message)
        return self.parse(ioc, resp)

    def observe(self, found: bool, facts: dict[str, Any] | None = None) -> Observation:
        return Observation(self.name, found, facts or {}, self.ctx.clock())

    def error(self, code: ErrorCode, message: str, provider_code: str | None = None,
              retry_at: str | None = None) -> EnrichmentError:
        # A server could echo request headers back: the key never travels on.
        if self.ctx.key:
            message = message.replace(self.ctx.key, "****")
        return EnrichmentError(self.name, code, message[:300], provider_code, retry_at)

    def status_error(self, resp: HttpResponse, detail: str = "") -> EnrichmentError:
        """The usual mapping of a non-2xx status to a typed error."""
        label, s = self.SPEC.label, resp.status
        tail = f": {detail}" if detail else ""
        if s in (401, 403):
            return self.error(ErrorCode.AUTH, f"{label} refused the API key ({s}){tail}")
        if s == 429:
            return self.error(ErrorCode.RATE_LIMITED, f"{label} quota exceeded{tail}",
                              retry_at=retry_at(resp, self.ctx.clock()))
        if s >= 500:
            return self.error(ErrorCode.SERVER_ERROR, f"{label} error {s}{tail}")
        if s == 400 or s == 422:
            return self.error(ErrorCode.BAD_REQUEST, f"{label} rejected the value ({s}){tail}")
        return self.error(ErrorCode.BAD_RESPONSE, f"{label} answered {s}{tail}")


def parsed_problem(provider: Provider, ioc: IOC, resp: HttpResponse) -> EnrichmentError | None:
    """`key_problem` for a key check that is a lookup of `ioc`: the provider's own parse
    reads the answer, so a refusal however it is spelled is an `auth` error."""
    out = provider.parse(ioc, resp)
    return out if isinstance(out, EnrichmentError) else None


# --- helpers for parse/judge: strict readers of untrusted JSON --------------------------

MAX_STR = 512
MAX_LIST = 50


def json_body(resp: HttpResponse) -> Any:
    import json

    try:
        return json.loads(resp.body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise BadResponse("malformed JSON") from e


def count(v: Any, name: str, *, high: int = 10**9) -> int:
    """A non-negative integer count, or BadResponse (strings, negatives, huge, bools)."""
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= high:
        raise BadResponse(f"{name} is not a count: {str(v)[:40]!r}")
    return v


def text(v: Any, limit: int = MAX_STR) -> str | None:
    return v[:limit] if isinstance(v, str) and v else None


def texts(v: Any, limit: int = MAX_LIST) -> list[str]:
    return [s[:MAX_STR] for s in v if isinstance(s, str) and s][:limit] if isinstance(v, list) else []


def flag(v: Any, name: str, default: bool | None = None) -> bool:
    """A JSON boolean, or BadResponse (0/1 and "true" are not booleans). null/absent is
    `default` when one is given (a field the verdict can do without), else BadResponse."""
    if v is None and default is not None:
        return default
    if not isinstance(v, bool):
        raise BadResponse(f"{name} is not a boolean: {str(v)[:40]!r}")
    return v


def opt_text(v: Any, name: str, limit: int = MAX_STR) -> str | None:
    """A string (cut to `limit`) or None for null/absent/empty; any other type is BadResponse."""
    if v is None:
        return None
    if not isinstance(v, str):
        raise BadResponse(f"{name} is not a string: {str(v)[:40]!r}")
    return v[:limit] or None


def text_list(v: Any, name: str, limit: int = MAX_LIST) -> list[str]:
    """A list of strings (first `limit`, each cut to MAX_STR); null/absent is []."""
    if v is None:
        return []
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise BadResponse(f"{name} is not a list of strings")
    return [s[:MAX_STR] for s in v if s][:limit]


def ip_address(ioc: IOC) -> str:
    """The canonical text of an ipv4/ipv6 IOC. ValueError if it is not an address of its
    type; NotLookedUp for private/reserved space, which no public service knows about."""
    key = (ioc.value, ioc.type is IOCType.IPV4)
    known = _IP_SEEN.get(key)
    if known is None:
        known = _canonical_ip(ioc)
        if len(_IP_SEEN) >= _IP_SEEN_MAX:  # bounded: a flood of addresses cannot grow it
            _IP_SEEN.clear()
        _IP_SEEN[key] = known
    if isinstance(known, Exception):
        raise type(known)(*known.args)
    return known


# Every provider that takes addresses asks for the same one (5-6 parses per IP in a preview).
_IP_SEEN: dict[tuple[str, bool], str | ValueError] = {}
_IP_SEEN_MAX = 65_536


def _canonical_ip(ioc: IOC) -> str | ValueError:
    from sentinelx.pipeline.classify import is_private_ip

    parsed = parsed_ip(ioc.value)
    if parsed is None:
        return ValueError(f"{ioc.value[:80]!r} does not appear to be an IPv4 or IPv6 address")
    version, text = parsed
    if (version == 4) != (ioc.type is IOCType.IPV4):
        return ValueError(f"not an {ioc.type.value} address")
    if is_private_ip(text):
        return NotLookedUp(f"{text} is a private or reserved address: not looked up")
    return text


HEX_DIGITS = frozenset("0123456789abcdef")  # `HEX_DIGITS.issuperset(v)`: one C loop a hash


@functools.lru_cache(maxsize=65_536)
def parsed_ip(text: str) -> tuple[int, str] | None:
    """(version, canonical text) of an IP address, None if `text` is not one. Memoised
    (bounded): each provider that takes addresses parses the same ones, and `ipaddress` takes
    ~10 us an address."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.version, ip.compressed


def echoed_ip(v: Any, expected: str, name: str) -> str:
    """The address an answer says it is about; BadResponse unless it is `expected` (an
    answer about another address must never become this one's verdict). Absent: `expected`."""
    if v is None:
        return expected
    try:
        same = isinstance(v, str) and ipaddress.ip_address(v) == ipaddress.ip_address(expected)
    except ValueError:
        same = False
    if not same:
        raise BadResponse(f"{name} is not the address asked about: {str(v)[:60]!r}")
    return expected


def retry_at(resp: HttpResponse, now: float) -> str | None:
    """When a 429 says to come back: Retry-After in seconds or as an HTTP date, as ISO UTC."""
    from email.utils import parsedate_to_datetime

    raw = (resp.headers.get("retry-after") or "").strip()
    if re.fullmatch(r"[0-9]{1,12}", raw):  # not str.isdigit: "²" is a digit to it
        return iso_utc(now + min(int(raw), 31 * 86400))
    try:
        when = parsedate_to_datetime(raw).timestamp() if raw else None
    except (TypeError, ValueError, OverflowError):
        return None
    return iso_utc(when) if when is not None and when > now else None


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


def judgement(verdict: Verdict, score: float, summary: str = "") -> Judgement:
    score = round(min(1.0, max(0.0, score)), 3)
    return Judgement(verdict, score, severity_for(score), summary)


NO_DATA = Judgement(Verdict.NO_DATA, 0.0, Severity.BENIGN, "")


def lookup(
    provider: Provider,
    ioc: IOC,
    *,
    retry: RetryPolicy = RetryPolicy(),
    before_attempt: Callable[[], bool] = lambda: True,
    wait: Callable[[float], bool] = lambda s: False,
) -> Observation | EnrichmentError:
    """Fetch with retries. `before_attempt` gets a quota slot (False: cancelled);
    `wait(seconds)` sleeps and returns True if cancelled meanwhile. Any exception from
    provider code is a bad_response for this IOC, never the end of the queue."""
    cancelled = EnrichmentError(provider.name, ErrorCode.CANCELLED, "cancelled")
    outcome: Observation | EnrichmentError = cancelled
    for attempt in range(1, retry.attempts + 1):
        if not before_attempt():
            return cancelled
        try:
            outcome = provider.fetch(ioc)
            if not isinstance(outcome, Observation | EnrichmentError) or (
                    isinstance(outcome, Observation) and not isinstance(outcome.found, bool)):
                raise BadResponse(f"the provider module returned {type(outcome).__name__}")
        except Exception as e:  # a provider bug or hostile answer: this IOC only
            reason = str(e)[:120] if isinstance(e, BadResponse) else type(e).__name__
            return provider.error(ErrorCode.BAD_RESPONSE,
                                  f"unusable answer from {provider.SPEC.label}: {reason}")
        if not (isinstance(outcome, EnrichmentError) and outcome.retryable):
            return outcome
        if attempt < retry.attempts and wait(retry.delay(attempt)):
            return cancelled
    return outcome
