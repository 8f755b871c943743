"""Firefox smoke: real Firefox ESR (headless), the extension loaded by `web-ext run`, the real host.

How it works:
- A temporary HOME; the project's installer (`sentinelx install --browser firefox`, no
  --manifest-dir) finds Firefox's per-user folder `$HOME/.mozilla/native-messaging-hosts` itself and
  writes the host manifest (allowed_extensions: the gecko id) and a launcher there/in the data dir.
- `web-ext run` (tests/node_modules, from the npm registry) starts /usr/bin/firefox-esr on a fresh
  profile and installs extension/ as a temporary add-on over Firefox's debugger protocol.
- The test drives Firefox over WebDriver BiDi, which Firefox speaks natively
  (`--remote-debugging-port=0`; the port is read from the profile). BiDi only navigates to
  http(s)/file pages unless Firefox runs with `--remote-allow-system-access`, which this throwaway
  browser does, so it can open the extension's own options page. The extension's UUID is fixed with
  the pref `extensions.webextensions.uuids` so the page's URL is known.
- From that page the test calls into the background (`runtime.getBackgroundPage()` works for
  Firefox's event-page background): `sentinelx.host.call(...)` goes over the background's one
  connectNative port to the host process that Firefox started from the installed manifest.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

import sentinelx
from sentinelx.extension_ids import GECKO_EXTENSION_ID, NATIVE_HOST_NAME
from tests.e2e.conftest import needs_wave2_host
from tests.support.bidi import BiDi, BiDiError, read_server_file

pytestmark = pytest.mark.firefox

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extension"
WEB_EXT = ROOT / "tests" / "node_modules" / ".bin" / "web-ext"
EXT_UUID = "5e471e1c-0000-4000-8000-00000000f12e"
EXT_URL = f"moz-extension://{EXT_UUID}"
HOST_NAME = NATIVE_HOST_NAME
SERVING_LINE = f"serving firefox extension {GECKO_EXTENSION_ID}"
START_TIMEOUT = 60.0  # Firefox start + add-on install; about 3 s here
SAMPLE = "see hxxp://evil[.]com/a and 1.2.3[.]4"

# Written to the profile's user.js before start. No network: only 127.0.0.1 is reachable here.
PREFS: dict[str, Any] = {
    "extensions.webextensions.uuids": json.dumps({GECKO_EXTENSION_ID: EXT_UUID}),
    "app.normandy.enabled": False,
    "app.shield.optoutstudies.enabled": False,
    "app.update.auto": False,
    "browser.aboutwelcome.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.search.update": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.page": 0,
    "datareporting.healthreport.uploadEnabled": False,
    "extensions.systemAddon.update.enabled": False,
    "geo.provider.network.url": "",
    "messaging-system.rsexperimentloader.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.http.speculative-parallel-limit": 0,
    "network.prefetch-next": False,
    "services.settings.server": "http://127.0.0.1:9/v1",
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.server": "http://127.0.0.1:9",
}

T = TypeVar("T")


def _require(path: str | None, what: str) -> str:
    if path is None:
        if os.environ.get("SENTINELX_SKIP_E2E") == "1":
            pytest.skip(f"SENTINELX_SKIP_E2E=1 and {what}")
        pytest.fail(f"{what}: run ./tests/run.sh, which installs firefox-esr and runs npm ci in tests/")
    return path


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, log: Callable[[], str]) -> T:
    """Poll probe() until it returns something other than None; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s\n--- log ---\n{log()[-4000:]}")
        time.sleep(0.1)


