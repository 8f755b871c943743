"""What every provider offers the queue, and the retry loop they share."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Outcome
from sentinelx.pipeline.models import IOCType


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


class Provider(Protocol):
    name: str

    def supports(self, ioc_type: IOCType) -> bool: ...

    def check(self, ioc_type: IOCType, value: str) -> EnrichmentError | None:
        """unsupported / bad_request without any I/O, or None."""
        ...

    def fetch(self, ioc_type: IOCType, value: str) -> Outcome:
        """One HTTP attempt, no retry."""
        ...


def lookup(
    provider: Provider,
    ioc_type: IOCType,
    value: str,
    *,
    retry: RetryPolicy = RetryPolicy(),
    before_attempt: Callable[[], bool] = lambda: True,
    wait: Callable[[float], bool] = lambda s: False,
) -> Outcome:
    """Fetch with retries. `before_attempt` gets a quota slot (False: cancelled);
    `wait(seconds)` sleeps and returns True if cancelled meanwhile."""
    outcome: Outcome = EnrichmentError(provider.name, ErrorCode.CANCELLED, "cancelled")
    for attempt in range(1, retry.attempts + 1):
        if not before_attempt():
            return EnrichmentError(provider.name, ErrorCode.CANCELLED, "cancelled")
        outcome = provider.fetch(ioc_type, value)
        if not (isinstance(outcome, EnrichmentError) and outcome.retryable):
            return outcome
        if attempt < retry.attempts and wait(retry.delay(attempt)):
            return EnrichmentError(provider.name, ErrorCode.CANCELLED, "cancelled")
    return outcome
