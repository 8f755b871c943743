"""The native-messaging loop: read a frame, check it, dispatch it, write validated replies.

The main thread only reads stdin (`lanes.py`): decoding, validation and handlers run on
other threads, so ping and cancel are answered while anything else is in flight. Quick
handlers run in order on the request thread; long ones (extract, enrich) on job threads.
Every reply goes through one ReplyWriter, which validates it against the schema and
refuses to write a frame the browser would reject.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Sequence

from sentinelx.lazylog import LazyLogger
from sentinelx.native import decode, framing
from sentinelx.native.decode import RequestError
from sentinelx.native.parts import Assembler
from sentinelx.protocol import messages, validate
from sentinelx.protocol.compiled import show

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any, BinaryIO, NamedTuple

log = LazyLogger("sentinelx.host")

MAX_TEXT_BYTES = 8 * 1024 * 1024
_EARLY_CANCELS = 64


def error_message(
    request_id: str | None, code: str, message: str, path: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": request_id, "type": "error", "code": code, "message": message}
    if path is not None:
        out["path"] = path
    return out


class ReplyWriter:
    """Thread-safe, schema-checked frame writer for stdout."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.broken = threading.Event()

    def _encode(self, message: dict[str, Any]) -> bytes:
        msg_type = message.get("type")
        if msg_type in validate.message_types("reply"):
            problem = validate.check("reply", message)
        else:
            problem = validate.SchemaProblem("/type", f"unknown reply type {show(msg_type)}")
        if problem is not None:
            log.error("refusing to send an invalid %s reply: %s", show(msg_type), problem.message)
            message = error_message(decode.request_id(message), "internal_error",
                                    "the host built an invalid reply; see the host log")
        body = messages.dumps(message)
        if len(body) > framing.MAX_REPLY_BYTES:
            log.error("reply %s of %d bytes is over the frame limit", show(msg_type), len(body))
            body = messages.dumps(error_message(decode.request_id(message), "reply_too_large",
                                                "the reply was too large to send"))
        return body

    def send(self, message: dict[str, Any]) -> bool:
        return self.write(self.encode(message))

    def encode(self, message: dict[str, Any]) -> bytes:
        """The checked frame body of `message` (an error reply's if it cannot be sent)."""
        try:
            return self._encode(message)
        except Exception:  # e.g. a value that cannot be encoded: never let it kill a thread
            log.exception("could not encode a %s reply", show(message.get("type")))
            return messages.dumps(error_message(None, "internal_error",
                                                "the host could not encode a reply; see the host log"))

    def write_all(self, bodies: Sequence[bytes]) -> bool:
        """Write bodies made by `encode`, in order; False once the browser is gone."""
        return all(self.write(body) for body in bodies)

    def write(self, body: bytes) -> bool:
        """Write one body made by `encode`; False once the browser is gone."""
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


# Plain classes and namedtuples here, not dataclasses (dataclasses imports inspect, ~10 ms)
# nor typing.NamedTuple (typing, ~3 ms): the browser would wait for them on every connect.
if TYPE_CHECKING:
    class _ReplyFields(NamedTuple):
        writer: ReplyWriter
        request_id: str

    class Job(NamedTuple):
        thread: threading.Thread
        cancel: threading.Event
        weight: int = 0
else:
    _ReplyFields = namedtuple("Reply", "writer request_id")
    Job = namedtuple("Job", "thread cancel weight", defaults=(0,))


class Reply(_ReplyFields):
    """What a handler uses to answer one request."""

    __slots__ = ()

    def send(self, msg_type: str, **fields: Any) -> bool:
        return self.writer.send({"id": self.request_id, "type": msg_type, **fields})

    def error(self, code: str, message: str, path: str | None = None) -> bool:
        return self.writer.send(error_message(self.request_id, code, message, path))


def job_weight(request: dict[str, Any]) -> int:
    """What a background request holds while it runs: its text, or its IOCs. IOCs weigh
    little, so an enrich waiting hours on the quota never keeps an extract from running."""
    text = request.get("text")
    return (len(text) if isinstance(text, str) else 0) + 64 * len(request.get("iocs") or ())


class HostState:
    """Shared by all handlers of one host process."""

    def __init__(self, writer: ReplyWriter, *, max_text_bytes: int = MAX_TEXT_BYTES,
                 max_frame_bytes: int = framing.DEFAULT_MAX_REQUEST_BYTES,
                 max_values: int = decode.MAX_VALUES) -> None:
        self.writer = writer
        self.jobs: dict[str, Job] = {}
        self.jobs_lock = threading.Lock()
        self.max_text_bytes = max_text_bytes
        self.max_frame_bytes = max_frame_bytes
        self.max_values = max_values
        # Frames still being decoded on their own thread (big ones): a cancel may precede its target.
        self.frames_in_flight = 0
        # Background jobs may hold this much (job_weight) at once; one job always may run.
        self.max_job_weight = 2 * max_text_bytes
        self.cancel_request: Callable[[str], bool] = lambda _target: False
        self.assembler = Assembler(max_text_bytes)


if TYPE_CHECKING:
    Handler = Callable[[HostState, dict[str, Any], Reply, threading.Event], None]

    class Route(NamedTuple):
        handler: Handler
        background: bool = False
else:
    Route = namedtuple("Route", "handler background", defaults=(False,))


