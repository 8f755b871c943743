"""`sentinelx export` and `sentinelx history` as real subprocesses on a seeded history."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest

from sentinelx import config
from sentinelx.enrichment import store
from sentinelx.enrichment.history import History
from tests.support import enrich_env
from tests.support.enrich_env import SENTINELX
from tests.support.fakes.misp_events import FakeMispEvents
from tests.support.history_records import sample
from tests.unit.test_export_formats import misp_load, splunk_lookup_problems, stix_check

sx_dirs = enrich_env.sx_dirs  # fixture


def sx(dirs, *args, env=None):
    return subprocess.run([str(SENTINELX), *args], capture_output=True, text=True,
                          env=dirs.env(**(env or {})), timeout=60)


@pytest.fixture
def seeded(sx_dirs):
    conn = store.connect()
    h = History(conn)
    runs = []
    for title in ("Old report", "New report"):
        run = h.start_run(source_title=title, total=9)
        for r in sample():
            h.record(run, r["ioc"], r["combined"], r["results"])
        runs.append(run)
    conn.execute("UPDATE records SET ts = ts - 30 * 86400 WHERE run_id = ?", (runs[0],))
    conn.close()
    return runs


def test_export_each_format_from_history(sx_dirs, seeded, tmp_path):
    out = sx(sx_dirs, "export", "--format", "csv", "-o", str(tmp_path / "x.csv"))
    assert out.returncode == 0, out.stderr
    data = (tmp_path / "x.csv").read_bytes()
    assert splunk_lookup_problems(data, "x.csv") == []
    assert len(list(csv.DictReader(io.StringIO(data.decode(), newline="")))) == 18
    assert "exported 18 indicators" in out.stderr
    stix_check(sx(sx_dirs, "export", "--format", "stix").stdout)
    event = misp_load(sx(sx_dirs, "export", "--format", "misp", "--since", "7d").stdout)
    assert len(event.attributes) == 9
    doc = json.loads(sx(sx_dirs, "export", "--format", "json", "--run", str(seeded[0])).stdout)
    assert doc["count"] == 9 and {r["source_title"] for r in doc["records"]} == {"Old report"}
    md = sx(sx_dirs, "export", "--format", "markdown", "--verdict", "malicious").stdout
    assert md.count("| malicious |") == 6 and "evil-c2[.]net" in md
    text = sx(sx_dirs, "export", "--format", "text", "--no-defang", "--since", "1d",
              "--verdict", "malicious,suspicious").stdout
    assert sorted(line.split("\t")[0] for line in text.splitlines()) == sorted(
        ["185.220.101.47", "evil-c2.net", "http://x4z9arb.cn/4712?a='b'",
         sample()[6]["ioc"]["value"], "phish@bad.example"])


def test_export_refuses_bad_options(sx_dirs, seeded):
    for args in (["--format", "xlsx"], ["--format", "csv", "--verdict", "evil"],
                 ["--format", "csv", "--since", "last tuesday"],
                 ["--format", "csv", "--push-misp"], ["--format", "csv", "--defang", "--no-defang"]):
        out = sx(sx_dirs, "export", *args)
        assert out.returncode == 2 and out.stdout == "", args


def test_history_lists_filters_and_forgets(sx_dirs, seeded):
    rows = json.loads(sx(sx_dirs, "history", "--json").stdout)
    assert len(rows) == 18 and rows[0]["source_title"] == "Old report"
    assert rows[-1]["ioc"]["value"] == "CVE-2021-44228"
    assert len(json.loads(sx(sx_dirs, "history", "--json", "--since", "7d").stdout)) == 9
    assert len(json.loads(sx(sx_dirs, "history", "--json", "--verdict", "malicious").stdout)) == 6
    assert len(json.loads(sx(sx_dirs, "history", "--json", "--limit", "4").stdout)) == 4
    text = sx(sx_dirs, "history", "--search", "evil-c2").stdout
    assert text.count("\n") == 2 and "virustotal:malicious" in text
    assert sx(sx_dirs, "history", "--clear").returncode == 2
    assert "forgot 9" in sx(sx_dirs, "history", "--delete-run", str(seeded[0])).stderr
    assert "forgot 1" in sx(sx_dirs, "history", "--delete", str(rows[-1]["id"])).stderr
    assert "forgot 8" in sx(sx_dirs, "history", "--clear", "--yes").stderr
    assert json.loads(sx(sx_dirs, "history", "--json").stdout) == []


def test_export_push_misp_creates_the_event(sx_dirs, seeded, monkeypatch):
    key = "misp-secret-key-0123456789abcdef"
    with FakeMispEvents(api_key=key) as misp:
        cfg = config.config_path()
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(json.dumps({"providers.misp.base_url": misp.base_url}))
        out = sx(sx_dirs, "export", "--format", "misp", "--push-misp", "--verdict", "malicious",
                 env={"SENTINELX_MISP_API_KEY": key})
        assert out.returncode == 0, out.stderr
        assert misp.events and len(misp.events[0]["Attribute"]) == 3
        assert f"{misp.base_url}/events/view/1" in out.stderr and key not in out.stderr
