"""End to end in real headless Chromium: page selection -> extension -> REAL host -> fake
providers on 127.0.0.1 (VirusTotal, URLhaus, GreyNoise, InternetDB) -> popup."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import (
    API_KEY,
    C2_URL,
    EXT_URL,
    Browser,
    ProviderFakes,
    click_enrich,
    needs_wave2_host,
    select_element,
)
from tests.support.fakevt import STATS, FakeVT

pytestmark = [pytest.mark.e2e, needs_wave2_host]

MALICIOUS = ("ipv4", "185.220.101.47")
CLEAN = ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
UNKNOWN = ("domain", "good-cdn.com")
PRIVATE = ("ipv4", "10.20.30.40")


def item(popup, ioc: tuple[str, str]):
    return popup.locator(f'li.ioc[data-ioc-type="{ioc[0]}"][data-ioc-value="{ioc[1]}"]')


def set_key_in_options(browser: Browser, key: str) -> None:
    """Store the key the way a user does: the options page, which hands it to the host."""
    page = browser.ctx.new_page()
    page.goto(f"{EXT_URL}/options.html")
    page.fill("#key-virustotal", key)
    page.click("#key-save-virustotal")
    page.wait_for_function(
        "(tail) => document.getElementById('ks-virustotal').textContent.includes(tail)",
        arg=key[-4:], timeout=15_000,
    )
    assert key not in page.content()
    page.close()


def test_selection_to_badges(browser: Browser, fake_vt: FakeVT, fakes: ProviderFakes,
                             page_server: str) -> None:
    set_key_in_options(browser, API_KEY)
    assert fake_vt.paths() == ["/api/v3/metadata"], "saving the key checks it, once"
    fake_vt.requests.clear()

    page = browser.open(f"{page_server}/report.html")
    selection = select_element(page, "report")
    state = click_enrich(browser, page, selection)
    assert state["phase"] == "preview", state.get("error")

    popup = browser.popup()
    # The privacy preview lists exactly what would go to VirusTotal, and nothing went yet.
    preview = popup.locator("#preview")
    preview.wait_for(timeout=15_000)
    listed = preview.inner_text()
    assert "185.220.101.47" in listed and "10.20.30.40" not in listed.split("Not sent")[0]
    # What each source receives, from the host's `previewed` reply.
    for name in ("VirusTotal", "URLhaus", "GreyNoise"):
        assert name in preview.locator("ul.preview-providers").inner_text(), name
    assert fake_vt.paths() == [] and fakes.urlhaus.requests == [] and fakes.greynoise.requests == []
    popup.click("#confirm-send")
    final = browser.sw("async () => { await globalThis.sentinelx.whenDone(); "
                       "return globalThis.sentinelx.getState(); }")
    assert final["phase"] == "done", json.dumps(final)[:2000]
    popup.wait_for_function("() => !document.querySelector('li.ioc[data-badge=queued]')",
                            timeout=15_000)
    expectations = {
        MALICIOUS: ("malicious", "Malicious"),
        CLEAN: ("clean", "Clean"),
        UNKNOWN: ("no_data", "No data"),
        PRIVATE: ("private", "Private (not sent)"),
    }
    for ioc, (badge, label) in expectations.items():
        li = item(popup, ioc)
        assert li.get_attribute("data-badge") == badge, ioc
        assert li.locator(".badge").inner_text().strip() == label, ioc
    stats = STATS["malicious"]  # what the fake serves; engines that timed out gave no result
    ratio = f"{stats['malicious']}/{sum(n for k, n in stats.items() if k != 'timeout')}"
    # The combined reason names every provider that found it malicious, with its own summary.
    reason = item(popup, MALICIOUS).locator(".reason").inner_text()
    assert reason.startswith("malicious:") and "VirusTotal" in reason and ratio in reason, reason
    assert "GreyNoise" in reason, reason
    c2 = item(popup, ("url", C2_URL))
    assert c2.get_attribute("data-badge") == "malicious"
    assert "URLhaus" in c2.locator(".reason").inner_text()
    item(popup, MALICIOUS).locator(".ioc-row").click()
    vt = item(popup, MALICIOUS).locator('li.provider[data-provider="virustotal"]')
    vt_link = vt.locator("a.ext-link").get_attribute("href")
    assert vt_link == "https://www.virustotal.com/gui/ip-address/185.220.101.47"
    for name in ("greynoise", "internetdb", "urlhaus"):
        assert item(popup, MALICIOUS).locator(f'li.provider[data-provider="{name}"]').count() == 1, name
    # File names on real TLDs are not indicators.
    assert popup.locator('li.ioc[data-ioc-value="setup.py"]').count() == 0
    assert popup.locator('li.ioc[data-ioc-value="invoice.pdf"]').count() == 0
    # Text outside the selection was not read.
    assert popup.locator('li.ioc[data-ioc-value="8.8.8.8"]').count() == 0

    sent = fake_vt.paths()
    assert sent, "nothing reached the fake VirusTotal"
    assert not any("10.20.30.40" in p for p in sent), sent
    assert not any("8.8.8.8" in p for p in sent), sent
    assert all(r.headers.get("x-apikey") == API_KEY for r in fake_vt.api_requests())
    assert [r.path for r in fakes.internetdb.requests] == ["/185.220.101.47"]
    assert not any("10.20.30.40" in r.path for r in fakes.greynoise.requests)
    assert any(r.form().get("url") == C2_URL for r in fakes.urlhaus.requests)
    dump = browser.storage_dump()
    assert API_KEY not in dump and API_KEY[-12:] not in dump


def test_progress_mid_queue_and_cancel(browser: Browser, fake_vt: FakeVT, page_server: str) -> None:
    browser.sentinelx("config", "set-key", stdin=API_KEY + "\n")
    browser.sentinelx("config", "set", "vt.requests_per_minute", "1")
    page = browser.open(f"{page_server}/report.html")
    state = click_enrich(browser, page, select_element(page, "report"), confirm=True)
    assert state["phase"] in {"enriching", "done"}, state.get("error")
    popup = browser.popup()
    popup.wait_for_function(
        "() => /next lookup in/i.test(document.querySelector('section.progress')?.textContent ?? '')",
        timeout=30_000,
    )
    assert popup.locator("li.ioc[data-badge=queued]").count() >= 1
    popup.click("#cancel")
    popup.wait_for_function("() => !document.querySelector('#cancel')", timeout=15_000)
    assert popup.locator("li.ioc[data-badge=queued]").count() == 0
    assert len(fake_vt.paths()) == 1  # one lookup at 1/min; cancel stopped the rest


def test_hostile_selection_renders_as_text(browser: Browser, page_server: str) -> None:
    page = browser.open(f"{page_server}/hostile.html")
    selection = select_element(page, "report")
    assert "<img src=x onerror=" in selection
    click_enrich(browser, page, selection)
    popup = browser.popup()
    popup.locator("li[data-ioc-value]").first.wait_for(timeout=15_000)
    # The page title, which is attacker-chosen markup, is shown as literal text.
    assert "<img src=x onerror=" in popup.locator("p.source").inner_text()
    assert popup.locator("main img, main script").count() == 0
    assert popup.evaluate("document.documentElement.dataset.pwned") is None
    assert page.evaluate("document.documentElement.dataset.pwned") is None


def test_oversized_selection_gets_a_clear_message(browser: Browser, page_server: str) -> None:
    page = browser.open(f"{page_server}/report.html")
    limits = browser.sw("async () => globalThis.sentinelx.host.getLimits()")
    too_big = limits["max_text_bytes"] + 1
    state = click_enrich(browser, page, "1.2.3.4 " * (too_big // 8 + 1))
    assert state["error"]["kind"] == "text_too_large"
    popup = browser.popup()
    alert = popup.locator("[role=alert][data-error-kind=text_too_large]")
    alert.wait_for(timeout=15_000)
    assert "MB" in alert.inner_text() or "bytes" in alert.inner_text()


def test_host_missing_shows_install_instructions(browser: Browser, page_server: str) -> None:
    browser.manifest().unlink()
    page = browser.open(f"{page_server}/report.html")
    state = click_enrich(browser, page, select_element(page, "report"))
    assert state["error"]["kind"] == "host_missing", json.dumps(state.get("error"))
    popup = browser.popup()
    alert = popup.locator("[role=alert][data-error-kind=host_missing]")
    alert.wait_for(timeout=15_000)
    text = alert.inner_text()
    assert "./install/install.sh" in text and "`" not in text and "Try again" in text
    assert "not installed" in alert.locator("h2").inner_text()
    commands = alert.locator("ol.commands code").all_inner_texts()
    assert commands == ["./install/install.sh"]
    # The browser's raw message is at most a secondary detail, never the explanation.
    raw = "Specified native messaging host not found"
    assert raw not in alert.locator("h2").inner_text() + alert.locator("p").first.inner_text()
