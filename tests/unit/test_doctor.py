"""`doctor` against a real install in a temp HOME: a real launcher answering a real ping, then
every broken case it must flag."""

from __future__ import annotations

import http.server
import json
import os
import socket
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sentinelx.install import doctor, doctor_online, plan
from sentinelx.install.doctor import FAIL, OK, WARN, Check
from sentinelx.install.winreg_store import RegistryStore
from tests.support.fake_winreg import FakeWinreg
from tests.support.install_env import World, make_world

CHROMIUM_MANIFEST = ".config/chromium/NativeMessagingHosts/com.sentinelx.host.json"
FIREFOX_MANIFEST = ".mozilla/native-messaging-hosts/com.sentinelx.host.json"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    w = make_world(tmp_path, monkeypatch)
    w.profile(".config", "chromium")
    (w.home / ".mozilla/firefox").mkdir(parents=True)
    (w.home / ".mozilla/firefox/profiles.ini").write_text("[General]\n")
    p = plan.build_install(w.machine, w.dirs, plan.Options(launcher_python=Path(sys.executable)))
    results = plan.execute(p, echo=lambda _: None)
    assert all(r.outcome for r in results)
    return w


def checks(w: World, **kw) -> dict[str, Check]:
    out = doctor.browser_checks(w.machine, w.dirs, doctor.Options(**kw))
    return {c.name: c for c in out}


def test_a_good_install_passes_with_a_real_ping_for_both_families(world: World) -> None:
    got = checks(world)
    assert [n for n in got] == [
        "chromium manifest", "chromium launcher", "chromium extension id", "chromium ping",
        "firefox manifest", "firefox launcher", "firefox extension id", "firefox ping",
    ]
    assert all(c.status == OK for c in got.values()), got
    assert got["chromium ping"].detail.startswith("pong, version")
    assert got["firefox ping"].detail.startswith("pong, version")


def test_missing_manifest(world: World) -> None:
    (world.home / CHROMIUM_MANIFEST).unlink()
    c = checks(world)["chromium manifest"]
    assert c.status == FAIL and "missing" in c.detail
    assert "sentinelx install --browser chromium" in c.fix


def test_manifest_that_is_not_json(world: World) -> None:
    (world.home / FIREFOX_MANIFEST).write_text("{not json")
    got = checks(world)
    assert got["firefox manifest"].status == FAIL and "not valid JSON" in got["firefox manifest"].detail
    assert "firefox ping" not in got  # later checks depend on it
    assert got["chromium ping"].status == OK


def test_manifest_with_the_wrong_name(world: World) -> None:
    path = world.home / CHROMIUM_MANIFEST
    m = json.loads(path.read_text())
    path.write_text(json.dumps({**m, "name": "com.other.host"}))
    c = checks(world)["chromium manifest"]
    assert c.status == FAIL and "com.other.host" in c.detail


def test_launcher_path_that_does_not_exist(world: World) -> None:
    (world.dirs.data / "sentinelx-host").unlink()
    c = checks(world)["chromium launcher"]
    assert c.status == FAIL and "does not exist" in c.detail


def test_launcher_that_is_not_executable(world: World) -> None:
    (world.dirs.data / "sentinelx-host").chmod(0o644)
    c = checks(world)["firefox launcher"]
    assert c.status == FAIL and "not executable" in c.detail and c.fix.startswith("chmod 755")


def test_wrong_chrome_extension_id(world: World) -> None:
    path = world.home / CHROMIUM_MANIFEST
    m = json.loads(path.read_text())
    path.write_text(json.dumps({**m, "allowed_origins": ["chrome-extension://" + "a" * 32 + "/"]}))
    c = checks(world)["chromium extension id"]
    assert c.status == FAIL and "allowed_origins" in c.detail


def test_wrong_gecko_id(world: World) -> None:
    path = world.home / FIREFOX_MANIFEST
    m = json.loads(path.read_text())
    path.write_text(json.dumps({**m, "allowed_extensions": ["evil@example.com"]}))
    c = checks(world)["firefox extension id"]
    assert c.status == FAIL and "evil@example.com" in c.detail


def test_launcher_that_cannot_run(world: World) -> None:
    launcher = world.dirs.data / "sentinelx-host"
    launcher.write_text('#!/bin/sh\nexec /nonexistent/venv/bin/python -u -m sentinelx host "$@"\n')
    got = checks(world)
    c = got["chromium ping"]
    assert c.status == FAIL and "without a reply" in c.detail and "exited 127" in c.detail
    assert str(launcher) in c.fix


