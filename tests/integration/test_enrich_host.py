"""Enrichment through the real `sentinelx host` subprocess over real pipes, against the
fake VT over real sockets: frame sizes, ping/cancel during a queue, no key, key secrecy,
two processes sharing one budget, SIGKILL durability."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from sentinelx import config
from sentinelx.native.framing import MAX_REPLY_BYTES as MAX_REPLY
from sentinelx.protocol import validate
from tests.support import enrich_env
from tests.support.fakevt import FakeVT
from tests.support.frames import HostProcess

sx_dirs = enrich_env.sx_dirs  # fixtures
hosts = enrich_env.hosts
KEY = "5f3a9c0e1d2b4a6f8e7d" * 3 + "9c0e"  # 64 hex: a VirusTotal key's shape


@pytest.fixture
def fake():
    with FakeVT(api_key=KEY) as f:
        yield f


def configure(fake: FakeVT, per_minute: int = 100_000, per_day: int = 1_000_000) -> None:
    enrich_env.only_providers("virustotal")  # the others: skipped/disabled, no network
    config.set_value("vt.base_url", fake.base_url)
    config.set_value("vt.requests_per_minute", per_minute)
    config.set_value("vt.requests_per_day", per_day)


def ips(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"type": "ipv4", "value": f"45.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"}
            for i in range(start, start + n)]


def all_results_of(h: HostProcess, rid: str) -> list[dict]:
    """Every result of request `rid`, whether it came alone or in a `results` batch."""
    out = []
    for f in h.of(rid):
        if f["type"] == "result":
            out.append(f)
        elif f["type"] == "results":
            out.extend(f["results"])
    return out


def results_of(h: HostProcess, rid: str) -> list[dict]:
    """VirusTotal's results of request `rid` (every other provider is a disabled skip)."""
    return enrich_env.pinned(all_results_of(h, rid))


def assert_valid(frames):
    for f in frames:
        assert validate.check("reply", f) is None, f


def test_500_iocs_stream_one_result_per_frame_none_over_1mib(sx_dirs, fake, hosts):
    configure(fake)
    refs = ips(500)
    fat_tags = [f"campaign-{i:04d}-{'x' * 20}" for i in range(50)]  # ~1.5 KB per result
    for r in refs:
        fake.seed("ipv4", r["value"], "malicious", tags=fat_tags)
    h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    hosts.append(h)
    h.send({"id": "e1", "type": "enrich", "iocs": refs})
    h.send({"id": "p1", "type": "ping"})
    summary = h.wait_for(lambda f: f.get("type") == "summary", timeout=120)
    pong = h.wait_for(lambda f: f.get("type") == "pong")
    assert h.close() == 0
    frames = h.frames
    assert frames.index(pong) < frames.index(summary)  # ping answered while the queue ran
    results = results_of(h, "e1")
    assert len(results) == 500
    assert {r["ioc"]["value"] for r in results} == {r["value"] for r in refs}
    assert all(r["result"]["verdict"] == "malicious" for r in results)
    assert summary["total"] == 500 and summary["counts"]["malicious"] == 500
    assert max(h.sizes) < MAX_REPLY
    assert sum(h.sizes) > MAX_REPLY  # all of it in one frame would have been refused
    assert_valid(frames)


def test_second_run_is_served_from_cache_fast(sx_dirs, fake, hosts):
    configure(fake)
    for r in ips(50):
        fake.seed("ipv4", r["value"], "clean")
    h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    hosts.append(h)
    h.send({"id": "a", "type": "enrich", "iocs": ips(50)})
    h.wait_for(lambda f: f.get("id") == "a" and f["type"] == "summary", timeout=60)
    n_requests = len(fake.api_requests())
    sent = time.monotonic()
    h.send({"id": "b", "type": "enrich", "iocs": ips(50)})
    h.wait_for(lambda f: f.get("id") == "b" and f["type"] in ("result", "results"))
    first_result_after = time.monotonic() - sent
    summary = h.wait_for(lambda f: f.get("id") == "b" and f["type"] == "summary")
    assert summary["cached"] == 50 and len(fake.api_requests()) == n_requests == 50
    assert first_result_after < 1.0
    h.send({"id": "c", "type": "enrich", "iocs": ips(1), "refresh": True})
    h.wait_for(lambda f: f.get("id") == "c" and f["type"] == "summary")
    assert len(fake.api_requests()) == 51  # refresh bypassed the cache
    h.close()


