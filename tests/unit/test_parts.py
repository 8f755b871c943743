"""Enrich requests in parts: assembled in part order whatever the arrival order, bounded."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.native import server
from sentinelx.native.decode import RequestError
from sentinelx.native.handlers import build_dispatcher
from sentinelx.native.parts import Assembler
from tests.support.frames import decode_all


def part(rid: str, n: int, of: int, iocs: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {"id": rid, "type": "enrich", "part": n, "parts": of, "iocs": iocs, **extra}


def refs(*values: str) -> list[dict[str, str]]:
    return [{"type": "domain", "value": v} for v in values]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdef"), max_size=4), min_size=1, max_size=6), st.randoms())
def test_parts_join_in_part_order_whatever_the_arrival_order(groups: list[list[str]], rnd: Any) -> None:
    asm = Assembler(10_000)
    order = list(range(1, len(groups) + 1))
    rnd.shuffle(order)
    results = [asm.add(part("r", n, len(groups), refs(*groups[n - 1]), refresh=True)) for n in order]
    assert all(r is None for r in results[:-1])
    whole = results[-1]
    assert whole is not None
    assert whole["iocs"] == [i for g in groups for i in refs(*g)]
    assert whole["refresh"] is True and "part" not in whole and "parts" not in whole


@pytest.mark.parametrize(("second", "word"), [
    (part("r", 1, 2, []), "twice"),
    (part("r", 2, 3, []), "says 3 parts"),
    (part("r", 2, 2, [], refresh=True), "'refresh'"),
])
def test_parts_that_do_not_fit_together_are_refused(second: dict[str, Any], word: str) -> None:
    asm = Assembler(10_000)
    assert asm.add(part("r", 1, 2, [])) is None
    with pytest.raises(RequestError) as e:
        asm.add(second)
    assert e.value.code == "bad_parts" and word in e.value.message and e.value.request_id == "r"
    assert asm.assembling() == 0  # dropped, not kept half-built


def test_memory_is_bounded_by_the_text_cap() -> None:
    asm = Assembler(100)
    asm.add(part("r", 1, 3, refs("a" * 60)))
    with pytest.raises(RequestError) as e:
        asm.add(part("r", 2, 3, refs("b" * 60)))
    assert e.value.code == "too_large" and asm.assembling() == 0


def test_requests_that_stop_sending_parts_expire_with_an_error() -> None:
    now = [0.0]
    asm = Assembler(100, clock=lambda: now[0], idle_s=10)
    asm.add(part("r", 1, 2, []))
    now[0] = 11
    (err,) = asm.take_expired()
    assert err.code == "bad_parts" and err.request_id == "r" and "1 of 2" in err.message
    assert asm.assembling() == 0


def test_a_list_over_the_old_10000_cap_arrives_whole_at_the_handler() -> None:
    out = io.BytesIO()
    state = server.HostState(server.ReplyWriter(out))
    dispatcher = build_dispatcher(state)
    got: list[dict[str, Any]] = []
    done = threading.Event()

    def fake_enrich(_s: Any, request: dict[str, Any], reply: server.Reply, cancel: threading.Event) -> None:
        got.append(request)
        reply.send("cancelled", target=reply.request_id, found=cancel.is_set())  # any valid reply
        done.set()

    dispatcher.register("enrich", fake_enrich, background=True)
    values = [f"d{i}.example" for i in range(25_000)]
    chunks = [values[i:i + 10_000] for i in range(0, len(values), 10_000)]
    import json

    for n, chunk in enumerate(chunks, 1):
        dispatcher.handle_body(json.dumps(part("big", n, len(chunks), refs(*chunk))).encode())
    assert done.wait(10)
    assert [i["value"] for i in got[0]["iocs"]] == values
    assert decode_all(out.getvalue())[0]["found"] is False


def test_cancel_while_assembling_runs_what_arrived_as_cancelled() -> None:
    import json

    out = io.BytesIO()
    state = server.HostState(server.ReplyWriter(out))
    dispatcher = build_dispatcher(state)
    seen: list[tuple[int, bool]] = []
    done = threading.Event()

    def fake_enrich(_s: Any, request: dict[str, Any], reply: server.Reply, cancel: threading.Event) -> None:
        seen.append((len(request["iocs"]), cancel.is_set()))
        done.set()

    dispatcher.register("enrich", fake_enrich, background=True)
    dispatcher.handle_body(json.dumps(part("p", 1, 3, refs("a.com", "b.com"))).encode())
    dispatcher.handle_body(json.dumps({"id": "c", "type": "cancel", "target": "p"}).encode())
    assert done.wait(5)
    dispatcher.handle_body(json.dumps(part("p", 2, 3, refs("c.com"))).encode())  # late: dropped
    dispatcher.cancel_all(wait=5)
    assert seen == [(2, True)]
    replies = decode_all(out.getvalue())
    assert {"id": "c", "type": "cancelled", "target": "p", "found": True} in replies
    assert not [r for r in replies if r["type"] == "error"]