@dataclass
class Firefox:
    """One headless Firefox ESR with the add-on loaded, driven over WebDriver BiDi."""

    bidi: BiDi
    context: str  # the tab showing the extension's options page
    home: Path
    dirs: Path
    web_ext_log: Path

    def background(self, body: str, timeout: float = 30.0) -> Any:
        """Run `body` (async function body) with `bg` = the background page's window."""
        return self.bidi.evaluate_json(
            self.context, f"const bg = await browser.runtime.getBackgroundPage(); {body}", timeout)

    def page(self, body: str, timeout: float = 30.0) -> Any:
        return self.bidi.evaluate_json(self.context, body, timeout)

    def host_call(self, type_: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        """HostClient.call() in the background: one request/reply over the extension's port."""
        return self.background(
            f"return await bg.sentinelx.host.call({json.dumps(type_)}, {json.dumps(fields or {})});")

    def host_log(self) -> str:
        path = self.dirs / "log" / "sentinelx.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def manifest(self) -> Path:
        return self.home / ".mozilla" / "native-messaging-hosts" / f"{HOST_NAME}.json"


def _user_js(prefs: dict[str, Any]) -> str:
    # json.dumps gives the quoting user.js wants (web-ext's --pref would not escape the JSON value).
    return "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items())


def _ours(marker: str) -> list[int]:
    """Processes whose environment carries this run's temporary HOME: all started by this test."""
    found = []
    needle = f"HOME={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in env:
            found.append(int(entry.name))
    return found


def _stop(proc: subprocess.Popen[bytes], home: Path) -> None:
    """Stop web-ext, Firefox and everything they started (host, crash helper), by id."""
    def gone() -> bool:
        return proc.poll() is not None and not _ours(str(home))

    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not gone():
            time.sleep(0.1)
        if gone():
            return
    # Firefox's crash helper and the native host are not in web-ext's process group.
    for pid in _ours(str(home)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=5)


def firefox_home(base: Path) -> tuple[dict[str, str], Path, Path, Path]:
    """A fresh HOME with the host registered the way a user does it, into Firefox's per-user
    folder, and a profile with our prefs: (env, home, profile, sentinelx dirs)."""
    home, tmp, profile, dirs = base / "home", base / "tmp", base / "profile", base / "sx"
    for d in (home, tmp, profile):
        d.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k != "VT_API_KEY" and not k.startswith(("XDG_", "MOZ_", "SENTINELX_")) and k != "DISPLAY"}
    env.update(
        HOME=str(home), TMPDIR=str(tmp), MOZ_HEADLESS="1", NO_UPDATE_NOTIFIER="1",
        SENTINELX_CONFIG_DIR=str(dirs / "config"), SENTINELX_CACHE_DIR=str(dirs / "cache"),
        SENTINELX_LOG_DIR=str(dirs / "log"), SENTINELX_DATA_DIR=str(dirs / "data"),
    )
    done = subprocess.run([sys.executable, "-m", "sentinelx", "install", "--browser", "firefox",
                           "--launcher-python", sys.executable, "--no-shim"],
                          env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"sentinelx install failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    (profile / "user.js").write_text(_user_js(PREFS))
    return env, home, profile, dirs


@contextmanager
def running_firefox(ext: Path, base: Path, env: dict[str, str], profile: Path, home: Path,
                    log_path: Path, extra_args: tuple[str, ...] = ()) -> Iterator[tuple[BiDi, str]]:
    """web-ext runs headless Firefox ESR with `ext` as a temporary add-on; yields the BiDi
    session and a tab on the extension's options page, and leaves no process behind."""
    firefox_bin = _require(shutil.which("firefox-esr"), "firefox-esr is not installed")
    web_ext = _require(str(WEB_EXT) if WEB_EXT.exists() else None,
                       "web-ext is missing (tests/node_modules)")
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [web_ext, "run", "--source-dir", str(ext), "--firefox", firefox_bin,
             "--firefox-profile", str(profile), "--keep-profile-changes",
             "--no-input", "--no-reload", "--no-config-discovery",
             "--arg=-headless", "--arg=--remote-debugging-port=0", "--arg=--remote-allow-system-access",
             *extra_args],
            cwd=base, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    bidi: BiDi | None = None
    try:
        def log() -> str:
            return log_path.read_text(errors="replace")

        def exited() -> None:
            if proc.poll() is not None:
                pytest.fail(f"web-ext exited with {proc.returncode}\n{log()[-4000:]}")

        def installed() -> bool | None:
            exited()
            return True if f"Installed {ext} as a temporary add-on" in log() else None

        def server() -> str | None:
            exited()
            return read_server_file(profile)

        url = wait_for("Firefox's WebDriver BiDi server", server, START_TIMEOUT, log)
        wait_for("web-ext installing the add-on", installed, START_TIMEOUT, log)
        bidi = BiDi.connect(url, timeout=30)
        context = bidi.new_tab()

        def options_page() -> bool | None:
            try:
                bidi.navigate(context, f"{EXT_URL}/options.html")
                return True if bidi.evaluate_json(context, "return browser.runtime.id;", 5) else None
            except BiDiError:
                return None

        wait_for("the extension's options page", options_page, 30, log)
        yield bidi, context
    finally:
        if bidi is not None:
            bidi.close()
        _stop(proc, home)
    assert not _ours(str(home)), "processes left behind"


@pytest.fixture(scope="module")
def firefox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firefox]:
    base = tmp_path_factory.mktemp("firefox")
    env, home, profile, dirs = firefox_home(base)
    web_ext_log = base / "web-ext.log"
    with running_firefox(EXTENSION, base, env, profile, home, web_ext_log) as (bidi, context):
        yield Firefox(bidi=bidi, context=context, home=home, dirs=dirs, web_ext_log=web_ext_log)


