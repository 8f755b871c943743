"""The message loop in-process: every kind of bad input becomes a typed error and the loop goes on."""

from __future__ import annotations

import io
import json
import struct
import threading
from typing import Any

import pytest

from sentinelx.native import decode, server
from sentinelx.native.handlers import build_dispatcher
from sentinelx.protocol import validate
from tests.support.frames import decode_all, encode


def run_loop(data: bytes, max_frame: int | None = None) -> tuple[int, list[dict[str, Any]]]:
    out = io.BytesIO()
    state = server.HostState(server.ReplyWriter(out))
    if max_frame is not None:
        state.max_frame_bytes = max_frame
    dispatcher = build_dispatcher(state)
    code = server.serve(io.BytesIO(data), dispatcher)
    dispatcher.cancel_all(wait=5)
    return code, decode_all(out.getvalue())


def by_id(replies: list[dict[str, Any]], rid: str | None) -> list[dict[str, Any]]:
    return [r for r in replies if r["id"] == rid]


def test_ping_gets_pong_with_version_and_limits() -> None:
    code, replies = run_loop(encode({"id": "1", "type": "ping"}))
    assert code == 0
    (pong,) = replies
    assert pong["type"] == "pong" and pong["id"] == "1"
    assert pong["version"] and pong["limits"]["max_reply_bytes"] == 1024 * 1024


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xff\xfe{}", "bad_utf8"),
        (b"{not json", "bad_json"),
        (b"[1,2]", "not_object"),
        (b'"ping"', "not_object"),
    ],
)
def test_unusable_bodies_get_typed_errors_and_the_loop_continues(payload: bytes, code: str) -> None:
    exit_code, replies = run_loop(encode(payload) + encode({"id": "after", "type": "ping"}))
    assert exit_code == 0
    assert replies[0] == {**replies[0], "id": None, "type": "error", "code": code}
    assert replies[1]["type"] == "pong" and replies[1]["id"] == "after"


def test_unknown_type_echoes_id() -> None:
    _, replies = run_loop(encode({"id": "7", "type": "launch_missiles"}))
    assert replies == [{**replies[0], "id": "7", "type": "error", "code": "unknown_type"}]


def test_schema_violation_says_where() -> None:
    _, replies = run_loop(encode({"id": "8", "type": "extract", "text": 42}))
    (err,) = replies
    assert err["code"] == "schema_violation" and err["id"] == "8"
    assert err["path"] == "/text" and "/text" in err["message"]


def test_missing_id_is_a_schema_violation_with_null_id() -> None:
    _, replies = run_loop(encode({"type": "ping"}))
    assert replies[0]["code"] == "schema_violation" and replies[0]["id"] is None


def test_extra_fields_are_refused() -> None:
    _, replies = run_loop(encode({"id": "9", "type": "ping", "surprise": True}))
    assert replies[0]["code"] == "schema_violation"


def test_zero_length_frame_then_recovery() -> None:
    code, replies = run_loop(struct.pack("=I", 0) + encode({"id": "1", "type": "ping"}))
    assert code == 0
    assert [r.get("code", r["type"]) for r in replies] == ["frame_empty", "pong"]


def test_oversized_frame_is_reported_and_next_frame_served() -> None:
    big = encode({"id": "big", "type": "extract", "text": "a" * 5000})
    code, replies = run_loop(big + encode({"id": "1", "type": "ping"}), max_frame=1000)
    assert code == 0
    assert [r.get("code", r["type"]) for r in replies] == ["frame_too_large", "pong"]


def test_truncated_body_ends_the_loop_cleanly_with_an_error() -> None:
    code, replies = run_loop(encode({"id": "1", "type": "ping"}) + struct.pack("=I", 50) + b"{")
    assert code == 1
    assert [r.get("code", r["type"]) for r in replies] == ["pong", "frame_truncated"]


