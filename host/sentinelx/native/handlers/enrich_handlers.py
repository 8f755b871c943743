"""enrich: stream progress, one result per IOC (each frame stays small), then a summary.

Runs on its own thread (background=True), so ping and cancel are served meanwhile;
`cancel` sets the Event this handler's queue waits on.
"""

from __future__ import annotations

import threading
from typing import Any

from sentinelx.native.handlers.core import text_too_large
from sentinelx.native.server import Dispatcher, HostState, Reply
from sentinelx.pipeline.models import IOC


def _iocs(state: HostState, request: dict[str, Any], reply: Reply) -> list[IOC] | None:
    from sentinelx.enrichment.iocs import from_ref

    if "text" in request:
        from sentinelx.pipeline.extract import extract_iocs

        if text_too_large(state, request["text"], reply):
            return None
        return extract_iocs(request["text"])
    return [from_ref(ref) for ref in request["iocs"]]


def enrich(state: HostState, request: dict[str, Any], reply: Reply,
           cancel: threading.Event) -> None:
    from sentinelx.enrichment import service

    iocs = _iocs(state, request, reply)
    if iocs is None:
        return

    def send(msg_type: str, fields: dict[str, Any]) -> None:
        if not reply.send(msg_type, **fields):  # the browser is gone: stop asking VT
            cancel.set()

    summary = service.run(
        iocs, cancel=cancel, refresh=bool(request.get("refresh")),
        include_private=bool(request.get("include_private")),
        on_result=lambda f: send("result", f), on_progress=lambda f: send("progress", f),
    )
    reply.send("summary", **summary)


def register(dispatcher: Dispatcher) -> None:
    dispatcher.register("enrich", enrich, background=True)
