"""The popup and the options page in real headless Chromium, against the REAL host.

The host answers from fake providers on 127.0.0.1 (VirusTotal, URLhaus, GreyNoise, InternetDB;
tests/e2e/conftest.py). The real toolbar popup is opened with CDP Extensions.triggerAction
(tests/e2e/cdp_popup.py), so its width is the real one; keyboard and accessibility checks run
on popup.html in a tab. Only what the real host cannot be driven into (an out-of-date protocol)
still uses the stand-in tests/e2e/contract_host.py.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.e2e.conftest import (
    API_KEY,
    EXT_URL,
    SHOTS,
    Browser,
    ContractBrowser,
    ProviderFakes,
    click_enrich,
    screenshot,
    select_element,
)
from tests.support.fakevt import FakeVT

pytestmark = pytest.mark.e2e


def enrich_report(b: Browser, page_server: str, **opts: Any) -> dict[str, Any]:
    b.sentinelx("config", "set-key", "--no-verify", stdin=API_KEY + "\n")
    page = b.open(f"{page_server}/report.html")
    state = click_enrich(b, page, select_element(page, "report"), **opts)
    if opts.get("confirm"):
        state = b.sw("async () => globalThis.sentinelx.whenDone()")
    return {"page": page, "state": state}


def test_real_toolbar_popup_has_its_width_and_renders_results(browser: Browser, page_server: str) -> None:
    run = enrich_report(browser, page_server, confirm=True)
    assert run["state"]["phase"] == "done", run["state"].get("error")
    popup = browser.real_popup(run["page"])
    popup.wait_for("document.querySelectorAll('li.ioc').length >= 5")
    width = popup.evaluate("Math.round(document.documentElement.getBoundingClientRect().width)")
    inner = popup.evaluate("window.innerWidth")
    assert width >= 440 and inner >= 440, (width, inner)  # it collapsed to 141 px before the CSS fix
    listed = json.loads(
        popup.evaluate("""JSON.stringify(
        [...document.querySelectorAll('li.ioc')].map((l) => [l.dataset.iocValue, l.dataset.badge]))""")
    )
    assert listed[0] == ["185.220.101.47", "malicious"], listed  # malicious first
    assert ["http://evil-c2.example-bad.com/gate.php", "malicious"] in listed
    assert ["10.20.30.40", "private"] in listed
    assert ["good-cdn.com", "no_data"] in listed  # not found: "No data", never "Clean"
    reason = popup.evaluate("document.querySelector('li.ioc .reason').textContent")
    assert reason == "malicious: VirusTotal 12/73 engines; GreyNoise malicious scanner", reason
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
    assert "Opening a pivot sends" in popup.evaluate("document.querySelector('li.ioc').textContent")
    popup.screenshot(SHOTS / "popup-details.png")


def test_pivots_follow_the_user_settings(browser: Browser, page_server: str) -> None:
    """A service turned off and a custom template (options page) show in the popup's menu."""
    enrich_report(browser, page_server, confirm=True)
    options = browser.ctx.new_page()
    options.goto(f"{EXT_URL}/options.html")
    options.locator("#pivot-list input[type=checkbox]").first.wait_for(timeout=15_000)
    first = options.locator("#pivot-list input[type=checkbox]").first
    off_name = first.get_attribute("data-name")
    first.uncheck()
    options.fill("#pivot-name", "My lookup")
    options.check("#pivot-type-ipv4")
    options.fill("#pivot-template", "https://lookup.example/ip/{value}")
    options.click("#pivot-add")
    options.wait_for_function("() => document.getElementById('pivot-status').textContent.includes('Added')")
    popup = browser.popup_tab()
    popup.locator("li.ioc").first.wait_for(timeout=15_000)
    popup.evaluate("document.querySelector('li.ioc .ioc-row').click()")
    popup.wait_for_function("() => document.querySelector('li.ioc details.pivots')")
    links = popup.evaluate("""[...document.querySelectorAll('li.ioc details.pivots a')]
        .map((a) => [a.textContent, a.href])""")
    assert ["My lookup", "https://lookup.example/ip/185.220.101.47"] in [list(x) for x in links], links
    assert off_name not in [x[0] for x in links], (off_name, links)


def test_whole_page_reads_the_tab_in_front_not_the_last_source(browser: Browser, page_server: str) -> None:
    enrich_report(browser, page_server, confirm=True)  # the stored source is tab A (report.html)
    other = browser.open(f"{page_server}/other.html")
    popup = browser.real_popup(other)  # the real click grants activeTab on tab B
    popup.wait_for("document.getElementById('whole-page')")
    popup.evaluate("document.getElementById('whole-page').click()")
    state = browser.sw("""async () => { const s = globalThis.sentinelx.getState();
        return s.source.kind === 'page' ? await globalThis.sentinelx.whenSettled() : null; }""")
    deadline = time.monotonic() + 15
    while (state is None or state["source"].get("kind") != "page") and time.monotonic() < deadline:
        time.sleep(0.1)
        state = browser.sw("async () => globalThis.sentinelx.getState()")
    assert state["source"]["title"] == "Second tab: incident notes", state["source"]
    values = {i["value"] for i in state["iocs"]}
    assert "https://second-tab-c2.example-bad.com/beacon" in values
    assert "185.220.101.47" not in values, "tab A's indicators"


