"""`sentinelx enrich` and `sentinelx history` as real subprocesses against the fake VT."""

from __future__ import annotations

import json
import os
import pty
import subprocess

import pytest

from sentinelx import config
from tests.support import enrich_env
from tests.support.enrich_env import SENTINELX
from tests.support.fakevt import FakeVT

sx_dirs = enrich_env.sx_dirs  # fixture
KEY = "cli-secret-key-77aa88bb99cc"


@pytest.fixture
def fake(sx_dirs):
    with FakeVT(api_key=KEY) as f:
        config.set_value("vt.base_url", f.base_url)
        config.set_value("vt.requests_per_minute", 1000)
        f.seed("domain", "evil-c2.net", "malicious")
        f.seed("sha256", "e" * 64, "clean")
        yield f


def sx(dirs, *args, key: str | None = None, stdin: str = "", **kw):
    env = dirs.env(**({"VT_API_KEY": key} if key else {}))
    return subprocess.run([str(SENTINELX), *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60, **kw)


def test_no_key_says_how_and_still_prints_extraction(sx_dirs, fake, tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("see hxxp://evil[.]com/a and 1.2.3[.]4, CVE-2021-44228, setup.py\n")
    out = sx(sx_dirs, "enrich", str(page))
    assert out.returncode == 0, out.stderr
    assert "sentinelx config set-key" in out.stderr
    doc = json.loads(out.stdout)
    extracted = json.loads(sx(sx_dirs, "extract", str(page)).stdout)["iocs"]
    assert doc["iocs"] == extracted  # the extraction, whatever the extractor finds
    assert len(doc["results"]) == len({(i["type"], i["value"]) for i in extracted})
    assert fake.requests == []


def test_no_key_with_explicit_iocs(sx_dirs, fake):
    out = sx(sx_dirs, "enrich", "--ioc", "domain:evil-c2.net", "--ioc", "ipv4:192.168.1.1")
    doc = json.loads(out.stdout)
    by = {r["ioc"]["value"]: r for r in doc["results"]}
    assert by["evil-c2.net"]["error"]["code"] == "no_api_key"
    assert by["192.168.1.1"]["reason"] == "private"
    assert [i["value"] for i in doc["iocs"]] == ["evil-c2.net", "192.168.1.1"]


def test_enrich_then_history(sx_dirs, fake):
    out = sx(sx_dirs, "enrich", "--ioc", "domain:evil-c2.net", "--ioc", "sha256:" + "E" * 64,
             key=KEY)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    verdicts = {r["ioc"]["value"]: r["enrichment"]["verdict"] for r in doc["results"]}
    assert verdicts == {"evil-c2.net": "malicious", "e" * 64: "clean"}
    assert doc["summary"]["counts"]["malicious"] == 1 and "\r[" not in out.stderr  # no tty
    again = json.loads(sx(sx_dirs, "enrich", "--ioc", "domain:evil-c2.net", key=KEY).stdout)
    assert again["results"][0]["cached"] is True
    assert len(fake.api_requests()) == 2
    # One record per IOC and run (issue 13), newest last, with every provider's verdict.
    hist = json.loads(sx(sx_dirs, "history", "--json").stdout)
    assert [(h["ioc"]["value"], h["verdict"]) for h in hist] == [
        ("evil-c2.net", "malicious"), ("e" * 64, "clean"), ("evil-c2.net", "malicious")]
    assert all(h["providers"]["virustotal"] == h["verdict"] and h["time"].endswith("Z")
               for h in hist)
    assert hist[0]["run_id"] == hist[1]["run_id"] != hist[2]["run_id"]
    assert len(json.loads(sx(sx_dirs, "history", "--json", "--since", "1h").stdout)) == 3
    assert json.loads(sx(sx_dirs, "history", "--json", "--since", "2999-01-01").stdout) == []
    text = sx(sx_dirs, "history").stdout
    assert "evil-c2.net" in text and "virustotal:malicious" in text
    assert sx(sx_dirs, "history", "--since", "yesterday-ish").returncode != 0


def test_progress_bar_only_on_a_terminal(sx_dirs, fake):
    leader, follower = pty.openpty()
    try:
        out = subprocess.run([str(SENTINELX), "enrich", "--ioc", "domain:evil-c2.net"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower,
                             env=sx_dirs.env(VT_API_KEY=KEY), timeout=60)
        os.close(follower)
        follower = -1
        err = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert out.returncode == 0
    assert b"1/1" in err and b"[" in err
    assert json.loads(out.stdout)["summary"]["total"] == 1


def test_config_lists_ttl_settings_and_validates(sx_dirs):
    out = sx(sx_dirs, "config", "list")
    assert "cache.ttl_hours.malicious" in out.stdout and "vt.malicious_threshold" in out.stdout
    assert sx(sx_dirs, "config", "set", "cache.ttl_hours.no_data", "2").returncode == 0
    assert config.get("cache.ttl_hours.no_data") == 2.0
    assert sx(sx_dirs, "config", "set", "cache.ttl_hours.no_data", "-1").returncode != 0
    assert sx(sx_dirs, "config", "set", "cache.ttl_hours.no_data", "default").returncode == 0
    assert config.get("cache.ttl_hours.no_data") is None
