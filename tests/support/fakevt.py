"""A real local fake of the VirusTotal API v3, for tests and demos. 127.0.0.1 only.

    from tests.support.fakevt import FakeVT
    with FakeVT(api_key="k") as vt:
        vt.seed("domain", "evil.example", "malicious")
        vt.program("quota", times=1)          # the next request gets a 429
        ... point vt.base_url at the code under test ...
        vt.paths()                             # every API path requested, in order

Standalone (for the browser e2e tests):
    python -m tests.support.fakevt --port 0 --seed seed.json [--api-key K]
prints `FAKEVT_URL=http://127.0.0.1:PORT/api/v3` and serves until killed. The same
controls are over HTTP: GET /_fake/requests, POST /_fake/seed, /_fake/program, /_fake/reset.

Seed file: {"api_key": "...", "indicators": [{"type": "domain", "value": "evil.example",
"verdict": "malicious", "attributes": {...}}]}; verdict is malicious | suspicious | clean |
unanalysed; anything not seeded gets a v3 404 NotFoundError.

`GET /api/v3/metadata` answers 200 to a valid key (the key check).

Misbehaviours for program(): quota (429 QuotaExceededError), unauthorized (401),
forbidden (403), server_error (500, or status=503...), redirect (302 to location=...),
huge (2 MB body; chunked=True omits Content-Length), malformed (bad JSON),
slow (delay= seconds before the headers), slow_body (headers, then a stall).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

API = "/api/v3"
KINDS = {"ipv4": "ip_addresses", "ipv6": "ip_addresses", "domain": "domains", "url": "urls",
         "md5": "files", "sha1": "files", "sha256": "files"}
SINGULAR = {"ip_addresses": "ip_address", "domains": "domain", "urls": "url", "files": "file"}
STATS = {
    "malicious": {"malicious": 12, "suspicious": 1, "harmless": 50, "undetected": 10,
                  "timeout": 1},
    "suspicious": {"malicious": 0, "suspicious": 2, "harmless": 60, "undetected": 10,
                   "timeout": 0},
    "clean": {"malicious": 0, "suspicious": 0, "harmless": 62, "undetected": 10, "timeout": 0},
    "unanalysed": {"malicious": 0, "suspicious": 0, "harmless": 0, "undetected": 0,
                   "timeout": 0},
}
BEHAVIOURS = ("quota", "unauthorized", "forbidden", "server_error", "redirect", "huge",
              "malformed", "slow", "slow_body")


def url_id(url: str) -> str:
    return base64.urlsafe_b64encode(url.encode()).decode().strip("=")


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class Program:
    behaviour: str
    times: int
    path: str | None  # only requests whose path contains this; None: any
    params: dict[str, Any] = field(default_factory=dict)


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def make_object(ioc_type: str, value: str, verdict: str, extra: dict[str, Any]) -> dict[str, Any]:
    kind = KINDS[ioc_type]
    attrs: dict[str, Any] = {
        "last_analysis_stats": dict(STATS[verdict]),
        "reputation": {"malicious": -40, "suspicious": -5}.get(verdict, 0),
        "tags": ["fake", verdict],
        "total_votes": {"harmless": 1, "malicious": 3 if verdict == "malicious" else 0},
    }
    if verdict != "unanalysed":
        attrs["last_analysis_date"] = 1_700_000_000
    if kind == "ip_addresses":
        attrs.update(as_owner="Fake Networks Ltd", country="NL", network=f"{value}/32")
    elif kind == "files":
        attrs.update(meaningful_name="invoice.exe", type_description="Win32 EXE", size=4096)
        if verdict == "malicious":
            attrs["popular_threat_classification"] = {
                "suggested_threat_label": "trojan.fake/agent"}
    else:
        attrs["categories"] = {"EngineA": "malware" if verdict == "malicious" else "business"}
    attrs.update(extra)
    ident = hashlib.sha256(value.encode()).hexdigest() if kind == "urls" else value
    return {"data": {"id": ident, "type": SINGULAR[kind], "attributes": attrs,
                     "links": {"self": f"https://www.virustotal.com{API}/{kind}/{ident}"}}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts, size caps) reset the connection: expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeVT:
    def __init__(self, api_key: str | None = None, port: int = 0) -> None:
        self.api_key = api_key
        self._lock = threading.Lock()
        self._objects: dict[str, dict[str, Any]] = {}  # path -> object document
        self._programs: deque[Program] = deque()
        self.requests: list[Recorded] = []
        self.limit_per_minute: int | None = None  # enforce a real 429 like VT does
        self.latency = 0.0  # seconds added to every API request, like a real network
        self.server = _Server(("127.0.0.1", port), _handler_for(self))
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + API

    def start(self) -> FakeVT:
        # A short poll interval makes stop() quick (the default 0.5 s adds up in tests).
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True, name="fakevt")
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeVT:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- control ---------------------------------------------------------------------
    def api_path(self, ioc_type: str, value: str) -> str:
        kind = KINDS[ioc_type]
        return f"{API}/{kind}/{url_id(value) if kind == 'urls' else value}"

    def seed(self, ioc_type: str, value: str, verdict: str = "malicious",
             **attributes: Any) -> None:
        doc = make_object(ioc_type, value, verdict, attributes)
        with self._lock:
            self._objects[self.api_path(ioc_type, value)] = doc

    def seed_many(self, indicators: list[dict[str, Any]]) -> None:
        for ind in indicators:
            self.seed(ind["type"], ind["value"], ind.get("verdict", "malicious"),
                      **ind.get("attributes", {}))

    def program(self, behaviour: str, times: int = 1, path: str | None = None,
                **params: Any) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; known: {BEHAVIOURS}")
        with self._lock:
            self._programs.append(Program(behaviour, times, path, params))

    def reset(self) -> None:
        with self._lock:
            self._objects.clear()
            self._programs.clear()
            self.requests.clear()
            self.limit_per_minute = None

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def api_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(API + "/")]

    # --- used by the handler ---------------------------------------------------------
    def _record(self, rec: Recorded) -> None:
        with self._lock:
            self.requests.append(rec)

    def _next_program(self, path: str) -> Program | None:
        with self._lock:
            for prog in self._programs:
                if prog.path is None or prog.path in path:
                    prog.times -= 1
                    if prog.times <= 0:
                        self._programs.remove(prog)
                    return prog
        return None

    def _over_limit(self, now: float) -> bool:
        if self.limit_per_minute is None:
            return False
        with self._lock:
            recent = [r for r in self.requests if r.path.startswith(API + "/")
                      and now - r.at < 60]
            return len(recent) > self.limit_per_minute

    def _object(self, path: str) -> dict[str, Any] | None:
        with self._lock:
            return self._objects.get(unquote(path))


def _handler_for(fake: FakeVT) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else headers+body hit the 40 ms delayed-ACK stall
        server_version = "FakeVT/1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                  length: bool = True) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if length:
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith("/_fake/"):
                self._control()
                return
            now = time.time()
            fake._record(Recorded("GET", self.path, dict(self.headers.items()), now))
            if fake.latency:
                time.sleep(fake.latency)
            prog = fake._next_program(self.path)
            if prog is not None:
                self._misbehave(prog)
                return
            if fake._over_limit(now):
                self._send(429, error_body("QuotaExceededError", "Quota exceeded"))
                return
            key = self.headers.get("x-apikey")
            if fake.api_key is not None and key is None:
                self._send(401, error_body("AuthenticationRequiredError",
                                           "X-Apikey header is missing"))
                return
            if fake.api_key is not None and key != fake.api_key:
                self._send(401, error_body("WrongCredentialsError", "Wrong API key"))
                return
            if self.path == API + "/metadata":  # what a key check asks (any valid key)
                self._send(200, json.dumps({"data": {"engines": {"EngineA": {}},
                                                     "relationships": {}}}).encode())
                return
            doc = fake._object(self.path)
            if doc is None:
                self._send(404, error_body("NotFoundError", f"{self.path} not found"))
                return
            self._send(200, json.dumps(doc).encode())

        def _misbehave(self, prog: Program) -> None:
            p = prog.params
            b = prog.behaviour
            if b == "quota":
                msg = p.get("message", "Quota exceeded")
                self._send(429, error_body("QuotaExceededError", msg))
            elif b == "unauthorized":
                self._send(401, error_body("WrongCredentialsError",
                                           p.get("message", "Wrong API key")))
            elif b == "forbidden":
                self._send(403, error_body("ForbiddenError", "You are not allowed"))
            elif b == "server_error":
                status = int(p.get("status", 500))
                code = "TransientError" if status == 503 else "InternalError"
                self._send(status, error_body(code, "something broke"))
            elif b == "redirect":
                location = p.get("location", f"{fake.origin}/redirected{self.path}")
                self._send(int(p.get("status", 302)), b"", {"Location": location})
            elif b == "huge":
                size = int(p.get("size", 2 * 1024 * 1024))
                body = b'{"data":{"attributes":{"tags":["' + b"x" * size + b'"]}}}'
                self._send(200, body, length=not p.get("chunked", False))
            elif b == "malformed":
                self._send(200, b'{"data": {"attributes": {"last_analysis_stats": ')
            elif b == "slow":
                time.sleep(float(p.get("delay", 5)))
                self._send(200, json.dumps(make_object("domain", "slow.example", "clean",
                                                       {})).encode())
            elif b == "slow_body":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b'{"data": ')
                self.wfile.flush()
                time.sleep(float(p.get("delay", 5)))
                self.close_connection = True

        # --- HTTP control for other processes ---------------------------------------
        def _control(self) -> None:
            if self.command == "GET" and self.path == "/_fake/requests":
                with fake._lock:
                    out = [r.__dict__ for r in fake.requests]
                self._send(200, json.dumps(out).encode())
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/_fake/seed":
                    fake.seed_many(body["indicators"])
                elif self.path == "/_fake/program":
                    fake.program(body["behaviour"], int(body.get("times", 1)), body.get("path"),
                                 **body.get("params", {}))
                elif self.path == "/_fake/reset":
                    fake.reset()
                else:
                    self._send(404, error_body("NotFoundError", "no such control"))
                    return
            except (ValueError, KeyError, TypeError) as e:
                self._send(400, error_body("BadRequestError", str(e)))
                return
            self._send(200, b'{"ok": true}')

        do_POST = _control

    return Handler


def load_seed(path: Path) -> tuple[str | None, list[dict[str, Any]]]:
    data = json.loads(path.read_text("utf-8"))
    if isinstance(data, list):
        return None, data
    return data.get("api_key"), data.get("indicators", [])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fakevt", description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seed", type=Path)
    ap.add_argument("--api-key", default=None, help="require this x-apikey (default: any)")
    args = ap.parse_args(argv)
    key, indicators = load_seed(args.seed) if args.seed else (None, [])
    fake = FakeVT(api_key=args.api_key or key, port=args.port)
    fake.seed_many(indicators)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"FAKEVT_URL={fake.base_url}", flush=True)
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
