"""A Firefox ESR for the highlight e2e tests: test_firefox.py's set-up on the extension copy.

Same start-up as tests/e2e/test_firefox.py (web-ext run, WebDriver BiDi, the project's installer
into a temporary HOME), but on the copy of extension/ with the activeTab stand-in (see
highlight_support.py), and with a second tab for the page under test.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.highlight_support import RESULTS, extension_copy
from tests.e2e.test_firefox import firefox_home, running_firefox
from tests.support.bidi import BiDi

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"


@dataclass
class HlFirefox:
    bidi: BiDi
    ext_tab: str  # the extension's options page: reaches the background
    page_tab: str  # the page under test

    def background(self, body: str, timeout: float = 30.0) -> Any:
        return self.bidi.evaluate_json(
            self.ext_tab, f"const bg = await browser.runtime.getBackgroundPage(); {body}", timeout)

    def page(self, body: str, timeout: float = 30.0) -> Any:
        return self.bidi.evaluate_json(self.page_tab, body, timeout)

    def goto(self, url: str) -> None:
        self.bidi.send("browsingContext.activate", {"context": self.page_tab})
        self.bidi.navigate(self.page_tab, url)

    def enrich_selection(self, element: str) -> dict[str, Any]:
        """Select #element in the page, then what the menu click runs in the background."""
        selection = self.page(f"""
            const range = document.createRange();
            range.selectNodeContents(document.getElementById({json.dumps(element)}));
            getSelection().removeAllRanges(); getSelection().addRange(range);
            return getSelection().toString();""")
        url = self.page("return location.href;")
        state = self.background(f"""
            // (match patterns cannot carry a port: filter here)
            const tabs = (await browser.tabs.query({{}})).filter((t) => t.url === {json.dumps(url)});
            const info = {{menuItemId: "sentinelx-enrich-selection", frameId: 0,
                           selectionText: {json.dumps(selection)}}};
            const s = await bg.sentinelx.enrichFromSelection(tabs[0], info, {{open: false}});
            return {{phase: s.phase, error: s.error}};""")
        self.page("getSelection().removeAllRanges(); return true;")
        return state

    def stream(self, keys: list[str] | None = None) -> None:
        """RESULTS streamed into the session, as highlight_support.STREAM does in Chromium. What
        is stored is made in the background's realm (bg.JSON.parse): objects made in the options
        page would die with it."""
        for key in keys or list(RESULTS):
            verdict, label, summary = RESULTS[key]
            combined = {"verdict": verdict, "score": 0.7, "severity": "high",
                        "reason": f"{verdict}: {label} {summary}", "providers": {"virustotal": verdict},
                        "pending": 0, "label": None}
            entry = {"providers": {"virustotal": {"status": "ok", "cached": False, "result": {
                "provider": "virustotal", "verdict": verdict, "summary": summary, "found": True,
                "role": "verdict"}}}, "combined": combined}
            self.background(f"""
                const c = bg.sentinelx.controller;
                c.store.update(c.state.sid, (st) => {{
                    st.phase = "enriching";
                    if (!st.send.length) st.send = bg.JSON.parse(JSON.stringify(st.plan));
                    st.results[{json.dumps(key)}] = bg.JSON.parse({json.dumps(json.dumps(entry))});
                    if (st.send.every((k) => st.results[k])) st.phase = "done";
                }});
                return true;""")

    def stats(self, settled: bool = False, until: str | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + 10
        while True:
            s = self.background("return await bg.sentinelx.highlights.stats();")
            ok = s is not None and s.get("ok")
            if ok and settled and any(p["group"] == "pending" for p in s["painted"]):
                ok = False
            if ok and until and not any(p["key"] == until and p["group"] not in {"pending", "other"}
                                        for p in s["painted"]):
                ok = False
            if ok or time.monotonic() > deadline:
                assert s and s.get("ok"), s
                return s
            time.sleep(0.1)

    def move_to(self, x: float, y: float) -> None:
        self.bidi.send("input.performActions", {"context": self.page_tab, "actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "x": int(x), "y": int(y), "origin": "viewport",
                         "duration": 0}]}]})
        time.sleep(0.25)

    def key(self, value: str) -> None:
        self.bidi.send("input.performActions", {"context": self.page_tab, "actions": [{
            "type": "key", "id": "kbd",
            "actions": [{"type": "keyDown", "value": value}, {"type": "keyUp", "value": value}]}]})
        time.sleep(0.2)

    def screenshot(self, name: str) -> None:
        data = self.bidi.send("browsingContext.captureScreenshot", {"context": self.page_tab})["data"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"{name}.png").write_bytes(base64.b64decode(data))


@pytest.fixture(scope="module", name="hl_firefox")
def hl_firefox_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HlFirefox]:
    base = tmp_path_factory.mktemp("hl-firefox")
    env, home, profile, _dirs = firefox_home(base)
    ext = extension_copy(base)
    # A VirusTotal key, so the host's preview plans every public IOC (nothing is confirmed here:
    # the verdicts are streamed in by the test; the base URL leads nowhere on purpose).
    from tests.e2e.conftest import API_KEY
    for args, stdin in ((("config", "set", "vt.base_url", "http://127.0.0.1:9/api/v3"), None),
                        (("config", "set-key", "--no-verify"), API_KEY + "\n")):
        subprocess.run([sys.executable, "-m", "sentinelx", *args], env=env, input=stdin,
                       capture_output=True, text=True, timeout=60, check=True)
    with running_firefox(ext, base, env, profile, home, base / "web-ext.log",
                         ("--arg=--width=1000", "--arg=--height=800")) as (bidi, ext_tab):
        page_tab = bidi.new_tab()
        bidi.send("browsingContext.setViewport", {"context": page_tab,
                                                  "viewport": {"width": 1000, "height": 700}})
        yield HlFirefox(bidi=bidi, ext_tab=ext_tab, page_tab=page_tab)
