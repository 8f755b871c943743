"""config.get / config.set / config.set_key / config.clear_key.

Keys are write-only over the port: every reply shows only their masked form. After a key
is saved, the provider's cheap check (where it has one) says whether it works.
"""

from __future__ import annotations

import threading
from typing import Any

from sentinelx import config, keys, logs
from sentinelx.native.server import Dispatcher, HostState, Reply

DEFAULT_PROVIDER = "virustotal"  # requests from before the provider core name none


def _changed() -> None:
    """A setting or key changed what `pong` says: store the capabilities again, so that the
    browser's next start of the host reads them (enrichment/capsnap.py)."""
    from sentinelx.enrichment import capsnap

    capsnap.refresh_later()


def _send_config(reply: Reply, **extra: Any) -> None:
    reply.send("config", settings=config.load(), api_key=dict(keys.key_state()),
               keys={name: dict(v) for name, v in keys.keys_state().items()}, **extra)


def get(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    _send_config(reply)


def set_(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    try:
        config.set_value(request["name"], request["value"], remote=True)
    except PermissionError as e:
        reply.error("forbidden_setting", str(e))
        return
    except config.ConfigError as e:
        reply.error("invalid_value", f"{request['name'][:64]}: {e}")
        return
    _changed()
    _send_config(reply)


def set_key(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    from sentinelx.enrichment import service

    key: str = request["key"]
    provider: str = request.get("provider") or DEFAULT_PROVIDER
    logs.register_secret(key.strip())
    try:
        keys.save_key(provider, key)
    except config.ConfigError as e:
        reply.error("invalid_value", str(e))
        return
    _changed()
    check = service.verify_key(provider) if request.get("verify", True) else {
        "provider": provider, "status": "unchecked", "message": "not checked"}
    _send_config(reply, key_check=check)


def clear_key(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    try:
        keys.clear_key(request.get("provider") or DEFAULT_PROVIDER)
    except config.ConfigError as e:
        reply.error("invalid_value", str(e))
        return
    _changed()
    _send_config(reply)


def register(dispatcher: Dispatcher) -> None:
    dispatcher.register("config.get", get)
    dispatcher.register("config.set", set_)
    # The key check is a network call: keep ping and cancel answered meanwhile.
    dispatcher.register("config.set_key", set_key, background=True)
    dispatcher.register("config.clear_key", clear_key)
