"""Where frames go once read, so that the reading thread does nothing but read.

Small frames (every request a browser sends but the big ones) are decoded and handled
in arrival order on one request thread: config.set then config.get keeps its meaning.
A big frame is decoded and validated on a thread of its own, so a ping or cancel behind
it is answered at once instead of after it. Memory is bounded: one big frame is decoded at
a time (its decoded text can take 4 times its bytes); big frames read but not yet handled
hold at most twice the frame cap, small ones SMALL_PENDING bytes; the reader waits before
reading a body that would pass its lane's bound (one body always fits).
"""

from __future__ import annotations

import queue
import threading

from sentinelx.lazylog import LazyLogger

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms
if TYPE_CHECKING:
    from typing import Any

    from sentinelx.native.server import Dispatcher

log = LazyLogger("sentinelx.host")

SMALL_FRAME = 64 * 1024
SMALL_PENDING = 4 * 1024 * 1024
_STOP = object()


class Lanes:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher
        self._state = dispatcher.state
        self._pending = {True: 0, False: 0}  # small?: bytes read, not yet handled
        self._cap = {True: SMALL_PENDING, False: 2 * self._state.max_frame_bytes}
        self._cond = threading.Condition()
        self._decoding = threading.Lock()  # one big frame decoded at a time
        self._big: list[threading.Thread] = []
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._in_order, name="requests", daemon=True)
        self._thread.start()

    def reserve(self, length: int) -> None:
        """Block the reader until a body of `length` bytes fits its lane (one always fits)."""
        small = length <= SMALL_FRAME
        with self._cond:
            while self._pending[small] and self._pending[small] + length > self._cap[small]:
                self._cond.wait()
            self._pending[small] += length

    def _release(self, length: int) -> None:
        with self._cond:
            self._pending[length <= SMALL_FRAME] -= length
            self._cond.notify_all()

    def submit(self, body: bytes) -> None:
        if len(body) <= SMALL_FRAME:
            self._queue.put(body)
            return
        with self._state.jobs_lock:
            self._state.frames_in_flight += 1
        thread = threading.Thread(target=self._one_big, args=(body,), name="big-frame", daemon=True)
        self._big = [t for t in self._big if t.is_alive()] + [thread]
        thread.start()

    def send_in_order(self, message: dict[str, Any]) -> None:
        """A reply that must come after the replies to the frames already read."""
        self._queue.put(message)

    def _one_big(self, body: bytes) -> None:
        try:
            with self._decoding:
                self._dispatcher.handle_body(body)
        finally:
            with self._state.jobs_lock:
                self._state.frames_in_flight -= 1
            self._release(len(body))

    def _in_order(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, dict):
                self._state.writer.send(item)
                continue
            try:
                self._dispatcher.handle_body(item)
            finally:
                self._release(len(item))

    def close(self) -> None:
        """Handle everything already read, then return."""
        self._queue.put(_STOP)
        self._thread.join()
        for thread in self._big:
            thread.join()
