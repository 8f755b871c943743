"""Frozen values an enrichment lookup produces: Observation (cached), Judgement (derived),
EnrichmentError (never cached). `to_wire()` gives the schema shapes in common.json."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    MALICIOUS = "malicious"
    SUSPICIOUS = "suspicious"
    CLEAN = "clean"
    NO_DATA = "no_data"


class Severity(StrEnum):
    BENIGN = "benign"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ErrorCode(StrEnum):
    UNSUPPORTED = "unsupported"
    RATE_LIMITED = "rate_limited"
    AUTH = "auth"
    TIMEOUT = "timeout"
    SERVER_ERROR = "server_error"
    REDIRECT = "redirect"
    TOO_LARGE = "too_large"
    BAD_RESPONSE = "bad_response"
    BAD_REQUEST = "bad_request"
    NETWORK = "network"
    NO_API_KEY = "no_api_key"
    FORBIDDEN_HOST = "forbidden_host"
    CANCELLED = "cancelled"


# Worth another attempt after a short backoff (the request itself was fine).
RETRYABLE = frozenset({ErrorCode.SERVER_ERROR, ErrorCode.NETWORK})


def iso_utc(ts: float | None) -> str | None:
    """ISO 8601 UTC, or None for no time or one no calendar holds (1e20, inf, nan)."""
    if ts is None:
        return None
    try:
        return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return None


def parse_iso_utc(text: str | None) -> float | None:
    """The timestamp of an ISO 8601 time with a zone (what iso_utc writes), or None."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.timestamp() if when.tzinfo is not None else None


@dataclass(frozen=True, slots=True)
class EnrichmentError:
    """A lookup that gave no verdict. `message` is safe to show: it never holds the key."""

    provider: str
    code: ErrorCode
    message: str
    provider_code: str | None = None
    retry_at: str | None = None

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE

    def to_wire(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "code": self.code.value,
            "message": self.message,
            "provider_code": self.provider_code,
            "retry_at": self.retry_at,
        }



# --- the provider-generic model (wave 2): see docs/design/providers.md -------------------


class BadResponse(ValueError):
    """A provider answer that does not make sense (wrong shape, impossible numbers).

    Raised by a provider's parse/judge; the engine turns it (and any other exception from
    provider code) into a `bad_response` error for that one IOC, and never caches it."""


@dataclass(frozen=True, slots=True)
class Observation:
    """What one provider knows about one IOC: the cached unit. `facts` is plain JSON that
    fits the provider's facts schema; the verdict is derived from it on every read."""

    provider: str
    found: bool
    facts: dict[str, Any]
    fetched_at: float  # epoch seconds


@dataclass(frozen=True, slots=True)
class Judgement:
    """A provider's verdict on its own observation, under the current settings."""

    verdict: Verdict
    score: float  # 0..1
    severity: Severity
    summary: str  # short reason, e.g. "12/73 engines"; "" when there is nothing to say
