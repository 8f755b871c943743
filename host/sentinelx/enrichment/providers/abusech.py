"""What URLhaus, ThreatFox and MalwareBazaar share: the Auth-Key, the HTTP-200 error
envelope (`query_status`), strict readers for their loosely typed JSON, and value checks.

abuse.ch answers HTTP 200 with a `query_status` even for errors, and each service spells
"not found" differently (PROVIDERS.md §1.1-1.3). One abuse.ch Auth-Key (free, from
https://auth.abuse.ch/) works for all three; its shape is undocumented, so keys get the
generic rule (PROVIDERS.md §7.2).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sentinelx.enrichment.models import BadResponse, EnrichmentError, ErrorCode, Observation, iso_utc
from sentinelx.enrichment.providers.base import MAX_LIST, MAX_STR, Provider, json_body, parsed_ip
from sentinelx.pipeline.models import IOC, IOCType

if TYPE_CHECKING:
    from sentinelx.enrichment.http import HttpResponse

AUTH_HEADER = "Auth-Key"
KEY_HINT = ("an abuse.ch Auth-Key from https://auth.abuse.ch/ (the same key works for "
            "URLhaus, ThreatFox and MalwareBazaar)")
# Key problems, however a service spells them (URLhaus, ThreatFox, MalwareBazaar clients).
AUTH_STATUSES = frozenset({"unknown_auth_key", "unauthorized", "invalid_api_key", "no_api_key",
                           "missing_auth_key", "invalid_auth_key"})
RATE_STATUSES = frozenset({"rate_limited"})
# sha256/md5 of the empty file: a lookup that proves a key and reveals nothing.
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
EMPTY_MD5_IOC = IOC(IOCType.MD5, EMPTY_MD5, EMPTY_MD5, 0)
EMPTY_SHA256_IOC = IOC(IOCType.SHA256, EMPTY_SHA256, EMPTY_SHA256, 0)

HASH_LEN = {IOCType.MD5: 32, IOCType.SHA1: 40, IOCType.SHA256: 64}
MAX_URL = 8192
_HEX = re.compile(r"[0-9a-f]+")
_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+"
                       r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DIGITS = re.compile(r"[0-9]{1,15}")
_STATUS = re.compile(r"[a-z0-9_]{1,40}")


def headers(key: str | None) -> dict[str, str]:
    out = {"Accept": "application/json"}
    if key:
        out[AUTH_HEADER] = key
    return out


# --- the IOC values we send: checked, never passed through blindly ---------------------------

def hash_value(ioc: IOC) -> str:
    v = ioc.value.strip().lower()
    if len(v) != HASH_LEN.get(ioc.type, -1) or not _HEX.fullmatch(v):
        raise ValueError(f"not a {ioc.type.value} hash")
    return v


def host_value(ioc: IOC) -> str:
    """A domain or IPv4 address as abuse.ch stores hosts (lower case, no trailing dot)."""
    if ioc.type is IOCType.IPV4:
        parsed = parsed_ip(ioc.value.strip())
        if parsed is None or parsed[0] != 4:
            raise ValueError("not an IPv4 address")
        return parsed[1]
    if ioc.type is IOCType.DOMAIN:
        v = ioc.value.strip().lower().rstrip(".")
        if not _HOSTNAME.fullmatch(v):
            raise ValueError("not a domain name")
        return v
    raise ValueError(f"{ioc.type.value} is not a host")


def url_value(ioc: IOC) -> str:
    v = ioc.value.strip()
    parts = urlsplit(v)
    if parts.scheme.lower() not in ("http", "https", "ftp") or not parts.netloc:
        raise ValueError("not an http(s) or ftp URL")
    if len(v) > MAX_URL or any(ord(c) < 0x21 for c in v):
        raise ValueError("URL too long or with control characters")
    return v


def is_hex(v: Any, length: int) -> bool:
    return isinstance(v, str) and len(v) == length and _HEX.fullmatch(v) is not None


# --- the answer: HTTP status, then the query_status envelope ---------------------------------

def envelope(p: Provider, resp: HttpResponse, *, not_found: frozenset[str],
             rejected: frozenset[str]) -> dict[str, Any] | Observation | EnrichmentError:
    """The JSON object of an `ok` answer; an Observation(found=False) for a not-found
    spelling; a typed error for HTTP errors and error statuses; BadResponse otherwise."""
    if resp.status != 200:
        status = _token(p, _status_only(resp))
        err = p.status_error(resp, status or "")
        return dataclasses.replace(err, provider_code=status,
                                   retry_at=retry_at(resp, p.ctx.clock()) if resp.status == 429 else None)
    doc = json_body(resp)
    if not isinstance(doc, dict) or not isinstance(doc.get("query_status"), str):
        raise BadResponse("no query_status in the answer")
    status = doc["query_status"]
    label = p.SPEC.label
    if status == "ok":
        return doc
    if status in not_found:
        return p.observe(False, {"query_status": status})
    if status in AUTH_STATUSES:
        return p.error(ErrorCode.AUTH, f"{label} refused the Auth-Key ({status})", status)
    if status in RATE_STATUSES:
        return p.error(ErrorCode.RATE_LIMITED, f"{label} rate limit reached ({status})", status)
    if status in rejected:
        return p.error(ErrorCode.BAD_REQUEST, f"{label} rejected the value ({status})", status)
    token = _token(p, status)
    raise BadResponse(f"unknown query_status {token!r}" if token else "unreadable query_status")


def _status_only(resp: HttpResponse) -> str | None:
    """The query_status of an error answer, if it carries one (never required)."""
    try:
        doc = json_body(resp)
    except BadResponse:
        return None
    qs = doc.get("query_status") if isinstance(doc, dict) else None
    return qs if isinstance(qs, str) else None


def _token(p: Provider, status: str | None) -> str | None:
    """A status word fit to show and keep (`unknown_auth_key`); None for anything else,
    and for anything that overlaps the key (a server could echo it back)."""
    if status is None or not _STATUS.fullmatch(status):
        return None
    key = p.ctx.key
    return None if key and (status in key or key in status) else status


def retry_at(resp: HttpResponse, now: float) -> str | None:
    """Retry-After (seconds or an HTTP date) as an ISO time, or None."""
    raw = resp.headers.get("retry-after", "").strip()
    if _DIGITS.fullmatch(raw):
        return iso_utc(now + min(int(raw), 86_400))
    try:
        when = parsedate_to_datetime(raw).timestamp() if raw else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return iso_utc(min(max(when, now), now + 86_400)) if when is not None else None


# --- strict readers: a wrong type is a BadResponse, never a guess -------------------------

def opt_text(v: Any, name: str, limit: int = MAX_STR) -> str | None:
    if v is None or v == "":
        return None
    if not isinstance(v, str):
        raise BadResponse(f"{name} is not text")
    return v[:limit]


def opt_num(v: Any, name: str, high: int = 10**12) -> int | None:
    """A non-negative integer; abuse.ch often sends numbers as strings ("656896")."""
    if v is None or v == "":
        return None
    if isinstance(v, str) and _DIGITS.fullmatch(v):
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= high:
        raise BadResponse(f"{name} is not a count: {str(v)[:40]!r}")
    return v


def opt_list(v: Any, name: str) -> list[Any]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise BadResponse(f"{name} is not a list")
    return v


def records(v: Any, name: str) -> list[dict[str, Any]]:
    """A list of JSON objects (None = empty); any other item is a BadResponse."""
    items = opt_list(v, name)
    if not all(isinstance(x, dict) for x in items):
        raise BadResponse(f"{name} holds something that is not an object")
    return items


def tag_list(v: Any, name: str = "tags") -> list[str]:
    out = []
    for t in opt_list(v, name):
        if not isinstance(t, str):
            raise BadResponse(f"{name} holds a non-text tag")
        if t:
            out.append(t[:64])
    return sorted(set(out))[:MAX_LIST]


def compact(d: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty values so facts stay small and the schema simple."""
    return {k: v for k, v in d.items() if v is not None and v != [] and v != {}}


def int_setting(settings: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """A setting from the provider context; a missing or out-of-range value is the default."""
    v = settings.get(name, default)
    ok = isinstance(v, int) and not isinstance(v, bool) and low <= v <= high
    return v if ok else default
