"""Request handlers, one module per concern; each module exposes register(dispatcher)."""

from __future__ import annotations

from sentinelx.native.handlers import config_handlers, core, enrich_handlers, history_handlers
from sentinelx.native.server import Dispatcher, HostState

MODULES = (core, config_handlers, enrich_handlers, history_handlers)


def build_dispatcher(state: HostState) -> Dispatcher:
    dispatcher = Dispatcher(state)
    for module in MODULES:
        module.register(dispatcher)
    return dispatcher
