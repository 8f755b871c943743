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


def test_push_misp_handler_creates_the_event(sx_dirs, monkeypatch):  # noqa: F811
    """In-process host, real socket to a fake MISP (the settings exist once the MISP provider
    lands; here they are added for the test)."""
    from sentinelx import config
    from sentinelx.enrichment import store
    from sentinelx.enrichment.history import History
    from tests.support.fakes.misp_events import FakeMispEvents
    from tests.support.history_records import sample

    conn = store.connect()
    h = History(conn)
    run_id = h.start_run(source_title="Phishing wave", total=9)
    h.record_batch(run_id, [(r["ioc"], r["combined"], r["results"]) for r in sample()])
    conn.close()
    key = "misp-key-" + "1" * 32
    monkeypatch.setenv("SENTINELX_MISP_API_KEY", key)
    with FakeMispEvents(api_key=key) as misp:
        config.set_value("providers.misp.base_url", misp.base_url)
        replies = run([{"id": "p", "type": "export.push_misp", "run_id": run_id,
                        "verdicts": ["malicious", "suspicious"]}])
        monkeypatch.setenv("SENTINELX_MISP_API_KEY", "wrong-" + key)
        refused = run([{"id": "q", "type": "export.push_misp", "run_id": run_id}])
    (pushed,) = replies
    assert pushed["type"] == "misp.pushed" and pushed["count"] == 5
    assert pushed["url"] == f"{misp.base_url}/events/view/1"
    assert misp.events[0]["info"] == "SentinelX: Phishing wave"
    assert {a["value"] for a in misp.events[0]["Attribute"]} >= {"evil-c2.net", "phish@bad.example"}
    (err,) = refused
    assert err["code"] == "push_failed" and "(auth)" in err["message"] and key not in err["message"]
