"""bigjson.loads: json.loads in pieces. Same values, same errors, at every slice boundary."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.native import bigjson

# Escapes, surrogate pairs (ensure_ascii), lone surrogates and quotes near every cut.
CHARS = st.text(alphabet=st.sampled_from(['"', "\\", "/", "\n", "\t", "a", "é", "\u2028",
                                          "\U0001f600", "\ud800", "\udfff", "\x00", " "]),
                max_size=40)
VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                      | CHARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(CHARS, inner, max_size=4), max_leaves=20)


def outcome(fn: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", fn(text)
    except json.JSONDecodeError as e:
        return "error", (e.msg, e.pos)
    except ValueError as e:
        return "error", str(e)
    except RecursionError:
        return "deep", None


def reference(text: str) -> Any:
    return json.loads(text, parse_constant=bigjson._not_json)


@settings(max_examples=400, deadline=None)
@given(VALUES, st.booleans(), st.integers(1, 9), st.integers(1, 70))
def test_the_same_values_as_json_loads(value: Any, ascii_only: bool, first: int, size: int) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bigjson, "SLICE", size)
        mp.setattr(bigjson, "_FIRST", first)
        got = outcome(bigjson.loads, text)
    assert got == outcome(reference, text), text


@settings(max_examples=600, deadline=None)
@given(VALUES, st.booleans(), st.data(), st.integers(1, 70))
def test_the_same_errors_as_json_loads(value: Any, ascii_only: bool, data: st.DataObject,
                                       size: int) -> None:
    text = json.dumps({"id": "x", "type": "extract", "v": value}, ensure_ascii=ascii_only)
    for _ in range(data.draw(st.integers(1, 3))):  # damage it: cut, insert, replace
        at = data.draw(st.integers(0, len(text)))
        junk = data.draw(st.sampled_from(["", '"', "\\", "\\u", "\\ud83d", ",", "}", "{", ":",
                                          "\x01", "NaN", "x"]))
        text = text[:at] + junk + text[at + data.draw(st.integers(0, 2)):]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bigjson, "SLICE", size)
        mp.setattr(bigjson, "_FIRST", 1)
        got = outcome(bigjson.loads, text)
    want = outcome(reference, text)
    assert got == want, text  # the same value, or the same message at the same position


def test_a_long_string_is_decoded_in_slices_the_size_of_slice() -> None:
    text = json.dumps({"id": "1", "type": "extract", "text": "ab\\\"\U0001f600" * 400_000},
                      ensure_ascii=True)
    assert len(text) > 4 * bigjson.SLICE
    assert bigjson.loads(text) == json.loads(text)


def test_many_members_and_duplicate_keys_keep_json_loads_rules() -> None:
    members = ",".join(f'"k{i % 90}": {i}' for i in range(300))
    text = "{" + members + "," + '"text": "' + "x" * (bigjson.SLICE + 5) + '"}'
    assert bigjson.loads(text) == json.loads(text)
    bad = "{" + members + ', "z" 1}' + " " * bigjson.SLICE
    assert outcome(bigjson.loads, bad) == outcome(reference, bad)


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": [Infinity]}', "-Infinity"])
def test_nan_and_infinity_are_not_json(text: str) -> None:
    padded = text + " " * (bigjson.SLICE + 1)
    with pytest.raises(ValueError, match="is not a JSON value"):
        bigjson.loads(padded)
