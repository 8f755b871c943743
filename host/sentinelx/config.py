"""Settings (config.json) and the API key store, both under the user config dir.

Files are written atomically with mode 0600. Settings marked `local_only` can be
changed with the CLI but never over the native port: the extension must not be
able to point the host at another server or widen its own access.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinelx import paths

Value = str | int | float | bool | None
KEY_ENV = "VT_API_KEY"
CONFIG_FILE = "config.json"
KEY_FILE = "vt_api_key"


class ConfigError(ValueError):
    """A bad setting name or value; the message is safe to show."""


@dataclass(frozen=True, slots=True)
class Setting:
    default: Value
    parse: Callable[[Value], Value]
    help: str
    local_only: bool = False


def _int(low: int, high: int) -> Callable[[Value], Value]:
    def parse(v: Value) -> Value:
        if isinstance(v, bool):
            raise ConfigError("expected an integer")
        try:
            n = int(str(v).strip()) if not isinstance(v, int) else v
        except ValueError as e:
            raise ConfigError("expected an integer") from e
        if not low <= n <= high:
            raise ConfigError(f"must be between {low} and {high}")
        return n

    return parse


def _float(low: float, high: float) -> Callable[[Value], Value]:
    def parse(v: Value) -> Value:
        if isinstance(v, bool):
            raise ConfigError("expected a number")
        try:
            x = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError) as e:
            raise ConfigError("expected a number") from e
        if not low <= x <= high:
            raise ConfigError(f"must be between {low} and {high}")
        return x

    return parse


def _optional(parse: Callable[[Value], Value]) -> Callable[[Value], Value]:
    """None, "" or "default" mean: not set, use the general setting."""

    def wrapped(v: Value) -> Value:
        if v is None or str(v).strip().lower() in {"", "default", "none"}:
            return None
        return parse(v)

    return wrapped


def _bool(v: Value) -> Value:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in {"1", "true", "yes", "on"}:
        return True
    if s in {"0", "false", "no", "off"}:
        return False
    raise ConfigError("expected true or false")


def _https_url(v: Value) -> Value:
    from urllib.parse import urlsplit

    s = str(v).strip().rstrip("/")
    parts = urlsplit(s)
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


SETTINGS: dict[str, Setting] = {
    "vt.base_url": Setting(
        "https://www.virustotal.com/api/v3", _https_url,
        "VirusTotal API base URL; its host is the only host requests may go to", local_only=True,
    ),
    "vt.requests_per_minute": Setting(4, _int(1, 100_000), "quota: lookups per minute"),
    "vt.requests_per_day": Setting(500, _int(1, 100_000_000), "quota: lookups per UTC day"),
    "vt.malicious_threshold": Setting(1, _int(1, 1000), "engines saying malicious for 'malicious'"),
    "vt.suspicious_threshold": Setting(
        1, _int(1, 1000), "malicious + suspicious engines, below the malicious threshold, for 'suspicious'"
    ),
    "cache.ttl_hours": Setting(24.0, _float(0, 24 * 365), "how long a verdict stays cached"),
    **{
        f"cache.ttl_hours.{verdict}": Setting(
            None, _optional(_float(0, 24 * 365)),
            f"hours a '{verdict}' verdict stays cached (unset: cache.ttl_hours)",
        )
        for verdict in ("malicious", "suspicious", "clean", "no_data")
    },
    "privacy.send_private": Setting(
        False, _bool,
        "always send private/internal IOCs to providers (off: only when a request asks)",
    ),
    # history (enrichment/history.py, owned by the exports work)
    "history.keep_page_url": Setting(
        False, _bool, "keep the page URL of each lookup in the history (off: only its title)",
    ),
    "host.allowed_extensions": Setting(
        "", _id_list,
        "extra extension ids (comma-separated) the host serves besides the shipped one",
        local_only=True,
    ),
}


def config_path() -> Path:
    return paths.config_dir() / CONFIG_FILE


def key_path() -> Path:
    return paths.config_dir() / KEY_FILE


def write_private(path: Path, text: str) -> None:
    """Atomically replace `path` with `text`, readable by the owner only (0600)."""
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
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read {config_path()}: {e}") from e
    return data if isinstance(data, dict) else {}


def load() -> dict[str, Value]:
    """All settings with defaults filled in; unknown or invalid stored values fall back."""
    stored = _read_file()
    out: dict[str, Value] = {}
    for name, spec in SETTINGS.items():
        try:
            out[name] = spec.parse(stored[name]) if name in stored else spec.default
        except ConfigError:
            out[name] = spec.default
    return out


def get(name: str) -> Value:
    if name not in SETTINGS:
        raise ConfigError(f"unknown setting {name!r}; known: {', '.join(SETTINGS)}")
    return load()[name]


def set_value(name: str, value: Value, *, remote: bool = False) -> Value:
    """Validate and store one setting. `remote` is True for requests from the extension."""
    spec = SETTINGS.get(name)
    if spec is None:
        raise ConfigError(f"unknown setting {name!r}; known: {', '.join(SETTINGS)}")
    if remote and spec.local_only:
        raise PermissionError(f"{name} can only be changed with `sentinelx config set` locally")
    parsed = spec.parse(value)
    stored = _read_file()
    stored[name] = parsed
    write_private(config_path(), json.dumps(stored, indent=2, sort_keys=True) + "\n")
    return parsed


# --- API key -----------------------------------------------------------------


def mask(key: str | None) -> str | None:
    return None if not key else "****" + key[-4:]


def store_key(key: str) -> None:
    key = key.strip()
    if not key or any(c.isspace() for c in key) or len(key) > 256:
        raise ConfigError("the API key must be a single token of at most 256 characters")
    write_private(key_path(), key + "\n")


def clear_key() -> bool:
    try:
        key_path().unlink()
        return True
    except FileNotFoundError:
        return False


def load_key() -> tuple[str | None, str | None]:
    """(key, source): the environment wins over the file; source is 'env', 'file' or None."""
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return env, "env"
    try:
        key = key_path().read_text("utf-8").strip()
    except (FileNotFoundError, PermissionError):
        return None, None
    return (key, "file") if key else (None, None)


def key_state() -> Mapping[str, Value]:
    key, source = load_key()
    return {"set": key is not None, "masked": mask(key), "source": source}
