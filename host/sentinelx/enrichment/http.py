"""The one safe HTTP path every provider uses.

- Only origins (scheme, host, port) of the configured provider base URLs are allowed,
  checked before any request; nothing in a message or an IOC can add one.
- Redirects are never followed (a redirect could carry the API key header elsewhere).
- The body is streamed and cut off at `max_bytes`, so a hostile or broken server
  cannot exhaust memory.
- The total deadline holds whatever the server does (headers or body dripped at 1 B/s):
  a watchdog shuts the request's socket down when it passes, which ends any blocked read.
  `abort()` does the same at once for every request in flight (a cancelled job).
- Errors carry a code and a message built here, never request headers (the key).

`requests` is imported on the first request only: a run served from the cache never pays
for it (see tests/unit/test_enrich_engine.py).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import requests

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
TOTAL_DEADLINE = 90.0
MAX_BODY_BYTES = 1_000_000
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_CHUNK = 64 * 1024
_REFIRE = 0.25  # a socket still connecting when the deadline passed: look again this often

Origin = tuple[str, str, int]


class HttpError(Exception):
    """code: forbidden_host | redirect | too_large | timeout | network | cancelled."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class HttpRequest(NamedTuple):
    """One request a provider wants sent. `form` is sent form-encoded, `json` as JSON.

    An immutable NamedTuple rather than a frozen dataclass: every (IOC, provider) check
    builds one (`Provider.check`), ~48,000 for a 12,000-IOC page's preview, and a frozen
    dataclass's __init__ took a third of that time."""

    method: str  # "GET" | "POST"
    url: str
    headers: Mapping[str, str] = MappingProxyType({})
    params: Mapping[str, str] | None = None
    form: Mapping[str, str] | None = None
    json: Any = None


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


def origin_of(url: str) -> Origin:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = -1
    return scheme, host, port


def allowlist(base_urls: Iterable[str]) -> frozenset[Origin]:
    """The only origins requests may go to: those of the configured provider base URLs."""
    out = set()
    for url in base_urls:
        scheme, host, port = origin_of(url)
        # Mirrors config.https_url: plain http is tolerated only for a local test server.
        if host and port > 0 and (scheme == "https" or (scheme == "http" and host in LOOPBACK)):
            out.add((scheme, host, port))
    return frozenset(out)


# --- the watchdog ------------------------------------------------------------------------

_current = threading.local()  # the Watch of the request this thread is making


