"""The one safe GET every provider uses.

- Only origins (scheme, host, port) of the configured provider base URLs are allowed,
  checked before any request; nothing in a message or an IOC can add one.
- Redirects are never followed (a redirect could carry the API key header elsewhere).
- The body is streamed and cut off at `max_bytes`, so a hostile or broken server
  cannot exhaust memory.
- Errors carry a code and a message built here, never request headers (the key).
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.utils import should_bypass_proxies

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
MAX_BODY_BYTES = 1_000_000
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_CHUNK = 64 * 1024

Origin = tuple[str, str, int]


class HttpError(Exception):
    """code: forbidden_host | redirect | too_large | timeout | network."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request a provider wants sent. `form` is sent form-encoded, `json` as JSON."""

    method: str  # "GET" | "POST"
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
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
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, host, port


def allowlist(base_urls: Iterable[str]) -> frozenset[Origin]:
    """The only origins requests may go to: those of the configured provider base URLs."""
    out = set()
    for url in base_urls:
        scheme, host, port = origin_of(url)
        # Mirrors config._https_url: plain http is tolerated only for a local test server.
        if host and (scheme == "https" or (scheme == "http" and host in LOOPBACK)):
            out.add((scheme, host, port))
    return frozenset(out)


class SafeHttp:
    def __init__(
        self,
        allowed: frozenset[Origin],
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_BODY_BYTES,
        total_deadline: float = 90.0,
        session: requests.Session | None = None,
        verify: bool | str = True,
    ) -> None:
        self.allowed = allowed
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.total_deadline = total_deadline
        self.session = session or requests.Session()
        # No .netrc credentials and no proxy from the environment by default: see _proxies.
        self.session.trust_env = False
        # TLS verification is never off; a str is a CA bundle path (an internal CA, e.g. MISP).
        self.session.verify = verify if isinstance(verify, str) and verify else True

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
        proxy = urllib.request.getproxies().get("https")
        if not proxy or should_bypass_proxies(url, no_proxy=None):
            return {}
        return {"https": proxy}

    def get(self, url: str, headers: Mapping[str, str]) -> HttpResponse:
        return self.send(HttpRequest("GET", url, headers))

    def send(self, req: HttpRequest) -> HttpResponse:
        url = req.url
        self.check(url)
        started = time.monotonic()
        try:
            resp = self.session.request(
                req.method, url, headers=dict(req.headers), params=req.params,
                data=req.form, json=req.json, timeout=self.timeout, allow_redirects=False,
                stream=True, proxies=self._proxies(url),
            )
        except requests.Timeout as e:
            raise HttpError("timeout", f"no answer within {self._limit(e)} s") from None
        except requests.RequestException as e:
            raise HttpError("network", f"cannot reach the provider: {type(e).__name__}") from None
        try:
            if resp.is_redirect or 300 <= resp.status_code < 400:
                raise HttpError("redirect", f"the provider answered {resp.status_code} "
                                "(redirect); redirects are never followed")
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise HttpError("too_large", f"response of {declared} bytes is over the "
                                f"{self.max_bytes}-byte cap")
            body = self._read(resp, started)
            headers = {k.lower(): v[:1024] for k, v in list(resp.headers.items())[:100]}
            return HttpResponse(resp.status_code, body, resp.headers.get("Content-Type", ""),
                                headers)
        finally:
            resp.close()

    def _read(self, resp: requests.Response, started: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in resp.iter_content(_CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise HttpError("too_large", f"response is over the {self.max_bytes}-byte "
                                    "cap; stopped reading")
                if time.monotonic() - started > self.total_deadline:
                    raise HttpError("timeout", f"response took over {self.total_deadline} s")
                chunks.append(chunk)
        except requests.exceptions.ConnectionError as e:
            # urllib3 reports a read timeout inside the body as a ConnectionError.
            if "timed out" in str(e).lower():
                raise HttpError("timeout", f"no data within {self.timeout[1]} s") from None
            raise HttpError("network", "connection lost while reading the response") from None
        except requests.RequestException as e:
            raise HttpError("network", f"error while reading: {type(e).__name__}") from None
        return b"".join(chunks)

    def _limit(self, e: Exception) -> float:
        return self.timeout[0] if isinstance(e, requests.ConnectTimeout) else self.timeout[1]