class Dispatcher:
    def __init__(self, state: HostState) -> None:
        self.state = state
        self.routes: dict[str, Route] = {}
        self._early: OrderedDict[str, None] = OrderedDict()  # cancels that came before their target
        self.ready = threading.Event()  # cleared while handlers are still being registered
        self.ready.set()
        # Started once, after the first frame is handled (or when a request needs it).
        self.warm_up: Callable[[], None] = lambda: None
        self._warm_lock = threading.Lock()
        state.cancel_request = self.cancel

    def register(self, msg_type: str, handler: Handler, *, background: bool = False) -> None:
        if msg_type not in validate.message_types("request"):
            raise ValueError(f"no request schema for {msg_type!r}")
        self.routes[msg_type] = Route(handler, background)

    def handle_body(self, body: bytes) -> None:
        """Turn one frame body into replies; every failure becomes a typed error reply."""
        try:
            for expired in self.state.assembler.take_expired():
                self._refuse(expired)
            self._dispatch(decode.decode(body, self.state.max_values))
        except RequestError as e:
            self._refuse(e)
        except Exception:  # a bug must cost one request, never the host
            log.exception("failed to handle a frame of %d bytes", len(body))
            self.state.writer.send(error_message(None, "internal_error",
                                                 "the host failed on this request; see the host log"))
        finally:
            self._start_warm_up()

    def _start_warm_up(self) -> None:
        with self._warm_lock:
            start, self.warm_up = self.warm_up, lambda: None
        start()

    def _refuse(self, e: RequestError) -> None:
        self.state.writer.send(error_message(e.request_id, e.code, e.message, e.path))

    def _dispatch(self, request: dict[str, Any]) -> None:
        rid = decode.request_id(request)
        msg_type = request.get("type")
        if not isinstance(msg_type, str):
            raise RequestError("schema_violation", "/type: a string is required", "/type", rid)
        route = self.routes.get(msg_type)
        if route is None and not self.ready.is_set():
            self._start_warm_up()
            self.ready.wait()
            route = self.routes.get(msg_type)
        if route is None:
            raise RequestError("unknown_type", f"unknown request type {show(msg_type, 64)}", "/type", rid)
        problem = validate.check("request", request)
        if problem is not None:
            raise RequestError("schema_violation", problem.message, problem.path, rid)
        whole = self.state.assembler.add(request)
        if whole is not None:
            self._run(route, whole)

    def _run(self, route: Route, request: dict[str, Any], cancelled: bool = False) -> None:
        rid: str = request["id"]
        reply = Reply(self.state.writer, rid)
        cancel = threading.Event()
        with self.state.jobs_lock:
            if rid in self._early:
                del self._early[rid]
                cancelled = True
        if cancelled:
            cancel.set()
        if not route.background:
            self._guarded(route.handler, request, reply, cancel)
            return
        weight = job_weight(request)
        with self.state.jobs_lock:
            if rid in self.state.jobs:
                reply.error("duplicate_id", f"a request with id {show(rid)} is still running")
                return
            held = sum(j.weight for j in self.state.jobs.values())
            if self.state.jobs and held + weight > self.state.max_job_weight:
                reply.error("busy", f"{len(self.state.jobs)} requests are still running with "
                            "large inputs; send this one again when they are done")
                return
            thread = threading.Thread(
                target=self._background, args=(route.handler, request, reply, cancel),
                name=f"job-{rid[:16]}", daemon=True,
            )
            self.state.jobs[rid] = Job(thread, cancel, weight)
        thread.start()

    def cancel(self, target: str) -> bool:
        """Cancel a running, assembling or (if frames are in flight) not yet decoded request."""
        with self.state.jobs_lock:
            job = self.state.jobs.get(target)
            if job is not None:
                job.cancel.set()
                return True
        partial = self.state.assembler.cancel(target)
        if partial is not None:  # run what arrived, already cancelled: its summary says so
            self._run(self.routes[partial["type"]], partial, cancelled=True)
            return True
        with self.state.jobs_lock:
            if self.state.frames_in_flight:
                self._early[target] = None
                while len(self._early) > _EARLY_CANCELS:
                    self._early.popitem(last=False)
        return False

    def _background(self, handler: Handler, request: dict[str, Any], reply: Reply,
                    cancel: threading.Event) -> None:
        try:
            # A job may define dataclasses (the pipeline does) while the warm-up thread is
            # still importing `typing`: dataclasses reads sys.modules["typing"] as it finds it
            # and failed on the half-made module (the first extract of a fresh host, ~1 in
            # 40). Importing it here waits until it is whole. Never on the ping path.
            import typing  # noqa: F401

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
    from sentinelx.native.lanes import Lanes

    state = dispatcher.state
    lanes = Lanes(dispatcher)
    code = 0
    try:
        while not state.writer.broken.is_set():
            try:
                frame = framing.read_frame(stdin, state.max_frame_bytes, lanes.reserve)
            except framing.FrameError as e:
                lanes.send_in_order(error_message(None, e.code, e.message))
                if e.fatal:
                    log.warning("unrecoverable framing error: %s", e.message)
                    code = 1
                    break
                continue
            except OSError as e:
                log.info("stdin failed (%s); exiting", e)
                break
            if frame is None:
                log.info("stdin closed; exiting")
                break
            lanes.submit(frame.body)
    finally:
        lanes.close()
        dispatcher.cancel_all()
    return code