class Watch:
    """The connections one request uses; `fire()` shuts their sockets down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: list[Any] = []
        self.fired: str | None = None  # "timeout" | "cancelled"
        self.done = False

    def add(self, conn: Any) -> None:
        with self._lock:
            self._conns.append(conn)
            fired = self.fired
        if fired:
            self._shut(conn)

    def fire(self, why: str) -> None:
        with self._lock:
            if self.done:
                return
            self.fired = self.fired or why
            conns = list(self._conns)
        for conn in conns:
            self._shut(conn)

    @staticmethod
    def _shut(conn: Any) -> None:
        sock = getattr(conn, "sock", None)
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _watched_pools() -> dict[str, type]:
    """urllib3 pool classes that tell the current Watch about every connection they hand
    out (fresh or reused), so the watchdog can reach the socket a read blocks on."""
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def watched(base: type[HTTPConnectionPool]) -> type:
        def _get_conn(self: Any, timeout: float | None = None) -> Any:
            conn = base._get_conn(self, timeout)
            watch = getattr(_current, "watch", None)
            if watch is not None:
                watch.add(conn)
            return conn

        return type(f"Watched{base.__name__}", (base,), {"_get_conn": _get_conn})

    return {"http": watched(HTTPConnectionPool), "https": watched(HTTPSConnectionPool)}


def _session() -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter

    pools = _watched_pools()

    class WatchedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            manager.pool_classes_by_scheme = pools
            return manager

    s = requests.Session()
    for prefix in ("http://", "https://"):
        s.mount(prefix, WatchedAdapter(max_retries=0))
    return s


class SafeHttp:
    def __init__(
        self,
        allowed: frozenset[Origin],
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_BODY_BYTES,
        total_deadline: float = TOTAL_DEADLINE,
        session: requests.Session | None = None,
        verify: bool | str = True,
    ) -> None:
        self.allowed = allowed
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.total_deadline = total_deadline
        self._session = session
        # TLS verification is never off; a str is a CA bundle path (an internal CA, e.g. MISP).
        self.verify: bool | str = verify if isinstance(verify, str) and verify else True
        self._lock = threading.Lock()
        self._watches: set[Watch] = set()
        self._aborted = False

    @property
    def session(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                self._session = _session()
            s = self._session
        # No .netrc credentials and no proxy from the environment: see _proxies.
        s.trust_env = False
        s.verify = self.verify
        return s

    def check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.username or parts.password or origin_of(url) not in self.allowed:
            raise HttpError("forbidden_host", f"refusing a request to {parts.hostname!r}: "
                            "not the configured provider host")

    @staticmethod
    def _proxies(url: str) -> dict[str, str]:
        # An https proxy only sees a CONNECT tunnel, never the key; plain http is only
        # ever loopback, which must not go through a proxy at all.
        if not url.startswith("https://"):
            return {}
        import urllib.request

        from requests.utils import should_bypass_proxies

        proxy = urllib.request.getproxies().get("https")
        if not proxy or should_bypass_proxies(url, no_proxy=None):
            return {}
        return {"https": proxy}

    def abort(self) -> None:
        """End every request in flight now (and refuse new ones): the job was cancelled."""
        with self._lock:
            self._aborted = True
            watches = list(self._watches)
        for w in watches:
            w.fire("cancelled")

    def get(self, url: str, headers: Mapping[str, str], *,
            max_bytes: int | None = None) -> HttpResponse:
        return self.send(HttpRequest("GET", url, headers), max_bytes=max_bytes)

    def send(self, req: HttpRequest, *, max_bytes: int | None = None) -> HttpResponse:
        """`max_bytes` raises the body cap for this one request (the KEV feed); the
        allowlist, deadline and abort() hold as for any other."""
        self.check(req.url)
        cap = self.max_bytes if max_bytes is None else max_bytes
        session = self.session
        watch = Watch()
        with self._lock:
            if self._aborted:
                raise HttpError("cancelled", "cancelled")
            self._watches.add(watch)
        timer = _Timer(watch, self.total_deadline)
        _current.watch = watch
        try:
            return self._send(session, req, watch, cap)
        except HttpError:
            raise
        except Exception as e:  # whatever a shut-down socket (TLS included) raises
            raise self._fired(watch) or HttpError(
                "network", f"error while talking to the provider: {type(e).__name__}") from None
        finally:
            _current.watch = None
            timer.stop()
            with watch._lock:
                watch.done = True
            with self._lock:
                self._watches.discard(watch)

    def _fired(self, watch: Watch) -> HttpError | None:
        if watch.fired == "cancelled":
            return HttpError("cancelled", "cancelled")
        if watch.fired:
            return HttpError("timeout", f"no complete answer within {self.total_deadline:g} s")
        return None

    def _send(self, session: requests.Session, req: HttpRequest, watch: Watch,
              cap: int) -> HttpResponse:
        import requests

        url = req.url
        try:
            resp = session.request(
                req.method, url, headers=dict(req.headers), params=req.params,
                data=req.form, json=req.json, timeout=self.timeout, allow_redirects=False,
                stream=True, proxies=self._proxies(url),
            )
        except requests.Timeout as e:
            raise self._fired(watch) or HttpError(
                "timeout", f"no answer within {self._limit(e)} s") from None
        except (requests.RequestException, OSError, ValueError) as e:
            raise self._fired(watch) or HttpError(
                "network", f"cannot reach the provider: {type(e).__name__}") from None
        try:
            if resp.is_redirect or 300 <= resp.status_code < 400:
                raise HttpError("redirect", f"the provider answered {resp.status_code} "
                                "(redirect); redirects are never followed")
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                raise HttpError("too_large", f"response of {declared} bytes is over the "
                                f"{cap}-byte cap")
            body = self._read(resp, watch, cap)
            headers = {k.lower(): v[:1024] for k, v in list(resp.headers.items())[:100]}
            return HttpResponse(resp.status_code, body, resp.headers.get("Content-Type", ""),
                                headers)
        finally:
            resp.close()

    def _read(self, resp: requests.Response, watch: Watch, cap: int) -> bytes:
        import requests

        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in resp.iter_content(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise HttpError("too_large", f"response is over the {cap}-byte "
                                    "cap; stopped reading")
                chunks.append(chunk)
        except requests.exceptions.ConnectionError as e:
            # urllib3 reports a read timeout inside the body as a ConnectionError.
            if fired := self._fired(watch):
                raise fired from None
            if "timed out" in str(e).lower():
                raise HttpError("timeout", f"no data within {self.timeout[1]} s") from None
            raise HttpError("network", "connection lost while reading the response") from None
        except (requests.RequestException, OSError, ValueError) as e:
            raise self._fired(watch) or HttpError(
                "network", f"error while reading: {type(e).__name__}") from None
        if fired := self._fired(watch):  # a cut-short body is never an answer
            raise fired
        return b"".join(chunks)

    def _limit(self, e: Exception) -> float:
        import requests

        return self.timeout[0] if isinstance(e, requests.ConnectTimeout) else self.timeout[1]


class _Timer:
    """Fires `watch` once `seconds` have passed, then again every _REFIRE s (a socket that
    was still connecting the first time) until stopped."""

    def __init__(self, watch: Watch, seconds: float) -> None:
        self._stop = threading.Event()
        self._watch = watch
        self._thread = threading.Thread(target=self._run, args=(seconds,), daemon=True,
                                        name="http-deadline")
        self._thread.start()

    def _run(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            return
        while not self._stop.is_set():
            self._watch.fire("timeout")
            self._stop.wait(_REFIRE)

    def stop(self) -> None:
        self._stop.set()
