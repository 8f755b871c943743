"""history.* / export / export.push_misp through a real `sentinelx host` process."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from sentinelx import export
from sentinelx.enrichment import store
from sentinelx.enrichment.history import History
from sentinelx.native import framing
from tests.support.fakes.misp_events import FakeMispEvents
from tests.support.frames import HostProcess, host_env
from tests.support.history_records import many, sample
from tests.unit.test_export_formats import misp_load, stix_check

BIG = 3000  # records: the JSON export and the reopened run pass 1 MiB


def seed(tmp: Path) -> list[int]:
    old = {k: os.environ.get(k) for k in ("SENTINELX_CACHE_DIR", "SENTINELX_CONFIG_DIR")}
    os.environ["SENTINELX_CACHE_DIR"] = str(tmp / "cache")
    os.environ["SENTINELX_CONFIG_DIR"] = str(tmp / "config")
    try:
        conn = store.connect()
        h = History(conn, keep_page_url=True)
        runs = []
        for title, recs in (("Big report", many(BIG)), ("Small report", sample())):
            run = h.start_run(source_title=title, source_url="https://blog.example/r", total=len(recs))
            h.record_batch(run, [(r["ioc"], r["combined"], r["results"]) for r in recs])
            runs.append(run)
        conn.close()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return runs


@pytest.fixture
def host(tmp_path):
    runs = seed(tmp_path)
    h = HostProcess(host_env(tmp_path, SENTINELX_MISP_API_KEY="k" * 32))
    h.runs = runs  # type: ignore[attr-defined]
    yield h
    h.close()


def parts(host: HostProcess, rid: str, msg_type: str, timeout: float = 60) -> list[dict]:
    first = host.wait_for(lambda f: f.get("id") == rid, timeout)
    assert first["type"] == msg_type, first
    n = first["parts"]
    host.wait_for(lambda f: f.get("id") == rid and f.get("part") == n, timeout)
    got = sorted(host.of(rid, msg_type), key=lambda f: f["part"])
    assert [f["part"] for f in got] == list(range(1, n + 1))
    return got


def test_query_pages_filters_and_frames_stay_small(host):
    host.send({"id": "q1", "type": "history.query", "limit": 500})
    (page,) = parts(host, "q1", "history.page")
    assert page["total"] == BIG + 9 and len(page["rows"]) == 500
    assert page["rows"][0]["ioc"]["value"] == "CVE-2021-44228"
    assert page["rows"][0]["source_title"] == "Small report"
    host.send({"id": "q2", "type": "history.query", "cursor": page["next_cursor"], "limit": 500,
               "filter": {"verdicts": ["malicious"], "types": ["domain"], "search": "HOST1"}})
    (page2,) = parts(host, "q2", "history.page")
    assert page2["rows"] and all(r["verdict"] == "malicious" and r["ioc"]["type"] == "domain"
                                 and "host1" in r["ioc"]["value"] for r in page2["rows"])
    assert max(r["id"] for r in page2["rows"]) < page["next_cursor"]
    host.send({"id": "q3", "type": "history.query", "filter": {"since": "last week"}})
    err = host.wait_for(lambda f: f.get("id") == "q3")
    assert err["type"] == "error" and err["code"] == "invalid_value"
    assert max(host.sizes) <= framing.MAX_REPLY_BYTES


def test_reopen_a_run_in_parts(host):
    big = host.runs[0]
    host.send({"id": "r1", "type": "history.run", "run_id": big})
    got = parts(host, "r1", "history.records")
    assert len(got) > 1 and max(host.sizes) <= framing.MAX_REPLY_BYTES
    records = [r for f in got for r in f["records"]]
    assert len(records) == BIG and records[0]["results"] == many(1)[0]["results"]
    assert got[0]["run"]["source_url"] == "https://blog.example/r"
    host.send({"id": "r2", "type": "history.run", "run_id": 999999})
    assert host.wait_for(lambda f: f.get("id") == "r2")["code"] == "not_found"


def test_every_export_format_over_the_port(host):
    small = host.runs[1]
    for i, fmt in enumerate(export.FORMATS):
        host.send({"id": f"e{i}", "type": "export", "format": fmt, "run_id": small})
    contents = {}
    for i, fmt in enumerate(export.FORMATS):
        got = parts(host, f"e{i}", "exported")
        assert got[0]["count"] == 9 and got[0]["format"] == fmt
        contents[fmt] = "".join(piece for f in got for piece in f["content"])
    rows = list(csv.DictReader(io.StringIO(contents["csv"], newline="")))
    assert len(rows) == 9 and rows[0]["source_title"] == "Small report"
    stix_check(contents["stix"])
    assert misp_load(contents["misp"]).info == "SentinelX: Small report"
    assert json.loads(contents["json"])["count"] == 9
    assert "evil-c2[.]net" in contents["markdown"] and "evil-c2[.]net" in contents["text"]


def test_a_big_export_comes_in_parts_that_join_exactly(host):
    host.send({"id": "big", "type": "export", "format": "json", "defang": True})
    got = parts(host, "big", "exported")
    content = "".join(piece for f in got for piece in f["content"])
    assert len(content.encode()) > framing.MAX_REPLY_BYTES and len(got) > 1
    assert max(host.sizes) <= framing.MAX_REPLY_BYTES
    doc = json.loads(content)
    assert doc["count"] == len(doc["records"]) == BIG + 9 and doc["defanged"] is True
    assert doc["records"][0]["ioc"]["value"].count("[.]") == 3
    host.send({"id": "sel", "type": "export", "format": "text", "verdicts": ["suspicious"],
               "filter": {"verdicts": ["suspicious", "clean"], "run_id": host.runs[1]}})
    (sel,) = parts(host, "sel", "exported")
    assert sel["count"] == 2


def test_delete_and_clear(host):
    host.send({"id": "d1", "type": "history.delete", "run_id": host.runs[0]})
    assert host.wait_for(lambda f: f.get("id") == "d1")["deleted"] == BIG
    host.send({"id": "q", "type": "history.query", "limit": 2})
    (page,) = parts(host, "q", "history.page")
    host.send({"id": "d2", "type": "history.delete", "ids": [r["id"] for r in page["rows"]]})
    assert host.wait_for(lambda f: f.get("id") == "d2")["deleted"] == 2
    host.send({"id": "d3", "type": "history.delete"})
    assert host.wait_for(lambda f: f.get("id") == "d3")["code"] == "schema_violation"
    host.send({"id": "c", "type": "history.clear"})
    assert host.wait_for(lambda f: f.get("id") == "c")["deleted"] == 7


def test_push_misp_not_configured_is_a_typed_error(host):
    host.send({"id": "p", "type": "export.push_misp", "run_id": host.runs[1]})
    err = host.wait_for(lambda f: f.get("id") == "p")
    assert err["type"] == "error" and err["code"] == "push_failed"
    assert "(not_configured)" in err["message"] and "k" * 32 not in err["message"]


def test_push_misp_creates_the_event(tmp_path, monkeypatch):

    runs = seed(tmp_path)
    key = "misp-key-" + "0" * 32
    with FakeMispEvents(api_key=key) as misp:
        (tmp_path / "config").mkdir(parents=True, exist_ok=True)
        (tmp_path / "config" / "config.json").write_text(
            json.dumps({"providers.misp.base_url": misp.base_url}))
        h = HostProcess(host_env(tmp_path, SENTINELX_MISP_API_KEY=key))
        try:
            h.send({"id": "p", "type": "export.push_misp", "run_id": runs[1],
                    "verdicts": ["malicious"]})
            pushed = h.wait_for(lambda f: f.get("id") == "p")
            assert pushed["type"] == "misp.pushed" and pushed["count"] == 3
            assert len(misp.events[0]["Attribute"]) == 3
        finally:
            h.close()
