"""history.query / history.run / history.delete / history.clear, export, export.push_misp.

Every handler opens the shared SQLite file for the request and closes it after; all of them
run in the background so ping and cancel stay answered while a big export renders or MISP
is slow. Replies that could pass the 1 MiB frame limit come in parts (part 1..parts), like
`extracted`: rows and records are split by list; export content is cut into text pieces,
one per part (a list of one string, so the extension joins every part's list the same way).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sentinelx.native.server import Dispatcher, HostState, Reply
from sentinelx.protocol import messages

MAX_EXPORT_RECORDS = 100_000


@contextmanager
def _history() -> Iterator[Any]:
    from sentinelx.enrichment import store
    from sentinelx.enrichment.history import History

    conn = store.connect()
    try:
        yield History(conn)
    finally:
        conn.close()


def text_chunks(text: str, budget: int = messages.PART_BUDGET_BYTES) -> list[str]:
    """Cut `text` so each piece, JSON-encoded, stays under `budget` bytes (escapes count)."""
    chunks: list[str] = []
    start = 0
    while start < len(text) or not chunks:
        n = min(len(text) - start, budget)
        while True:
            piece = text[start:start + n]
            size = len(json.dumps(piece, ensure_ascii=False).encode("utf-8"))
            if size <= budget or n <= 1:
                break
            n = max(1, n * budget // size - 16)
        chunks.append(piece)
        start += len(piece)
        if not piece:
            break
    return chunks


def _filter(request: dict[str, Any]) -> Any:
    """The request's selection (run_id, filter, verdicts) as one history Filter."""
    from sentinelx.enrichment.history import Filter

    flt = Filter.from_wire(request.get("filter"))
    if request.get("run_id") is not None:
        flt = replace(flt, run_id=request["run_id"])
    if request.get("verdicts"):
        chosen = set(request["verdicts"])
        flt = replace(flt, verdicts=tuple(v for v in (flt.verdicts or chosen) if v in chosen)
                      or ("none",))
    return flt


def _bad_filter(reply: Reply, e: Exception) -> None:
    reply.error("invalid_value", f"filter: {e}")


def query(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    from sentinelx.enrichment.history import HistoryError

    try:
        flt = _filter(request)
    except HistoryError as e:
        return _bad_filter(reply, e)
    with _history() as h:
        page = h.query(flt, cursor=request.get("cursor"), limit=request.get("limit", 100))
    base = {"id": reply.request_id, "type": "history.page", "next_cursor": page.next_cursor,
            "total": page.total}
    for message in messages.parts(base, "rows", [r.to_wire() for r in page.rows]):
        if not reply.writer.send(message):
            return


def run(state: HostState, request: dict[str, Any], reply: Reply, cancel: threading.Event) -> None:
    from sentinelx.enrichment.history import Filter

    run_id: int = request["run_id"]
    with _history() as h:
        info = h.run(run_id)
        records = list(h.records(Filter(run_id=run_id), max_records=MAX_EXPORT_RECORDS))
    if info is None:
        reply.error("not_found", f"no run {run_id} in the history (deleted or cleared?)")
        return
    base = {"id": reply.request_id, "type": "history.records", "run": info.to_wire()}
    for message in messages.parts(base, "records", records):
        if cancel.is_set() or not reply.writer.send(message):
            return


def delete(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    with _history() as h:
        n = h.delete(ids=request.get("ids") or (), run_id=request.get("run_id"))
    reply.send("history.deleted", deleted=n)


def clear(state: HostState, request: dict[str, Any], reply: Reply, _c: threading.Event) -> None:
    with _history() as h:
        n = h.clear()
    reply.send("history.deleted", deleted=n)


def _selected(request: dict[str, Any], reply: Reply) -> tuple[list[dict[str, Any]], str] | None:
    """The records to export and a title, or None once an error reply went out."""
    from sentinelx.enrichment.history import HistoryError

    try:
        flt = _filter(request)
    except HistoryError as e:
        _bad_filter(reply, e)
        return None
    with _history() as h:
        records = list(h.records(flt, max_records=MAX_EXPORT_RECORDS))
        info = h.run(flt.run_id) if flt.run_id is not None else None
    title = request.get("title") or (f"SentinelX: {info.source_title}" if info and
                                     info.source_title else "SentinelX export")
    return records, title


def export(state: HostState, request: dict[str, Any], reply: Reply,
           cancel: threading.Event) -> None:
    from sentinelx import export as exports

    chosen = _selected(request, reply)
    if chosen is None:
        return
    records, title = chosen
    rendered = exports.render(records, request["format"], exports.Options(
        defang=request.get("defang"), title=title))
    pieces = text_chunks(rendered.content)
    for i, piece in enumerate(pieces, 1):
        if cancel.is_set() or not reply.send(
                "exported", format=request["format"], filename=rendered.filename,
                mime=rendered.mime, count=rendered.count, content=[piece], part=i,
                parts=len(pieces)):
            return


def push_misp(state: HostState, request: dict[str, Any], reply: Reply,
              _c: threading.Event) -> None:
    from sentinelx import export as exports
    from sentinelx.export.misp_push import MispPushError, push_event, target_from_config

    chosen = _selected(request, reply)
    if chosen is None:
        return
    records, title = chosen
    rendered = exports.render(records, "misp", exports.Options(defang=False, title=title))
    try:
        # Under the extension's 30 s call timeout, so the user hears why rather than "timeout".
        pushed = push_event(rendered.content, target_from_config(), timeout=(5.0, 20.0))
    except MispPushError as e:
        reply.error("push_failed", f"MISP push failed ({e.code}): {e.message}")
        return
    reply.send("misp.pushed", event_id=pushed.event_id, event_uuid=pushed.event_uuid,
               url=pushed.url, count=rendered.count)


def register(dispatcher: Dispatcher) -> None:
    for name, handler in (("history.query", query), ("history.run", run),
                          ("history.delete", delete), ("history.clear", clear),
                          ("export", export), ("export.push_misp", push_misp)):
        dispatcher.register(name, handler, background=True)