def test_installer_registered_the_host_for_firefox(firefox: Firefox) -> None:
    manifest = json.loads(firefox.manifest().read_text())
    assert manifest["name"] == HOST_NAME
    assert manifest["type"] == "stdio"
    assert manifest["allowed_extensions"] == [GECKO_EXTENSION_ID]
    assert "allowed_origins" not in manifest
    assert os.access(manifest["path"], os.X_OK)


def test_extension_loads_with_its_background(firefox: Firefox) -> None:
    assert firefox.page("return browser.runtime.id;") == GECKO_EXTENSION_ID
    assert firefox.page("return browser.runtime.getManifest().version;") == sentinelx.__version__
    # The module background ran to the end: globalThis.sentinelx is what background.js defines.
    keys = firefox.background("return Object.keys(bg.sentinelx ?? {});")
    assert {"host", "enrichText", "getState", "whenDone"} <= set(keys)


@needs_wave2_host
def test_options_page_reaches_the_host(firefox: Firefox) -> None:
    # On load the options page asks the background to ping the host (runtime.sendMessage).
    status = wait_for(
        "the options page's host status",
        lambda: (s if (s := firefox.page(
            "return document.getElementById('host-status').textContent;")) != "Checking the SentinelX helper…"
            else None),
        15, lambda: firefox.host_log())
    assert status == f"Connected to the SentinelX helper {sentinelx.__version__}."
    reply = firefox.page("return await browser.runtime.sendMessage({cmd: 'host', request: {type: 'ping'}});")
    assert reply["ok"] is True, reply
    assert reply["reply"]["type"] == "pong"


def test_ping_and_extract_over_the_background_port(firefox: Firefox) -> None:
    firefox.host_call("ping")  # the port is open from here on
    sessions = firefox.host_log().count(SERVING_LINE)
    assert sessions >= 1, firefox.host_log()

    prefix = firefox.background("return bg.sentinelx.host.idPrefix;")
    pong = firefox.host_call("ping")
    assert pong["type"] == "pong"
    assert pong["version"] == sentinelx.__version__
    assert pong["id"].startswith(f"{prefix}.")  # the background HostClient's own request id
    assert pong["limits"]["max_text_bytes"] > 0

    extracted = firefox.host_call("extract", {"text": SAMPLE})
    assert extracted["type"] == "extracted"
    found = {(i["type"], i["value"]) for i in extracted["iocs"]}
    assert found == {("url", "http://evil.com/a"), ("ipv4", "1.2.3.4")}
    raws = {i["value"]: i["raw"] for i in extracted["iocs"]}
    assert raws == {"http://evil.com/a": "hxxp://evil[.]com/a", "1.2.3.4": "1.2.3[.]4"}

    # Both went over the port that was already open: no new host session.
    assert firefox.background("return bg.sentinelx.host.connected;") is True
    assert firefox.host_log().count(SERVING_LINE) == sessions


