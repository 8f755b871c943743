"""The history page and every export format in real headless Chromium, with the real host.

The history is seeded through the host's own History API (what the engine calls after each
enrich), in the browser's data dirs; the page then reads it over the native port.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import EXT_URL, SHOTS, Browser, screenshot
from tests.support.history_records import many, sample
from tests.unit.test_export_formats import json_validator, misp_load, splunk_lookup_problems, stix_check

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

SEED = """
import json, sys
sys.path.insert(0, sys.argv[1])
from sentinelx.enrichment import store
from sentinelx.enrichment.history import History
from tests.support.history_records import many, sample
conn = store.connect()
h = History(conn, keep_page_url=False)
runs = []
for title, recs in (("Quarterly threat report", many(140)), ("Phishing wave <b>Dec</b>", sample())):
    run = h.start_run(source_title=title, source_url="https://intranet.example/secret", total=len(recs))
    h.record_batch(run, [(r["ioc"], r["combined"], r["results"]) for r in recs])
    runs.append(run)
print(json.dumps(runs))
"""


def seed(browser: Browser) -> list[int]:
    out = subprocess.run([sys.executable, "-c", SEED, str(ROOT)], env=browser.env,
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def open_history(browser: Browser, hash_: str = "") -> Any:
    page = browser.ctx.new_page()
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{EXT_URL}/history.html{hash_}")
    page.wait_for_function("() => globalThis.historyReady !== undefined", timeout=15_000)
    page.evaluate("() => globalThis.historyReady.then(() => true)")
    return page


def rows(page: Any) -> list[str]:
    return page.locator("#rows-body td.value code").all_inner_texts()


AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"


def axe_serious(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (evaluated over CDP: the
    extension's CSP rightly refuses an injected <script>). axe-core comes with the extension
    work's test dependencies (tests/package.json)."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed in tests/node_modules")
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;true")
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}));
    }""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def scope_starts(page: Any, text: str) -> None:
    page.wait_for_function("(t) => document.getElementById('scope').textContent.startsWith(t)",
                           arg=text)


def download(page: Any, button: str) -> tuple[str, str]:
    with page.expect_download(timeout=30_000) as d:
        page.click(button)
    path = d.value.path()
    return d.value.suggested_filename, Path(path).read_text("utf-8")


def test_history_page_lists_filters_reopens_exports_and_forgets(browser: Browser) -> None:
    runs = seed(browser)
    page = open_history(browser)
    # Newest first, in pages of 100; the page title is shown, never the URL (off by default).
    assert len(rows(page)) == 100
    assert rows(page)[0] == "CVE-2021-44228"
    assert "149 matching lookups" in page.inner_text("#scope")
    assert "Phishing wave <b>Dec</b>" in page.inner_text("#rows-body")  # as text, not markup
    assert page.locator("#rows-body b").count() == 0
    assert "intranet.example" not in page.content()
    assert page.is_checked("#keep-url") is False
    page.click("#more")
    page.wait_for_function("() => document.querySelectorAll('#rows-body tr').length === 149")
    assert page.is_hidden("#more")
    page.evaluate("() => window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "history-list.png"))  # the first screen, not 149 rows

    # Filters: verdict, type, search (debounced as you type); keyboard only.
    every = [*many(140), *sample()]
    mal = [r for r in every if r["combined"]["verdict"] == "malicious"]
    mal_domains = [r["ioc"]["value"] for r in mal if r["ioc"]["type"] == "domain"]
    found = sorted(v for v in mal_domains if "host12" in v)
    page.check("input[name=verdict][value=malicious]")
    scope_starts(page, f"{len(mal)} matching")
    page.select_option("#type", "domain")
    scope_starts(page, f"{len(mal_domains)} matching")
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "search"
    page.keyboard.type("host12")
    scope_starts(page, f"{len(found)} matching")
    assert sorted(rows(page)) == found and found
    screenshot(page, "history-filtered")

    # Export what the filter shows, in each format, as a download.
    outputs = {}
    for fmt in ("csv", "json", "stix", "misp", "markdown", "text"):
        page.select_option("#format", fmt)
        name, content = download(page, "#export-download")
        outputs[fmt] = (name, content)
        page.wait_for_function(f"() => document.getElementById('status').textContent"
                               f".startsWith('Saved {len(found)}')")
    name, content = outputs["csv"]
    assert name.endswith(".csv") and splunk_lookup_problems(content.encode(), name) == []
    assert sorted(r["indicator"] for r in csv.DictReader(io.StringIO(content, newline=""))) == found
    json_validator().validate(json.loads(outputs["json"][1]))
    indicators = [o for o in stix_check(outputs["stix"][1])["objects"] if o["type"] == "indicator"]
    assert sorted(o["name"] for o in indicators) == found
    assert sorted(a.value for a in misp_load(outputs["misp"][1]).attributes) == found
    defanged = found[0].replace(".", "[.]")
    assert defanged in outputs["markdown"][1]
    assert f"{defanged}\tdomain\tmalicious" in outputs["text"][1]

    # Reset, select two rows by keyboard, export only them.
    page.click("#reset")
    scope_starts(page, "149 matching")
    first = page.locator("#rows-body input[type=checkbox]").nth(0)
    first.focus()
    page.keyboard.press("Space")
    page.locator("#rows-body input[type=checkbox]").nth(1).check()
    assert page.inner_text("#scope").startswith("2 selected")
    page.select_option("#format", "text")
    _, text = download(page, "#export-download")
    assert [line.split("\t")[0] for line in text.splitlines()] == [  # oldest first
        "phish[@]bad[.]example", "CVE-2021-44228"]

    # Reopen a run: every record with each provider's answer.
    page.locator("#rows-body button", has_text=f"#{runs[1]}").first.click()
    page.wait_for_selector("#run-view:not([hidden])")
    assert page.inner_text("#run-title") == f"Run #{runs[1]}: 9 indicators"
    assert "virustotal: malicious, 12/73 engines" in page.inner_text("#run-records")
    assert "urlhaus: error: rate_limited" in page.inner_text("#run-records")
    assert page.evaluate("() => location.hash") == f"#run={runs[1]}"
    screenshot(page, "history-run")
    name, content = download(page, "#run-download")
    assert "CVE-2021-44228" in content
    page.keyboard.press("Escape")
    page.wait_for_selector("#list-view:not([hidden])")

    # Delete the selection, then clear everything (two presses).
    page.click("#delete-selected")
    scope_starts(page, "147 matching")
    page.click("#clear-all")
    assert page.inner_text("#clear-all") == "Press again to clear everything"
    page.click("#clear-all")
    scope_starts(page, "0 matching")
    assert page.is_visible("#empty")
    page.close()


def test_history_page_accessibility(browser: Browser) -> None:
    runs = seed(browser)
    page = open_history(browser)
    page.locator("#rows-body input[type=checkbox]").first.check()
    assert axe_serious(page) == [], "the list"
    page.locator("#rows-body button", has_text=f"#{runs[1]}").first.click()
    page.wait_for_selector("#run-view:not([hidden])")
    assert axe_serious(page) == [], "a reopened run"
    page.close()


def test_run_link_and_keep_url_setting(browser: Browser) -> None:
    runs = seed(browser)
    page = open_history(browser, f"#run={runs[1]}")
    assert page.is_visible("#run-view") and "Phishing wave <b>Dec</b>" in page.inner_text("#run-source")
    page.keyboard.press("Escape")
    page.check("#keep-url")
    page.wait_for_function("() => document.getElementById('status').textContent.includes('will be kept')")
    cfg = json.loads((browser.dirs / "config" / "config.json").read_text())
    assert cfg["history.keep_page_url"] is True
    page.close()
    opts = browser.ctx.new_page()
    opts.goto(f"{EXT_URL}/options.html")
    opts.click("text=Past lookups and exports (history)")
    opts.wait_for_url(f"{EXT_URL}/history.html")
    opts.close()