def test_launcher_that_hangs_times_out(world: World) -> None:
    launcher = world.dirs.data / "sentinelx-host"
    launcher.write_text("#!/bin/sh\nexec sleep 30\n")
    c = checks(world, browsers=("chromium",), timeout=1.0)["chromium ping"]
    assert c.status == FAIL and "no reply within 1 s" in c.detail


def test_launcher_that_prints_junk_on_stdout(world: World) -> None:
    launcher = world.dirs.data / "sentinelx-host"
    launcher.write_text("#!/bin/sh\necho hello there, browser\n")
    c = checks(world, browsers=("chromium",))["chromium ping"]
    assert c.status == FAIL and "broken frame" in c.detail


def test_host_refusing_the_id_is_explained(world: World, tmp_path: Path) -> None:
    """A manifest and doctor agree on an id the host config does not allow."""
    other = "b" * 32
    nmh = tmp_path / "profile/NativeMessagingHosts"
    p = plan.build_install(world.machine, world.dirs, plan.Options(
        browsers=("chromium",), manifest_dir=nmh, chrome_id=other, record_config=False,
        launcher_python=Path(sys.executable)))
    plan.execute(p, echo=lambda _: None)
    got = checks(world, browsers=("chromium",), manifest_dir=nmh, chrome_id=other)
    c = got["chromium ping"]
    assert c.status == FAIL and "origin_forbidden" in c.detail
    assert "host.allowed_extensions" in c.fix


def test_manifest_dir_target_for_e2e(world: World, tmp_path: Path) -> None:
    nmh = tmp_path / "chromium-profile/NativeMessagingHosts"
    p = plan.build_install(world.machine, world.dirs, plan.Options(
        browsers=("chromium",), manifest_dir=nmh, launcher_python=Path(sys.executable)))
    plan.execute(p, echo=lambda _: None)
    got = checks(world, browsers=("chromium",), manifest_dir=nmh)
    assert got["chromium manifest"].detail == str(nmh / "com.sentinelx.host.json")
    assert all(c.status == OK for c in got.values()), got


def test_snap_browser_is_reported_and_nothing_set_up_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_world(tmp_path, monkeypatch)
    (w.root / "snap/bin").mkdir(parents=True)
    (w.root / "snap/bin/chromium").touch()
    got = checks(w)
    assert got["chromium sandbox"].status == WARN and "snap" in got["chromium sandbox"].detail
    assert got["browsers"].status == FAIL
    assert doctor.failed(list(got.values()))


def test_detected_browser_without_a_manifest_fails(world: World) -> None:
    world.profile(".config", "vivaldi")
    c = checks(world)["vivaldi manifest"]
    assert c.status == FAIL and "--browser vivaldi" in c.fix


def test_windows_reads_the_manifest_path_from_the_registry(world: World) -> None:
    reg = FakeWinreg()
    store = RegistryStore(reg)
    win = world.with_os("windows")
    p = plan.build_install(win, world.dirs, plan.Options(
        browsers=("chrome",), launcher_python=Path(sys.executable), record_config=False),
        registry=store)
    plan.execute(p, echo=lambda _: None)
    # On this POSIX test machine the "launcher" is a .bat; point the manifest at a runnable one
    # so the registry lookup -> manifest -> ping chain is exercised for real.
    manifest = world.dirs.data / "manifests/chrome.json"
    m = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**m, "path": str(world.dirs.data / "sentinelx-host")}))
    (world.dirs.data / "sentinelx-host").parent.mkdir(exist_ok=True)
    plan.execute(plan.build_install(world.machine, world.dirs, plan.Options(
        browsers=("chrome",), launcher_python=Path(sys.executable), record_config=False)),
        echo=lambda _: None)
    got = {c.name: c for c in doctor.browser_checks(
        win, world.dirs, doctor.Options(browsers=("chrome", "edge")), store)}
    assert got["chrome manifest"].status == OK and got["chrome ping"].status == OK
    assert got["edge registry"].status == FAIL
    assert r"HKCU\Software\Microsoft\Edge\NativeMessagingHosts" in got["edge registry"].detail


# --- machine-wide checks -------------------------------------------------------------------------


def test_python_version_check() -> None:
    assert doctor.check_python().status == OK


def test_config_dir_writable_and_not(tmp_path: Path) -> None:
    assert doctor.check_config_dir(tmp_path / "new").status == OK
    a_file = tmp_path / "file"
    a_file.write_text("")
    c = doctor.check_config_dir(a_file)  # a file where the folder should be: even root fails
    assert c.status == FAIL and "not writable" in c.detail
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere; the unwritable case needs a normal user")
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    assert doctor.check_config_dir(ro).status == FAIL


