"""Refanging: every DESIGN.md form, extra variants, and exact offsets back to the original."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.pipeline import refang as refang_module
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


# --- the per-first-character passes give what one alternation of every form would give ---

def _one_alternation() -> re.Pattern[str]:
    forms = []
    for i, form in enumerate(refang_module._FORMS.values()):
        forms.append(re.sub(r"\(\?P<(\w+)>", lambda m, i=i: f"(?P<{m.group(1)}__{i}>", form))
    return re.compile("|".join(f"(?:{f}\n)" for f in forms), re.VERBOSE)


_ONE = _one_alternation()
_DEFANG_ALPHABET = "[](){}\\:./@ \tadotAT1x_-\u200b\u00ad\n"


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=_DEFANG_ALPHABET, max_size=60))
def test_defang_passes_equal_one_alternation(text: str) -> None:
    got = [(m.span(), m.lastgroup) for m in refang_module.defang_matches(text)]
    want = [(m.span(), (m.lastgroup or "").partition("__")[0])
            for m in _ONE.finditer(text)]
    assert got == want


def test_defang_passes_interleave_in_text_order() -> None:
    text = "a[.]b c(.)d e{dot}f g\\.h http:// i j . k l /m n @ o p\u200bq"
    kinds = [m.lastgroup for m in refang_module.defang_matches(text)]
    assert kinds == ["dot", "dot", "dot", "esc", "sslash", "sdot", "spath", "sat", "zw"]


def test_defang_passes_drop_a_match_inside_the_one_before(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # No two real forms overlap today; a form that could (`[x.x]` holds a `.`) must still give
    # what one alternation gives: the `.` inside is never tried.
    monkeypatch.setattr(refang_module, "_DEFANG_RES", (
        ("[", re.compile(r"\[x\.x\](?P<box>)")), (".", re.compile(r"\.(?P<dot>)"))))
    found = [(m.start(), m.lastgroup) for m in refang_module.defang_matches("a.[x.x].b")]
    assert found == [(1, "dot"), (2, "box"), (7, "dot")]


@pytest.mark.parametrize("text", [
    "a[.]b (.) c{.}d \\.e http:// f . g /h @ i\u200bj " * 40,            # dense: the engine scans
    ("word " * 300).join(["a[.]b", "c (.) d", "http:// e", "f . g /h", "i @ j"]) * 5,  # sparse
    "x" * 20_000 + "[.]" * 20 + " . a" * 30 + "y" * 20_000 + "[.]",   # sparse, dense, sparse
])
def test_each_pass_finds_what_finditer_finds(text: str) -> None:
    for first, rx in refang_module._DEFANG_RES:
        got = [m.span() for m in refang_module._pass(rx, first, text)]
        assert got == [m.span() for m in rx.finditer(text)], repr(first)
