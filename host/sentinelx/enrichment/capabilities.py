"""What `pong` tells the extension about this host: the one source of per-type and
per-provider knowledge (the extension copies none of it). Cheap on purpose: specs, the
settings file, key files and the pause mirror; no requests, jsonschema or sqlite3."""

from __future__ import annotations

import os
import sys
from pathlib import Path

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any

# Bump on any change the extension of an older version cannot read.
PROTOCOL = 3
PRIVATE_RULE = ("private, loopback, link-local, reserved and internal addresses and names "
                "(RFC 1918, RFC 4193, .local, .internal, ...) go to no provider unless asked")


def cli_path(executable: str | None = None, home: Path | None = None) -> str | None:
    """The absolute path of a `sentinelx` command that runs this host, for commands the
    extension prints: ~/.local/bin/sentinelx when that link leads to this venv's command (what
    the installer links), else the command next to the running Python, else None."""
    exe = Path(executable or sys.executable)
    names = ("sentinelx.exe", "sentinelx") if os.name == "nt" else ("sentinelx",)
    own = next((exe.parent / n for n in names if (exe.parent / n).is_file()), None)
    if own is None:
        return None
    try:
        link = (home or Path.home()) / ".local" / "bin" / "sentinelx"
        if link.resolve(strict=True) == own.resolve(strict=True):
            return str(link)
    except (OSError, RuntimeError):
        pass  # no link, a dangling one or a loop: the venv's own command works anyway
    return str(own.absolute())


def _settings(spec: Any) -> list[dict[str, Any]]:
    """The provider's own settings the options page may change (`providers.NAME.<name>` with
    config.set): name, help, default and the input kind. Local-only ones are left out."""
    out = []
    for name, setting in spec.settings.items():
        if setting.local_only:
            continue
        d = setting.default
        kind = "boolean" if isinstance(d, bool) else "number" if isinstance(d, int | float) else "text"
        out.append({"name": name, "help": setting.help, "default": d, "kind": kind})
    return out


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
            "settings": _settings(spec),
        })
    from sentinelx.export import FORMATS as export_formats  # names only: formats load on use

    return {"providers": providers, "exports": list(export_formats),
            "ioc_types": [t.value for t in IOCType], "private_rule": PRIVATE_RULE,
            "pivots": True, "cli_path": cli_path()}