def test_cancel_stops_the_queue(sx_dirs, fake, hosts):
    configure(fake, per_minute=2)
    h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    hosts.append(h)
    h.send({"id": "q", "type": "enrich", "iocs": ips(6)})
    # two lookups run at once (the minute's budget), then the lane's two workers wait
    waiting = h.wait_for(lambda f: f.get("type") == "progress" and f["waiting_for_quota"]
                         and f["done"] == 2)
    assert waiting["quota_state"] == "minute_limit" and waiting["next_slot_at"]
    assert waiting["queued"] == 4
    h.send({"id": "p", "type": "ping"})
    h.wait_for(lambda f: f.get("type") == "pong", timeout=3)
    h.send({"id": "c", "type": "cancel", "target": "q"})
    ack = h.wait_for(lambda f: f.get("type") == "cancelled")
    summary = h.wait_for(lambda f: f.get("type") == "summary", timeout=5)
    assert ack["found"] is True and summary["cancelled"] is True
    results = results_of(h, "q")
    assert len(results) == 6
    assert [r["error"]["code"] for r in results if r["status"] == "error"] == ["cancelled"] * 4
    assert len(fake.api_requests()) == 2
    assert h.close() == 0
    assert_valid(h.frames)


def test_no_key_still_answers_with_no_api_key(sx_dirs, fake, hosts):
    configure(fake)
    h = HostProcess(sx_dirs.env())
    hosts.append(h)
    h.send({"id": "n", "type": "enrich", "iocs": [*ips(3), {"type": "ipv4", "value": "10.1.2.3"}]})
    summary = h.wait_for(lambda f: f.get("type") == "summary")
    results = results_of(h, "n")
    codes = sorted(r.get("error", {}).get("code") or r.get("reason") for r in results)
    assert codes == ["no_api_key"] * 3 + ["private"]
    assert all(r["status"] == "skipped" for r in results)
    # several lanes: the lane's own state says it (the top level shows a waiting lane)
    assert any(p["providers"]["virustotal"]["quota_state"] == "no_api_key"
               for p in h.of("n", "progress"))
    assert summary["counts"]["skipped"] == 4 and fake.requests == []
    h.close()
    assert_valid(h.frames)


def test_key_never_in_frames_or_logs(sx_dirs, fake, hosts):
    configure(fake)
    fake.seed("domain", "evil-c2.net", "malicious")
    # A hostile or buggy server echoing the key back must not get it into our output.
    fake.program("unauthorized", message=f"key {KEY} is wrong", path="/domains/")
    h = HostProcess(sx_dirs.env())
    hosts.append(h)
    h.send({"id": "k", "type": "config.set_key", "key": KEY})
    cfg = h.wait_for(lambda f: f.get("id") == "k")
    assert cfg["api_key"]["masked"] == "****" + KEY[-4:]
    assert cfg["keys"]["virustotal"]["masked"] == "****" + KEY[-4:]
    assert cfg["key_check"] == {"provider": "virustotal", "status": "ok",
                                "message": "VirusTotal accepted the key"}
    h.send({"id": "e", "type": "enrich", "iocs": [{"type": "domain", "value": "evil-c2.net"}]})
    h.wait_for(lambda f: f.get("id") == "e" and f["type"] == "summary")
    h.send({"id": "e2", "type": "enrich", "iocs": [{"type": "domain", "value": "evil-c2.net"}]})
    h.wait_for(lambda f: f.get("id") == "e2" and f["type"] == "summary")
    assert h.close() == 0
    assert results_of(h, "e")[0]["error"]["code"] == "auth"
    assert results_of(h, "e2")[0]["result"]["verdict"] == "malicious"
    # the key did go to the fake VT (check, lookup, lookup), in the header and nowhere else
    assert [r.headers.get("x-apikey") for r in fake.api_requests()] == [KEY, KEY, KEY]
    assert all(KEY not in r.path for r in fake.requests)
    everything = b"".join(h.raw) + h.stderr
    for log in sx_dirs.log.rglob("*"):
        if log.is_file():
            everything += log.read_bytes()
    assert b"serving chrome extension" in everything  # sanity: the log file was read
    assert KEY.encode() not in everything
    db = (sx_dirs.cache / "enrich.sqlite3").read_bytes()
    assert KEY.encode() not in db


def test_two_hosts_share_one_budget(sx_dirs, fake, hosts):
    configure(fake, per_minute=4)
    a = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    b = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    hosts.extend([a, b])
    a.send({"id": "a", "type": "enrich", "iocs": ips(6, 0)})
    b.send({"id": "b", "type": "enrich", "iocs": ips(6, 100)})
    for h in (a, b):
        h.wait_for(lambda f: f.get("type") == "progress" and f["waiting_for_quota"], timeout=20)
    def done() -> int:
        return len(results_of(a, "a")) + len(results_of(b, "b"))

    deadline = time.monotonic() + 20  # the 4 granted lookups finish (slowly on a loaded machine)
    while done() < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # would a process that ignored the shared budget sneak one more in?
    assert len(fake.api_requests()) == 4
    assert done() == 4
    for h, rid in ((a, "a"), (b, "b")):
        h.send({"id": "c", "type": "cancel", "target": rid})
        h.wait_for(lambda f: f.get("type") == "summary", timeout=5)
        h.close()
    assert len(fake.api_requests()) == 4


