"""Push to MISP: create the exported event on the user's instance (POST /events/add).

The instance is the one configured for the MISP lookup provider (`providers.misp.base_url`,
`providers.misp.ca_bundle`, the key in the key store under `misp`). The request goes
through SafeHttp like every other one: only that origin, no redirects, TLS verified (with
the instance's own CA bundle when one is set), a size cap on the answer; the key is never
logged or put in an error.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

PATH = "/events/add"
MAX_ANSWER_BYTES = 32 * 1024 * 1024  # MISP echoes the whole event back
KEY_ENV = "SENTINELX_MISP_API_KEY"


class MispPushError(Exception):
    """code: not_configured | no_api_key | auth | rejected | server_error | bad_response, or
    a SafeHttp code (forbidden_host, redirect, too_large, timeout, network)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class MispTarget:
    base_url: str
    key: str
    ca_bundle: str | None = None

    def __repr__(self) -> str:  # never show the key, even in a traceback
        return f"MispTarget({self.base_url!r}, key=****, ca_bundle={self.ca_bundle!r})"


@dataclass(frozen=True, slots=True)
class Pushed:
    event_id: str
    event_uuid: str
    url: str  # the event's page on the instance


def _load_key() -> str | None:
    from sentinelx import config

    load_key: Any = config.load_key
    try:
        key, _source = load_key("misp")  # the provider-generic key store
    except TypeError:  # a key store that knows one provider only
        key = os.environ.get(KEY_ENV, "").strip() or None
    return key if isinstance(key, str) and key else None


def target_from_config() -> MispTarget:
    from sentinelx import config, logs

    settings = config.load()
    base_url = settings.get("providers.misp.base_url")
    if not isinstance(base_url, str) or not base_url:
        raise MispPushError("not_configured", "no MISP instance is configured: set "
                            "providers.misp.base_url (sentinelx config set)")
    key = _load_key()
    if key is None:
        raise MispPushError("no_api_key", "no MISP API key: sentinelx config set-key "
                            "--provider misp")
    logs.register_secret(key)
    ca = settings.get("providers.misp.ca_bundle")
    return MispTarget(base_url.rstrip("/"), key, ca if isinstance(ca, str) and ca else None)


def _message(body: bytes) -> str:
    """MISP's own explanation, bounded and one line (it may echo what we sent, never the key)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return "no readable explanation"
    if not isinstance(doc, dict):
        return "no readable explanation"
    parts = [str(doc.get(k)) for k in ("name", "message") if doc.get(k)]
    if doc.get("errors"):
        parts.append(json.dumps(doc["errors"], ensure_ascii=False)[:300])
    return " ".join(" ".join(parts).split())[:500] or "no readable explanation"


def push_event(content: str, target: MispTarget, *, timeout: tuple[float, float] = (5.0, 60.0)
               ) -> Pushed:
    """POST the event JSON (a MISP export) to the instance; the created event or a typed error."""
    from sentinelx.enrichment.http import HttpError, HttpRequest, SafeHttp, allowlist

    try:
        event = json.loads(content)
    except ValueError as e:
        raise MispPushError("bad_request", "the export is not a MISP event") from e
    http = SafeHttp(allowlist([target.base_url]), timeout=timeout, max_bytes=MAX_ANSWER_BYTES,
                    verify=target.ca_bundle or True)
    if not http.allowed:
        raise MispPushError("forbidden_host", "the MISP base URL must be https:// "
                            "(plain http only for 127.0.0.1)")
    req = HttpRequest("POST", target.base_url + PATH, headers={
        "Authorization": target.key, "Accept": "application/json"}, json=event)
    try:
        resp = http.send(req)
    except HttpError as e:
        raise MispPushError(e.code, e.message) from None
    if resp.status in (401, 403) and b"Authentication failed" in resp.body[:2000]:
        raise MispPushError("auth", "MISP refused the API key: " + _message(resp.body))
    if resp.status in (400, 403, 404, 405, 422):
        raise MispPushError("rejected", f"MISP did not create the event ({resp.status}): "
                            + _message(resp.body))
    if resp.status >= 500:
        raise MispPushError("server_error", f"MISP answered {resp.status}")
    try:
        created = json.loads(resp.body)["Event"]
        event_id, event_uuid = str(created["id"]), str(created["uuid"])
    except (ValueError, KeyError, TypeError) as e:
        raise MispPushError("bad_response", f"MISP answered {resp.status} without an event") from e
    if not event_id.isdigit():
        raise MispPushError("bad_response", "MISP answered with an event id that is not a number")
    return Pushed(event_id, event_uuid, f"{target.base_url}/events/view/{event_id}")
