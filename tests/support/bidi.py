"""A minimal WebDriver BiDi client (the W3C protocol Firefox speaks natively), for the e2e tests.

Firefox started with `--remote-debugging-port=0` picks a free port and writes it to
`<profile>/WebDriverBiDiServer.json`; `BiDi.connect()` opens `ws://host:port/session` and starts a
BiDi-only session (no geckodriver, nothing downloaded). Only what the tests need is here:
open a tab, navigate it, evaluate JavaScript in it and get JSON back.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import websocket  # websocket-client


class BiDiError(RuntimeError):
    """An error reply, a script exception, or a timeout."""


def read_server_file(profile: Path) -> str | None:
    """The BiDi websocket URL Firefox wrote into the profile, or None while it has not yet."""
    try:
        info = json.loads((profile / "WebDriverBiDiServer.json").read_text())
    except (OSError, ValueError):
        return None
    host, port = info.get("ws_host"), info.get("ws_port")
    if not host or not isinstance(port, int) or port <= 0:
        return None
    return f"ws://{host}:{port}"


class BiDi:
    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws
        self.next_id = 0

    @classmethod
    def connect(cls, base_url: str, timeout: float = 10.0) -> BiDi:
        # The remote agent refuses requests that carry an Origin header it was not told to allow.
        ws = websocket.create_connection(f"{base_url}/session", timeout=timeout, suppress_origin=True)
        client = cls(ws)
        try:
            client.send("session.new", {"capabilities": {}}, timeout=timeout)
        except BaseException:
            ws.close()
            raise
        return client

    def close(self) -> None:
        try:
            self.send("session.end", {}, timeout=5)
        except (BiDiError, OSError, websocket.WebSocketException):
            pass
        finally:
            self.ws.close()

    def send(self, method: str, params: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        """Send one command and wait (bounded) for its reply; events in between are dropped."""
        self.next_id += 1
        cmd_id = self.next_id
        self.ws.send(json.dumps({"id": cmd_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BiDiError(f"{method}: no reply within {timeout} s")
            self.ws.settimeout(left)
            try:
                msg = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException as e:
                raise BiDiError(f"{method}: no reply within {timeout} s") from e
            if msg.get("id") != cmd_id:
                continue  # an event, or a reply to a command that timed out earlier
            if msg.get("type") == "error":
                raise BiDiError(f"{method}: {msg.get('error')}: {msg.get('message')}")
            return msg.get("result", {})

    def new_tab(self) -> str:
        return self.send("browsingContext.create", {"type": "tab"})["context"]

    def navigate(self, context: str, url: str, timeout: float = 15.0) -> None:
        self.send("browsingContext.navigate", {"context": context, "url": url, "wait": "complete"},
                  timeout=timeout)

    def evaluate_json(self, context: str, body: str, timeout: float = 30.0) -> Any:
        """Run `body` (the body of an async function) in the page; return its JSON-able result.

        The value goes back through JSON.stringify so the test gets plain Python data, not
        BiDi remote values. A thrown error or rejected promise raises BiDiError with its text.
        """
        expression = f"(async () => JSON.stringify(await (async () => {{ {body} }})()))()"
        result = self.send("script.evaluate", {
            "expression": expression, "target": {"context": context},
            "awaitPromise": True, "resultOwnership": "none",
        }, timeout=timeout)
        if result.get("type") == "exception":
            details = result.get("exceptionDetails", {})
            raise BiDiError(f"script threw: {details.get('text')}")
        value = result.get("result", {})
        if value.get("type") == "undefined":
            return None
        if value.get("type") != "string":
            raise BiDiError(f"unexpected result {value!r}")
        return json.loads(value["value"])
