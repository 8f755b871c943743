"""A Firefox ESR for the highlight e2e tests: test_firefox.py's set-up on the extension copy.

Same start-up as tests/e2e/test_firefox.py (web-ext run, WebDriver BiDi, the project's installer
into a temporary HOME), but on the copy of extension/ with the activeTab stand-in (see
highlight_support.py), and with a second tab for the page under test.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.highlight_support import RESULTS, extension_copy
from tests.e2e.test_firefox import (
    EXT_URL,
    PREFS,
    START_TIMEOUT,
    WEB_EXT,
    _ours,
    _require,
    _stop,
    _user_js,
    wait_for,
)
from tests.support.bidi import BiDi, BiDiError, read_server_file

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
    firefox_bin = _require(shutil.which("firefox-esr"), "firefox-esr is not installed")
    web_ext = _require(str(WEB_EXT) if WEB_EXT.exists() else None,
                       "web-ext is missing (tests/node_modules)")
    base = tmp_path_factory.mktemp("hl-firefox")
    home, tmp, profile, dirs = base / "home", base / "tmp", base / "profile", base / "sx"
    for d in (home, tmp, profile):
        d.mkdir()
    ext = extension_copy(base)
    env = {k: v for k, v in os.environ.items()
           if k != "VT_API_KEY" and not k.startswith(("XDG_", "MOZ_", "SENTINELX_")) and k != "DISPLAY"}
    env.update(
        HOME=str(home), TMPDIR=str(tmp), MOZ_HEADLESS="1", NO_UPDATE_NOTIFIER="1",
        SENTINELX_CONFIG_DIR=str(dirs / "config"), SENTINELX_CACHE_DIR=str(dirs / "cache"),
        SENTINELX_LOG_DIR=str(dirs / "log"), SENTINELX_DATA_DIR=str(dirs / "data"),
    )
    done = subprocess.run([sys.executable, "-m", "sentinelx", "install", "--browser", "firefox",
                           "--launcher-python", sys.executable, "--no-shim"],
                          env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"sentinelx install failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    # A VirusTotal key, so the host's preview plans every public IOC (nothing is confirmed here:
    # the verdicts are streamed in by the test; the base URL leads nowhere on purpose).
    from tests.e2e.conftest import API_KEY
    for args, stdin in ((("config", "set", "vt.base_url", "http://127.0.0.1:9/api/v3"), None),
                        (("config", "set-key", "--no-verify"), API_KEY + "\n")):
        subprocess.run([sys.executable, "-m", "sentinelx", *args], env=env, input=stdin,
                       capture_output=True, text=True, timeout=60, check=True)
    (profile / "user.js").write_text(_user_js(PREFS))
    log_path = base / "web-ext.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [web_ext, "run", "--source-dir", str(ext), "--firefox", firefox_bin,
             "--firefox-profile", str(profile), "--keep-profile-changes",
             "--no-input", "--no-reload", "--no-config-discovery",
             "--arg=-headless", "--arg=--remote-debugging-port=0", "--arg=--remote-allow-system-access",
             "--arg=--width=1000", "--arg=--height=800"],
            cwd=base, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    bidi: BiDi | None = None
    try:
        def log() -> str:
            return log_path.read_text(errors="replace")

        def exited() -> None:
            if proc.poll() is not None:
                pytest.fail(f"web-ext exited with {proc.returncode}\n{log()[-4000:]}")

        def installed() -> bool | None:
            exited()
            return True if f"Installed {ext} as a temporary add-on" in log() else None

        def server() -> str | None:
            exited()
            return read_server_file(profile)

        url = wait_for("Firefox's WebDriver BiDi server", server, START_TIMEOUT, log)
        wait_for("web-ext installing the add-on", installed, START_TIMEOUT, log)
        bidi = BiDi.connect(url, timeout=30)
        ext_tab = bidi.new_tab()

        def options_page() -> bool | None:
            try:
                bidi.navigate(ext_tab, f"{EXT_URL}/options.html")
                return True if bidi.evaluate_json(ext_tab, "return browser.runtime.id;", 5) else None
            except BiDiError:
                return None

        wait_for("the extension's options page", options_page, 30, log)
        page_tab = bidi.new_tab()
        bidi.send("browsingContext.setViewport", {"context": page_tab,
                                                  "viewport": {"width": 1000, "height": 700}})
        yield HlFirefox(bidi=bidi, ext_tab=ext_tab, page_tab=page_tab)
    finally:
        if bidi is not None:
            bidi.close()
        _stop(proc, home)
    assert not _ours(str(home)), "processes left behind"