def test_preview_says_what_goes_where_in_the_real_popup(
    browser: Browser, fake_vt: FakeVT, fakes: ProviderFakes, page_server: str
) -> None:
    run = enrich_report(browser, page_server)
    assert run["state"]["phase"] == "preview"
    popup = browser.real_popup(run["page"])
    popup.wait_for("document.getElementById('preview')")
    text = popup.evaluate("document.getElementById('preview').textContent")
    assert "VirusTotal: 4 to send" in text and "receives" in text, text
    assert "URLhaus: 4 to send" in text and "GreyNoise: 1 to send" in text, text
    assert "Estimated time on the current quotas" in text
    assert "10.20.30.40" in popup.evaluate("document.querySelector('.withheld-list').textContent")
    assert fake_vt.api_requests() == [] and fakes.urlhaus.requests == []
    popup.screenshot(SHOTS / "popup-preview.png")
    popup.evaluate("document.getElementById('confirm-send').click()")
    popup.wait_for("document.querySelectorAll('li.ioc[data-badge=malicious]').length === 2")
    # The history run is named after the page (enrich's source_title).
    runs = browser.sentinelx("history", "--json").stdout
    assert "APT-X quarterly threat report" in runs


def test_triage_keyboard_filters_and_accessibility(browser: Browser, page_server: str) -> None:
    enrich_report(browser, page_server, confirm=True)
    popup = browser.popup_tab()
    popup.locator("li.ioc").first.wait_for(timeout=15_000)
    assert browser.axe(popup) == []
    # Keyboard: one tab stop into the list, j/k move, c copies, / focuses the search box.
    popup.locator("li.ioc .ioc-row").first.focus()
    popup.keyboard.press("j")
    assert popup.evaluate("document.activeElement.dataset.key") == rows_key(popup, 1)
    popup.keyboard.press("k")
    assert popup.evaluate("document.activeElement.dataset.key") == rows_key(popup, 0)
    popup.keyboard.press("Enter")
    popup.locator("li.ioc .ioc-details:not([hidden]) li.provider").first.wait_for(timeout=5_000)
    assert browser.axe(popup) == [], "with details open"
    popup.keyboard.press("/")
    assert popup.evaluate("document.activeElement.id") == "search"
    popup.keyboard.type("185.220")
    assert popup.locator("li.ioc").count() == 1
    popup.keyboard.press("Escape")
    assert popup.locator("li.ioc").count() >= 5
    popup.click('button[data-count="malicious"]')
    assert popup.locator("li.ioc").count() == 2
    assert popup.get_attribute('button[data-count="malicious"]', "aria-pressed") == "true"
    popup.click('button[data-count="malicious"]')
    # Visible focus: the focused row has an outline.
    popup.locator("li.ioc .ioc-row").first.focus()
    popup.keyboard.press("j")
    outline = popup.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline


def rows_key(popup: Any, n: int) -> str:
    return popup.evaluate(f"document.querySelectorAll('li.ioc .ioc-row')[{n}].dataset.key")


def test_lookup_box_without_a_page(browser: Browser) -> None:
    popup = browser.popup_tab()
    popup.wait_for_selector("main#app[aria-busy=false]", timeout=15_000)
    if not popup.is_visible("#lookup-input"):
        popup.click("#lookup-box summary")
    popup.fill("#lookup-input", "185.220.101[.]47\nhxxp://evil-c2[.]example-bad[.]com/gate.php")
    popup.click("#lookup-go")
    popup.locator("#preview, li.ioc").first.wait_for(timeout=15_000)
    state = browser.sw("async () => globalThis.sentinelx.getState()")
    assert state["source"]["kind"] == "typed"
    assert [i["value"] for i in state["iocs"]] == ["185.220.101.47", "http://evil-c2.example-bad.com/gate.php"]


def test_out_of_date_helper_gets_one_instruction(contract: ContractBrowser, page_server: str) -> None:
    """The stand-in host: the real one cannot be made to speak an older protocol."""
    contract.set(protocol=None)
    page = contract.open(f"{page_server}/report.html")
    run = {"state": click_enrich(contract, page, select_element(page, "report"))}
    assert run["state"]["error"]["kind"] == "host_outdated"
    popup = contract.popup_tab()
    alert = popup.locator("[role=alert][data-error-kind=host_outdated]")
    alert.wait_for(timeout=15_000)
    assert "the helper is out of date: run ./install/install.sh" in alert.inner_text()
    assert "schema" not in alert.inner_text().lower()


