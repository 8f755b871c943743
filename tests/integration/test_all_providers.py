"""All twelve providers together through the real engine, over real sockets: every fake up at
once, every base URL and key set through the CLI, then `sentinelx enrich --json` (a real
subprocess) and a real `sentinelx host` streaming results from several providers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sentinelx.enrichment.providers import registry
from sentinelx.protocol import validate
from tests.support.enrich_env import Dirs
from tests.support.frames import HostProcess
from tests.support.world import KEYS, World, sx

EVIL = "evil-c2.net"
PAYLOAD_URL = "http://evil-c2.net/payload.exe"
SHA = "094fd325049b8a9cf6d3e5ef2a6d4cc6a567d7d49c35f8bb8dd9e3c6acf3d78d"
MISP_EVENT = "42"  # "Emotet C2 infrastructure": published; to_ids attributes are malicious


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Dirs, World]]:
    root = tmp_path_factory.mktemp("all")
    dirs = Dirs(root / "config", root / "cache", root / "log")
    for p in (dirs.config, dirs.cache, dirs.log):
        p.mkdir()
    with pytest.MonkeyPatch.context() as mp, World() as w:
        for var, path in (("CONFIG", dirs.config), ("CACHE", dirs.cache), ("LOG", dirs.log)):
            mp.setenv(f"SENTINELX_{var}_DIR", str(path))
        mp.delenv("VT_API_KEY", raising=False)
        w.configure(dirs)
        from sentinelx import config

        # No provider's quota is under test here: none may hold the run up.
        for name in ("virustotal", "urlhaus", "threatfox", "malwarebazaar", "otx", "misp",
                     "internetdb", "epss"):
            config.set_value(f"providers.{name}.requests_per_minute", 0)
        config.set_value("providers.greynoise.requests_per_day", 100)
        seed(w)
        yield dirs, w


def seed(w: World) -> None:
    f = w.fakes
    f["virustotal"].seed("domain", EVIL, "malicious")
    f["virustotal"].seed("ipv4", "1.1.1.1", "clean")
    f["virustotal"].seed("sha256", SHA, "malicious")
    f["urlhaus"].seed_host(EVIL)
    f["urlhaus"].seed_url(PAYLOAD_URL, "online")
    f["threatfox"].seed_ioc(EVIL, "domain", confidence=90)
    misp = f["misp"]
    attr = dict(next(a for a in misp.attributes if a["value"] == "update-check.example"),
                id="990", value=EVIL, uuid="5e0c7a6e-0000-4000-8000-000000000990",
                Sighting=[])  # no false-positive sighting: it stays malicious
    misp.attributes.append(attr)
    f["greynoise"].seed("1.1.1.1", "riot_benign.json")
    f["greynoise"].seed("91.92.109.43", "suspicious.json")
    f["internetdb"].seed("1.1.1.1", ports=[53, 80, 443], hostnames=["one.one.one.one"],
                         cpes=[], vulns=[])
    f["internetdb"].seed("45.33.32.156")


def enrich(dirs: Dirs, *refs: str) -> dict[str, Any]:
    args = [a for r in refs for a in ("--ioc", r)]
    out = sx(dirs, "enrich", "--json", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def takers(ioc_type: str) -> list[str]:
    return [s.name for s in registry.specs() if ioc_type in {t.value for t in s.types}]


def by_provider(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["provider"]: p for p in row["providers"]}


def test_a_cve_gets_severity_score_epss_and_kev_facts(world):
    dirs, w = world
    doc = enrich(dirs, "cve:CVE-2021-44228")
    (row,) = doc["iocs"]
    got = by_provider(row)
    assert sorted(got) == sorted(takers("cve"))
    nvd, epss, kev = got["nvd"], got["epss"], got["kev"]
    assert nvd["facts"]["cvss_score"] == 10.0 and nvd["facts"]["cvss_severity"] == "critical"
    assert nvd["severity"] == "critical" and nvd["summary"] == "Critical 10.0"
    assert epss["facts"]["epss"] == pytest.approx(0.94424)
    assert epss["facts"]["percentile"] == pytest.approx(0.99991)
    assert kev["facts"]["known_exploited"] is True and kev["facts"]["date_added"]
    assert kev["facts"]["due_date"] and "ransomware" in kev["facts"]
    # the CVE badge: NVD, then KEV, then EPSS; a CVE is never malicious or clean
    assert kev["facts"]["ransomware"] is True  # Log4Shell: "Known" ransomware use in the feed
    assert row["label"] == "Critical 10.0 · Known exploited, ransomware · EPSS 99th pct"
    assert row["verdict"] == "no_data" and row["severity"] == "critical"
    assert row["reason"] == "no_data: " + row["label"]
    assert w.fakes["kev"].downloads == 1  # the feed, once, into the engine's data dir
    assert (dirs.cache / "providers" / "kev" / "known_exploited_vulnerabilities.json").exists()
    assert all("error" not in p for p in row["providers"])


def test_enrich_json_with_every_provider_at_once(world):
    dirs, w = world
    w.fakes["abuseipdb"].used = w.fakes["abuseipdb"].daily_limit  # a 429: "Daily rate limit"
    w.fakes["malwarebazaar"].program("status", status=500, times=3)  # every attempt fails
    refs = [f"domain:{EVIL}", f"url:{PAYLOAD_URL}", "ipv4:1.1.1.1", "ipv4:91.92.109.43",
            "ipv4:45.33.32.156", "domain:nothing-known.net", f"sha256:{SHA}"]
    doc = enrich(dirs, *refs)
    rows = {r["value"]: r for r in doc["iocs"]}
    assert list(rows) == [r.split(":", 1)[1] for r in refs]
    for row in rows.values():  # each provider that takes the type answers, once, in order
        assert [p["provider"] for p in row["providers"]] == takers(row["type"])
        for p in row["providers"]:
            assert ("verdict" in p) != ("error" in p), p
            if p.get("verdict") == "clean":  # only ever from an answer, never "not found"
                assert p["found"] is True, p
            if "error" not in p and p.get("found") is False:
                assert p["verdict"] == "no_data", p
        winners = [p for p in row["providers"]
                   if p.get("verdict") == row["verdict"] and p["verdict"] != "no_data"]
        if row["verdict"] != "no_data":  # the reason names every provider that said it
            labels = {s.name: s.label for s in registry.specs()}
            assert row["reason"] == f"{row['verdict']}: " + "; ".join(
                f"{labels[p['provider']]} {p['summary']}".strip() for p in sorted(
                    winners, key=lambda p: registry.names().index(p["provider"])))

    evil = by_provider(rows[EVIL])
    assert rows[EVIL]["verdict"] == "malicious"
    assert {n for n, p in evil.items() if p.get("verdict") == "malicious"} == {
        "virustotal", "urlhaus", "threatfox", "misp"}
    assert rows[EVIL]["reason"].startswith("malicious: VirusTotal 12/73 engines; URLhaus ")
    assert f"MISP IDS attribute in published event #{MISP_EVENT}" in rows[EVIL]["reason"]
    assert evil["otx"]["verdict"] == "no_data" and evil["otx"]["found"] is False

    url = by_provider(rows[PAYLOAD_URL])
    assert rows[PAYLOAD_URL]["reason"] == "malicious: URLhaus online malware URL"
    assert url["virustotal"]["verdict"] == "no_data"

    one = by_provider(rows["1.1.1.1"])
    assert rows["1.1.1.1"]["verdict"] == "clean"
    assert {n for n, p in one.items() if p.get("verdict") == "clean"} == {
        "virustotal", "greynoise", "misp"}
    assert one["internetdb"]["found"] is True and one["internetdb"]["verdict"] == "no_data"
    assert one["internetdb"]["facts"]["ports"] == [53, 80, 443]
    assert "InternetDB" not in rows["1.1.1.1"]["reason"]  # context never decides

    sus = rows["91.92.109.43"]
    assert sus["verdict"] == "suspicious" and sus["reason"].startswith("suspicious: GreyNoise")

    # Context alone (InternetDB knows it, nobody else does) is no verdict at all.
    ctx = by_provider(rows["45.33.32.156"])
    assert rows["45.33.32.156"]["verdict"] == "no_data"
    assert ctx["internetdb"]["found"] is True and ctx["internetdb"]["facts"]["ports"]
    assert rows["nothing-known.net"]["verdict"] == "no_data"
    assert all(p.get("verdict") == "no_data" and p["found"] is False
               for p in rows["nothing-known.net"]["providers"])

    # AbuseIPDB's daily 429 and MalwareBazaar's 500s stay with them.
    for ip in ("1.1.1.1", "91.92.109.43", "45.33.32.156"):
        err = by_provider(rows[ip])["abuseipdb"]["error"]
        assert err["code"] == "rate_limited" and "quota" in err["message"]
    sha = by_provider(rows[SHA])
    assert sha["malwarebazaar"]["error"]["code"] == "server_error"
    assert rows[SHA]["verdict"] == "malicious"
    assert rows[SHA]["reason"] == "malicious: VirusTotal 12/73 engines"
    asked = [r.query["ipAddress"][0] for r in w.fakes["abuseipdb"].requests
             if r.query.get("ipAddress") != ["127.0.0.1"]]  # not the key check
    assert len(asked) == len(set(asked)) <= 3  # each at most once: no retry until tomorrow
    counts = doc["summary"]["counts"]
    assert counts["malicious"] == 3 and counts["clean"] == 1 and counts["suspicious"] == 1
    assert doc["summary"]["providers"]["abuseipdb"]["errors"] == 3


def test_providers_json_lists_all_twelve(world):
    dirs, _ = world
    rows = json.loads(sx(dirs, "providers", "--json").stdout)
    assert [r["name"] for r in rows] == registry.names() and len(rows) == 12
    for r in rows:
        spec = registry.spec(r["name"])
        assert r["label"] == spec.label and r["types"] == sorted(t.value for t in spec.types)
        assert r["needs_key"] is (spec.key == "required") and r["enabled"] is True
    key_set = {r["name"] for r in rows if r["key_set"]}
    # abuse.ch's one key serves its three services; GreyNoise and NVD run keyless here
    assert key_set == {"virustotal", "urlhaus", "threatfox", "malwarebazaar", "abuseipdb",
                       "otx", "misp"}


def test_the_host_streams_results_from_several_providers(world):
    dirs, w = world
    w.fakes["otx"].program("status", status=429, times=1,
                           body={"detail": "Request was throttled. Expected available in 60 "
                                           "seconds."})
    h = HostProcess(dirs.env())
    try:
        refs = [{"type": "ipv4", "value": "1.1.1.1"}, {"type": "domain", "value": "other.net"}]
        h.send({"id": "e", "type": "enrich", "iocs": refs, "refresh": True})
        # every lane but OTX finishes; OTX waits out its 429 pause, and says so
        h.wait_for(lambda f: f.get("type") == "progress" and f["providers"]["otx"][
            "quota_state"] == "rate_limited" and all(
                p["queued"] == 0 and not p["waiting_for_quota"]
                for n, p in f["providers"].items() if n != "otx")
            and f["lookups_pending"] <= 2, timeout=60)
        h.send({"id": "c", "type": "cancel", "target": "e"})
        summary = h.wait_for(lambda f: f.get("type") == "summary", timeout=10)
        h.close()
    finally:
        h.kill()
    frames = h.of("e")
    for f in frames:
        assert validate.check("reply", f) is None, f
    singles = [f for f in frames if f["type"] == "result"]
    answered = {f["provider"] for f in singles if f["status"] == "ok"}
    assert answered >= {"virustotal", "greynoise", "internetdb", "misp", "urlhaus"}
    last = {}
    for f in singles:  # the combined verdict only grows as answers stream in
        key = f["ioc"]["value"]
        if key in last:
            assert f["combined"]["pending"] <= last[key]["combined"]["pending"]
        last[key] = f
    assert last["1.1.1.1"]["combined"]["verdict"] == "clean"
    otx = [f for f in singles if f["provider"] == "otx"]
    assert otx and all(f["error"]["code"] == "cancelled" for f in otx if f["status"] == "error")
    assert summary["cancelled"] is True and summary["providers"]["otx"]["paused_until"]


def test_config_set_works_for_every_provider_and_vt_aliases(world, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch):
    from sentinelx import cli, config

    monkeypatch.setenv("SENTINELX_CONFIG_DIR", str(tmp_path))
    for name in registry.names():
        base = f"https://{name}.mirror.example.org/api"
        for setting, value, stored in (("enabled", "false", False), ("base_url", base, base),
                                       ("requests_per_minute", "7", 7),
                                       ("requests_per_day", "70", 70)):
            assert cli.main(["config", "set", f"providers.{name}.{setting}", value]) == 0
            assert config.get(f"providers.{name}.{setting}") == stored
    assert cli.main(["config", "set", "vt.requests_per_minute", "9"]) == 0
    assert config.get("providers.virustotal.requests_per_minute") == 9
    assert cli.main(["config", "set", "vt.base_url", "http://127.0.0.1:9/api/v3"]) == 0
    assert config.get("providers.virustotal.base_url") == "http://127.0.0.1:9/api/v3"
    # MISP's URL is a user setting (the options page may set it): https, or 127.0.0.1 only
    assert not config.all_settings()["providers.misp.base_url"].local_only
    assert config.all_settings()["providers.misp.ca_bundle"].local_only
    for bad in ("http://misp.example.org", "ftp://misp.example.org"):
        with pytest.raises(config.ConfigError):
            config.set_value("providers.misp.base_url", bad, remote=True)
    assert config.set_value("providers.misp.base_url", "https://misp.corp.example.org",
                            remote=True) == "https://misp.corp.example.org"
    for name in ("kev", "nvd", "virustotal"):  # every other base URL stays local-only
        with pytest.raises(PermissionError):
            config.set_value(f"providers.{name}.base_url", "https://x.example.org", remote=True)


def test_set_key_for_every_provider_that_takes_one(world, tmp_path: Path):
    dirs, _ = world
    mine = Dirs(tmp_path / "c", dirs.cache, tmp_path / "l")
    for name in registry.names():
        spec = registry.spec(name)
        out = sx(mine, "config", "set-key", "--provider", name, "--no-verify",
                 stdin=KEYS.get(name, KEYS["urlhaus"]) + "\n")
        if spec.key == "none":
            assert out.returncode != 0 and "takes no API key" in out.stderr
            continue
        assert out.returncode == 0, (name, out.stderr)
        key = KEYS.get(name, KEYS["urlhaus"])
        assert key not in out.stdout + out.stderr and "****" + key[-4:] in out.stdout
