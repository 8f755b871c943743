"""Refanging: every DESIGN.md form, extra variants, and exact offsets back to the original."""

from __future__ import annotations

import pytest

from sentinelx.pipeline.refang import refang, refang_scheme, refang_text


@pytest.mark.parametrize(
    ("defanged", "plain"),
    [
        ("evil[.]com", "evil.com"),
        ("evil(.)com", "evil.com"),
        ("evil{.}com", "evil.com"),
        ("evil[dot]com", "evil.com"),
        ("evil(dot)com", "evil.com"),
        ("evil[DOT]com", "evil.com"),
        ("evil{dot}com", "evil.com"),
        ("evil[ . ]com", "evil.com"),
        ("evil [.] com", "evil.com"),
        ("evil [dot] com", "evil.com"),
        ("evil\\.com", "evil.com"),
        ("user[@]evil.com", "user@evil.com"),
        ("user[at]evil.com", "user@evil.com"),
        ("user(at)evil.com", "user@evil.com"),
        ("user [at] evil [dot] com", "user@evil.com"),
        ("user(@)evil.com", "user@evil.com"),
        ("http[://]evil.com", "http://evil.com"),
        ("http[:]//evil.com", "http://evil.com"),
        ("http://evil.com[/]a", "http://evil.com/a"),
        ("http://evil.com(/)a", "http://evil.com/a"),
        ("evil\u200b.com", "evil.com"),
        ("ev\u00adil.com", "evil.com"),
    ],
)
def test_defang_forms(defanged: str, plain: str) -> None:
    assert refang_text(defanged) == plain


def test_text_without_defangs_is_returned_unchanged() -> None:
    text = "Plain prose with evil.com and a [bracketed note] (and parentheses)."
    assert refang_text(text) == text


def test_spaces_are_kept_when_not_between_words() -> None:
    # A defang that does not join two words keeps its surroundings.
    assert refang_text("list: [.] end") == "list: . end"


@pytest.mark.parametrize(
    ("scheme", "plain"),
    [("hxxp", "http"), ("hxxps", "https"), ("hXXp", "http"), ("HXXPS", "https"),
     ("h**p", "http"), ("h__ps", "https"), ("hxtp", "http"), ("fxp", "ftp"), ("fxxp", "ftp"),
     ("HTTP", "http"), ("ftp", "ftp"), ("tcp", "tcp"), ("abc", None), ("hxxxxp", None)],
)
def test_scheme_refang(scheme: str, plain: str | None) -> None:
    assert refang_scheme(scheme) == plain


def test_offsets_map_back_to_the_original_span() -> None:
    original = "go to evil [.] com or 1.2.3[.]4 now"
    ref = refang(original)
    assert ref.text == "go to evil.com or 1.2.3.4 now"
    s = ref.text.index("evil.com")
    o_start, o_end = ref.to_original(s, s + len("evil.com"))
    assert original[o_start:o_end] == "evil [.] com"
    s = ref.text.index("1.2.3.4")
    o_start, o_end = ref.to_original(s, s + len("1.2.3.4"))
    assert original[o_start:o_end] == "1.2.3[.]4"
    # Text after the last replacement is shifted by the total length change.
    s = ref.text.index("now")
    assert ref.to_original(s, s + 3) == (original.index("now"), original.index("now") + 3)


def test_many_defangs_are_all_replaced() -> None:
    original = "a[.]" * 10_000 + "b"
    assert refang_text(original) == "a." * 10_000 + "b"
