"""Shapes met in real threat reports (vendor IOC appendices in AsciiDoc and Markdown, mail
headers, IOC lists) that a hand-judged check of ~35 public reports found wrong.

Every case is written for this project in its own words; no report text is copied.
"""

from __future__ import annotations

import pytest

from sentinelx.pipeline.extract import extract_iocs


def pairs(text: str) -> set[tuple[str, str]]:
    return {(i.type.value, i.value) for i in extract_iocs(text)}


# --- AsciiDoc passthrough: `+host+` in IOC tables ----------------------------------------------

@pytest.mark.parametrize(("text", "domain"), [
    ("| N/A | `+cdn.badhost[.]net+` | 2023-01-02 | C&C", "cdn.badhost.net"),
    ("| 198.51.100[.]7 | `+up.relay-sync[.]org+` `+u.relay-sync[.]org+` |", "u.relay-sync.org"),
    ("C2: +telemetry-upd.com+", "telemetry-upd.com"),
])
def test_a_host_between_asciidoc_plus_signs_is_found(text: str, domain: str) -> None:
    assert ("domain", domain) in pairs(text)


@pytest.mark.parametrize("text", ["a+b.com", "c++.net", "x=1+evil.com", "++evil.com"])
def test_a_plus_glued_to_a_word_still_blocks_a_host(text: str) -> None:
    assert not {p for p in pairs(text) if p[0] == "domain"}
