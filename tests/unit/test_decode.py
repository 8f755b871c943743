"""decode.py: the value bound that keeps one frame from holding the GIL for long."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.native.decode import RequestError, _values_upper_bound, decode

TRICKY = st.text(alphabet=',:[]{}"\\ ab\u00e9', max_size=12)
VALUES = st.recursive(st.none() | st.booleans() | st.integers() | TRICKY,
                      lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(TRICKY, inner, max_size=5), max_leaves=30)


def count(v: Any) -> int:
    """Values and keys in a decoded document."""
    if isinstance(v, list):
        return 1 + sum(count(x) for x in v)
    if isinstance(v, dict):
        return 1 + sum(1 + count(x) for x in v.values())
    return 1


@settings(max_examples=300, deadline=None)
@given(VALUES, st.booleans())
def test_the_bound_never_undercounts(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    true = count(value)
    for limit in (0, max(0, true - 2), true, 10**9):
        got = _values_upper_bound(body, limit)
        # Either it says "over the limit" or it is a true upper bound (the first value is free).
        assert got > limit or got >= true - 1, (body, limit, got, true)


def test_separators_inside_strings_do_not_count_when_it_matters() -> None:
    body = json.dumps({"id": "1", "type": "extract", "text": ",:[{" * 100_000 + '\\"'}).encode()
    assert _values_upper_bound(body, 1000) < 10


def test_a_flood_is_refused_before_the_frame_is_decoded() -> None:
    flood = b'{"id":"f1","x":[' + b"1," * 200 + b'"\xff"]}'
    for body, code in ((flood, "too_complex"), (flood.replace(b"1,", b""), "bad_utf8")):
        with pytest.raises(RequestError) as e:
            decode(body, max_values=100)
        assert e.value.code == code
