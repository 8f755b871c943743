"""ping, extract and cancel.

This module is imported before the first ping is answered: keep its imports light (the
extraction pipeline is imported by the handler that uses it, or on the warm-up thread).
"""

from __future__ import annotations

import threading

from sentinelx import __version__
from sentinelx.native import framing
from sentinelx.native.server import Dispatcher, HostState, Reply
from sentinelx.protocol import messages

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any

_SLICE = 1 << 20


def text_too_large(state: HostState, text: str, reply: Reply) -> bool:
    """Refuse text over the cap with a clear error rather than cutting it silently."""
    if len(text) * 4 <= state.max_text_bytes:  # UTF-8 takes at most 4 bytes a character
        return False
    # ASCII (known without a pass) is one byte a character; else count a slice at a time,
    # so that a ping may take the interpreter lock in between.
    size = len(text) if text.isascii() else sum(
        len(text[i:i + _SLICE].encode("utf-8", "surrogatepass"))
        for i in range(0, len(text), _SLICE))
    if size > state.max_text_bytes:
        reply.error("text_too_large",
                    f"text is {size} bytes; the limit is {state.max_text_bytes} bytes")
        return True
    return False


def ping(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    from sentinelx.enrichment import capsnap
    from sentinelx.enrichment.capabilities import PROTOCOL

    reply.send("pong", version=__version__, protocol=PROTOCOL, capabilities=capsnap.current(),
               limits={
        "max_text_bytes": state.max_text_bytes,
        "max_frame_bytes": state.max_frame_bytes,
        "max_reply_bytes": framing.MAX_REPLY_BYTES,
    })


def extract(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    from sentinelx.enrichment.iocs import remember
    from sentinelx.pipeline.extract import extract_iocs

    text: str = request["text"]
    if text_too_large(state, text, reply):
        return
    found = extract_iocs(text)
    remember(found)  # an enrich of these values skips re-extracting each
    iocs = [ioc.to_wire() for ioc in found]
    bodies = [reply.writer.encode(m) for m in
              messages.parts({"id": reply.request_id, "type": "extracted"}, "iocs", iocs)]
    if "preview" not in request:
        reply.writer.write_all(bodies)
        return
    # The page's privacy preview follows, under the same id. The browser takes a while to
    # read a big list (a write blocks until it has): the list goes out on a thread of its
    # own while the preview is worked out, and the preview (or the error that took its
    # place) is written once the list is.
    sent: list[bool] = []
    writer = threading.Thread(target=lambda: sent.append(reply.writer.write_all(bodies)),
                              name=f"list-{reply.request_id[:16]}", daemon=True)
    writer.start()
    try:
        from sentinelx.native.handlers import previewing

        include_private = bool(request["preview"].get("include_private"))
        preview = previewing.frames(reply, previewing.offered(found, include_private),
                                    include_private=include_private)
    finally:
        writer.join()
    if sent == [True]:
        reply.writer.write_all(preview)


def cancel(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    target: str = request["target"]
    reply.send("cancelled", target=target, found=state.cancel_request(target))


def register(dispatcher: Dispatcher) -> None:
    dispatcher.register("ping", ping)
    # Extraction of a few MB takes long enough that it must not block ping/cancel.
    dispatcher.register("extract", extract, background=True)
    dispatcher.register("cancel", cancel)
