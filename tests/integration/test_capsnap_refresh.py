"""Whatever changes what `pong` says on purpose (install, `config set`/`set-key`/`clear-key`,
the options page through the host) stores the capabilities snapshot again at once, so the
browser's next start of the host reads it instead of importing every provider. Real CLI
processes and a real host; the snapshot is judged by a new process, the way a host reads it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import enrich_env
from tests.support.enrich_env import SENTINELX, Dirs
from tests.support.frames import HostProcess

sx_dirs = enrich_env.sx_dirs  # fixture

# In a new process: what the snapshot gives (None when stale or absent) beside the full build.
JUDGE = ("import json; from sentinelx.enrichment import capsnap;"
         "from sentinelx.enrichment.capabilities import capabilities;"
         "print(json.dumps([capsnap.load(), capabilities()]))")


def judged(env: dict[str, str]) -> tuple[dict | None, dict]:
    out = subprocess.run([sys.executable, "-c", JUDGE], capture_output=True, text=True, env=env,
                         check=True, timeout=60)
    snap, full = json.loads(out.stdout)
    return snap, full


def provider(caps: dict, name: str) -> dict:
    return next(p for p in caps["providers"] if p["name"] == name)


def sx(dirs: Dirs, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SENTINELX), *args], input=stdin, capture_output=True, text=True,
                          env=dirs.env(), timeout=60)


def test_config_commands_leave_a_snapshot_the_next_start_can_use(sx_dirs: Dirs) -> None:
    assert judged(sx_dirs.env())[0] is None  # nothing stored yet: the first start builds
    done = sx(sx_dirs, "config", "set", "providers.otx.enabled", "false")
    assert done.returncode == 0, done.stderr
    snap, full = judged(sx_dirs.env())
    assert snap == full and provider(snap, "otx")["enabled"] is False

    done = sx(sx_dirs, "config", "set-key", "--provider", "abuseipdb", "--no-verify",
              stdin="a1b2c3d4" * 10 + "\n")
    assert done.returncode == 0, done.stderr
    snap, full = judged(sx_dirs.env())
    assert snap == full and provider(snap, "abuseipdb")["key_set"] is True

    done = sx(sx_dirs, "config", "clear-key", "--provider", "abuseipdb")
    assert done.returncode == 0, done.stderr
    snap, full = judged(sx_dirs.env())
    assert snap == full and provider(snap, "abuseipdb")["key_set"] is False


def test_a_refused_change_stores_nothing(sx_dirs: Dirs) -> None:
    done = sx(sx_dirs, "config", "set", "providers.otx.enabled", "maybe")
    assert done.returncode != 0
    assert not any(sx_dirs.cache.iterdir())


def test_a_cache_dir_that_cannot_be_written_does_not_fail_the_change(sx_dirs: Dirs) -> None:
    sx_dirs.cache.rmdir()
    sx_dirs.cache.write_text("not a folder")  # the snapshot cannot go there
    done = sx(sx_dirs, "config", "set", "providers.otx.enabled", "false")
    assert done.returncode == 0, done.stderr
    assert "providers.otx.enabled = false" in done.stdout
    assert sx(sx_dirs, "config", "get", "providers.otx.enabled").stdout.strip() == "false"


def test_install_leaves_a_snapshot_for_the_browsers_first_start(sx_dirs: Dirs,
                                                                tmp_path: Path) -> None:
    done = sx(sx_dirs, "install", "--browser", "chromium", "--manifest-dir",
              str(tmp_path / "manifests"), "--launcher-python", sys.executable, "--no-shim")
    assert done.returncode == 0, done.stderr
    snap, full = judged(sx_dirs.env())
    assert snap is not None and snap == full


def settled(dirs: Dirs, unlike: dict | None = None, **env: str) -> dict | None:
    """The snapshot once it is valid (and differs from `unlike`), waiting up to 30 s for a
    host's thread to store it; None if it never is."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        snap, full = judged(dirs.env(**env))  # the host's environment: keys are inputs
        if snap is not None and snap == full and snap != unlike:
            return snap
        time.sleep(0.2)
    return None


@pytest.mark.parametrize("request_", [
    {"type": "config.set", "name": "providers.otx.enabled", "value": False},
    {"type": "config.set_key", "provider": "abuseipdb", "key": "a1b2c3d4" * 10, "verify": False},
])
def test_a_change_from_the_options_page_is_stored_by_the_host(sx_dirs: Dirs,
                                                              request_: dict) -> None:
    h = HostProcess(sx_dirs.env())
    try:
        h.send({"id": "p", "type": "ping"})
        h.wait_for(lambda f: f.get("id") == "p")
        before = settled(sx_dirs)  # the warm-up's own snapshot, from before the change
        assert before is not None
        h.send({"id": "c", **request_})
        reply = h.wait_for(lambda f: f.get("id") == "c")
        assert reply["type"] == "config", reply
        snap = settled(sx_dirs, unlike=before)  # stored on a thread after the reply
        assert snap is not None
        if request_["type"] == "config.set":
            assert provider(snap, "otx")["enabled"] is False
        else:
            assert provider(snap, "abuseipdb")["key_set"] is True
    finally:
        h.close()


