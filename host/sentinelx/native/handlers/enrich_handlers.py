"""enrich, preview and quota.reset.

enrich streams progress, one `result` per (IOC, provider) as it happens (several ready at
once go out as `results` frames under the frame limit), then a summary. It runs on its own
thread (background=True), so ping and cancel are served meanwhile; `cancel` sets the Event
the engine watches.
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


def _source(request: dict[str, Any], field: str) -> str | None:
    v = request.get(field)
    return v[:2048] if isinstance(v, str) and v else None


def enrich(state: HostState, request: dict[str, Any], reply: Reply,
           cancel: threading.Event) -> None:
    from sentinelx.enrichment import service
    from sentinelx.protocol import messages

    iocs = _iocs(state, request, reply)
    if iocs is None:
        return

    def send(msg_type: str, fields: dict[str, Any]) -> None:
        if not reply.send(msg_type, **fields):  # the browser is gone: stop asking providers
            cancel.set()

    def on_results(batch: list[dict[str, Any]]) -> None:
        if len(batch) == 1:
            send("result", batch[0])
            return
        for group in messages.split_by_size(batch):
            send("results", {"results": group})

    summary = service.run(
        iocs, cancel=cancel, refresh=bool(request.get("refresh")),
        include_private=bool(request.get("include_private")),
        on_results=on_results, on_progress=lambda f: send("progress", f),
        source_title=_source(request, "source_title"), source_url=_source(request, "source_url"),
    )
    reply.send("summary", **summary)
    _pauses_may_have_changed()


def _pauses_may_have_changed() -> None:
    """A 429 during the job (or a reset) changed the pauses `pong` shows: store the
    capabilities again (~1.5 ms when nothing changed), so the next start reads them."""
    from sentinelx.enrichment import capsnap

    capsnap.refresh_later()


def preview(state: HostState, request: dict[str, Any], reply: Reply,
            _c: threading.Event) -> None:
    from sentinelx.enrichment.iocs import from_ref
    from sentinelx.native.handlers import previewing

    previewing.send(reply, [from_ref(ref) for ref in request["iocs"]],
                    include_private=bool(request.get("include_private")),
                    refresh=bool(request.get("refresh")))


def quota_reset(state: HostState, request: dict[str, Any], reply: Reply,
                _c: threading.Event) -> None:
    from sentinelx.enrichment import service

    name = request.get("provider")
    try:
        cleared = service.quota_reset(name)
    except KeyError:
        reply.error("invalid_value", f"unknown provider {str(name)[:60]!r}")
        return
    reply.send("quota", providers=service.quota_state(), cleared=cleared)
    _pauses_may_have_changed()


def register(dispatcher: Dispatcher) -> None:
    dispatcher.register("enrich", enrich, background=True)
    dispatcher.register("preview", preview, background=True)
    dispatcher.register("quota.reset", quota_reset, background=True)
