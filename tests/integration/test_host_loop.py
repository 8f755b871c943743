"""The host loop under hostile and heavy input, in a real `sentinelx host` process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.frames import HostProcess, decode_all, encode, host_cmd, host_env


def test_deep_nesting_and_lone_surrogates_never_kill_the_host(tmp_path: Path) -> None:
    frames = [
        encode(b"[" * 1000 + b"]" * 1000),
        encode(b'{"id":"\\ud800","type":"ping"}'),
        encode(b"{\"a\":" * 40_000 + b"1" + b"}" * 40_000),  # 80,000 values: under the cap
        encode(b'{"id":"x","type":"extract","text":"\\udfff"}'),
        encode({"id": "ok", "type": "ping"}),
    ]
    proc = subprocess.run(host_cmd(), input=b"".join(frames), capture_output=True, timeout=60,
                          env=host_env(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    replies = decode_all(proc.stdout)
    # Frames over 64 KiB are decoded on their own thread, so replies need not keep order.
    assert sorted(r.get("code", r["type"]) for r in replies) == [
        "bad_unicode", "bad_unicode", "pong", "too_deep", "too_deep"]
    surrogates = sorted((r["path"], r["id"] or "") for r in replies if r.get("code") == "bad_unicode")
    assert surrogates == [("/id", ""), ("/text", "x")]


def test_a_ping_behind_a_big_frame_is_answered_before_it(tmp_path: Path) -> None:
    # ~0.7 MB, 16,000 IOCs (80,000 values, under decode.MAX_VALUES): checking one of 10,000
    # took the old loop seconds on the reading thread.
    iocs = [{"type": "domain", "value": f"host-{i}.example"} for i in range(16_000)]
    host = HostProcess(host_env(tmp_path))
    try:
        host.send({"id": "warm", "type": "ping"})
        host.recv()
        host.send_raw(encode(json.dumps({"id": "big", "type": "enrich", "iocs": iocs}).encode()))
        host.send({"id": "p", "type": "ping"})
        host.wait_for(lambda f: f.get("id") == "p", timeout=30)
        host.send({"id": "c", "type": "cancel", "target": "big"})
        host.wait_for(lambda f: f.get("id") == "big" and f.get("type") in ("summary", "error"),
                      timeout=120)
        order = [f.get("id") for f in host.frames]
        assert order.index("p") < order.index("big")
    finally:
        host.close()
    assert host.garbage == b""


def test_nothing_a_ping_does_not_need_is_imported_before_the_pong(tmp_path: Path) -> None:
    script = """
import sys
from sentinelx.native.handlers import core
real = core.ping
def spy(*a):
    sys.stderr.write("MODULES " + " ".join(sorted(sys.modules)) + "\\n")
    real(*a)
core.ping = spy
from sentinelx.cli import main
sys.argv = ["sentinelx", *sys.argv[1:]]
sys.exit(main())
"""
    cmd = [sys.executable, "-c", script, *host_cmd()[3:]]
    proc = subprocess.run(cmd, input=encode({"id": "1", "type": "ping"}), capture_output=True,
                          env=host_env(tmp_path), timeout=30)
    assert [r["type"] for r in decode_all(proc.stdout)] == ["pong"], proc.stderr.decode()[-2000:]
    line = next(x for x in proc.stderr.decode().splitlines() if x.startswith("MODULES "))
    loaded = set(line.split()[1:])
    # pong will carry capabilities read from the provider registry and the config, so those
    # may load; the network, the cache, schema libraries and the extractor must not.
    heavy = {"jsonschema", "referencing", "requests", "urllib3", "sqlite3", "argparse",
             "logging.handlers", "sentinelx.enrichment.http", "sentinelx.enrichment.service",
             "sentinelx.enrichment.cache", "sentinelx.enrichment.queue", "sentinelx.pipeline.extract",
             "sentinelx.logs"}
    assert heavy & loaded == set()


def test_the_next_start_answers_pong_from_the_snapshot_without_the_providers(tmp_path: Path) -> None:
    env = host_env(tmp_path)
    first = subprocess.run(host_cmd(), input=encode({"id": "1", "type": "ping"}),
                           capture_output=True, env=env, timeout=30)
    assert (tmp_path / "cache" / "capabilities.json").is_file(), first.stderr.decode()[-2000:]
    script = """
import sys
from sentinelx.native.handlers import core
real = core.ping
def spy(*a):
    real(*a)
    sys.stderr.write("MODULES " + " ".join(sorted(sys.modules)) + "\\n")
core.ping = spy
from sentinelx.cli import main
sys.argv = ["sentinelx", *sys.argv[1:]]
sys.exit(main())
"""
    second = subprocess.run([sys.executable, "-c", script, *host_cmd()[3:]],
                            input=encode({"id": "1", "type": "ping"}), capture_output=True,
                            env=env, timeout=30)
    assert decode_all(second.stdout) == decode_all(first.stdout)
    line = next(x for x in second.stderr.decode().splitlines() if x.startswith("MODULES "))
    loaded = set(line.split()[1:])
    assert {"sentinelx.config", "sentinelx.enrichment.providers.registry",
            "sentinelx.enrichment.providers.virustotal", "dataclasses", "typing"} & loaded == set()


def test_an_unwritable_cache_dir_costs_the_snapshot_only(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {**host_env(tmp_path), "SENTINELX_CACHE_DIR": str(blocker / "cache")}  # under a file
    for _ in range(2):
        proc = subprocess.run(host_cmd(), input=encode({"id": "1", "type": "ping"}),
                              capture_output=True, env=env, timeout=30)
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]
        assert [r["type"] for r in decode_all(proc.stdout)] == ["pong"]
        assert "cannot store the capabilities snapshot" in proc.stderr.decode()
