"""Wire settings, key, provider, cache, quota and history into one queue run.

Both the native handler and `sentinelx enrich` come through here, so they behave alike.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sentinelx import config, logs
from sentinelx.enrichment import store
from sentinelx.enrichment.cache import Cache, TTLs
from sentinelx.enrichment.history import History
from sentinelx.enrichment.http import DEFAULT_TIMEOUT, SafeHttp, allowlist
from sentinelx.enrichment.models import Verdict
from sentinelx.enrichment.providers.base import RetryPolicy
from sentinelx.enrichment.providers.virustotal import Thresholds, VirusTotal
from sentinelx.enrichment.queue import Emit, EnrichQueue, QueueOptions
from sentinelx.enrichment.quota import Limits, Quota
from sentinelx.pipeline.models import IOC


@dataclass(frozen=True, slots=True)
class Settings:
    base_url: str
    limits: Limits
    thresholds: Thresholds
    ttls: TTLs
    send_private: bool

    @classmethod
    def load(cls) -> Settings:
        s = config.load()
        per_verdict = {
            v: float(s[f"cache.ttl_hours.{v.value}"])  # type: ignore[arg-type]
            for v in Verdict if s.get(f"cache.ttl_hours.{v.value}") is not None
        }
        return cls(
            base_url=str(s["vt.base_url"]),
            limits=Limits(int(s["vt.requests_per_minute"]), int(s["vt.requests_per_day"])),  # type: ignore[arg-type]
            thresholds=Thresholds(int(s["vt.malicious_threshold"]),  # type: ignore[arg-type]
                                  int(s["vt.suspicious_threshold"])),  # type: ignore[arg-type]
            ttls=TTLs(float(s["cache.ttl_hours"]), per_verdict),  # type: ignore[arg-type]
            send_private=bool(s["privacy.send_private"]),
        )


def run(
    iocs: Sequence[IOC],
    *,
    on_result: Emit,
    on_progress: Emit,
    cancel: threading.Event,
    refresh: bool = False,
    include_private: bool = False,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retry: RetryPolicy | None = None,
    progress_interval: float = 5.0,
) -> dict[str, Any]:
    """Enrich `iocs` with the local settings and key; returns the summary fields."""
    settings = Settings.load()
    key, _source = config.load_key()
    logs.register_secret(key)
    http = SafeHttp(allowlist([settings.base_url]), timeout=timeout)
    provider = VirusTotal(settings.base_url, key, thresholds=settings.thresholds, http=http)
    conn = store.connect()
    try:
        queue = EnrichQueue(
            provider, Cache(conn, settings.ttls), Quota(conn, provider.name, settings.limits),
            History(conn), on_result=on_result, on_progress=on_progress, cancel=cancel,
            options=QueueOptions(refresh=refresh,
                                 send_private=include_private or settings.send_private,
                                 has_key=key is not None, progress_interval=progress_interval,
                                 retry=retry or RetryPolicy()),
        )
        return queue.run(iocs)
    finally:
        conn.close()