def test_a_429_pause_has_a_resume_button_that_resets_the_quota(
    browser: Browser, fake_vt: FakeVT, page_server: str
) -> None:
    """VirusTotal answers 429: the host pauses it, the popup says so and its button resumes it."""
    fake_vt.program("quota", times=1)
    run = enrich_report(browser, page_server)  # not to the end: the paused lane waits
    browser.sw("async (keys) => globalThis.sentinelx.confirm(keys)", run["state"]["plan"])
    popup = browser.popup_tab()
    button = popup.locator("[role=alert][data-error-kind=paused] #quota-reset")
    button.wait_for(timeout=30_000)
    assert "VirusTotal is paused" in popup.locator("[role=alert]").inner_text()
    screenshot(popup, "popup-progress")
    button.click()
    deadline = time.monotonic() + 15
    paused = browser.sentinelx("providers", "--json").stdout
    while time.monotonic() < deadline and json.loads(paused)[0].get("paused_until"):
        time.sleep(0.2)
        paused = browser.sentinelx("providers", "--json").stdout
    vt = next(p for p in json.loads(paused) if p["name"] == "virustotal")
    assert not vt.get("paused_until"), vt


def test_options_generated_from_capabilities(browser: Browser, fake_vt: FakeVT) -> None:
    page = browser.ctx.new_page()
    page.set_viewport_size({"width": 800, "height": 1000})
    page.goto(f"{EXT_URL}/options.html")
    page.locator("fieldset.provider-card").first.wait_for(timeout=15_000)
    names = page.eval_on_selector_all("fieldset.provider-card", "els => els.map((e) => e.dataset.provider)")
    listed = [p["name"] for p in json.loads(browser.sentinelx("providers", "--json").stdout)]
    assert names == listed and "internetdb" in names and "misp" in names, names
    assert page.locator('fieldset[data-provider="internetdb"] input[type=password]').count() == 0, (
        "needs no key"
    )
    assert "context only" in page.inner_text('fieldset[data-provider="internetdb"] legend')
    # A key that does not fit the provider's format: the host's own message, nothing stored.
    page.fill("#key-virustotal", "ключ-тест-1234")
    page.click("#key-save-virustotal")
    page.wait_for_function(
        "() => document.getElementById('st-virustotal').textContent.includes('printable ASCII')")
    assert page.input_value("#key-virustotal") == "", "the key does not stay in the page"
    page.fill("#key-virustotal", "not-a-vt-key-0123")
    page.click("#key-save-virustotal")
    page.wait_for_function("() => document.getElementById('st-virustotal').textContent.includes('64 hex')")
    assert fake_vt.paths() == [], "a key refused on its format is not sent anywhere"
    page.fill("#key-virustotal", API_KEY)
    page.click("#key-save-virustotal")
    page.wait_for_function("() => document.getElementById('st-virustotal').textContent.includes('accepted')")
    assert f"****{API_KEY[-4:]}" in page.inner_text("#ks-virustotal")
    assert API_KEY not in page.content()
    assert fake_vt.paths() == ["/api/v3/metadata"], "the key was checked against the (fake) provider"
    # Enable/disable and quota go to the host; a blank TTL is refused, not saved as 0.
    page.uncheck("#en-urlhaus")
    page.fill("#rpm-urlhaus", "10")
    page.click("#save-urlhaus")
    page.wait_for_function("() => document.getElementById('st-urlhaus').textContent === 'Saved.'")
    assert browser.setting("providers.urlhaus.enabled") is False
    assert browser.setting("providers.urlhaus.requests_per_minute") == 10
    # A provider's own settings, listed by the host: VirusTotal's threshold, your MISP's address.
    page.fill("#set-virustotal-malicious_threshold", "5")
    page.click("#save-virustotal")
    page.wait_for_function("() => document.getElementById('st-virustotal').textContent === 'Saved.'")
    assert browser.setting("providers.virustotal.malicious_threshold") == 5
    page.fill("#set-misp-base_url", "https://misp.example.org")
    page.click("#save-misp")
    page.wait_for_function("() => document.getElementById('st-misp').textContent === 'Saved.'")
    assert browser.setting("providers.misp.base_url") == "https://misp.example.org"
    assert page.locator("#set-misp-ca_bundle").count() == 0, "local-only: not offered to the browser"
    page.fill("#ttl", "")
    page.click("#cache-save")
    page.wait_for_function("() => document.getElementById('save-status').textContent.includes('enter a')")
    storage = browser.storage_dump()
    assert API_KEY not in storage
    assert browser.axe(page) == []
    screenshot(page, "options")


