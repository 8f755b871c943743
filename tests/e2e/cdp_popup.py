"""The real toolbar popup, headless: Chrome DevTools Protocol `Extensions.triggerAction`.

Chromium started with --enable-unsafe-extension-debugging accepts the browser-level command
`Extensions.triggerAction {id, targetId}` for a target of type `tab`. The popup then appears as a
new page target on popup.html, at its real size (a tab opened on popup.html is not), and the click
grants activeTab on that tab as a real click does. Playwright does not list that target as a page,
so this attaches to it with Target.attachToTarget and talks to it with Target.sendMessageToTarget.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from pathlib import Path
from typing import Any


class CdpError(RuntimeError):
    pass


class RealPopup:
    """A session on the real popup's target: evaluate script, take screenshots."""

    def __init__(self, browser_cdp: Any, target_id: str) -> None:
        self.cdp = browser_cdp
        self.ids = itertools.count(1)
        self.replies: dict[int, dict[str, Any]] = {}
        browser_cdp.on("Target.receivedMessageFromTarget", self._on_message)
        self.session = browser_cdp.send("Target.attachToTarget", {"targetId": target_id, "flatten": False})[
            "sessionId"
        ]

    def _on_message(self, params: dict[str, Any]) -> None:
        if params.get("sessionId") != getattr(self, "session", None):
            return
        msg = json.loads(params["message"])
        if "id" in msg:
            self.replies[msg["id"]] = msg

    def send(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 15.0
    ) -> dict[str, Any]:
        mid = next(self.ids)
        message = json.dumps({"id": mid, "method": method, "params": params or {}})
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": self.session, "message": message})
        deadline = time.monotonic() + timeout
        while mid not in self.replies:
            if time.monotonic() > deadline:
                raise CdpError(f"{method}: no answer in {timeout} s")
            self.cdp.send("Browser.getVersion")  # a round trip lets Playwright deliver pending events
            time.sleep(0.01)
        reply = self.replies.pop(mid)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error']}")
        return reply["result"]

    def evaluate(self, expression: str, timeout: float = 15.0) -> Any:
        """Evaluate an expression (awaited if it is a promise) in the popup; returns its JSON value."""
        r = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            timeout,
        )
        if "exceptionDetails" in r:
            raise CdpError(
                f"script error: {r['exceptionDetails'].get('text')} "
                f"{r['exceptionDetails'].get('exception', {}).get('description', '')}"
            )
        return r["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(f"!!({expression})")
            if value:
                return value
            if time.monotonic() > deadline:
                raise CdpError(f"not true within {timeout} s: {expression}")
            time.sleep(0.1)

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))


def open_real_popup(browser_cdp: Any, extension_id: str, page_url: str, timeout: float = 15.0) -> RealPopup:
    """Click the extension's toolbar icon on the tab showing `page_url`; attach to its popup."""
    tabs = browser_cdp.send("Target.getTargets", {"filter": [{"type": "tab"}]})["targetInfos"]
    tab = next(t for t in tabs if t["url"] == page_url)
    browser_cdp.send("Extensions.triggerAction", {"id": extension_id, "targetId": tab["targetId"]})
    deadline = time.monotonic() + timeout
    while True:
        targets = browser_cdp.send("Target.getTargets")["targetInfos"]
        popup = next(
            (
                t
                for t in targets
                if t["type"] == "page"
                and t["url"].endswith("/popup.html")
                and t["url"].startswith(f"chrome-extension://{extension_id}/")
            ),
            None,
        )
        if popup:
            return RealPopup(browser_cdp, popup["targetId"])
        if time.monotonic() > deadline:
            raise CdpError("the popup did not open")
        time.sleep(0.05)
