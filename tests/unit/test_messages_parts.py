"""protocol.messages.split_by_size / parts: every item once, in order, each part's JSON under
the budget (an item bigger than the budget alone), whatever the items' sizes."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.protocol.messages import PART_BUDGET_BYTES, dumps, parts, size_of, split_by_size

ITEM = st.builds(lambda t, v: {"type": t, "value": v}, st.sampled_from(["url", "domain", "ipv4"]),
                 st.text(max_size=400))


@settings(max_examples=200, deadline=None)
@given(st.lists(ITEM, max_size=300), st.integers(min_value=40, max_value=5000))
def test_groups_keep_every_item_in_order_under_the_budget(items, budget):
    groups = split_by_size(items, budget)
    assert [i for g in groups for i in g] == items
    if not items:
        assert groups == [[]]  # a reply is always sent
        return
    for g in groups:
        assert g, "no empty part"
        assert len(g) == 1 or sum(len(dumps(i)) + 1 for i in g) <= budget  # items + commas


@settings(max_examples=50, deadline=None)
@given(st.lists(ITEM, min_size=2, max_size=200), st.integers(min_value=200, max_value=3000))
def test_parts_are_full(items, budget):
    """Greedy: a part ends only where the next item would not fit."""
    groups = split_by_size(items, budget)
    for a, b in itertools.pairwise(groups):
        assert sum(len(dumps(i)) + 1 for i in a + b[:1]) > budget  # b's first did not fit


def test_a_big_reply_is_cut_into_numbered_frames_under_the_limit():
    items = [{"type": "domain", "value": f"c2-{i}.evil-{i % 97}.net", "raw": "x" * 60}
             for i in range(40_000)]
    msgs = list(parts({"id": "r", "type": "extracted"}, "iocs", items))
    assert len(msgs) > 2 and [m["part"] for m in msgs] == list(range(1, len(msgs) + 1))
    assert all(m["parts"] == len(msgs) and len(dumps(m)) < PART_BUDGET_BYTES + 1024 for m in msgs)
    assert [i for m in msgs for i in m["iocs"]] == items


SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.floats(allow_nan=False),
                   st.lists(st.integers(), max_size=3))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.dictionaries(st.text(max_size=12), SCALAR, max_size=8),
                 st.lists(st.integers(), max_size=4)))
def test_size_of_is_the_length_of_the_encoding(item):
    # Counted without encoding for flat objects; any text (escapes, non-ASCII, U+2028,
    # control characters), any integer, nested values and floats fall back to encoding.
    try:
        expected = len(dumps(item))
    except UnicodeEncodeError:  # a lone surrogate: neither may pretend it has a size
        with pytest.raises(UnicodeEncodeError):
            size_of(item)
        return
    assert size_of(item) == expected
