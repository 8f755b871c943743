"""iocextract as a bounded second opinion on tokens our scanner could not read."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sentinelx.pipeline import rescue
from sentinelx.pipeline.extract import extract_iocs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("beacon http://evil[.com/a now", ("url", "http://evil.com/a", "http://evil[.com/a", 7)),
        ("from 45.9.20[.7 today", ("ipv4", "45.9.20.7", "45.9.20[.7", 5)),
        ("C2: hxxp://evil,com/gate", ("url", "http://evil.com/gate", "hxxp://evil,com/gate", 4)),
        ("ftx://files.evil.com/x", ("url", "ftp://files.evil.com/x", "ftx://files.evil.com/x", 0)),
    ],
)
def test_defangs_only_iocextract_reads_are_recovered(text: str, expected: tuple) -> None:
    got = [(i.type.value, i.value, i.raw, i.offset) for i in extract_iocs(text)]
    assert expected in got
    assert text[expected[3]:].startswith(expected[2])


@pytest.mark.parametrize(
    "text",
    ["see (setup.py) and [invoice.pdf]", "arr[i](.x) = f(a,b).c", "list[0].name", "{a:1}",
     "1,2.5 million", "foo,bar.baz", "Trojan.Win32[.]Agent"],
)
def test_rescue_adds_no_false_positives(text: str) -> None:
    assert extract_iocs(text) == []


def test_rescue_work_is_bounded_per_text(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = rescue._iocextract_values

    def counting(token: str):
        calls.append(token)
        return real(token)

    monkeypatch.setattr(rescue, "_iocextract_values", counting)
    extract_iocs("".join(f"junk{i}(.x " for i in range(5000)))
    assert len(calls) == rescue.MAX_TOKENS


def test_a_repeated_token_is_rescued_once_and_still_spends_the_budget(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = rescue._iocextract_values

    def counting(token: str):
        calls.append(token)
        return real(token)

    monkeypatch.setattr(rescue, "_iocextract_values", counting)
    # The same half-defanged URL MAX_TOKENS times, then a new one: the repeats spend the budget
    # (as if each were rescued again), so the last token is past it, as it always was.
    text = "log: " + "hxxp://evil(.com/a " * rescue.MAX_TOKENS + "hxxp://other(.com/b"
    values = {i.value for i in extract_iocs(text)}
    assert calls == ["hxxp://evil(.com/a"]
    assert "http://evil.com/a" in values and "http://other.com/b" not in values


def test_iocextract_is_imported_only_when_a_token_needs_it() -> None:
    code = (
        "import sys; from sentinelx.pipeline.extract import extract_iocs as e; "
        "e('plain hxxp://evil[.]com 1.2.3.4'); a = 'iocextract' in sys.modules; "
        "e('half http://evil(.com/a'); print(a, 'iocextract' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
