"""`sentinelx doctor --online`: can this machine reach every source that is switched on?

One GET of each enabled provider's base URL through the project's one HTTP path (SafeHttp:
allowlisted origin, no redirects, timeouts, a size cap) with no key attached, so no quota is
spent and no key leaves the machine; any HTTP answer means reachable.
"""

from __future__ import annotations

import time

from sentinelx.install.doctor import FAIL, OK, WARN, Check, _cmd

ONLINE_TIMEOUT = 5.0
_PROBE_BYTES = 256 * 1024  # a landing page is read at most this far


def check_online(name: str, base_url: str, timeout: float = ONLINE_TIMEOUT,
                 ca_bundle: str | None = None) -> Check:
    from sentinelx.enrichment.http import HttpError, HttpRequest, SafeHttp, allowlist

    row = f"online: {name}"
    try:
        http = SafeHttp(allowlist([base_url]), timeout=(timeout, timeout),
                        total_deadline=2 * timeout, max_bytes=_PROBE_BYTES,
                        verify=ca_bundle or True)
    except ValueError as e:
        return Check(row, FAIL, f"{base_url}: {e}",
                     f"{_cmd()} config set providers.{name}.base_url https://...")
    start = time.monotonic()
    try:
        resp = http.send(HttpRequest("GET", base_url, {"Accept": "application/json"}))
    except HttpError as e:
        if e.code in ("redirect", "too_large"):  # it answered: the host is reachable
            return Check(row, OK, f"{base_url} answered ({e.code})")
        return Check(row, FAIL, f"{base_url} unreachable: {e.code}",
                     f"check the network or proxy; or {_cmd()} config get providers.{name}.base_url")
    ms = (time.monotonic() - start) * 1000
    return Check(row, OK, f"{base_url} answered HTTP {resp.status} in {ms:.0f} ms")


def online_checks(timeout: float = ONLINE_TIMEOUT) -> list[Check]:
    """One row per enabled source; a config that cannot be read is one FAIL row."""
    from sentinelx import config
    from sentinelx.enrichment.providers import registry

    try:
        settings = config.load()
    except config.ConfigError as e:
        return [Check("online", FAIL, str(e), "fix the config file it names")]
    rows = []
    for name in registry.names():
        values = config.provider_values(name, settings)
        if not config.provider_enabled(values):
            continue
        base = values.get("base_url")
        ca = values.get("ca_bundle")
        if not isinstance(base, str) or not base:
            rows.append(Check(f"online: {name}", WARN, "no base URL set",
                              f"{_cmd()} config set providers.{name}.base_url https://..."))
            continue
        rows.append(check_online(name, base, timeout, ca if isinstance(ca, str) else None))
    return rows or [Check("online", WARN, "every source is switched off",
                          f"{_cmd()} providers (then config set providers.NAME.enabled true)")]