def test_key_files_of_every_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("VT_API_KEY", "SENTINELX_VIRUSTOTAL_API_KEY", "SENTINELX_ABUSECH_API_KEY",
                "SENTINELX_OTX_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    c = doctor.check_keys(tmp_path)
    assert c.status == WARN and "virustotal" in c.detail and "internetdb" in c.detail
    key = tmp_path / "abusech_api_key"  # one key for URLhaus, ThreatFox and MalwareBazaar
    key.write_text("k" * 48)
    key.chmod(0o644)
    c = doctor.check_keys(tmp_path)
    assert c.status == FAIL and "0644" in c.detail and c.fix == f"chmod 600 {key}"
    key.chmod(0o600)
    c = doctor.check_keys(tmp_path)
    assert c.status == OK and "set: urlhaus, threatfox, malwarebazaar" in c.detail
    assert "skipped until a key is set: virustotal" in c.detail
    monkeypatch.setenv("SENTINELX_OTX_API_KEY", "o" * 64)
    assert "otx (environment)" in doctor.check_keys(tmp_path).detail


def test_cache_checks(tmp_path: Path) -> None:
    assert doctor.check_cache(tmp_path / "cache").status == OK  # not made yet, creatable
    cache = tmp_path / "cache"
    cache.mkdir()
    con = sqlite3.connect(cache / "cache.sqlite3")
    con.execute("create table t (x)")
    con.commit()
    con.close()
    assert doctor.check_cache(cache).status == OK
    (cache / "cache.sqlite3").write_bytes(b"this is not a database" * 100)
    c = doctor.check_cache(cache)
    assert c.status == FAIL and "mv" in c.fix


@pytest.fixture
def local_http() -> Iterator[str]:
    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401)
            self.end_headers()

        def log_message(self, *a: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v3"
    server.shutdown()
    server.server_close()


def test_online_check_against_a_real_local_server(local_http: str) -> None:
    c = doctor_online.check_online("virustotal", local_http)
    assert c.name == "online: virustotal" and c.status == OK and "HTTP 401" in c.detail


def test_online_check_unreachable_port() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = doctor_online.check_online("otx", f"http://127.0.0.1:{port}/api/v1", timeout=2)
    assert c.status == FAIL and "unreachable" in c.detail and "providers.otx.base_url" in c.fix


def test_online_checks_every_enabled_source_and_sends_no_key(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every switched-on source gets a row (each at its own local server), switched-off ones
    none; no request carries a key even where one is stored."""
    from tests.support.world import KEYS
    from tests.support.world import World as Fakes

    monkeypatch.setenv("SENTINELX_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SENTINELX_CACHE_DIR", str(tmp_path / "cache"))
    from sentinelx import config, keys

    with Fakes() as w:
        for name, fake in w.fakes.items():
            config.set_value(f"providers.{name}.base_url", fake.base_url)
        config.set_value("providers.misp.enabled", "true")
        config.set_value("providers.abuseipdb.enabled", "false")
        keys.store_key(KEYS["virustotal"], "virustotal")
        rows = {c.name: c for c in doctor_online.online_checks(timeout=3)}
        sent = [r for f in w.fakes.values() for r in getattr(f, "requests", [])]
    expected = {f"online: {n}" for n in w.fakes} - {"online: abuseipdb"}
    assert set(rows) == expected
    assert all(c.status == OK for c in rows.values()), rows
    assert sent and not any(KEYS["virustotal"] in str(getattr(r, "headers", "")) for r in sent)


def test_online_checks_with_everything_off_say_so(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from sentinelx import config
    from sentinelx.enrichment.providers import registry

    monkeypatch.setenv("SENTINELX_CONFIG_DIR", str(tmp_path))
    for name in registry.names():
        config.set_value(f"providers.{name}.enabled", "false")
    rows = doctor_online.online_checks()
    assert [(c.name, c.status) for c in rows] == [("online", WARN)]


def test_render_table_lists_fixes_for_failures_only() -> None:
    text = doctor.render_table([Check("a", OK, "fine"), Check("b", FAIL, "broken", "do x")])
    rows = [line.split() for line in text.splitlines()]
    assert ["b", "FAIL", "broken"] in rows and ["a", "ok", "fine"] in rows
    assert "  b: do x" in text and "a:" not in text