def test_quota_reset_stores_the_pause_gone(sx_dirs: Dirs) -> None:
    from sentinelx.enrichment import store
    from sentinelx.enrichment.quota import Quota

    conn = store.connect()
    try:
        Quota(conn, "virustotal").rate_limited("429 from the provider", time.time() + 3600)
    finally:
        conn.close()
    done = sx(sx_dirs, "config", "get", "providers.otx.enabled")  # a reading: stores nothing
    assert done.returncode == 0 and not any(sx_dirs.cache.glob("capabilities*"))
    done = sx(sx_dirs, "quota", "reset", "--provider", "virustotal")
    assert done.returncode == 0 and "cleared the pause of virustotal" in done.stdout
    snap, full = judged(sx_dirs.env())
    assert snap == full and provider(snap, "virustotal")["paused_until"] is None


def test_a_reset_with_nothing_paused_changes_nothing(sx_dirs: Dirs) -> None:
    from sentinelx.enrichment import capsnap, pauses

    assert sx(sx_dirs, "config", "set", "providers.otx.enabled", "false").returncode == 0
    stored = (sx_dirs.cache / capsnap.FILE).stat()
    done = sx(sx_dirs, "quota", "reset")
    assert done.returncode == 0 and "was not paused" in done.stdout
    assert not pauses.path().exists()  # no pause to mirror: the mirror is not created
    after = (sx_dirs.cache / capsnap.FILE).stat()
    assert (after.st_mtime_ns, after.st_ino) == (stored.st_mtime_ns, stored.st_ino)
    snap, full = judged(sx_dirs.env())
    assert snap == full


def test_a_429_the_host_meets_is_in_the_snapshot_after_the_job(sx_dirs: Dirs) -> None:
    from sentinelx import config
    from tests.support.fakevt import FakeVT

    key = "5f3a9c0e1d2b4a6f8e7d" * 3 + "9c0e"
    with FakeVT(api_key=key) as fake:
        enrich_env.only_providers("virustotal")
        config.set_value("vt.base_url", fake.base_url)
        fake.program("quota")  # every answer a 429
        env = {"SENTINELX_VIRUSTOTAL_API_KEY": key}
        h = HostProcess(sx_dirs.env(**env))
        try:
            h.send({"id": "p", "type": "ping"})
            h.wait_for(lambda f: f.get("id") == "p")
            before = settled(sx_dirs, **env)
            assert before is not None and provider(before, "virustotal")["paused_until"] is None
            h.send({"id": "r", "type": "enrich", "iocs": [{"type": "ipv4", "value": "45.0.0.1"}]})
            h.wait_for(lambda f: f.get("type") == "progress" and f["waiting_for_quota"])
            h.send({"id": "c", "type": "cancel", "target": "r"})
            h.wait_for(lambda f: f.get("type") == "summary", timeout=10)
            snap = settled(sx_dirs, unlike=before, **env)
            assert snap is not None and provider(snap, "virustotal")["paused_until"]
        finally:
            h.close()


def test_a_pause_met_by_the_command_line_is_stored(sx_dirs: Dirs) -> None:
    from sentinelx import config
    from sentinelx.enrichment import store
    from sentinelx.enrichment.quota import Quota

    enrich_env.only_providers("virustotal")
    config.set_value("vt.base_url", "http://127.0.0.1:9")  # never reached: paused
    env = {"SENTINELX_VIRUSTOTAL_API_KEY": "5f3a9c0e1d2b4a6f8e7d" * 3 + "9c0e"}
    assert sx(sx_dirs, "config", "set", "providers.otx.enabled", "false").returncode == 0
    conn = store.connect()
    try:  # another process met VirusTotal's daily limit
        Quota(conn, "virustotal").rate_limited("daily quota exceeded")
    finally:
        conn.close()
    assert judged(sx_dirs.env(**env))[0] is None  # the pause made the snapshot stale
    done = subprocess.run([str(SENTINELX), "enrich", "--ioc", "ipv4:45.0.0.1", "--json"],
                          capture_output=True, text=True, env=sx_dirs.env(**env), timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["providers"]["virustotal"]["paused_until"]
    snap, full = judged(sx_dirs.env(**env))
    assert snap == full and provider(snap, "virustotal")["paused_until"]


def test_a_flood_of_changes_from_the_port_leaves_the_last_one_stored(sx_dirs: Dirs) -> None:
    h = HostProcess(sx_dirs.env())
    try:
        for n in range(300):
            h.send({"id": f"c{n}", "type": "config.set", "name": "providers.otx.enabled",
                    "value": n % 2 == 1})  # ends on True
        h.send({"id": "last", "type": "config.set", "name": "providers.otx.enabled",
                "value": False})
        h.wait_for(lambda f: f.get("id") == "last", timeout=60)
        assert all(f["type"] == "config" for f in h.frames if f.get("id", "").startswith("c"))
        snap = settled(sx_dirs)
        assert snap is not None and provider(snap, "otx")["enabled"] is False
    finally:
        h.close()
