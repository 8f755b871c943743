"""The popup and the options page in real headless Chromium, against the wave-2 contract host.

The real toolbar popup is opened with CDP Extensions.triggerAction (tests/e2e/cdp_popup.py), so
its width is the real one; keyboard and accessibility checks run on popup.html in a tab.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.e2e.conftest import EXT_URL, SHOTS, ContractBrowser, click_enrich, screenshot, select_element

pytestmark = pytest.mark.e2e

VERDICTS = {
    "185.220.101.47": {
        "virustotal": {
            "verdict": "malicious",
            "summary": "12/73 engines",
            "facts": {"last_analysis_stats": {"malicious": 12}, "as_owner": "Tor exit"},
            "link": "https://www.virustotal.com/gui/ip-address/185.220.101.47",
        },
        "urlhaus": {"verdict": "malicious", "summary": "online payload host"},
        "internetdb": {"verdict": "no_data", "facts": {"ports": [22, 443, 9001], "tags": ["tor"]}},
    },
    "http://evil-c2.example-bad.com/gate.php": {
        "virustotal": {"verdict": "suspicious", "summary": "2/90 engines"},
        "urlhaus": {"verdict": "no_data", "found": False},
    },
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": {
        "virustotal": {"verdict": "clean", "summary": "0/70 engines"}
    },
}


def enrich_report(b: ContractBrowser, page_server: str, **opts: Any) -> dict[str, Any]:
    b.set(verdicts=VERDICTS)
    page = b.open(f"{page_server}/report.html")
    state = click_enrich(b, page, select_element(page, "report"), **opts)
    if opts.get("confirm"):
        state = b.sw("async () => globalThis.sentinelx.whenDone()")
    return {"page": page, "state": state}


def test_real_toolbar_popup_has_its_width_and_renders_results(
    contract: ContractBrowser, page_server: str
) -> None:
    run = enrich_report(contract, page_server, confirm=True)
    assert run["state"]["phase"] == "done", run["state"].get("error")
    popup = contract.real_popup(run["page"])
    popup.wait_for("document.querySelectorAll('li.ioc').length >= 4")
    width = popup.evaluate("Math.round(document.documentElement.getBoundingClientRect().width)")
    inner = popup.evaluate("window.innerWidth")
    assert width >= 440 and inner >= 440, (width, inner)  # it collapsed to 141 px before the CSS fix
    listed = json.loads(
        popup.evaluate("""JSON.stringify(
        [...document.querySelectorAll('li.ioc')].map((l) => [l.dataset.iocValue, l.dataset.badge]))""")
    )
    assert listed[0] == ["185.220.101.47", "malicious"], listed  # malicious first
    assert ["10.20.30.40", "private"] in listed
    assert ["good-cdn.com", "no_data"] in listed  # not found: "No data", never "Clean"
    reason = popup.evaluate("document.querySelector('li.ioc .reason').textContent")
    assert reason == "malicious: VirusTotal 12/73 engines; URLhaus online payload host"
    popup.screenshot(SHOTS / "popup-results.png")
    # Details of the first IOC: per-provider lines; InternetDB is context, not a verdict.
    popup.evaluate("document.querySelector('li.ioc .ioc-row').click()")
    popup.wait_for("document.querySelector('li.provider[data-provider=internetdb]')")
    assert (
        popup.evaluate(
            "document.querySelector('li.provider[data-provider=internetdb] .provider-verdict').textContent"
        )
        == "context"
    )
    assert (
        "Opening a pivot sends" in popup.evaluate("document.querySelector('li.ioc').textContent")
        or popup.evaluate("document.querySelector('details.pivots')") is None
    )  # pivots.js may not have landed
    popup.screenshot(SHOTS / "popup-details.png")


def test_whole_page_reads_the_tab_in_front_not_the_last_source(
    contract: ContractBrowser, page_server: str
) -> None:
    enrich_report(contract, page_server, confirm=True)  # the stored source is tab A (report.html)
    other = contract.open(f"{page_server}/other.html")
    popup = contract.real_popup(other)  # the real click grants activeTab on tab B
    popup.wait_for("document.getElementById('whole-page')")
    popup.evaluate("document.getElementById('whole-page').click()")
    state = contract.sw("""async () => { const s = globalThis.sentinelx.getState();
        return s.source.kind === 'page' ? await globalThis.sentinelx.whenSettled() : null; }""")
    deadline = time.monotonic() + 15
    while (state is None or state["source"].get("kind") != "page") and time.monotonic() < deadline:
        time.sleep(0.1)
        state = contract.sw("async () => globalThis.sentinelx.getState()")
    assert state["source"]["title"] == "Second tab: incident notes", state["source"]
    values = {i["value"] for i in state["iocs"]}
    assert "https://second-tab-c2.example-bad.com/beacon" in values
    assert "185.220.101.47" not in values, "tab A's indicators"


def test_preview_says_what_goes_where_in_the_real_popup(contract: ContractBrowser, page_server: str) -> None:
    run = enrich_report(contract, page_server)
    assert run["state"]["phase"] == "preview"
    popup = contract.real_popup(run["page"])
    popup.wait_for("document.getElementById('preview')")
    text = popup.evaluate("document.getElementById('preview').textContent")
    assert "VirusTotal: 4 to send" in text and "receives" in text
    assert "Estimated time on the current quotas" in text
    assert "10.20.30.40" in popup.evaluate("document.querySelector('.withheld-list').textContent")
    assert contract.requests("enrich") == []
    popup.screenshot(SHOTS / "popup-preview.png")
    popup.evaluate("document.getElementById('confirm-send').click()")
    popup.wait_for("document.querySelectorAll('li.ioc[data-badge=malicious]').length === 1")


def test_triage_keyboard_filters_and_accessibility(contract: ContractBrowser, page_server: str) -> None:
    enrich_report(contract, page_server, confirm=True)
    popup = contract.popup_tab()
    popup.locator("li.ioc").first.wait_for(timeout=15_000)
    assert contract.axe(popup) == []
    # Keyboard: one tab stop into the list, j/k move, c copies, / focuses the search box.
    popup.locator("li.ioc .ioc-row").first.focus()
    popup.keyboard.press("j")
    assert popup.evaluate("document.activeElement.dataset.key") == rows_key(popup, 1)
    popup.keyboard.press("k")
    assert popup.evaluate("document.activeElement.dataset.key") == rows_key(popup, 0)
    popup.keyboard.press("Enter")
    popup.locator("li.ioc .ioc-details:not([hidden]) li.provider").first.wait_for(timeout=5_000)
    assert contract.axe(popup) == [], "with details open"
    popup.keyboard.press("/")
    assert popup.evaluate("document.activeElement.id") == "search"
    popup.keyboard.type("185.220")
    assert popup.locator("li.ioc").count() == 1
    popup.keyboard.press("Escape")
    assert popup.locator("li.ioc").count() >= 4
    popup.click('button[data-count="malicious"]')
    assert popup.locator("li.ioc").count() == 1
    assert popup.get_attribute('button[data-count="malicious"]', "aria-pressed") == "true"
    popup.click('button[data-count="malicious"]')
    # Visible focus: the focused row has an outline.
    popup.locator("li.ioc .ioc-row").first.focus()
    popup.keyboard.press("j")
    outline = popup.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline


def rows_key(popup: Any, n: int) -> str:
    return popup.evaluate(f"document.querySelectorAll('li.ioc .ioc-row')[{n}].dataset.key")


def test_lookup_box_without_a_page(contract: ContractBrowser) -> None:
    contract.set(verdicts=VERDICTS)
    popup = contract.popup_tab()
    popup.wait_for_selector("main#app[aria-busy=false]", timeout=15_000)
    if not popup.is_visible("#lookup-input"):
        popup.click("#lookup-box summary")
    popup.fill("#lookup-input", "185.220.101[.]47\nhxxp://evil-c2[.]example-bad[.]com/gate.php")
    popup.click("#lookup-go")
    popup.locator("#preview, li.ioc").first.wait_for(timeout=15_000)
    assert contract.requests("extract")[-1]["text"].startswith("185.220.101[.]47")


def test_out_of_date_helper_gets_one_instruction(contract: ContractBrowser, page_server: str) -> None:
    contract.set(protocol=None)
    run = enrich_report(contract, page_server)
    assert run["state"]["error"]["kind"] == "host_outdated"
    popup = contract.popup_tab()
    alert = popup.locator("[role=alert][data-error-kind=host_outdated]")
    alert.wait_for(timeout=15_000)
    assert "the helper is out of date: run ./install/install.sh" in alert.inner_text()
    assert "schema" not in alert.inner_text().lower()


def test_a_429_pause_has_a_resume_button_that_resets_the_quota(
    contract: ContractBrowser, page_server: str
) -> None:
    contract.set(paused={"virustotal": "2099-01-01T00:00:00Z"}, delay_ms=300)
    enrich_report(contract, page_server, confirm=True)
    popup = contract.popup_tab()
    button = popup.locator("[role=alert][data-error-kind=paused] #quota-reset")
    button.wait_for(timeout=15_000)
    assert "VirusTotal is paused" in popup.locator("[role=alert]").inner_text()
    screenshot(popup, "popup-progress")
    button.click()
    deadline = time.monotonic() + 10
    while not contract.requests("quota.reset") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert contract.requests("quota.reset")[-1]["provider"] == "virustotal"
    assert contract.host_config()["paused"] == {}


def test_options_generated_from_capabilities(contract: ContractBrowser) -> None:
    page = contract.ctx.new_page()
    page.set_viewport_size({"width": 800, "height": 1000})
    page.goto(f"{EXT_URL}/options.html")
    page.locator("fieldset.provider-card").first.wait_for(timeout=15_000)
    names = page.eval_on_selector_all("fieldset.provider-card", "els => els.map((e) => e.dataset.provider)")
    assert names == ["virustotal", "urlhaus", "internetdb", "nvd"]
    assert page.locator('fieldset[data-provider="internetdb"] input[type=password]').count() == 0, (
        "needs no key"
    )
    assert "context only" in page.inner_text('fieldset[data-provider="internetdb"] legend')
    # A key that does not fit the provider's format: the host's own message, nothing stored.
    page.fill("#key-virustotal", "ключ-тест-1234")
    page.click("#key-save-virustotal")
    page.wait_for_function("() => document.getElementById('st-virustotal').textContent.includes('64 hex')")
    assert page.input_value("#key-virustotal") == "", "the key does not stay in the page"
    good = "ab" * 32
    page.fill("#key-virustotal", good)
    page.click("#key-save-virustotal")
    page.wait_for_function("() => document.getElementById('st-virustotal').textContent.includes('accepted')")
    assert "****abab" in page.inner_text("#ks-virustotal")
    assert good not in page.content()
    assert contract.host_config()["keys"]["virustotal"] == good
    # Enable/disable and quota go to the host; a blank TTL is refused, not saved as 0.
    page.uncheck("#en-urlhaus")
    page.fill("#rpm-urlhaus", "10")
    page.click("#save-urlhaus")
    page.wait_for_function("() => document.getElementById('st-urlhaus').textContent === 'Saved.'")
    settings = contract.host_config()["settings"]
    assert settings["providers.urlhaus.enabled"] is False
    assert settings["providers.urlhaus.requests_per_minute"] == 10
    page.fill("#ttl", "")
    page.click("#cache-save")
    page.wait_for_function("() => document.getElementById('save-status').textContent.includes('enter a')")
    assert "cache.ttl_hours" not in contract.host_config()["settings"]
    storage = json.dumps(
        contract.sw("""async () => ({l: await chrome.storage.local.get(null),
        s: await chrome.storage.session.get(null)})""")
    )
    assert good not in storage
    assert contract.axe(page) == []
    screenshot(page, "options")


def test_host_missing_says_what_to_run(contract: ContractBrowser, page_server: str) -> None:
    (contract.profile / "NativeMessagingHosts" / "com.sentinelx.host.json").unlink()
    run = enrich_report(contract, page_server)
    assert run["state"]["error"]["kind"] == "host_missing", run["state"].get("error")
    popup = contract.popup_tab()
    alert = popup.locator("[role=alert][data-error-kind=host_missing]")
    alert.wait_for(timeout=15_000)
    text = alert.inner_text()
    assert alert.locator("ol.commands code").all_inner_texts() == ["./install/install.sh"]
    assert "`" not in text and "Try again" in text and "restart" not in text.lower()
    screenshot(popup, "popup-host-missing")
