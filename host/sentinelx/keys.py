"""The API key store: one 0600 file per key slot in the user config dir (abuse.ch's three
services share one slot), and environment variables that win over the files.

Keys are validated on save against the provider's documented shape; they never leave
the host except in the provider's own request header, and every view of them is masked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sentinelx import paths

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms
if TYPE_CHECKING:
    from sentinelx.config import Value

# sentinelx.config (~30 ms) is imported where it is used: the capabilities snapshot that
# `pong` reads checks key shapes with usable() and must not pay for it.

KEY_ENV = "VT_API_KEY"
KEY_FILE = "vt_api_key"  # VirusTotal's file keeps its first name


def mask(key: str | None) -> str | None:
    """Never more than the last 4 characters, and nothing at all of a key of 8 or fewer."""
    if not key:
        return None
    return "****" if len(key) <= 8 else "****" + key[-4:]


def usable(key: str) -> bool:
    """Could be sent in an HTTP header at all: printable ASCII, no spaces, 1..256."""
    return 0 < len(key) <= 256 and all("\x21" <= c <= "\x7e" for c in key)


def _slot(provider: str) -> str:
    from sentinelx.config import ConfigError
    from sentinelx.enrichment.providers import registry

    try:
        return registry.spec(provider).key_slot
    except KeyError:
        raise ConfigError(f"unknown provider {provider[:60]!r}; see `sentinelx providers`") from None


def key_path(provider: str = "virustotal") -> Path:
    slot = _slot(provider)
    return paths.config_dir() / (KEY_FILE if slot == "virustotal" else f"{slot}_api_key")


def key_envs(provider: str = "virustotal") -> list[str]:
    slot = _slot(provider)
    envs = [f"SENTINELX_{slot.upper()}_API_KEY"]
    return [KEY_ENV, *envs] if slot == "virustotal" else envs


def store_key(key: str, provider: str = "virustotal") -> str:
    """Store a key that could be sent (no format check: see save_key). Returns it trimmed."""
    from sentinelx.config import ConfigError, write_private

    key = key.strip()
    if not key:
        raise ConfigError("the API key is empty")
    if not usable(key):
        raise ConfigError("the API key must be printable ASCII (no spaces, no accents or "
                          "other alphabets) of at most 256 characters")
    write_private(key_path(provider), key + "\n")
    return key


def save_key(provider: str, key: str) -> str:
    """Validate `key` against the provider's documented shape, then store it."""
    from sentinelx.config import ConfigError
    from sentinelx.enrichment.providers import registry

    _slot(provider)
    spec = registry.spec(provider)
    if spec.key == "none":
        raise ConfigError(f"{spec.label} takes no API key")
    trimmed = key.strip()
    if trimmed and usable(trimmed) and not spec.valid_key(trimmed):
        hint = spec.key_hint or "16 to 256 printable ASCII characters without spaces"
        raise ConfigError(f"that does not look like a {spec.label} API key: "
                          f"expected {hint}, got {len(trimmed)} characters")
    return store_key(trimmed, provider)


def clear_key(provider: str = "virustotal") -> bool:
    try:
        key_path(provider).unlink()
        return True
    except FileNotFoundError:
        return False


def load_key(provider: str = "virustotal") -> tuple[str | None, str | None]:
    """(key, source): the environment wins over the file; source is 'env', 'file' or None.
    A key that could not be sent in a header is treated as absent."""
    for env in key_envs(provider):
        value = os.environ.get(env, "").strip()
        if value and usable(value):
            return value, "env"
    try:
        key = key_path(provider).read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None, None
    return (key, "file") if key and usable(key) else (None, None)


def key_state(provider: str = "virustotal") -> Mapping[str, Value]:
    key, source = load_key(provider)
    return {"set": key is not None, "masked": mask(key), "source": source}


def keys_state() -> dict[str, Mapping[str, Value]]:
    """Masked state of every provider that takes a key."""
    from sentinelx.enrichment.providers import registry

    return {s.name: key_state(s.name) for s in registry.specs() if s.key != "none"}
