"""Requests that come in parts: `part`/`parts` on an `enrich` with `iocs`, like `extracted`.

A browser->host frame is bounded, and one huge frame would hold the host's JSON decoder
for long, so a list of any length is sent as several requests with the same id, numbered
1..parts. Parts may be decoded on different threads, so they are accepted in any order.
Once all have arrived, their lists are joined in part order and the request starts as if
it had come whole. Memory is bounded: the values of one request may total at most the
text cap (any list extracted from an allowed text fits), a few requests may assemble at
once, and one that stops sending is dropped after `idle_s`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from sentinelx.native.decode import RequestError

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any

LIST_FIELD = "iocs"
MAX_ASSEMBLING = 8
IDLE_S = 120.0
_SHARED = ("type", "refresh", "include_private")  # must be the same in every part
_REMEMBER_CANCELLED = 256


class _Assembly:
    def __init__(self, parts: int, first: dict[str, Any]) -> None:
        self.parts = parts
        self.first = first
        self.lists: dict[int, list[Any]] = {}
        self.value_bytes = 0
        self.touched = 0.0


def _size(items: list[Any]) -> int:
    return sum(len(i.get("value", "")) if isinstance(i, dict) else 0 for i in items)


class Assembler:
    def __init__(self, max_value_bytes: int, clock: Callable[[], float] = time.monotonic,
                 idle_s: float = IDLE_S) -> None:
        self.max_value_bytes = max_value_bytes
        self._clock = clock
        self._idle_s = idle_s
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, _Assembly] = OrderedDict()
        self._cancelled: OrderedDict[str, None] = OrderedDict()
        self._expired: list[tuple[str, int, int]] = []

    def add(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The whole request when `request` completes it (or has no parts), else None.

        Raises RequestError for parts that do not fit together; the assembly is dropped.
        """
        if "parts" not in request:
            return request
        rid: str = request["id"]
        part, parts = request["part"], request["parts"]
        if part > parts:
            raise RequestError("bad_parts", f"part {part} of {parts}: no such part", "/part", rid)
        items: list[Any] = request[LIST_FIELD]
        with self._lock:
            self._expire()
            if rid in self._cancelled:
                return None  # the rest of a request cancelled while it was assembling
            job = self._pending.get(rid)
            if job is None:
                if len(self._pending) >= MAX_ASSEMBLING:
                    raise RequestError("too_large", f"{MAX_ASSEMBLING} requests are already "
                                       "arriving in parts; wait for them to finish", None, rid)
                job = _Assembly(parts, {k: v for k, v in request.items() if k != LIST_FIELD})
                self._pending[rid] = job
            problem = self._mismatch(job, request)
            if problem is not None:
                del self._pending[rid]
                raise RequestError("bad_parts", f"request {rid!r}: {problem}", "/part", rid)
            job.value_bytes += _size(items)
            if job.value_bytes > self.max_value_bytes:
                del self._pending[rid]
                raise RequestError("too_large", f"the IOCs of request {rid!r} total more than "
                                   f"{self.max_value_bytes:,} bytes, the text limit", None, rid)
            job.lists[part] = items
            job.touched = self._clock()
            if len(job.lists) < job.parts:
                return None
            del self._pending[rid]
        whole = {k: v for k, v in job.first.items() if k not in ("part", "parts")}
        whole[LIST_FIELD] = [i for n in range(1, job.parts + 1) for i in job.lists[n]]
        return whole

    @staticmethod
    def _mismatch(job: _Assembly, request: dict[str, Any]) -> str | None:
        if request["parts"] != job.parts:
            return f"part {request['part']} says {request['parts']} parts, an earlier one said {job.parts}"
        if request["part"] in job.lists:
            return f"part {request['part']} arrived twice"
        for k in _SHARED:
            if request.get(k) != job.first.get(k):
                return f"part {request['part']} has another {k!r} than the first part"
        return None

    def _expire(self) -> None:
        now = self._clock()
        for rid in [r for r, j in self._pending.items() if now - j.touched > self._idle_s]:
            job = self._pending.pop(rid)
            self._expired.append((rid, len(job.lists), job.parts))

    def take_expired(self) -> list[RequestError]:
        """Errors for requests dropped because their parts stopped coming."""
        with self._lock:
            self._expire()
            expired, self._expired = self._expired, []
        return [RequestError("bad_parts", f"request {rid!r}: only {got} of {parts} parts arrived "
                             f"within {self._idle_s:.0f} s; it was dropped", None, rid)
                for rid, got, parts in expired]

    def cancel(self, rid: str) -> dict[str, Any] | None:
        """Stop assembling `rid`: the request as far as it arrived (to run as cancelled), or None."""
        with self._lock:
            job = self._pending.pop(rid, None)
            if job is None:
                return None
            self._cancelled[rid] = None
            while len(self._cancelled) > _REMEMBER_CANCELLED:
                self._cancelled.popitem(last=False)
        whole = {k: v for k, v in job.first.items() if k not in ("part", "parts")}
        whole[LIST_FIELD] = [i for n in sorted(job.lists) for i in job.lists[n]]
        return whole

    def forget_cancelled(self, rid: str) -> None:
        with self._lock:
            self._cancelled.pop(rid, None)

    def assembling(self) -> int:
        with self._lock:
            return len(self._pending)