def test_host_missing_says_what_to_run(browser: Browser, page_server: str) -> None:
    browser.manifest().unlink()
    run = enrich_report(browser, page_server)
    assert run["state"]["error"]["kind"] == "host_missing", run["state"].get("error")
    popup = browser.popup_tab()
    alert = popup.locator("[role=alert][data-error-kind=host_missing]")
    alert.wait_for(timeout=15_000)
    text = alert.inner_text()
    assert alert.locator("ol.commands code").all_inner_texts() == ["./install/install.sh"]
    assert "`" not in text and "Try again" in text and "restart" not in text.lower()
    screenshot(popup, "popup-host-missing")


def big_report(n: int) -> str:
    lines = (f"Host c2-{i}.bench-bad[.]com talked to 45.{i // 250 % 250}.{i % 250}.9" for i in range(n // 2))
    return "\n".join(lines)


def press(popup: Any, key: str, code: int) -> None:
    """A real key press in the real popup (CDP Input, as the keyboard sends it)."""
    for kind in ("rawKeyDown", "keyUp"):
        event = {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code}
        popup.send("Input.dispatchKeyEvent", event)


def test_a_long_list_in_the_real_popup_is_virtual_and_keyboard_reaches_every_row(
    contract: ContractBrowser, page_server: str
) -> None:
    """3,000 IOCs in the real toolbar popup: only the rows in view are in the DOM, End reaches the
    last one, scrolling draws the ones in view, and an open row pushes the rows below it down."""
    n = 3000
    bad = range(0, n // 2, 50)
    contract.set(verdicts={f"c2-{i}.bench-bad.com": {"virustotal": "malicious"} for i in bad})
    contract.sw("chrome.storage.local.set({'sx.prefs': {previewMode: 'never'}})")
    contract.sw("(t) => { globalThis.sentinelx.enrichText(t, {kind: 'text'}); }", big_report(n))
    contract.sw("async () => globalThis.sentinelx.whenDone()")
    state = contract.sw("async () => globalThis.sentinelx.getState()")
    assert len(state["iocs"]) == n and state["phase"] == "done"
    page = contract.open(f"{page_server}/report.html")
    popup = contract.real_popup(page)
    popup.wait_for("document.querySelectorAll('li.ioc').length > 5")
    assert popup.evaluate("innerWidth") >= 440
    rows = popup.evaluate("document.querySelectorAll('li.ioc').length")
    in_view = popup.evaluate("Math.ceil(innerHeight / 50)")
    assert in_view <= rows <= in_view + 20, (rows, in_view)
    assert popup.evaluate("document.getElementById('ioc-list').getBoundingClientRect().height") == n * 50
    assert popup.evaluate("document.querySelector('li.ioc').dataset.badge") == "malicious"
    # The keyboard: End draws the last row, focuses it and scrolls it into view.
    popup.evaluate("document.querySelector('li.ioc .ioc-row').focus()")
    press(popup, "End", 35)
    popup.wait_for("document.activeElement.closest('li')?.getAttribute('aria-posinset') === '3000'")
    popup.wait_for("(() => { const r = document.activeElement.getBoundingClientRect();"
                   " return r.top >= 0 && r.bottom <= innerHeight; })()")
    press(popup, "Home", 36)
    popup.wait_for("document.activeElement.closest('li')?.getAttribute('aria-posinset') === '1'")
    # Scrolling draws the rows in view (and only those).
    popup.evaluate("scrollTo(0, document.getElementById('ioc-list').offsetTop + 1500 * 50)")
    popup.wait_for("[...document.querySelectorAll('li.ioc')].some((l) => l.ariaPosInSet === '1501')")
    assert popup.evaluate("document.querySelectorAll('li.ioc').length") <= in_view + 20
    # Details open in place; the ResizeObserver measures them and the next row moves below.
    popup.evaluate("""(() => { const li = [...document.querySelectorAll('li.ioc')]
        .find((l) => l.ariaPosInSet === '1501'); li.querySelector('.ioc-row').click(); })()""")
    popup.wait_for("""(() => { const items = [...document.querySelectorAll('li.ioc')];
        const a = items.find((l) => l.getAttribute('aria-posinset') === '1501');
        const b = items.find((l) => l.getAttribute('aria-posinset') === '1502');
        const ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
        return a.querySelector('li.provider') && ra.height > 100 && Math.abs(rb.top - ra.bottom) < 1; })()""")
    # The same long list in a tab: axe-core finds nothing serious, with a row open.
    tab = contract.popup_tab()
    tab.locator("li.ioc").first.wait_for(timeout=15_000)
    tab.locator("li.ioc .ioc-row").first.click()
    tab.locator("li.ioc .ioc-details:not([hidden]) li.provider").first.wait_for(timeout=5_000)
    assert contract.axe(tab) == []