@needs_wave2_host
def test_enrich_text_stops_at_the_privacy_preview(firefox: Firefox) -> None:
    """The controller's own flow in Firefox: extract via the host, then the host's preview. No key
    is set: the URL goes to no source (those that take URLs need a key or are off), the address goes
    to the keyless ones (GreyNoise, InternetDB)."""
    state = firefox.background(
        f"return await bg.sentinelx.enrichText({json.dumps(SAMPLE + ' and 10.0.0.1')});")
    try:
        assert state["phase"] == "preview", state.get("error")
        found = {(i["type"], i["value"]) for i in state["iocs"]}
        assert found == {("url", "http://evil.com/a"), ("ipv4", "1.2.3.4"), ("ipv4", "10.0.0.1")}
        assert state["plan"] == ["ipv4:1.2.3.4"]
        assert state["withheld"] == {"ipv4:10.0.0.1": "private", "url:http://evil.com/a": "no_provider"}
        # The compact preview (protocol 3): the plan of each IOC is an index into `plans`.
        preview = state["preview"]
        at = [(i["type"], i["value"]) for i in state["iocs"]].index(("ipv4", "1.2.3.4"))
        assert sorted(preview["plans"][preview["planOf"][at]]["send"]) == ["greynoise", "internetdb"]
    finally:
        firefox.background("await bg.sentinelx.cancel(); return true;")


def test_missing_manifest_is_reported_then_recovers(firefox: Firefox) -> None:
    """Without the installed manifest Firefox cannot start the host: proof the port needs it."""
    manifest = firefox.manifest()
    hidden = manifest.with_suffix(".hidden")
    firefox.background("bg.sentinelx.host.disconnect(); return true;")
    manifest.rename(hidden)
    try:
        err = firefox.background("""
            try { await bg.sentinelx.host.call("ping", {}); return null; }
            catch (e) { return {name: e.name, kind: e.kind, message: e.message}; }""")
    finally:
        hidden.rename(manifest)
    assert err is not None, "ping succeeded without a host manifest"
    assert err["kind"] == "host_missing", err
    assert firefox.host_call("ping")["type"] == "pong"



@needs_wave2_host
def test_a_full_lookup_through_two_sources_in_firefox(firefox: Firefox) -> None:
    """Firefox all the way: extract, the privacy preview, Send, and the results of two real
    lookups over sockets (GreyNoise and InternetDB at local fakes, keyless), one combined
    verdict per IOC; a value no source knows stays `no_data`, never clean."""
    from tests.support.fakes.greynoise import FakeGreyNoise
    from tests.support.fakes.internetdb import FakeInternetDB

    env = {**os.environ, "SENTINELX_CONFIG_DIR": str(firefox.dirs / "config"),
           "SENTINELX_CACHE_DIR": str(firefox.dirs / "cache"),
           "SENTINELX_LOG_DIR": str(firefox.dirs / "log")}

    def sx(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "sentinelx", *args], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    bad, unknown = "185.220.101.47", "45.83.66.10"
    with FakeGreyNoise() as greynoise, FakeInternetDB() as internetdb:
        greynoise.seed(bad)
        internetdb.seed(bad, ports=[22, 443, 9001], tags=["tor"])
        sx("config", "set", "providers.greynoise.base_url", greynoise.base_url)
        sx("config", "set", "providers.internetdb.base_url", internetdb.base_url)
        try:
            text = json.dumps(f"C2 {bad.replace('.', '[.]')} and {unknown} seen")
            state = firefox.background(f"return await bg.sentinelx.enrichText({text});")
            assert state["phase"] == "preview", state.get("error")
            assert sorted(state["plan"]) == [f"ipv4:{bad}", f"ipv4:{unknown}"]
            firefox.background("bg.sentinelx.confirm(); return true;")
            state = firefox.background("return await bg.sentinelx.whenDone();", timeout=60)
        finally:
            sx("config", "set", "providers.greynoise.base_url", "https://api.greynoise.io")
            sx("config", "set", "providers.internetdb.base_url", "https://internetdb.shodan.io")
        asked = {r.path for r in greynoise.requests} | {r.path for r in internetdb.requests}
    assert state["phase"] == "done", state.get("error")
    got = state["results"]
    assert got[f"ipv4:{bad}"]["combined"]["verdict"] == "malicious", got[f"ipv4:{bad}"]
    assert got[f"ipv4:{bad}"]["providers"]["greynoise"]["status"] == "ok"
    assert got[f"ipv4:{bad}"]["providers"]["internetdb"]["status"] == "ok"
    assert got[f"ipv4:{unknown}"]["combined"]["verdict"] != "clean", got[f"ipv4:{unknown}"]
    assert any(bad in p for p in asked) and any(unknown in p for p in asked)
