"""A window read before in the same surroundings is not matched again, and that changes nothing.

The cache in extract.py is only worth having if it is invisible: these tests compare the
result with and without it on texts that repeat tokens in surroundings that change a verdict
(a version keyword before an address, a defang, a blank that is not ASCII).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.pipeline import extract
from sentinelx.pipeline.extract import extract_iocs
from sentinelx.pipeline.models import IOC

TOKENS = [
    "1.2.3.4", '"1.2.3.4"', "=1.2.3.4", ":1.2.3.4", "version", "ver", "v", "build:", "section",
    "\u00a7", "Chrome/", "evil.com", "evil[.]com", "-evil.com", ".evil.com", "e.g.", "4.2",
    "setup.py", "a@b.com", "http://x.com/a", "x.com/a", "hxxp://a[.b,c/", "10.2.3[.4",
    "CVE-2021-44228", "d41d8cd98f00b204e9800998ecf8427e", "::1", "fe80::1", "1.2.3.4-beta",
    "1.2.3.4/24", "'", ":", "=", '"', "evil . com", "a @ b.com", "http:// a .com /b", "-", ".",
    "(evil.com)", "evil.com;", "x.com/", "\u200bevil.com", "foo.Com", "System.Net;",
    ",http://a.com/a,b", "Chrome/1.2.3.4", "hxxp://evil(.com/a", "CVE", "cve", "2014-1001",
    "xcve",
    # Real-report shapes (test_extract_reports.py): mail headers, AsciiDoc, certificates.
    "Message-ID:", "References:", "<a1b2@mail.evil.com>", "<user@evil.com>", "From:",
    "+evil[.]com+", "++http://a.com/x++", "`++evil.com:80++`", "+", "++", "a+b.com",
    "https://a.com/x[Title]", "https://a.com/[", "CN=x/emailAddress=a@evil.com", "E=a@evil.com",
    "hxxp//evil.com/x", "h__ps__1.2.3.4/a", "dns://evil.com", "<md5>",
    "0123456789abcdef0123456789abcdef[.]xyz", "0123456789abcdef0123456789abcdef.exe",
]
BLANKS = [" ", "\n", "\t", "\u00a0", "\u2003", "  ", " . ", ", ", "/"]


def _uncached(text: str, monkeypatch: pytest.MonkeyPatch) -> list[IOC]:
    with monkeypatch.context() as m:
        m.setattr(extract, "_SEEN_MAX", 0)
        return extract_iocs(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(BLANKS)),
                min_size=1, max_size=14))
def test_the_cache_never_changes_a_result(parts: list[tuple[str, str]]) -> None:
    text = "".join(token + blank for token, blank in parts)
    with pytest.MonkeyPatch.context() as mp:
        assert extract_iocs(text) == _uncached(text, mp)


@pytest.mark.parametrize("text", [
    "version 1.2.3.4 then 1.2.3.4",        # the second is an address, the first a version
    "1.2.3.4 then version 1.2.3.4",
    'version "1.2.3.4" and "1.2.3.4"',     # the quote does not hide the keyword before it
    "\u00a0-evil.com and -evil.com",       # a blank that is not ASCII reads differently
    "evil . com evil.com",                 # spaced then plain
    "x evil[.]com evil.com",
    "CVE 2014-1001 and 2014-1001",         # the year of a spaced CVE reads the word before it
    "2014-1001 and CVE 2014-1001",
    "Message-ID: <a1b2@mail.evil.com> and Reply-To: <a1b2@mail.evil.com>",  # an id, then a mailbox
    "Reply-To: <a1b2@mail.evil.com> and Message-ID: <a1b2@mail.evil.com>",
    "`+evil[.]com+` and a+ +evil.com+",
])
def test_repeats_in_other_surroundings_are_read_again(text: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert extract_iocs(text) == _uncached(text, monkeypatch)


def test_version_keyword_does_not_leak_to_a_later_repeat() -> None:
    iocs = extract_iocs("version 1.2.3.4 and then 1.2.3.4")
    assert [(i.value, i.offset) for i in iocs] == [("1.2.3.4", 25)]


def test_a_repeated_window_is_matched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    real = extract.iocs_in_window

    def counting(ref, start, end):  # type: ignore[no-untyped-def]
        calls.append((start, end))
        return real(ref, start, end)

    monkeypatch.setattr(extract, "iocs_in_window", counting)
    iocs = extract_iocs("see e.g. evil.com " * 1000)
    assert [i.value for i in iocs] == ["evil.com"]
    assert len(calls) == 2  # `e.g.` and `evil.com`, once each


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "_SEEN_MAX", 10)
    calls = []
    real = extract.iocs_in_window

    def counting(ref, start, end):  # type: ignore[no-untyped-def]
        calls.append((start, end))
        return real(ref, start, end)

    monkeypatch.setattr(extract, "iocs_in_window", counting)
    # 20 distinct windows fill it; their repeats past the first 10 are read again.
    text = " ".join(f"v{i}.example.com" for i in range(20)) + " "
    extract_iocs(" " + text + text)
    assert len(calls) == 20 + 10
