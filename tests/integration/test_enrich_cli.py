"""`sentinelx enrich` and `sentinelx history` as real subprocesses against the fake VT."""

from __future__ import annotations

import json
import os
import pty
import subprocess

import pytest

from sentinelx import config
from sentinelx.enrichment.providers import registry
from tests.support import enrich_env
from tests.support.enrich_env import SENTINELX
from tests.support.fakevt import FakeVT

sx_dirs = enrich_env.sx_dirs  # fixture
SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
KEY = "77aa88bb99cc" * 5 + "0d1e"  # 64 hex, a VirusTotal key's shape


@pytest.fixture
def fake(sx_dirs):
    with FakeVT(api_key=KEY) as f:
        enrich_env.only_providers("virustotal")  # the others: skipped/disabled, no network
        config.set_value("vt.base_url", f.base_url)
        config.set_value("vt.requests_per_minute", 1000)
        f.seed("domain", "evil-c2.net", "malicious")
        f.seed("sha256", SHA, "clean")
        yield f


def sx(dirs, *args, key: str | None = None, stdin: str = "", **kw):
    env = dirs.env(**({"VT_API_KEY": key} if key else {}))
    return subprocess.run([str(SENTINELX), *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60, **kw)


def test_no_key_says_how_and_still_prints_extraction(sx_dirs, fake, tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("see hxxp://evil[.]com/a and 1.2.3[.]4, CVE-2021-44228, setup.py\n")
    out = sx(sx_dirs, "enrich", "--json", str(page))
    assert out.returncode == 0, out.stderr
    assert "sentinelx config set-key --provider" in out.stderr
    doc = json.loads(out.stdout)
    extracted = json.loads(sx(sx_dirs, "extract", str(page)).stdout)["iocs"]
    unique = list(dict.fromkeys((i["type"], i["value"]) for i in extracted))
    assert [(i["type"], i["value"]) for i in doc["iocs"]] == unique  # whatever it finds
    for ioc in doc["iocs"]:  # every IOC: a combined verdict, its reason, its providers
        assert ioc["verdict"] == "no_data" and ioc["reason"].startswith("no_data")
        # one entry per provider that takes the type, in registration order
        assert [p["provider"] for p in ioc["providers"]] == takers(ioc["type"])
        vt = enrich_env.pinned(ioc["providers"])
        assert [p["skipped"] for p in vt] == (["no_api_key"] if vt_takes(ioc["type"]) else [])
        assert all(p["status"] == "skipped" and p["verdict"] == "no_data"
                   for p in ioc["providers"])
    assert {i["type"] for i in doc["iocs"]} >= {"url", "ipv4", "cve"}
    assert fake.requests == []


def takers(ioc_type: str) -> list[str]:
    return [s.name for s in registry.specs() if ioc_type in {t.value for t in s.types}]


def vt_takes(ioc_type: str) -> bool:
    return "virustotal" in takers(ioc_type)


def test_no_key_with_explicit_iocs(sx_dirs, fake):
    out = sx(sx_dirs, "enrich", "--json", "--ioc", "domain:evil-c2.net",
             "--ioc", "ipv4:192.168.1.1")
    doc = json.loads(out.stdout)
    by = {i["value"]: i["providers"][0] for i in doc["iocs"]}
    assert by["evil-c2.net"] == {"provider": "virustotal", "status": "skipped",
                                 "cached": False, "verdict": "no_data",
                                 "skipped": "no_api_key"}
    assert by["192.168.1.1"]["skipped"] == "private"
    assert [i["value"] for i in doc["iocs"]] == ["evil-c2.net", "192.168.1.1"]


def test_enrich_then_history(sx_dirs, fake):
    out = sx(sx_dirs, "enrich", "--json", "--ioc", "domain:evil-c2.net",
             "--ioc", "sha256:" + SHA.upper(), key=KEY)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    vt = {i["value"]: enrich_env.pinned(i["providers"])[0] for i in doc["iocs"]}
    verdicts = {i["value"]: (i["verdict"], vt[i["value"]]["verdict"]) for i in doc["iocs"]}
    assert verdicts == {"evil-c2.net": ("malicious", "malicious"), SHA: ("clean", "clean")}
    mal = doc["iocs"][0]
    assert mal["reason"] == "malicious: VirusTotal 12/73 engines"
    assert vt["evil-c2.net"]["facts"]["malicious"] == 12
    assert doc["summary"]["counts"]["malicious"] == 1 and "\r[" not in out.stderr  # no tty
    again = json.loads(sx(sx_dirs, "enrich", "--json", "--ioc", "domain:evil-c2.net",
                          key=KEY).stdout)
    assert enrich_env.pinned(again["iocs"][0]["providers"])[0]["cached"] is True
    text = sx(sx_dirs, "enrich", "--ioc", "domain:evil-c2.net", key=KEY).stdout
    assert "malicious  domain evil-c2.net  malicious: VirusTotal 12/73 engines" in text
    assert len(fake.api_requests()) == 2
    # One record per IOC and run (issue 13), newest last, with every provider's verdict.
    hist = json.loads(sx(sx_dirs, "history", "--json").stdout)
    rows = [(h["ioc"]["value"], h["verdict"]) for h in hist]
    # the first run's two lookups ran concurrently: either may be recorded first
    assert sorted(rows[:2]) == sorted([("evil-c2.net", "malicious"), (SHA, "clean")])
    assert rows[2:] == [("evil-c2.net", "malicious"), ("evil-c2.net", "malicious")]
    assert all(h["providers"]["virustotal"] == h["verdict"] and h["time"].endswith("Z")
               for h in hist)
    assert hist[0]["run_id"] == hist[1]["run_id"] != hist[2]["run_id"] != hist[3]["run_id"]
    assert len(json.loads(sx(sx_dirs, "history", "--json", "--since", "1h").stdout)) == 4
    assert json.loads(sx(sx_dirs, "history", "--json", "--since", "2999-01-01").stdout) == []
    text = sx(sx_dirs, "history").stdout
    assert "evil-c2.net" in text and "virustotal:malicious" in text
    assert sx(sx_dirs, "history", "--since", "yesterday-ish").returncode != 0


def test_progress_bar_only_on_a_terminal(sx_dirs, fake):
    leader, follower = pty.openpty()
    try:
        out = subprocess.run([str(SENTINELX), "enrich", "--json", "--ioc", "domain:evil-c2.net"],
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
    assert "cache.ttl_hours.malicious" in out.stdout
    assert "providers.virustotal.malicious_threshold" in out.stdout
    assert sx(sx_dirs, "config", "set", "cache.ttl_hours.no_data", "2").returncode == 0
    assert config.get("cache.ttl_hours.no_data") == 2.0
    assert sx(sx_dirs, "config", "set", "cache.ttl_hours.no_data", "-1").returncode != 0
    assert sx(sx_dirs, "config", "set", "cache.ttl_hours.no_data", "default").returncode == 0
    assert config.get("cache.ttl_hours.no_data") is None


def test_blank_ttl_is_refused_not_saved_as_zero(sx_dirs):
    """#10 item 5: a cleared TTL box must not turn the cache off."""
    for blank in ("", "  "):
        out = sx(sx_dirs, "config", "set", "cache.ttl_hours", blank)
        assert out.returncode != 0 and "a value is required" in out.stderr
    assert sx(sx_dirs, "config", "set", "cache.ttl_hours", "0").returncode != 0
    assert config.get("cache.ttl_hours") == 24.0


def test_providers_json_lists_every_provider(sx_dirs):
    from sentinelx.enrichment.providers import registry

    out = sx(sx_dirs, "providers", "--json")
    rows = json.loads(out.stdout)
    assert [r["name"] for r in rows] == registry.names()
    vt = rows[0]
    assert vt["label"] == "VirusTotal" and vt["needs_key"] is True and vt["key_set"] is False
    assert vt["enabled"] is True and "url" in vt["types"] and vt["role"] == "verdict"
    assert sx(sx_dirs, "config", "set", "providers.virustotal.enabled", "false").returncode == 0
    assert json.loads(sx(sx_dirs, "providers", "--json", key=KEY).stdout)[0]["key_set"] is True
    assert json.loads(sx(sx_dirs, "providers", "--json").stdout)[0]["enabled"] is False
    assert "virustotal" in sx(sx_dirs, "providers").stdout


def test_set_key_validates_checks_and_masks(sx_dirs, fake):
    bad = sx(sx_dirs, "config", "set-key", stdin="ключ-тест-1234\n")
    assert bad.returncode != 0 and "printable ASCII" in bad.stderr
    short = sx(sx_dirs, "config", "set-key", stdin="abcd\n")
    assert short.returncode != 0 and "64 hexadecimal" in short.stderr
    assert not config.key_path().exists()
    wrong = sx(sx_dirs, "config", "set-key", stdin="f" * 64 + "\n")
    assert wrong.returncode == 3 and "key check: rejected" in wrong.stdout
    ok = sx(sx_dirs, "config", "set-key", "--provider", "virustotal", stdin=KEY + "\n")
    assert ok.returncode == 0 and "key check: ok" in ok.stdout
    assert KEY not in ok.stdout + ok.stderr and "****" + KEY[-4:] in ok.stdout
    assert (config.key_path().stat().st_mode & 0o777) == 0o600
    unknown = sx(sx_dirs, "config", "set-key", "--provider", "nosuch", stdin=KEY + "\n")
    assert unknown.returncode != 0 and "unknown provider" in unknown.stderr


def test_quota_reset_clears_a_429_pause(sx_dirs, fake):
    from sentinelx.enrichment import store
    from sentinelx.enrichment.quota import Quota

    conn = store.connect()
    for _ in range(3):  # three 429s: paused until the next UTC day, for every host
        Quota(conn, "virustotal").rate_limited("Quota exceeded")
    conn.close()
    shown = sx(sx_dirs, "quota")
    assert "daily_limit" in shown.stdout and "paused until" in shown.stdout
    assert json.loads(sx(sx_dirs, "providers", "--json").stdout)[0]["paused_until"]
    out = sx(sx_dirs, "quota", "reset", "--provider", "virustotal")
    assert out.returncode == 0 and "cleared the pause of virustotal" in out.stdout
    assert "paused until" not in sx(sx_dirs, "quota").stdout
    assert json.loads(sx(sx_dirs, "providers", "--json").stdout)[0]["paused_until"] is None
    assert sx(sx_dirs, "quota", "reset", "--provider", "nosuch").returncode != 0
    fake.seed("domain", "evil-c2.net", "malicious")
    doc = json.loads(sx(sx_dirs, "enrich", "--json", "--ioc", "domain:evil-c2.net",
                        key=KEY).stdout)
    assert doc["iocs"][0]["verdict"] == "malicious"  # lookups go out again at once