def test_extract_text_over_cap_is_refused_not_cut() -> None:
    out = io.BytesIO()
    state = server.HostState(server.ReplyWriter(out), max_text_bytes=100)
    dispatcher = build_dispatcher(state)
    server.serve(io.BytesIO(encode({"id": "x", "type": "extract", "text": "é" * 60})), dispatcher)
    dispatcher.cancel_all(wait=5)
    (err,) = decode_all(out.getvalue())
    assert err["code"] == "text_too_large" and "120 bytes" in err["message"]


def test_large_extract_result_is_split_under_one_mib() -> None:
    # 40k distinct IPs make an ioc list far over 1 MiB once serialised.
    text = " ".join(f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}" for i in range(40000))
    out = io.BytesIO()
    state = server.HostState(server.ReplyWriter(out))
    dispatcher = build_dispatcher(state)
    server.serve(io.BytesIO(encode({"id": "big", "type": "extract", "text": text})), dispatcher)
    dispatcher.cancel_all(wait=60)
    data = out.getvalue()
    sizes = []
    while data:
        (n,) = struct.unpack("=I", data[:4])
        sizes.append(n)
        data = data[4 + n :]
    replies = decode_all(out.getvalue())
    assert len(replies) > 1 and all(n <= 1024 * 1024 for n in sizes)
    assert [r["part"] for r in replies] == list(range(1, len(replies) + 1))
    assert {r["parts"] for r in replies} == {len(replies)}
    assert sum(len(r["iocs"]) for r in replies) == 40000


def test_invalid_reply_is_replaced_by_internal_error() -> None:
    out = io.BytesIO()
    writer = server.ReplyWriter(out)
    writer.send({"id": "1", "type": "pong"})  # missing version
    (msg,) = decode_all(out.getvalue())
    assert msg["type"] == "error" and msg["code"] == "internal_error"


def test_reply_too_large_is_replaced_not_sent() -> None:
    out = io.BytesIO()
    writer = server.ReplyWriter(out)
    writer.send({"id": "1", "type": "extracted", "part": 1, "parts": 1, "iocs": [
        {"type": "domain", "value": "a.com", "raw": "x" * 2_000_000, "offset": 0, "private": False}
    ]})
    (msg,) = decode_all(out.getvalue())
    assert msg["code"] == "reply_too_large"


def test_handler_crash_becomes_internal_error_and_loop_survives() -> None:
    out = io.BytesIO()
    state = server.HostState(server.ReplyWriter(out))
    dispatcher = build_dispatcher(state)

    def boom(*_: Any) -> None:
        raise RuntimeError("boom")

    dispatcher.register("config.get", boom)
    server.serve(io.BytesIO(encode({"id": "a", "type": "config.get"})
                            + encode({"id": "b", "type": "ping"})), dispatcher)
    replies = decode_all(out.getvalue())
    assert replies[0]["code"] == "internal_error" and replies[1]["type"] == "pong"


def test_cancel_reaches_a_running_background_job() -> None:
    out = io.BytesIO()
    state = server.HostState(server.ReplyWriter(out))
    dispatcher = build_dispatcher(state)
    started, stopped = threading.Event(), threading.Event()

    def slow(_s: Any, _r: Any, reply: server.Reply, cancel: threading.Event) -> None:
        started.set()
        if cancel.wait(10):
            stopped.set()

    dispatcher.register("config.clear_key", slow, background=True)
    dispatcher.handle_body(json.dumps({"id": "job", "type": "config.clear_key"}).encode())
    assert started.wait(5)
    dispatcher.handle_body(json.dumps({"id": "c", "type": "cancel", "target": "job"}).encode())
    assert stopped.wait(5)
    replies = decode_all(out.getvalue())
    assert {"id": "c", "type": "cancelled", "target": "job", "found": True} in replies


def test_every_schema_file_is_a_registered_type() -> None:
    assert {"ping", "extract", "cancel"} <= validate.message_types("request")
    assert {"pong", "extracted", "error"} <= validate.message_types("reply")


