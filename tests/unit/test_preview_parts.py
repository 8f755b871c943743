"""enrichment.preview.wire_parts: however many distinct plans and however big, each part is
self-contained (its IOCs index its own plans, each carried plan used), under the budget unless
one IOC with its plan alone is bigger, and the parts read back to exactly the whole answer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.enrichment.preview import wire_parts
from sentinelx.protocol.messages import dumps

ROW = st.fixed_dictionaries({"provider": st.sampled_from(["virustotal", "urlhaus", "otx"]),
                             "action": st.just("withheld"),
                             "reason": st.text(max_size=40)})


@st.composite
def answers(draw):
    plans = draw(st.lists(st.lists(ROW, max_size=12), min_size=1, max_size=40))
    iocs = draw(st.lists(st.tuples(st.text(min_size=1, max_size=80),
                                   st.integers(0, len(plans) - 1)), max_size=120))
    # Numbered by first use, as preview() numbers them.
    order: dict[int, int] = {}
    for _, n in iocs:
        order.setdefault(n, len(order))
    used = sorted(order, key=order.get)
    return {"plans": [plans[n] for n in used],
            "iocs": [{"type": "domain", "value": v, "plan": order[n]} for v, n in iocs]}


@settings(max_examples=300, deadline=None)
@given(answers(), st.integers(min_value=60, max_value=6000))
def test_parts_are_self_contained_under_the_budget_and_lossless(out, budget):
    groups = wire_parts(out, budget)
    assert len(groups) >= 1 and all(items for _, items in groups if out["iocs"])
    back = [(i["value"], plans[i["plan"]]) for plans, items in groups for i in items]
    assert back == [(i["value"], out["plans"][i["plan"]]) for i in out["iocs"]]
    for plans, items in groups:
        assert {i["plan"] for i in items} == set(range(len(plans)))
        if len(items) > 1:
            assert len(dumps(plans)) + len(dumps(items)) <= budget + 4  # + the brackets
