"""The history/export handlers in-process: text parts, and hostile requests never crash."""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinelx.native import server
from sentinelx.native.handlers import build_dispatcher
from sentinelx.native.handlers.history_handlers import text_chunks
from tests.support.enrich_env import sx_dirs  # noqa: F401  (fixture)
from tests.support.frames import decode_all, encode


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=3000), budget=st.integers(min_value=8, max_value=400))
def test_text_chunks_join_exactly_and_fit_the_budget(text, budget):
    chunks = text_chunks(text, budget)
    assert "".join(chunks) == text
    assert all(len(json.dumps(c, ensure_ascii=False).encode()) <= budget or len(c) == 1
               for c in chunks)
    assert all(chunks) or chunks == [""]


def run(requests: list[dict]) -> list[dict]:
    out = io.BytesIO()
    state = server.HostState(server.ReplyWriter(out))
    dispatcher = build_dispatcher(state)
    server.serve(io.BytesIO(b"".join(encode(r) for r in requests)), dispatcher)
    dispatcher.cancel_all(wait=10)
    return decode_all(out.getvalue())


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                       lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c,
                                                                            max_size=3),
                       max_leaves=8)
FIELDS = st.dictionaries(st.sampled_from(["filter", "cursor", "limit", "run_id", "ids", "format",
                                          "verdicts", "defang", "title", "search"]), JSONISH,
                         max_size=4)
TYPES = st.sampled_from(["history.query", "history.run", "history.delete", "history.clear",
                         "export", "export.push_misp"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(msg_type=TYPES, fields=FIELDS)
def test_hostile_requests_get_a_reply_never_a_crash(sx_dirs, msg_type, fields):  # noqa: F811
    replies = run([{"id": "h", "type": msg_type, **fields}, {"id": "after", "type": "ping"}])
    mine = [r for r in replies if r["id"] == "h"]
    assert mine, replies
    assert all(r.get("code") != "internal_error" for r in mine), mine
    assert any(r["id"] == "after" and r["type"] == "pong" for r in replies)
