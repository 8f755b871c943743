"""A real local HTTP server on 127.0.0.1 that a provider fake builds on.

A fake subclasses `FakeProvider` and implements `answer(req) -> Answer` from its provider's
documented behaviour. The base records every request and plays the misbehaviours every
provider must survive, programmed per test:

    with FakeURLhaus(api_key="k") as fake:
        fake.program("status", status=429, times=1)   # next request: a bare 429
        fake.program("slow", delay=3)                  # headers after 3 s
        fake.program("drip_body", rate=1)              # 1 byte/s body
        fake.program("drip_headers")                   # headers 1 byte/s
        fake.program("redirect", location="http://127.0.0.1:1/")
        fake.program("huge", size=2_000_000, chunked=True)
        fake.program("body", status=200, body=b"...")  # any literal answer
        ... fake.base_url ...; fake.requests ...
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("latin-1")).items()}


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # bytes, str, or JSON-able
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return b"" if self.body is None else json.dumps(self.body).encode()


@dataclass
class _Program:
    behaviour: str
    times: int
    params: dict[str, Any]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients that give up: fine
            super().handle_error(request, client_address)


class FakeProvider:
    """Base of every provider fake. `prefix` is the path the base URL ends with."""

    prefix = ""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.requests: list[Request] = []
        self._programs: deque[_Program] = deque()
        self._lock = threading.Lock()
        self._server: _Server | None = None

    # --- to implement ----------------------------------------------------------------
    def answer(self, req: Request) -> Answer:
        raise NotImplementedError

    # --- controls ----------------------------------------------------------------------
    def program(self, behaviour: str, *, times: int = 1, **params: Any) -> None:
        with self._lock:
            self._programs.append(_Program(behaviour, times, params))

    def reset(self) -> None:
        with self._lock:
            self._programs.clear()
            self.requests.clear()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    def __enter__(self) -> FakeProvider:
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _next_program(self) -> _Program | None:
        with self._lock:
            if not self._programs:
                return None
            prog = self._programs[0]
            prog.times -= 1
            if prog.times <= 0:
                self._programs.popleft()
            return prog


def _handler_for(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            req = Request(self.command, parts.path, parse_qs(parts.query),
                          {k.lower(): v for k, v in self.headers.items()}, body, time.time())
            with fake._lock:
                fake.requests.append(req)
            prog = fake._next_program()
            if prog is not None and self._misbehave(prog):
                return
            ans = fake.answer(req)
            self._send(ans.status, ans.payload(), ans.headers)

        do_GET = do_POST = _serve

        def _send(self, status: int, payload: bytes, headers: dict[str, str],
                  content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", headers.pop("Content-Type", content_type))
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _misbehave(self, prog: _Program) -> bool:
            p, b = prog.params, prog.behaviour
            with contextlib.suppress(ConnectionError):
                if b == "status":
                    self._send(p.get("status", 500), Answer(body=p.get("body")).payload(),
                               dict(p.get("headers", {})))
                elif b == "body":
                    self._send(p.get("status", 200), Answer(body=p.get("body")).payload(),
                               dict(p.get("headers", {})))
                elif b == "slow":
                    time.sleep(p.get("delay", 5))
                    return False  # then answer normally
                elif b == "redirect":
                    self.send_response(p.get("status", 302))
                    self.send_header("Location", p.get("location", "http://127.0.0.1:9/"))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif b == "huge":
                    size = p.get("size", 2_000_000)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    if not p.get("chunked"):
                        self.send_header("Content-Length", str(size))
                    self.end_headers()
                    self.wfile.write(b"[" + b"0," * (size // 2))
                elif b == "drip_body":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    for _ in range(int(p.get("seconds", 600))):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(1 / p.get("rate", 1))
                elif b == "drip_headers":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    for _ in range(int(p.get("seconds", 600))):
                        self.wfile.write(b"X-Drip: 1\r\n")
                        self.wfile.flush()
                        time.sleep(1 / p.get("rate", 1))
                elif b == "close":
                    self.close_connection = True
                else:
                    raise ValueError(f"unknown behaviour {b!r}")
                return True
            return True

    return Handler