def test_rate_limit_pause_is_visible(sx_dirs, fake, hosts):
    configure(fake, per_minute=1)
    fake.program("quota")
    h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    hosts.append(h)
    h.send({"id": "r", "type": "enrich", "iocs": ips(2)})
    p = h.wait_for(lambda f: f.get("type") == "progress" and f["waiting_for_quota"])
    assert p["quota_state"] == "rate_limited" and p["queued"] == 2
    assert len(fake.api_requests()) == 1
    h.send({"id": "c", "type": "cancel", "target": "r"})
    summary = h.wait_for(lambda f: f.get("type") == "summary", timeout=5)
    assert summary["cancelled"] and len(results_of(h, "r")) == 2  # nothing silently dropped
    assert summary["providers"]["virustotal"]["paused_until"]
    h.close()


def test_sigkill_mid_queue_leaves_a_usable_cache(sx_dirs, fake, hosts):
    configure(fake)
    refs = ips(400)
    for r in refs:
        fake.seed("ipv4", r["value"], "malicious")
    fake.latency = 0.1  # so the kill lands mid-queue, ~4 s from the end at 8 in flight
    h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    hosts.append(h)
    h.send({"id": "s", "type": "enrich", "iocs": refs})
    h.wait_for(lambda f: len(results_of(h, "s")) >= 60, timeout=60)
    os.kill(h.proc.pid, signal.SIGKILL)
    h.proc.wait()
    got = {r["ioc"]["value"] for r in results_of(h, "s")}
    assert 60 <= len(got) < 400
    db = sqlite3.connect(sx_dirs.cache / "enrich.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    cached = {v for (v,) in db.execute("SELECT value FROM cache")}
    db.close()
    assert got <= cached  # every result the browser saw was committed first
    fake.latency = 0.0
    h2 = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    hosts.append(h2)
    h2.send({"id": "t", "type": "enrich", "iocs": refs})
    summary = h2.wait_for(lambda f: f.get("type") == "summary", timeout=120)
    assert summary["counts"]["malicious"] == 400 and summary["cached"] >= len(got)
    h2.close()


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from sentinelx.enrichment import store
    from sentinelx.enrichment.cache import Cache
    from sentinelx.enrichment.history import History
    from sentinelx.enrichment.models import Observation, Verdict
    from sentinelx.pipeline.models import IOC, IOCType
    conn = store.connect(Path(sys.argv[1]))
    cache, hist = Cache(conn), History(conn)
    run = hist.start_run(total=0)
    i = 0
    while True:
        obs = Observation("virustotal", False, {}, time.time())
        cache.put("domain", f"d{i}.com", obs, Verdict.NO_DATA)
        r = {"provider": "virustotal", "status": "ok", "cached": False,
             "result": {"verdict": "no_data", "summary": ""}}
        hist.record(run, IOC(IOCType.DOMAIN, f"d{i}.com", "", 0), {}, [r] * 50)
        print(i, flush=True)
        i += 1
""")


def test_sigkill_in_a_tight_write_loop(tmp_path):
    path = tmp_path / "e.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    last = -1
    while last < 300:
        last = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n_cache = db.execute("SELECT COUNT(*) FROM cache").fetchone()[0]
    n_hist = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    assert n_cache >= last + 1 and n_hist >= last + 1
    for (payload,) in db.execute("SELECT payload FROM records"):  # a record is all or nothing
        assert len(json.loads(payload)["results"]) == 50
    for (payload,) in db.execute("SELECT payload FROM cache"):
        json.loads(payload)
    db.close()
    from sentinelx.enrichment import store
    from sentinelx.enrichment.cache import Cache
    conn = store.connect(path)
    assert Cache(conn).get("virustotal", "domain", "d0.com") is not None
    conn.close()


def test_text_request_enriches_what_extract_finds(sx_dirs, fake, hosts):
    configure(fake)
    text = "see hxxp://evil-c2[.]net/a and 45.33.32[.]156, CVE-2021-44228, 10.0.0.1, setup.py"
    fake.seed("ipv4", "45.33.32.156", "malicious")
    h = HostProcess(sx_dirs.env(VT_API_KEY=KEY))
    hosts.append(h)
    h.send({"id": "x", "type": "extract", "text": text})
    h.send({"id": "t", "type": "enrich", "text": text})
    h.wait_for(lambda f: f.get("id") == "t" and f["type"] == "summary")
    # Both run on their own threads: the extract may answer after the enrich is done.
    h.wait_for(lambda f: f.get("id") == "x" and f["type"] == "extracted")
    extracted = {(i["type"], i["value"]) for m in h.of("x", "extracted") for i in m["iocs"]}
    enriched = {(r["ioc"]["type"], r["ioc"]["value"]) for r in all_results_of(h, "t")}
    assert enriched == extracted
    by = {r["ioc"]["value"]: r for r in results_of(h, "t")}
    if "45.33.32.156" in by:  # once the extractor finds it, VT's verdict comes through
        assert by["45.33.32.156"]["result"]["verdict"] == "malicious"
    if "10.0.0.1" in by:
        assert by["10.0.0.1"]["reason"] == "private"
    assert all("/10.0.0.1" not in p for p in fake.paths())
    h.close()
    assert_valid(h.frames)
