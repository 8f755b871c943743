"""Wire settings, keys, providers, cache, quotas and history into one engine run, a privacy
preview, a quota reset or a key check.

Both the native handlers and the CLI come through here, so they behave alike.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sentinelx import config, keys, logs
from sentinelx.enrichment import store
from sentinelx.enrichment.cache import Cache, TTLs
from sentinelx.enrichment.engine import Emit, EmitMany, Engine, Lane, Options
from sentinelx.enrichment.history import History
from sentinelx.enrichment.http import DEFAULT_TIMEOUT, TOTAL_DEADLINE, SafeHttp, allowlist
from sentinelx.enrichment.models import Verdict, iso_utc
from sentinelx.enrichment.plan import NeverSend, Rules
from sentinelx.enrichment.providers import registry
from sentinelx.enrichment.providers.base import Provider, ProviderContext, RetryPolicy, data_dir
from sentinelx.enrichment.quota import Limits, Quota
from sentinelx.pipeline.models import IOC

Value = config.Value


@dataclass(frozen=True, slots=True)
class Net:
    """Network limits for one run (tests shorten them)."""

    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    total_deadline: float = TOTAL_DEADLINE
    retry: RetryPolicy | None = None


def ttls(settings: Mapping[str, Value]) -> TTLs:
    per_verdict = {v: float(settings[f"cache.ttl_hours.{v.value}"])  # type: ignore[arg-type]
                   for v in Verdict if settings.get(f"cache.ttl_hours.{v.value}") is not None}
    return TTLs(float(settings["cache.ttl_hours"]), per_verdict)  # type: ignore[arg-type]


def rules(settings: Mapping[str, Value], include_private: bool = False) -> Rules:
    return Rules(send_private=include_private or bool(settings["privacy.send_private"]),
                 never_send=NeverSend.parse(str(settings.get("privacy.never_send") or "")))


def make_provider(name: str, settings: Mapping[str, Value], net: Net = Net(),
                  clock: Callable[[], float] = time.time) -> tuple[Provider, dict[str, Value]]:
    cls = registry.classes()[name]
    spec = cls.SPEC
    values = config.provider_values(name, settings)
    key = keys.load_key(name)[0] if spec.key != "none" else None
    logs.register_secret(key)
    base_url = str(values["base_url"])
    ca = values.get("ca_bundle")
    http = SafeHttp(allowlist([base_url, *spec.hosts]), timeout=net.timeout,
                    total_deadline=net.total_deadline,
                    verify=ca if isinstance(ca, str) and ca else True)
    ctx = ProviderContext(base_url=base_url, key=key, settings=values, http=http, clock=clock,
                          data_dir=data_dir(name))
    return cls(ctx), values


def limits(provider: Provider, values: Mapping[str, Value]) -> Limits:
    """The lane's quota. A per-minute quota left at its default follows the key when the
    spec says so (NVD: 5 per rolling 30 s without a key, 50 with one)."""
    spec = provider.SPEC
    per_minute = int(values["requests_per_minute"])  # type: ignore[arg-type]
    if provider.ctx.key and spec.per_minute_with_key and per_minute == spec.per_minute:
        per_minute = spec.per_minute_with_key
    return Limits(per_minute, int(values["requests_per_day"]))  # type: ignore[arg-type]


def lanes(conn: Any, settings: Mapping[str, Value], net: Net = Net()) -> list[Lane]:
    out = []
    for name in registry.names():
        provider, values = make_provider(name, settings, net)
        out.append(Lane(provider, Quota(conn, name, limits(provider, values)),
                        enabled=config.provider_enabled(values),
                        retry=net.retry or provider.SPEC.retry))
    return out


@contextmanager
def database() -> Iterator[Any]:
    conn = store.connect()
    try:
        yield conn
    finally:
        conn.close()


def run(
    iocs: Sequence[IOC],
    *,
    on_results: EmitMany,
    on_progress: Emit,
    cancel: threading.Event,
    refresh: bool = False,
    include_private: bool = False,
    net: Net = Net(),
    progress_interval: float = 5.0,
    source_title: str | None = None,
    source_url: str | None = None,
) -> dict[str, Any]:
    """Enrich `iocs` with the local settings and keys; returns the summary fields."""
    settings = config.load()
    with database() as conn:
        engine = Engine(
            lanes(conn, settings, net), Cache(conn, ttls(settings)), History(conn),
            on_results=on_results, on_progress=on_progress, cancel=cancel,
            options=Options(refresh=refresh, rules=rules(settings, include_private),
                            progress_interval=progress_interval, source_title=source_title,
                            source_url=source_url),
        )
        return engine.run(iocs)


# --- quotas -------------------------------------------------------------------------


def quota_state() -> dict[str, Any]:
    settings = config.load()
    out: dict[str, Any] = {}
    with database() as conn:
        for lane in lanes(conn, settings):
            slot = lane.quota.status()
            out[lane.name] = {
                "state": slot.state.value,
                "paused_until": iso_utc(slot.next_slot_at) if slot.state.value in (
                    "rate_limited", "daily_limit") and not slot.granted else None,
                "remaining_today": slot.remaining_today,
                "requests_per_minute": lane.quota.limits.per_minute,
                "requests_per_day": lane.quota.limits.per_day,
            }
    return out


def quota_reset(provider: str | None = None) -> list[str]:
    """Clear the 429 pause of one provider (or all); returns those that were paused."""
    names = [provider] if provider else registry.names()
    if provider is not None:
        registry.spec(provider)  # KeyError for an unknown name
    cleared = []
    with database() as conn:
        for name in names:
            if Quota(conn, name).reset():
                cleared.append(name)
    return cleared


# --- key check ----------------------------------------------------------------------


def verify_key(name: str, net: Net = Net(timeout=(5.0, 15.0), total_deadline=20.0)
               ) -> dict[str, Any]:
    """Prove a stored key with the provider's cheap check: ok | rejected | unchecked | error.
    The answer is read by the provider (`Provider.key_problem`): NVD refuses a key with 404
    and a `message` header, abuse.ch with HTTP 200 and `unknown_auth_key`. Uses one quota
    slot when it has one to spare, and gives it back on a refusal."""
    from sentinelx.enrichment.http import HttpError
    from sentinelx.enrichment.models import ErrorCode

    settings = config.load()
    provider, values = make_provider(name, settings, net)
    label = provider.SPEC.label
    out = {"provider": name, "status": "unchecked", "message": ""}
    req = provider.verify_key()
    if req is None or not provider.ctx.key:
        out["message"] = f"{label} has no cheap key check; the first lookup will tell"
        return out
    with database() as conn:
        quota = Quota(conn, name, limits(provider, values))
        slot = quota.try_acquire()
        if not slot.granted:
            out["message"] = "not checked now: the quota is in use; the first lookup will tell"
            return out
        try:
            resp = provider.ctx.http.send(req)
        except HttpError as e:
            out.update(status="error", message=f"could not check the key: {e.message}")
            return out
        try:
            problem = provider.key_problem(resp)
        except Exception:  # an answer the provider cannot read proves nothing either way
            out.update(status="error", message=f"{label} answered HTTP {resp.status} with "
                       "an answer it could not read; the key could not be checked")
            return out
        if problem is None:
            out.update(status="ok", message=f"{label} accepted the key")
        elif problem.code is ErrorCode.AUTH:
            quota.refund(slot)
            word = problem.provider_code or ""  # e.g. abuse.ch's "unknown_auth_key"
            why = f"HTTP {resp.status}" + (f", {word}" if word and not word.isdigit() else "")
            out.update(status="rejected", message=f"{label} refused this key ({why})")
        else:
            out.update(status="error", message=f"{label} answered HTTP {resp.status} "
                       f"({problem.code.value}); the key could not be checked")
    return out
