"""What `pong` tells the extension about this host: the one source of per-type and
per-provider knowledge (the extension copies none of it). Cheap on purpose: specs, the
settings file, key files and the pause mirror; no requests, jsonschema or sqlite3."""

from __future__ import annotations

from typing import Any

# Bump on any change the extension of an older version cannot read.
PROTOCOL = 2
PRIVATE_RULE = ("private, loopback, link-local, reserved and internal addresses and names "
                "(RFC 1918, RFC 4193, .local, .internal, ...) go to no provider unless asked")


def capabilities() -> dict[str, Any]:
    from sentinelx import config, keys
    from sentinelx.enrichment import pauses
    from sentinelx.enrichment.models import iso_utc
    from sentinelx.enrichment.providers import registry
    from sentinelx.pipeline.models import IOCType

    try:
        settings = config.load()
    except config.ConfigError:
        settings = {}
    paused = pauses.read()
    providers = []
    for spec in registry.specs():
        values = config.provider_values(spec.name, settings)
        key_set = spec.key != "none" and keys.load_key(spec.name)[0] is not None
        providers.append({
            "name": spec.name, "label": spec.label,
            "types": sorted(t.value for t in spec.types),
            "needs_key": spec.key, "key_set": key_set,
            "enabled": config.provider_enabled(values) if values else spec.enabled_by_default,
            "role": spec.role, "sends": dict(spec.sends),
            "paused_until": iso_utc(paused.get(spec.name)),
            "key_hint": spec.key_hint or None,
            "docs": spec.docs or None,
        })
    from sentinelx.export import FORMATS as export_formats  # names only: formats load on use

    return {"providers": providers, "exports": list(export_formats),
            "ioc_types": [t.value for t in IOCType], "private_rule": PRIVATE_RULE,
            "pivots": False}
