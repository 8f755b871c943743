"""Request handlers, one module per concern; each module exposes register(dispatcher).

`core` (ping, extract, cancel) is registered at once; the others import the config and
enrichment code, so a browser-launched host registers them on its warm-up thread after
it has started reading (`register_rest`), and a request for them waits until then.
"""

from __future__ import annotations

from sentinelx.native.handlers import core
from sentinelx.native.server import Dispatcher, HostState


def register_rest(dispatcher: Dispatcher) -> None:
    from sentinelx.native.handlers import config_handlers, enrich_handlers, history_handlers

    for module in (config_handlers, enrich_handlers, history_handlers):
        module.register(dispatcher)


def build_dispatcher(state: HostState, *, defer: bool = False) -> Dispatcher:
    """All handlers; with `defer`, only core's, and the caller runs register_rest later
    and then sets dispatcher.ready."""
    dispatcher = Dispatcher(state)
    core.register(dispatcher)
    if defer:
        dispatcher.ready.clear()
    else:
        register_rest(dispatcher)
    return dispatcher
