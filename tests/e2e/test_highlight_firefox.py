"""On-page highlights in real headless Firefox ESR (web-ext + WebDriver BiDi).

The same checks as test_highlight_chromium.py: the ranges painted on a report page, on a page
whose IOCs are split across elements and on a hostile page; the card (closed shadow root); what
the page's own scripts can see. The host extracts for real; verdicts are streamed into the
session as the wave-2 host sends them (see highlight_firefox_support.HlFirefox.stream).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.e2e.highlight_firefox_support import (
    HlFirefox,
    hl_firefox_fixture,  # noqa: F401  (the hl_firefox fixture)
)
from tests.e2e.highlight_support import CLEAN_HASH, MALICIOUS_IP, PAGE_VIEW, no_verdicts

pytestmark = pytest.mark.firefox
NAME = re.compile(r"^sx-[0-9a-f]{20}$")
IP_KEY = f"ipv4:{MALICIOUS_IP}"
ESCAPE = "\ue00c"


def groups(stats: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for p in stats["painted"]:
        out.setdefault(p["key"], set()).add((p["group"], p["text"]))
    return out


def view(ff: HlFirefox) -> dict[str, Any]:
    return ff.page(f"return ({PAGE_VIEW})();")


def enrich(ff: HlFirefox, url: str) -> dict[str, Any]:
    ff.goto(url)
    state = ff.enrich_selection("report")
    assert state["phase"] == "preview", state
    first = ff.stats()
    assert {p["group"] for p in first["painted"]} == {"other"}
    ff.stream([IP_KEY])
    live = groups(ff.stats(until=IP_KEY))
    assert live[IP_KEY] == {("malicious", "185.220.101[.]47")}
    assert live["domain:bad-actor.com"] == {("pending", "bad-actor[.]com")}
    ff.stream()
    return ff.stats(settled=True)


def range_centre(ff: HlFirefox, text: str) -> tuple[float, float]:
    point = ff.page(f"""
        for (const h of CSS.highlights.values()) for (const r of h) {{
            const live = document.createRange();
            live.setStart(r.startContainer, r.startOffset);
            live.setEnd(r.endContainer, r.endOffset);
            if (live.toString().toLowerCase() !== {json.dumps(text.lower())}) continue;
            const rect = live.getClientRects()[0];
            return [rect.left + Math.min(rect.width / 2, 20), rect.top + rect.height / 2];
        }}
        return null;""")
    assert point is not None, f"no painted range reads {text!r}"
    return point[0], point[1]


def hover(ff: HlFirefox, text: str) -> None:
    ff.move_to(1, 1)
    ff.move_to(*range_centre(ff, text))


def test_report_page(hl_firefox: HlFirefox, page_server: str) -> None:
    stats = enrich(hl_firefox, f"{page_server}/highlight-report.html")
    assert stats["stats"]["mode"] == "highlight"  # Firefox ESR 140+ has CSS.highlights
    got = groups(stats)
    assert got[IP_KEY] == {("malicious", "185.220.101[.]47")}
    assert sum(1 for p in stats["painted"] if p["key"] == IP_KEY) == 2
    assert got[f"sha256:{CLEAN_HASH}"] == {("clean", CLEAN_HASH.upper())}
    assert got["domain:bad-actor.com"] == {("suspicious", "bad-actor[.]com")}
    assert got["ipv4:10.20.30.40"] == {("other", "10.20.30.40")}
    v = view(hl_firefox)
    assert v["names"] and all(NAME.match(n) for n in v["names"]), v["names"]
    assert sorted(r["text"] for r in v["ranges"]) == sorted(p["text"] for p in stats["painted"])
    assert no_verdicts(json.dumps(v["names"]) + v["sheets"] + v["html"]) == []

    hover(hl_firefox, "185.220.101[.]47")
    stats = hl_firefox.stats()
    assert stats["card"] == IP_KEY
    assert "Malicious" in stats["cardText"] and "VirusTotal 12/73 engines" in stats["cardText"]
    v = view(hl_firefox)
    assert len(v["hosts"]) == 1 and v["hosts"][0]["shadow"] is None
    assert no_verdicts(json.dumps(v["hosts"]) + v["html"]) == []
    hl_firefox.screenshot("highlight-firefox-report")
    hl_firefox.key(ESCAPE)
    assert hl_firefox.stats()["card"] is None
    hl_firefox.key(ESCAPE)
    assert hl_firefox.page("return CSS.highlights.size;") == 0


def test_split_across_elements(hl_firefox: HlFirefox, page_server: str) -> None:
    stats = enrich(hl_firefox, f"{page_server}/highlight-split.html")
    got = groups(stats)
    assert got[IP_KEY] == {("malicious", "185.220.101[.]47")}
    assert got["domain:bad-actor.com"] == {("suspicious", "bad-actor[.]com")}
    assert got[f"sha256:{CLEAN_HASH}"] == {("clean", CLEAN_HASH.upper())}
    crossing = hl_firefox.page("""
        const out = {};
        for (const h of CSS.highlights.values()) for (const r of h) {
            const live = document.createRange();
            live.setStart(r.startContainer, r.startOffset);
            live.setEnd(r.endContainer, r.endOffset);
            out[live.toString()] = [r.startContainer.parentNode.tagName, r.endContainer.parentNode.tagName];
        }
        return out;""")
    assert crossing["185.220.101[.]47"] == ["SPAN", "P"]
    assert crossing["bad-actor[.]com"] == ["P", "B"]
    assert crossing[CLEAN_HASH.upper()] == ["A", "EM"]
    hover(hl_firefox, "bad-actor[.]com")
    stats = hl_firefox.stats()
    assert stats["card"] == "domain:bad-actor.com"
    hl_firefox.screenshot("highlight-firefox-split")
    hl_firefox.key(ESCAPE)
    hl_firefox.key(ESCAPE)


def test_hostile_page(hl_firefox: HlFirefox, page_server: str) -> None:
    hl_firefox.goto(f"{page_server}/highlight-hostile.html")
    stats = enrich(hl_firefox, f"{page_server}/highlight-hostile.html")
    assert groups(stats)[IP_KEY] == {("malicious", "185.220.101[.]47")}
    hl_firefox.page("await new Promise((r) => setTimeout(r, 300)); return true;")
    log = hl_firefox.page("return window.__pageLog;")
    assert log["overrides"] >= 1 and all(NAME.match(n) for n in log["highlightNames"])
    hover(hl_firefox, "185.220.101[.]47")
    assert hl_firefox.stats()["card"] == IP_KEY
    log = hl_firefox.page("return window.__pageLog;")
    hosts = [a for a in log["added"] if a["tag"].startswith("sx-")]
    assert hosts and all(a["text"] == "" for a in hosts)
    assert any(s.startswith("refused:") for s in log["shadow"])
    visible = hl_firefox.page("""
        const h = [...document.querySelectorAll('*')].find((e) => /^sx-/i.test(e.tagName));
        const cs = getComputedStyle(h); return [cs.display, cs.visibility, cs.opacity];""")
    assert visible == ["block", "visible", "1"]
    assert no_verdicts(json.dumps(log) + view(hl_firefox)["html"]) == []
    hl_firefox.screenshot("highlight-firefox-hostile")
    hl_firefox.key(ESCAPE)
    hl_firefox.page("window.__swap(); return true;")
    box = hl_firefox.page(
        "const r = document.getElementById('swap').getBoundingClientRect(); return [r.x, r.y, r.height];")
    hl_firefox.move_to(box[0] + 160, box[1] + box[2] / 2)
    assert hl_firefox.stats()["card"] is None
    hl_firefox.key(ESCAPE)
