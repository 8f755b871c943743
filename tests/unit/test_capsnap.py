"""The capabilities snapshot pong reads: used only while it equals a full build, dropped by
each change of what it was built from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import sentinelx
from sentinelx import config, keys
from sentinelx.enrichment import capsnap, pauses
from sentinelx.enrichment.capabilities import capabilities
from sentinelx.enrichment.providers import virustotal
from tests.support.enrich_env import Dirs, sx_dirs  # noqa: F401  (fixture)

VT_KEY = "a" * 64


@pytest.fixture(autouse=True)
def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test as a process of its own: no code signatures, snapshot or command memoised."""
    monkeypatch.setattr(capsnap, "_code", {})
    monkeypatch.setattr(capsnap, "_read", None)
    monkeypatch.setattr(capsnap, "_cli", [])


def load_in_a_new_process(env: dict[str, str]) -> bool:
    code = "from sentinelx.enrichment import capsnap; print(capsnap.load() is not None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    return out.stdout.strip() == "True"


@pytest.fixture
def snap(sx_dirs: Dirs) -> Iterator[Path]:  # noqa: F811
    for name in keys.key_envs("virustotal") + keys.key_envs("abuseipdb"):
        os.environ.pop(name, None)
    assert capsnap.refresh()
    assert capsnap.load() == capabilities()
    yield sx_dirs.cache / capsnap.FILE


def rebuilt() -> None:
    """A changed input: the snapshot is refused, and the next refresh matches the truth."""
    assert capsnap.load() is None
    assert capsnap.refresh()
    assert capsnap.load() == capabilities()


def provider(caps: dict | None, name: str) -> dict:
    assert caps is not None
    return next(p for p in caps["providers"] if p["name"] == name)


def test_a_refresh_with_nothing_changed_writes_nothing(snap: Path) -> None:
    before = snap.stat()
    assert not capsnap.refresh()
    assert (snap.stat().st_mtime_ns, snap.stat().st_ino) == (before.st_mtime_ns, before.st_ino)
    assert oct(snap.stat().st_mode & 0o777) == "0o600"


def test_no_snapshot_means_the_full_build(sx_dirs: Dirs) -> None:  # noqa: F811
    assert capsnap.load() is None
    assert capsnap.current() == capabilities()


@pytest.mark.parametrize("how", ["file", "env"])
def test_a_key_set_then_removed(snap: Path, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if how == "file":
        keys.store_key(VT_KEY, "virustotal")
    else:
        monkeypatch.setenv("SENTINELX_VIRUSTOTAL_API_KEY", VT_KEY)
    rebuilt()
    assert provider(capsnap.load(), "virustotal")["key_set"] is True
    if how == "file":
        assert keys.clear_key("virustotal")
    else:
        monkeypatch.delenv("SENTINELX_VIRUSTOTAL_API_KEY")
    rebuilt()
    assert provider(capsnap.load(), "virustotal")["key_set"] is False


def test_an_unusable_key_in_the_environment_becoming_usable(snap: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VT_API_KEY", "not usable")  # a space: treated as absent
    assert capsnap.load() == capabilities()
    monkeypatch.setenv("VT_API_KEY", VT_KEY)
    rebuilt()
    assert provider(capsnap.load(), "virustotal")["key_set"] is True


def test_the_key_itself_is_never_stored(snap: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys.store_key("b" * 64, "virustotal")
    monkeypatch.setenv("SENTINELX_ABUSEIPDB_API_KEY", "c" * 80)
    rebuilt()
    text = snap.read_text("utf-8")
    assert "b" * 16 not in text and "c" * 16 not in text


def test_a_config_change(snap: Path) -> None:
    assert provider(capsnap.load(), "misp")["enabled"] is False
    config.set_value("providers.misp.base_url", "https://misp.example")
    rebuilt()
    config.set_value("providers.misp.enabled", True)
    rebuilt()
    assert provider(capsnap.load(), "misp")["enabled"] is True
    config.set_value("providers.urlhaus.enabled", False)
    rebuilt()
    assert provider(capsnap.load(), "urlhaus")["enabled"] is False


def test_a_config_dir_moved_by_the_environment(snap: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTINELX_CONFIG_DIR", str(tmp_path / "elsewhere"))
    rebuilt()


def test_a_pause_added_then_expired(snap: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time()
    pauses.record("virustotal", now + 60)
    rebuilt()
    assert provider(capsnap.load(), "virustotal")["paused_until"] is not None
    monkeypatch.setattr(time, "time", lambda: now + 61)  # the pause is over; nothing was written
    caps = capsnap.load()
    assert provider(caps, "virustotal")["paused_until"] is None
    assert caps == capabilities()


def test_provider_code_changed(snap: Path) -> None:
    env = dict(os.environ)
    assert load_in_a_new_process(env)
    source = Path(virustotal.__file__)
    st = source.stat()
    try:
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert not load_in_a_new_process(env)  # a new start runs the new code: rebuilt
        # This process runs the code it loaded, which the snapshot describes.
        assert capsnap.load() == capabilities()
    finally:
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert load_in_a_new_process(env)


def test_a_ping_after_the_first_stats_only_the_live_files(snap: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert capsnap.load() is not None
    seen: list[str] = []
    real = capsnap._stat
    monkeypatch.setattr(capsnap, "_stat", lambda p: seen.append(p) or real(p))
    want = capabilities()
    monkeypatch.setattr("sentinelx.enrichment.capabilities.cli_path", lambda: 1 / 0)
    assert capsnap.load() == want  # and cli_path was not looked for again
    code = {str(Path(m).resolve()) for m in (capsnap.__file__, virustotal.__file__)}
    assert not code & {str(Path(p).resolve()) for p in seen}
    assert str(snap) in seen and any(p.endswith("config.json") for p in seen)


@pytest.mark.parametrize("field,value", [("version", "0.0.0"), ("package", "/elsewhere"),
                                         ("format", 0)])
def test_another_version_or_install_of_the_package(snap: Path, field: str, value: object) -> None:
    data = json.loads(snap.read_text("utf-8"))
    assert data[field] in (sentinelx.__version__, os.path.dirname(sentinelx.__file__),
                           capsnap.FORMAT)
    data[field] = value
    snap.write_text(json.dumps(data))
    assert capsnap.load() is None


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '{"format": 1}', "\udcff"])
def test_a_damaged_snapshot_is_ignored(snap: Path, text: str) -> None:
    snap.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert capsnap.load() is None
    assert capsnap.current() == capabilities()


def test_cli_path_is_the_reading_process_own(snap: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "cli_path" not in json.loads(snap.read_text("utf-8"))["capabilities"]
    monkeypatch.setattr(capsnap, "_cli", [])
    monkeypatch.setattr("sentinelx.enrichment.capabilities.cli_path", lambda: "/x/sentinelx")
    assert capsnap.load()["cli_path"] == "/x/sentinelx"  # type: ignore[index]