@pytest.mark.parametrize("depth", [2, 500, 999, 1000, 1001, 5000, 200_000])
@pytest.mark.parametrize("shape", ["top", "field", "value"])
def test_any_nesting_depth_gets_a_typed_reply_and_the_loop_goes_on(depth: int, shape: str) -> None:
    inner = b"[" * depth + b"1" + b"]" * depth
    body = {"top": inner,
            "field": b'{"id":"n","type":"ping","x":' + inner + b"}",
            "value": b'{"id":"n","type":"config.set","name":"a","value":' + inner + b"}"}[shape]
    code, replies = run_loop(encode(body) + encode({"id": "after", "type": "ping"}))
    assert code == 0
    # Frames over 64 KiB are decoded on their own thread: the pong may come first.
    (err,) = [r for r in replies if r["type"] == "error"]
    (pong,) = [r for r in replies if r["type"] == "pong"]
    # Each `[` is a value: past decode.MAX_VALUES of them the frame is refused before decoding.
    too_many = {"too_complex"} if depth > decode.MAX_VALUES else set()
    assert err["code"] in {"too_deep", "not_object", "schema_violation"} | too_many
    assert pong["id"] == "after" and len(replies) == 2


@pytest.mark.parametrize(("body", "path", "echo"), [
    (b'{"id":"\\ud800","type":"ping"}', "/id", None),
    (b'{"id":"s","type":"extract","text":"a\\udfffb"}', "/text", "s"),
    (b'{"id":"s","type":"enrich","iocs":[{"type":"domain","value":"\\ud83dx.com"}]}',
     "/iocs/0/value", "s"),
    (b'{"id":"s","type":"ping","\\udc00":1}', "/\\udc00", "s"),
    (b'{"id":"s","type":"\\ud800"}', "/type", "s"),
    (b'{"id":"s","type":"config.set_key","key":"k\\ud800"}', "/key", "s"),
    (b'{"id":"s","type":"cancel","target":"\\ud800"}', "/target", "s"),
])
def test_lone_surrogates_get_a_typed_error_naming_the_field(body: bytes, path: str,
                                                            echo: str | None) -> None:
    code, replies = run_loop(encode(body) + encode({"id": "after", "type": "ping"}))
    assert code == 0
    err, pong = replies
    assert (err["type"], err["code"], err["path"], err["id"]) == ("error", "bad_unicode", path, echo)
    assert path in err["message"]
    assert pong["type"] == "pong"


def test_surrogate_pairs_are_fine() -> None:
    _, replies = run_loop(encode(b'{"id":"\\ud83d\\ude00","type":"ping"}'))
    assert replies[0]["type"] == "pong" and replies[0]["id"] == "\U0001F600"


@pytest.mark.parametrize("body", [b"NaN", b'{"id":"1","type":"ping","x":NaN}', b"-Infinity",
                                  b'{"id":"1","type":"config.set","name":"a","value":Infinity}'])
def test_nan_and_infinity_are_not_json(body: bytes) -> None:
    _, replies = run_loop(encode(body))
    assert replies[0]["code"] == "bad_json"


def test_a_flood_of_values_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    state = server.HostState(server.ReplyWriter(out), max_values=1000)
    dispatcher = build_dispatcher(state)
    dispatcher.handle_body(b"[" + b"1," * 5000 + b"1]")
    dispatcher.handle_body(json.dumps({"id": "t", "type": "extract",
                                       "text": ",:[{" * 5000}).encode())  # commas inside a string
    dispatcher.cancel_all(wait=5)
    replies = decode_all(out.getvalue())
    assert replies[0]["code"] == "too_complex"
    assert [r["type"] for r in replies[1:]] == ["extracted"]


