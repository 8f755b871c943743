"""config.get / config.set / config.set_key / config.clear_key.

The key is write-only over the port: every reply shows only its masked form.
"""

from __future__ import annotations

import threading
from typing import Any

from sentinelx import config, logs
from sentinelx.native.server import Dispatcher, HostState, Reply


def _send_config(reply: Reply) -> None:
    reply.send("config", settings=config.load(), api_key=dict(config.key_state()))


def get(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    _send_config(reply)


def set_(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    try:
        config.set_value(request["name"], request["value"], remote=True)
    except PermissionError as e:
        reply.error("forbidden_setting", str(e))
        return
    except config.ConfigError as e:
        reply.error("invalid_value", f"{request['name']}: {e}")
        return
    _send_config(reply)


def set_key(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    key: str = request["key"]
    logs.register_secret(key.strip())
    try:
        config.store_key(key)
    except config.ConfigError as e:
        reply.error("invalid_value", str(e))
        return
    _send_config(reply)


def clear_key(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    config.clear_key()
    _send_config(reply)


def register(dispatcher: Dispatcher) -> None:
    dispatcher.register("config.get", get)
    dispatcher.register("config.set", set_)
    dispatcher.register("config.set_key", set_key)
    dispatcher.register("config.clear_key", clear_key)
