"""Fixtures and helpers for the on-page highlight e2e tests (Chromium and Firefox).

The real extension gets its page access from activeTab, granted by the user's menu click or
shortcut. Headless browsers cannot click a native context menu, so these tests load a COPY of
extension/ whose manifest adds `http://127.0.0.1/*` to host_permissions: the grant activeTab
would give for the test page's origin, and nothing more. The shipped manifest is unchanged
(tests/extension/static.test.mjs pins that it has no host permissions).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, EXTENSION, Browser, ProviderFakes, _chromium
from tests.support.fakevt import FakeVT

ACTIVE_TAB_STAND_IN = "http://127.0.0.1/*"
MALICIOUS_IP = "185.220.101.47"
CLEAN_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
VERDICT_WORDS = ("malicious", "suspicious", "no data", "no_data", "virustotal", "engines")

# Runs in the PAGE's main world: everything a page script can find out about the highlights.
PAGE_VIEW = """() => {
    const reg = globalThis.CSS && CSS.highlights;
    const names = reg ? [...reg.keys()] : [];
    const ranges = [];
    for (const name of names) {
        for (const r of reg.get(name)) {
            const live = document.createRange();
            live.setStart(r.startContainer, r.startOffset);
            live.setEnd(r.endContainer, r.endOffset);
            ranges.push({name, text: live.toString()});
        }
    }
    const sheets = [...document.styleSheets].map((s) => {
        try { return [...s.cssRules].map((r) => r.cssText).join("\\n"); } catch { return ""; }
    }).join("\\n");
    const marks = [...document.querySelectorAll("mark")].map((m) => m.className);
    const hosts = [...document.querySelectorAll("*")].filter((e) => /^sx-/i.test(e.tagName))
        .map((e) => ({tag: e.tagName.toLowerCase(), shadow: e.shadowRoot === null ? null : "open",
                      text: e.innerText ?? "", html: e.getHTML ? e.getHTML() : e.innerHTML}));
    return {names, ranges, sheets, marks, hosts, html: document.documentElement.outerHTML,
            log: globalThis.__pageLog ?? null};
}"""


def extension_copy(dest: Path) -> Path:
    """extension/ with the activeTab stand-in host permission (see the module docstring)."""
    out = dest / "extension"
    shutil.copytree(EXTENSION, out)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["host_permissions"] = [ACTIVE_TAB_STAND_IN]
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return out


def seed(vt: FakeVT) -> None:
    vt.seed("ipv4", MALICIOUS_IP, "malicious")
    vt.seed("sha256", CLEAN_HASH, "clean")
    vt.seed("domain", "bad-actor.com", "suspicious")


@pytest.fixture(name="hl_browser")
def hl_browser_fixture(tmp_path: Path, fake_vt: FakeVT, fakes: ProviderFakes) -> Iterator[Browser]:
    """Like conftest.browser, on the extension copy, with the VT key set and the other fakes."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import API_KEY, configure_providers

    seed(fake_vt)
    chromium = _chromium()
    ext = extension_copy(tmp_path)
    args = [a for a in CHROMIUM_ARGS if str(EXTENSION) not in a]
    args += [f"--disable-extensions-except={ext}", f"--load-extension={ext}"]
    dirs = tmp_path / "sx"
    env = {k: v for k, v in os.environ.items() if k != "VT_API_KEY"}
    env.update(
        SENTINELX_CONFIG_DIR=str(dirs / "config"), SENTINELX_CACHE_DIR=str(dirs / "cache"),
        SENTINELX_LOG_DIR=str(dirs / "log"), SENTINELX_DATA_DIR=str(dirs / "data"),
    )
    profile = tmp_path / "profile"
    profile.mkdir()
    b = Browser(ctx=None, env=env, profile=profile, dirs=dirs)
    b.sentinelx("install", "--browser", "chromium",
                "--manifest-dir", str(profile / "NativeMessagingHosts"),
                "--launcher-python", sys.executable, "--no-shim")
    b.sentinelx("config", "set", "vt.base_url", fake_vt.base_url)
    b.sentinelx("config", "set-key", stdin=API_KEY + "\n")
    configure_providers(b.sentinelx, fakes)
    launch_env: dict[str, str | float | bool] = dict(env)
    with sync_playwright() as p:
        b.ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, args=args,
            ignore_default_args=["--disable-extensions"], env=launch_env,
            viewport={"width": 1000, "height": 700},
        )
        try:
            yield b
        finally:
            b.ctx.close()


# What the host streams for each IOC (one `result` per provider with the `combined` verdict),
# fed straight into the controller's session state (lib/state.js shape) so the test controls
# the order; test_report_page_with_the_real_host covers the same page with the real host.
RESULTS: dict[str, tuple[str, str, str]] = {
    f"ipv4:{MALICIOUS_IP}": ("malicious", "VirusTotal", "12/73 engines"),
    "domain:bad-actor.com": ("suspicious", "VirusTotal", "2/72 engines"),
    f"sha256:{CLEAN_HASH}": ("clean", "VirusTotal", "0/72 engines"),
    # The host's preview sends a CVE to the CVE sources (NVD, EPSS, KEV): a label, never a verdict.
    "cve:CVE-2021-44228": ("no_data", "NVD", "Critical 10.0"),
}

STREAM = """async ({key, verdict, label, summary}) => {
    const c = globalThis.sentinelx.controller;
    const sid = c.state.sid;
    const ioc = c.state.iocs.find((i) => `${i.type}:${i.value}` === key);
    const combined = {verdict, score: 0.7, severity: "high", reason: `${verdict}: ${label} ${summary}`,
                      providers: {virustotal: verdict}, pending: 0, label: null};
    c.store.update(sid, (st) => {
        st.phase = "enriching";
        if (!st.send.length) st.send = [...st.plan];
        st.results[key] = {providers: {virustotal: {status: "ok", cached: false,
            result: {provider: "virustotal", verdict, summary, found: true, role: "verdict"}}}, combined};
        if (st.send.every((k) => st.results[k])) st.phase = "done";
    });
    return ioc ? ioc.raw : null;
}"""


def stream_results(browser: Any, keys: list[str] | None = None) -> None:
    """Stream the `result`s of RESULTS (or of `keys`) into the current session, one by one."""
    for key in keys or list(RESULTS):
        verdict, label, summary = RESULTS[key]
        browser.sw(STREAM, {"key": key, "verdict": verdict, "label": label, "summary": summary})


def no_verdicts(text: str) -> list[str]:
    """The verdict words found in something a page script can read."""
    low = text.lower()
    return [w for w in VERDICT_WORDS if w in low]


def first_range_centre(page: Any, text: str) -> dict[str, float]:
    """Viewport point in the middle of the first painted range reading `text` (page world)."""
    point = page.evaluate("""(want) => {
        for (const h of CSS.highlights.values()) for (const r of h) {
            const live = document.createRange();
            live.setStart(r.startContainer, r.startOffset);
            live.setEnd(r.endContainer, r.endOffset);
            if (live.toString().toLowerCase() !== want.toLowerCase()) continue;
            const rect = live.getClientRects()[0];
            return {x: rect.left + Math.min(rect.width / 2, 20), y: rect.top + rect.height / 2};
        }
        return null;
    }""", text)
    assert point is not None, f"no painted range reads {text!r}"
    return point
