"""A real `sentinelx host` process over real pipes, driven as a browser drives it."""

from __future__ import annotations

import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.frames import HostProcess, decode_all, encode, host_cmd, host_env

EXAMPLE = "see hxxp://evil[.]com/a and 1.2.3[.]4, CVE-2021-44228, setup.py"


def run_host(tmp: Path, data: bytes, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(host_cmd(*argv), input=data, capture_output=True, timeout=timeout,
                          env=host_env(tmp))


def test_ping_extract_and_malformed_frames_in_one_session(tmp_path: Path) -> None:
    host = HostProcess(host_env(tmp_path))
    try:
        host.send({"id": "1", "type": "ping"})
        pong = host.recv()
        assert pong["type"] == "pong" and pong["id"] == "1"

        host.send({"id": "2", "type": "extract", "text": EXAMPLE})
        extracted = host.recv()
        assert extracted["type"] == "extracted" and extracted["id"] == "2"
        got = {(i["type"], i["value"]) for i in extracted["iocs"]}
        assert {("url", "http://evil.com/a"), ("ipv4", "1.2.3.4"),
                ("cve", "CVE-2021-44228")} <= got
        assert ("domain", "setup.py") not in got

        for bad, code in [(b"\xc3\x28", "bad_utf8"), (b"nope", "bad_json"), (b"[]", "not_object")]:
            host.send_raw(encode(bad))
            err = host.recv()
            assert (err["type"], err["code"], err["id"]) == ("error", code, None)
        host.send_raw(struct.pack("=I", 0))
        assert host.recv()["code"] == "frame_empty"
        host.send({"id": "3", "type": "nonsense"})
        err = host.recv()
        assert (err["type"], err["code"], err["id"]) == ("error", "unknown_type", "3")
    finally:
        code = host.close()
    assert code == 0, host.stderr.decode()
    assert host.garbage == b""


def test_host_survives_each_bad_input_and_answers_after_it(tmp_path: Path) -> None:
    frames = [
        encode(b"\xff"), encode(b"{"), encode(b"42"), struct.pack("=I", 0),
        encode({"id": "u", "type": "unknown.thing"}),
        encode({"id": "s", "type": "extract", "text": ["not", "a", "string"]}),
        encode({"id": "ok", "type": "ping"}),
    ]
    proc = run_host(tmp_path, b"".join(frames))
    assert proc.returncode == 0, proc.stderr.decode()
    replies = decode_all(proc.stdout)  # fails on any stray byte: stdout holds frames only
    assert [r.get("code", r["type"]) for r in replies] == [
        "bad_utf8", "bad_json", "not_object", "frame_empty", "unknown_type",
        "schema_violation", "pong",
    ]
    assert replies[4]["id"] == "u" and replies[5]["path"] == "/text"


def test_oversized_declared_length_is_checked_before_the_body(tmp_path: Path) -> None:
    # 32 MiB declared (over the 16 MiB cap, under Chrome's 64 MiB): skipped, then served.
    body = b"x" * (32 * 1024 * 1024)
    data = struct.pack("=I", len(body)) + body + encode({"id": "after", "type": "ping"})
    proc = run_host(tmp_path, data)
    replies = decode_all(proc.stdout)
    assert [r.get("code", r["type"]) for r in replies] == ["frame_too_large", "pong"]
    assert proc.returncode == 0


@pytest.mark.parametrize("tail", [b"\x10\x00", struct.pack("=I", 100) + b'{"id":'])
def test_truncated_stream_gives_an_error_and_a_clean_exit(tmp_path: Path, tail: bytes) -> None:
    proc = run_host(tmp_path, encode({"id": "1", "type": "ping"}) + tail)
    replies = decode_all(proc.stdout)
    assert [r.get("code", r["type"]) for r in replies] == ["pong", "frame_truncated"]
    assert proc.returncode == 1


def test_garbage_length_exits_without_waiting_for_a_body(tmp_path: Path) -> None:
    proc = run_host(tmp_path, b"HTTP/1.1 200 OK\r\n", timeout=15)
    (err,) = decode_all(proc.stdout)
    assert err["code"] == "frame_too_large"
    assert proc.returncode == 1


def test_unknown_caller_gets_one_error_frame_and_exit(tmp_path: Path) -> None:
    proc = run_host(tmp_path, encode({"id": "1", "type": "ping"}), "chrome-extension://" + "b" * 32 + "/")
    (err,) = decode_all(proc.stdout)
    assert err["code"] == "origin_forbidden" and err["id"] is None
    assert proc.returncode != 0


def test_firefox_argv_is_served(tmp_path: Path) -> None:
    proc = run_host(tmp_path, encode({"id": "1", "type": "ping"}),
                    str(tmp_path / "com.sentinelx.host.json"), "sentinelx@sentinelx.dev")
    assert decode_all(proc.stdout)[0]["type"] == "pong"
    assert proc.returncode == 0


def test_logs_go_to_stderr_and_the_log_file_never_stdout(tmp_path: Path) -> None:
    proc = run_host(tmp_path, encode({"id": "1", "type": "ping"}))
    assert b"serving chrome extension" in proc.stderr
    log_file = tmp_path / "log" / "sentinelx.log"
    assert "serving chrome extension" in log_file.read_text()
    assert len(decode_all(proc.stdout)) == 1


def test_stray_prints_cannot_reach_the_frame_stream(tmp_path: Path) -> None:
    # A handler (or library) that prints, even at the C level, must not corrupt frames.
    script = """
import os, sys
from sentinelx.native import host
from sentinelx.native.handlers import core
real_ping = core.ping
def noisy(*a):
    print("hello from a library")
    os.write(1, b"raw fd write\\n")
    real_ping(*a)
core.ping = noisy
sys.exit(host.run(sys.argv[1:]))
"""
    cmd = [sys.executable, "-c", script, *host_cmd()[4:]]
    proc = subprocess.run(cmd, input=encode({"id": "1", "type": "ping"}), capture_output=True,
                          env=host_env(tmp_path), timeout=30)
    assert [r["type"] for r in decode_all(proc.stdout)] == ["pong"]
    assert b"hello from a library" in proc.stderr and b"raw fd write" in proc.stderr


def test_sigterm_exits_promptly(tmp_path: Path) -> None:
    host = HostProcess(host_env(tmp_path))
    host.send({"id": "1", "type": "ping"})
    assert host.recv()["type"] == "pong"
    host.proc.send_signal(signal.SIGTERM)
    assert host.proc.wait(timeout=5) == 0


def test_a_fresh_host_answers_its_first_extract_while_it_warms_up(tmp_path: Path) -> None:
    """The first request of a fresh host runs while its warm-up thread imports the rest. An
    extract defining the pipeline's dataclasses while `typing` was half imported failed with
    internal_error about 1 start in 40-80; 30 fresh hosts, each asked at once, must all answer."""
    for n in range(30):
        h = HostProcess(host_env(tmp_path / str(n)))
        try:
            h.send({"id": "x", "type": "extract", "text": "evil-c2.net 45.9.9.1",
                    "preview": {"include_private": False}})
            h.send({"id": "p", "type": "ping"})
            got = h.wait_for(lambda f: f.get("id") == "x" and f["type"] in ("previewed", "error"))
            assert got["type"] == "previewed", (got, h.stderr[-2000:])
            assert [f["type"] for f in h.frames if f.get("id") == "x"] == ["extracted", "previewed"]
        finally:
            h.kill()