def test_schema_errors_are_one_short_sentence_never_the_request() -> None:
    huge = [{"type": "domain", "value": f"d{i}.example"} for i in range(3000)]
    _, replies = run_loop(encode({"id": "e", "type": "enrich", "iocs": huge, "text": "x"}))
    (err,) = replies
    assert err["code"] == "schema_violation" and len(err["message"]) < 300
    assert "d1.example" not in err["message"]


def test_replies_that_cannot_be_encoded_become_internal_errors() -> None:
    out = io.BytesIO()
    writer = server.ReplyWriter(out)
    writer.send({"id": "1", "type": "pong", "version": "\ud800"})
    (msg,) = decode_all(out.getvalue())
    assert msg["code"] == "internal_error"


def test_no_message_is_validated_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []
    real = validate.check

    def counting(direction: Any, message: dict[str, Any]) -> Any:
        seen.append((direction, message["type"]))
        return real(direction, message)

    monkeypatch.setattr(validate, "check", counting)
    text = " ".join(f"10.0.{i // 256}.{i % 256}" for i in range(30_000))  # several parts
    out = io.BytesIO()
    dispatcher = build_dispatcher(server.HostState(server.ReplyWriter(out)))
    server.serve(io.BytesIO(encode({"id": "1", "type": "ping"})
                            + encode({"id": "2", "type": "extract", "text": text})), dispatcher)
    dispatcher.cancel_all(wait=120)
    replies = decode_all(out.getvalue())
    parts = len(replies) - 1
    assert parts > 1 and [r["type"] for r in replies] == ["pong"] + ["extracted"] * parts
    assert sorted(seen) == sorted([("request", "ping"), ("request", "extract"), ("reply", "pong")]
                                  + [("reply", "extracted")] * parts)


def test_refusals_before_decoding_still_name_a_leading_id() -> None:
    out = io.BytesIO()
    dispatcher = build_dispatcher(server.HostState(server.ReplyWriter(out), max_values=10_000))
    dispatcher.handle_body(b'{"id":"deep","type":"ping","x":' + b"[" * 5000 + b"]" * 5000 + b"}")
    dispatcher.handle_body(b'{"id":"many","type":"enrich","iocs":[' + b"1," * 20_000 + b"1]}")
    dispatcher.handle_body(b'{"type":"ping","id":"late","x":' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert [(r["code"], r["id"]) for r in decode_all(out.getvalue())] == [
        ("too_deep", "deep"), ("too_complex", "many"), ("too_deep", None)]


def test_a_huge_unknown_key_gets_a_short_path() -> None:
    key = "k" * 2_000_000
    _, replies = run_loop(encode({"id": "h", "type": "ping", key: 1}))
    (err,) = replies
    assert err["code"] == "schema_violation" and len(err["path"]) < 300 and len(err["message"]) < 400
    _, replies = run_loop(encode(b'{"id":"h","type":"ping","' + b"k" * 500_000 + b'\\ud800":1}'))
    (err,) = replies
    assert err["code"] == "bad_unicode" and len(err["path"]) < 300


def test_background_jobs_hold_bounded_input_at_once() -> None:
    out = io.BytesIO()
    state = server.HostState(server.ReplyWriter(out), max_text_bytes=1000)  # 2000 at once
    dispatcher = build_dispatcher(state)
    release = threading.Event()

    def slow(_s: Any, _r: Any, reply: server.Reply, cancel: threading.Event) -> None:
        release.wait(10)

    dispatcher.register("extract", slow, background=True)
    for rid in ("a", "b", "c"):
        dispatcher.handle_body(json.dumps({"id": rid, "type": "extract", "text": "x" * 900}).encode())
    release.set()
    dispatcher.cancel_all(wait=5)
    dispatcher.handle_body(json.dumps({"id": "d", "type": "extract", "text": "x" * 5000}).encode())
    dispatcher.cancel_all(wait=5)
    replies = decode_all(out.getvalue())
    assert [(r["id"], r["code"]) for r in replies] == [("c", "busy")]  # d ran alone: allowed
