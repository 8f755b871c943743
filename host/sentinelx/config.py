"""Settings (config.json) and the API key store, both under the user config dir.

Files are written atomically with mode 0600. Settings marked `local_only` can be
changed with the CLI but never over the native port: the extension must not be
able to point the host at another server or widen its own access.

Every provider gets `providers.NAME.enabled|base_url|requests_per_minute|requests_per_day`
plus the settings its spec declares (`providers.NAME.<setting>`); `vt.*` are aliases of
`providers.virustotal.*`. The API keys are in sentinelx/keys.py.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentinelx import paths

if TYPE_CHECKING:
    from sentinelx.enrichment.providers.base import ProviderSpec

Value = str | int | float | bool | None
CONFIG_FILE = "config.json"
MAX_NEVER_SEND = 500


class ConfigError(ValueError):
    """A bad setting name or value; the message is safe to show."""


@dataclass(frozen=True, slots=True)
class Setting:
    default: Value
    parse: Callable[[Value], Value]
    help: str
    local_only: bool = False


def _required(v: Value) -> str:
    """Blank is never a value: a cleared form field must not become 0 or false."""
    if v is None or (isinstance(v, str) and not v.strip()):
        raise ConfigError("a value is required")
    return str(v).strip()


def int_range(low: int, high: int) -> Callable[[Value], Value]:
    def parse(v: Value) -> Value:
        if isinstance(v, bool):
            raise ConfigError("expected an integer")
        if isinstance(v, float):
            if not v.is_integer():
                raise ConfigError("expected an integer")
            v = int(v)
        text = v if isinstance(v, int) else _required(v)
        try:
            n = text if isinstance(text, int) else int(text)
        except ValueError as e:
            raise ConfigError("expected an integer") from e
        if not low <= n <= high:
            raise ConfigError(f"must be between {low} and {high}")
        return n

    return parse


def float_range(low: float, high: float, hint: str = "") -> Callable[[Value], Value]:
    def parse(v: Value) -> Value:
        if isinstance(v, bool):
            raise ConfigError("expected a number")
        text = v if isinstance(v, int | float) else _required(v)
        try:
            x = float(text)
        except (TypeError, ValueError) as e:
            raise ConfigError("expected a number") from e
        if not low <= x <= high:  # also refuses nan
            raise ConfigError(f"must be between {low:g} and {high:g}{hint}")
        return x

    return parse


def _optional(parse: Callable[[Value], Value]) -> Callable[[Value], Value]:
    """None, "" or "default" mean: not set, use the general setting."""

    def wrapped(v: Value) -> Value:
        if v is None or str(v).strip().lower() in {"", "default", "none"}:
            return None
        return parse(v)

    return wrapped


def parse_bool(v: Value) -> Value:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in {"1", "true", "yes", "on"}:
        return True
    if s in {"0", "false", "no", "off"}:
        return False
    raise ConfigError("expected true or false")


def https_url(v: Value) -> Value:
    from urllib.parse import urlsplit

    s = _required(v).rstrip("/")
    try:
        parts = urlsplit(s)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as e:
        raise ConfigError(f"not a URL: {e}") from e
    local = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise ConfigError("must be an https:// URL (plain http only for 127.0.0.1/localhost)")
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError("must be a plain base URL with a host and no credentials or query")
    return s


def _id_list(v: Value) -> Value:
    ids = [p.strip() for p in str(v or "").split(",") if p.strip()]
    for i in ids:
        if not all(c.isalnum() or c in "@._-{}" for c in i):
            raise ConfigError(f"not an extension id: {i!r}")
    return ",".join(ids)


_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*"
                     r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def never_send_list(v: Value) -> Value:
    """Domains (each covers its subdomains) and CIDR networks, comma/space separated."""
    import ipaddress

    out: list[str] = []
    for item in re.split(r"[\s,;]+", str(v or "")):
        item = item.strip().lower().removeprefix("*.").strip(".")
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
            continue
        except ValueError:
            pass
        try:
            item = item.encode("idna").decode("ascii")
        except UnicodeError:
            raise ConfigError(f"not a domain or CIDR network: {item[:60]!r}") from None
        if not _DOMAIN.fullmatch(item):
            raise ConfigError(f"not a domain or CIDR network: {item[:60]!r}")
        out.append(item)
    if len(out) > MAX_NEVER_SEND:
        raise ConfigError(f"at most {MAX_NEVER_SEND} entries")
    return ",".join(dict.fromkeys(out))


_TTL = float_range(0.1, 24 * 365, " hours (to skip the cache once, use refresh)")

BASE_SETTINGS: dict[str, Setting] = {
    "cache.ttl_hours": Setting(24.0, _TTL, "how long a provider's answer stays cached"),
    **{
        f"cache.ttl_hours.{verdict}": Setting(
            None, _optional(float_range(0, 24 * 365)),
            f"hours a '{verdict}' answer stays cached (unset: cache.ttl_hours; 0: never)",
        )
        for verdict in ("malicious", "suspicious", "clean", "no_data")
    },
    "privacy.send_private": Setting(
        False, parse_bool,
        "always send private/internal IOCs to providers (off: only when a request asks)",
    ),
    "privacy.never_send": Setting(
        "", never_send_list,
        "domains (with their subdomains) and CIDR networks never sent to any provider",
    ),
    "history.keep_page_url": Setting(
        False, parse_bool, "keep the page URL of each lookup in the history (off: only its title)",
    ),
    "host.allowed_extensions": Setting(
        "", _id_list,
        "extra extension ids (comma-separated) the host serves besides the shipped one",
        local_only=True,
    ),
}

# Old names -> new names; both work for get/set and both appear in load().
ALIASES = {
    "vt.base_url": "providers.virustotal.base_url",
    "vt.requests_per_minute": "providers.virustotal.requests_per_minute",
    "vt.requests_per_day": "providers.virustotal.requests_per_day",
    "vt.malicious_threshold": "providers.virustotal.malicious_threshold",
    "vt.suspicious_threshold": "providers.virustotal.suspicious_threshold",
}


def provider_settings(spec: ProviderSpec) -> dict[str, Setting]:
    p = f"providers.{spec.name}."
    out = {
        p + "enabled": Setting(spec.enabled_by_default, parse_bool,
                               f"ask {spec.label} at all"),
        p + "base_url": Setting(
            spec.default_base_url, https_url,
            f"{spec.label} API base URL; its host is the only one it may contact",
            local_only=True),
        p + "requests_per_minute": Setting(spec.per_minute, int_range(0, 100_000),
                                           "quota: lookups per minute (0: no limit)"),
        p + "requests_per_day": Setting(spec.per_day, int_range(0, 100_000_000),
                                        "quota: lookups per UTC day (0: no limit)"),
    }
    out.update({p + name: s for name, s in spec.settings.items()})
    return out


@cache
def all_settings() -> dict[str, Setting]:
    from sentinelx.enrichment.providers import registry

    out = dict(BASE_SETTINGS)
    for spec in registry.specs():
        out.update(provider_settings(spec))
    return out


def canonical(name: str) -> str:
    return ALIASES.get(name, name)


def _spec_for(name: str) -> Setting:
    spec = all_settings().get(canonical(name))
    if spec is None:
        raise ConfigError(f"unknown setting {name[:80]!r}; see `sentinelx config list`")
    return spec


def config_path() -> Path:
    return paths.config_dir() / CONFIG_FILE


def write_private(path: Path, text: str) -> None:
    """Atomically replace `path` with `text`, readable by the owner only (0600)."""
    import tempfile  # only writers pay for it (ping reads)

    paths.ensure(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_file() -> dict[str, Any]:
    try:
        data = json.loads(config_path().read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as e:
        raise ConfigError(f"cannot read {config_path()}: {e}") from e
    if not isinstance(data, dict):
        return {}
    # Files from before the provider core store vt.* names: read them as the new ones.
    for old, new in ALIASES.items():
        if old in data and new not in data:
            data[new] = data[old]
        data.pop(old, None)
    return data


def load() -> dict[str, Value]:
    """All settings with defaults filled in (aliases included); a stored value that no
    longer parses falls back to its default."""
    stored = _read_file()
    out: dict[str, Value] = {}
    for name, spec in all_settings().items():
        try:
            out[name] = spec.parse(stored[name]) if name in stored else spec.default
        except ConfigError:
            out[name] = spec.default
    for old, new in ALIASES.items():
        if new in out:
            out[old] = out[new]
    return out


def get(name: str) -> Value:
    _spec_for(name)
    return load()[canonical(name)]


def set_value(name: str, value: Value, *, remote: bool = False) -> Value:
    """Validate and store one setting. `remote` is True for requests from the extension."""
    spec = _spec_for(name)
    if remote and spec.local_only:
        raise PermissionError(f"{name} can only be changed with `sentinelx config set` locally")
    parsed = spec.parse(value)
    stored = _read_file()
    stored[canonical(name)] = parsed
    write_private(config_path(), json.dumps(stored, indent=2, sort_keys=True) + "\n")
    return parsed


def provider_values(name: str, settings: Mapping[str, Value] | None = None) -> dict[str, Value]:
    """One provider's settings without the `providers.NAME.` prefix."""
    settings = load() if settings is None else settings
    prefix = f"providers.{name}."
    return {k[len(prefix):]: v for k, v in settings.items() if k.startswith(prefix)}


def provider_enabled(values: Mapping[str, Value]) -> bool:
    """Whether a provider is on: enabled, and a base URL to ask (MISP has none until the
    user sets one; until then it is off, not an error per IOC)."""
    return bool(values.get("enabled")) and bool(values.get("base_url"))


# --- API keys: sentinelx/keys.py ----------------------------------------------------------

_KEY_NAMES = frozenset({"KEY_ENV", "KEY_FILE", "mask", "usable", "key_path", "key_envs",
                        "store_key", "save_key", "clear_key", "load_key", "key_state",
                        "keys_state"})


def __getattr__(name: str) -> Any:
    """The key store lives in sentinelx.keys; its names stay reachable here."""
    if name in _KEY_NAMES:
        from sentinelx import keys

        return getattr(keys, name)
    raise AttributeError(f"module 'sentinelx.config' has no attribute {name!r}")
