"""The native-messaging loop: read a frame, check it, dispatch it, write validated replies.

The main thread only reads stdin. Quick handlers run inline; long ones (enrich) run
on worker threads so ping and cancel are still answered while a queue runs. Every
reply goes through one ReplyWriter, which validates it against the schema and
refuses to write a frame the browser would reject.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sentinelx.native import framing
from sentinelx.protocol import messages, validate

log = logging.getLogger("sentinelx.host")

MAX_TEXT_BYTES = 8 * 1024 * 1024


class ReplyWriter:
    """Thread-safe, schema-checked frame writer for stdout."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.broken = threading.Event()

    def send(self, message: dict[str, Any]) -> bool:
        problem = validate.check("reply", message) if message.get("type") in (
            validate.message_types("reply")
        ) else validate.SchemaProblem("/type", f"unknown reply type {message.get('type')!r}")
        if problem is not None:
            log.error("refusing to send an invalid %s reply: %s", message.get("type"), problem.message)
            message = error_message(message.get("id"), "internal_error",
                                    "the host built an invalid reply; see the host log")
        body = messages.dumps(message)
        if len(body) > framing.MAX_REPLY_BYTES:
            log.error("reply %s of %d bytes is over the frame limit", message.get("type"), len(body))
            body = messages.dumps(error_message(message.get("id"), "reply_too_large",
                                                "the reply was too large to send"))
        with self._lock:
            if self.broken.is_set():
                return False
            try:
                framing.write_frame(self._stream, body)
            except (BrokenPipeError, OSError, ValueError) as e:
                log.info("stdout closed (%s); the browser is gone", e)
                self.broken.set()
                return False
        return True


def error_message(
    request_id: str | None, code: str, message: str, path: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": request_id, "type": "error", "code": code, "message": message}
    if path is not None:
        out["path"] = path
    return out


@dataclass
class Reply:
    """What a handler uses to answer one request."""

    writer: ReplyWriter
    request_id: str

    def send(self, msg_type: str, **fields: Any) -> bool:
        return self.writer.send({"id": self.request_id, "type": msg_type, **fields})

    def error(self, code: str, message: str, path: str | None = None) -> bool:
        return self.writer.send(error_message(self.request_id, code, message, path))


@dataclass
class Job:
    thread: threading.Thread
    cancel: threading.Event


@dataclass
class HostState:
    """Shared by all handlers of one host process."""

    writer: ReplyWriter
    jobs: dict[str, Job] = field(default_factory=dict)
    jobs_lock: threading.Lock = field(default_factory=threading.Lock)
    max_text_bytes: int = MAX_TEXT_BYTES
    max_frame_bytes: int = framing.DEFAULT_MAX_REQUEST_BYTES


Handler = Callable[[HostState, dict[str, Any], Reply, threading.Event], None]


@dataclass(frozen=True, slots=True)
class Route:
    handler: Handler
    background: bool = False


class Dispatcher:
    def __init__(self, state: HostState) -> None:
        self.state = state
        self.routes: dict[str, Route] = {}

    def register(self, msg_type: str, handler: Handler, *, background: bool = False) -> None:
        if msg_type not in validate.message_types("request"):
            raise ValueError(f"no request schema for {msg_type!r}")
        self.routes[msg_type] = Route(handler, background)

    def handle_body(self, body: bytes) -> None:
        """Turn one frame body into replies; every failure becomes a typed error reply."""
        writer = self.state.writer
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            writer.send(error_message(None, "bad_utf8", f"frame is not UTF-8 at byte {e.start}"))
            return
        try:
            request = json.loads(text)
        except ValueError as e:
            writer.send(error_message(None, "bad_json", f"frame is not JSON: {e}"))
            return
        if not isinstance(request, dict):
            writer.send(error_message(None, "not_object",
                                      f"a request must be a JSON object, not {type(request).__name__}"))
            return
        rid = request.get("id") if isinstance(request.get("id"), str) else None
        if rid is not None and not 0 < len(rid) <= 128:
            rid = None
        msg_type = request.get("type")
        if not isinstance(msg_type, str):
            writer.send(error_message(rid, "schema_violation", "/type: a string is required", "/type"))
            return
        route = self.routes.get(msg_type)
        if route is None:
            writer.send(error_message(rid, "unknown_type", f"unknown request type {msg_type[:64]!r}"))
            return
        problem = validate.check("request", request)
        if problem is not None:
            writer.send(error_message(rid, "schema_violation", problem.message, problem.path))
            return
        self._run(route, request)

    def _run(self, route: Route, request: dict[str, Any]) -> None:
        rid: str = request["id"]
        reply = Reply(self.state.writer, rid)
        cancel = threading.Event()
        if not route.background:
            self._guarded(route.handler, request, reply, cancel)
            return
        with self.state.jobs_lock:
            if rid in self.state.jobs:
                reply.error("duplicate_id", f"a request with id {rid!r} is still running")
                return
            thread = threading.Thread(
                target=self._background, args=(route.handler, request, reply, cancel),
                name=f"job-{rid[:16]}", daemon=True,
            )
            self.state.jobs[rid] = Job(thread, cancel)
        thread.start()

    def _background(self, handler: Handler, request: dict[str, Any], reply: Reply,
                    cancel: threading.Event) -> None:
        try:
            self._guarded(handler, request, reply, cancel)
        finally:
            with self.state.jobs_lock:
                self.state.jobs.pop(request["id"], None)

    def _guarded(self, handler: Handler, request: dict[str, Any], reply: Reply,
                 cancel: threading.Event) -> None:
        try:
            handler(self.state, request, reply, cancel)
        except Exception:  # one bad request must never take the host down
            log.exception("handler for %s failed", request.get("type"))
            reply.error("internal_error", "the host failed on this request; see the host log")

    def cancel_all(self, wait: float = 1.0) -> None:
        with self.state.jobs_lock:
            jobs = list(self.state.jobs.values())
        for job in jobs:
            job.cancel.set()
        for job in jobs:
            job.thread.join(timeout=wait / max(1, len(jobs)))


def serve(stdin: BinaryIO, dispatcher: Dispatcher) -> int:
    """Serve frames until EOF (exit 0) or a stream that cannot be resynchronised (exit 1)."""
    state = dispatcher.state
    while not state.writer.broken.is_set():
        try:
            frame = framing.read_frame(stdin, state.max_frame_bytes)
        except framing.FrameError as e:
            state.writer.send(error_message(None, e.code, e.message))
            if e.fatal:
                log.warning("unrecoverable framing error: %s", e.message)
                dispatcher.cancel_all()
                return 1
            continue
        if frame is None:
            log.info("stdin closed; exiting")
            dispatcher.cancel_all()
            return 0
        dispatcher.handle_body(frame.body)
    dispatcher.cancel_all()
    return 0
