"""The installer as users run it: `sentinelx install/doctor/uninstall` processes and the real
./install/install.sh, each in a temporary HOME with fake browser profiles.

The install.sh test creates a real venv and pip-installs this repo into it (tens of seconds);
it runs once. Everything else reuses the test interpreter through --launcher-python.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.install_env import snapshot

REPO = Path(__file__).resolve().parents[2]
INSTALL_SH = REPO / "install" / "install.sh"
CHROMIUM = ".config/chromium/NativeMessagingHosts/com.sentinelx.host.json"
FIREFOX = ".mozilla/native-messaging-hosts/com.sentinelx.host.json"


def fake_home(tmp: Path) -> tuple[Path, dict[str, str]]:
    """A HOME with a used Chromium and Firefox profile; env without any SENTINELX_* override,
    so the data dir comes from XDG exactly as on a user's machine."""
    home = tmp / "home"
    (home / ".config/chromium/Default").mkdir(parents=True)
    (home / ".mozilla/firefox").mkdir(parents=True)
    (home / ".mozilla/firefox/profiles.ini").write_text("[General]\n")
    (tmp / "root").mkdir()
    (tmp / "bin").mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SENTINELX_", "XDG_")) and k != "VT_API_KEY"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local/share"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_STATE_HOME=str(home / ".local/state"), PATH=str(tmp / "bin"))
    return home, env


def sx(env: dict[str, str], *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sentinelx", *args, "--root", str(tmp / "root")],
                          env=env, capture_output=True, text=True, timeout=120)


def test_cli_install_doctor_reinstall_break_uninstall(tmp_path: Path) -> None:
    home, env = fake_home(tmp_path)
    first = sx(env, "install", tmp=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "created       manifest chromium" in first.stdout
    assert "created       manifest firefox" in first.stdout
    assert "Load unpacked" in first.stdout and str(REPO / "extension") in first.stdout
    assert "about:debugging" in first.stdout and "config set-key" in first.stdout
    data = home / ".local/share/sentinelx"
    assert json.loads((home / CHROMIUM).read_text())["path"] == str(data / "sentinelx-host")

    before = snapshot(home)
    again = sx(env, "install", tmp=tmp_path)
    assert again.returncode == 0 and "0 changed" in again.stdout
    assert "created" not in again.stdout and "updated" not in again.stdout
    assert snapshot(home) == before

    doc = sx(env, "doctor", "--json", tmp=tmp_path)
    report = json.loads(doc.stdout)
    assert doc.returncode == 0 and report["ok"], doc.stdout
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["chromium ping"] == "ok" and statuses["firefox ping"] == "ok"

    (home / FIREFOX).write_text("not json")
    bad = sx(env, "doctor", tmp=tmp_path)
    assert bad.returncode == 1
    assert "firefox manifest" in bad.stdout and "FAIL" in bad.stdout
    assert "How to fix:" in bad.stdout and "sentinelx install --browser firefox" in bad.stdout

    gone = sx(env, "uninstall", tmp=tmp_path)
    assert gone.returncode == 0, gone.stderr
    assert not (home / CHROMIUM).exists() and not (home / FIREFOX).exists()
    assert not data.exists()
    assert (home / ".config/sentinelx/config.json").exists()  # settings are kept


def test_cli_dry_run_writes_nothing(tmp_path: Path) -> None:
    home, env = fake_home(tmp_path)
    before = snapshot(home)
    out = sx(env, "install", "--dry-run", "--browser", "edge", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "would create  manifest edge" in out.stdout
    assert ".config/microsoft-edge/NativeMessagingHosts/com.sentinelx.host.json" in out.stdout
    assert snapshot(home) == before


def test_register_into_a_given_profile_dir_for_e2e(tmp_path: Path) -> None:
    """What tests/e2e does: register into <user-data-dir>/NativeMessagingHosts, then check it."""
    home, env = fake_home(tmp_path)
    nmh = tmp_path / "chromium-user-data" / "NativeMessagingHosts"
    out = sx(env, "install", "--browser", "chromium", "--manifest-dir", str(nmh),
             "--launcher-python", sys.executable, tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in nmh.iterdir()) == ["com.sentinelx.host.json", "sentinelx-host"]
    assert not (home / CHROMIUM).exists()  # the user's own profile is untouched
    doc = sx(env, "doctor", "--browser", "chromium", "--manifest-dir", str(nmh), tmp=tmp_path)
    assert doc.returncode == 0, doc.stdout
    assert "chromium ping" in doc.stdout and "pong" in doc.stdout


def test_snap_browser_gets_advice_not_a_manifest(tmp_path: Path) -> None:
    home, env = fake_home(tmp_path)
    shutil.rmtree(home / ".config/chromium")
    (tmp_path / "root/snap/bin").mkdir(parents=True)
    (tmp_path / "root/snap/bin/chromium").symlink_to("/usr/bin/snap")
    out = sx(env, "install", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Chromium is installed as a snap" in out.stdout and ".deb" in out.stdout
    assert not (home / CHROMIUM).exists()
    assert (home / FIREFOX).exists()


# --- install.sh --------------------------------------------------------------------------------


def sh_env(tmp: Path) -> tuple[Path, dict[str, str]]:
    home, env = fake_home(tmp)
    (home / ".local/bin").mkdir(parents=True)
    env["PATH"] = f"{home / '.local/bin'}:/usr/local/bin:/usr/bin:/bin"
    # Keep this machine's pip settings (index, wheel dirs) and cache: only HOME is fake.
    real_pip_conf = Path.home() / ".config/pip/pip.conf"
    if real_pip_conf.is_file() and "PIP_CONFIG_FILE" not in env:
        env["PIP_CONFIG_FILE"] = str(real_pip_conf)
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache/pip"))
    return home, env


def run_sh(env: dict[str, str], *args: str, script: Path = INSTALL_SH,
           timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(script), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd="/")


def clone(tmp: Path) -> Path:
    """A private copy of the checkout: other work in the tree must not change the sources
    between the first and second run (that would rightly re-install the venv)."""
    dst = tmp / "clone"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "node_modules", ".venv")
    for name in ("host", "install", "extension"):
        shutil.copytree(REPO / name, dst / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dst / name)
    return dst


def test_install_sh_end_to_end(tmp_path: Path) -> None:
    home, env = sh_env(tmp_path)
    root = ["--root", str(tmp_path / "root")]
    data = home / ".local/share/sentinelx"
    src = clone(tmp_path)
    script = src / "install/install.sh"

    dry = run_sh(env, "--dry-run", *root, script=script)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would create  venv" in dry.stdout and "would create  manifest chromium" in dry.stdout
    assert not data.exists() and not (home / CHROMIUM).exists()

    first = run_sh(env, *root, script=script)
    assert first.returncode == 0, first.stdout + first.stderr
    venv_py = data / "venv/bin/python"
    launcher = data / "sentinelx-host"
    assert f"exec {venv_py} -u -I -m sentinelx host" in launcher.read_text()
    for rel in (CHROMIUM, FIREFOX):
        assert json.loads((home / rel).read_text())["path"] == str(launcher)
    # Installed as a copy: the venv does not import from this clone.
    where = subprocess.run([str(venv_py), "-I", "-c", "import sentinelx; print(sentinelx.__file__)"],
                           capture_output=True, text=True, env=env, check=True).stdout
    assert str(data / "venv") in where and str(src) not in where
    assert not (src / "build").exists() and not list((src / "host").glob("*.egg-info"))
    assert str(src / "extension") in first.stdout  # the next steps name the clone's extension/
    shim = home / ".local/bin/sentinelx"
    assert os.readlink(shim) == str(data / "venv/bin/sentinelx")

    # The printed next step works as printed: `sentinelx doctor` through the PATH link.
    doc = subprocess.run(["sentinelx", "doctor", *root], env=env, capture_output=True, text=True,
                         timeout=120)
    assert doc.returncode == 0, doc.stdout + doc.stderr
    assert "chromium ping          ok      pong" in doc.stdout

    before = snapshot(home)
    second = run_sh(env, *root, script=script)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "unchanged     venv" in second.stdout and "0 changed" in second.stdout
    assert snapshot(home) == before

    gone = run_sh(env, "--uninstall", "--purge", *root, script=src / "install/uninstall.sh")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    leftovers = [p for p in snapshot(home) if "sentinelx" in p or "NativeMessagingHosts" in p
                 or "native-messaging-hosts" in p]
    assert leftovers == []


def test_install_sh_explains_a_missing_venv_module(tmp_path: Path) -> None:
    """Debian's python3 without python3-venv: the exact apt command, and nothing created."""
    home, env = sh_env(tmp_path)
    fake = tmp_path / "bin/python3-novenv"
    fake.write_text(f'#!/bin/sh\ncase "$*" in *ensurepip*) exit 1 ;; esac\nexec {sys.executable} "$@"\n')
    fake.chmod(0o755)
    env["SENTINELX_PYTHON"] = str(fake)
    out = run_sh(env, timeout=60)
    assert out.returncode != 0
    assert "sudo apt-get install python3-venv" in out.stderr
    assert not (home / ".local/share/sentinelx").exists()


def test_install_sh_uninstall_without_install_says_so(tmp_path: Path) -> None:
    # Nothing installed: it says so, and still reports (and with --purge removes) leftovers.
    _, env = sh_env(tmp_path)
    env["SENTINELX_PYTHON"] = sys.executable  # has platformdirs: no throw-away venv needed
    out = run_sh(env, "--uninstall", timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "not installed" in out.stderr


def test_install_sh_purge_works_after_a_plain_uninstall(tmp_path: Path) -> None:
    """What a user did: uninstall, then change their mind and purge; the venv is gone by then."""
    home, env = sh_env(tmp_path)
    env["SENTINELX_PYTHON"] = sys.executable
    left = [home / ".config/sentinelx", home / ".cache/sentinelx", home / ".local/state/sentinelx/log"]
    for folder in left:
        folder.mkdir(parents=True)
        (folder / "file").write_text("x")
    plain = run_sh(env, "--uninstall", "--root", str(tmp_path / "root"), timeout=120)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    for folder in left:  # the message names every folder it leaves, logs included
        assert str(folder) in plain.stdout
    assert f"{INSTALL_SH} --uninstall --purge" in plain.stdout
    purge = run_sh(env, "--uninstall", "--purge", "--root", str(tmp_path / "root"), timeout=120)
    assert purge.returncode == 0, purge.stdout + purge.stderr
    assert not any(f.exists() for f in left)
    assert not (home / ".local/state/sentinelx").exists()


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_shell_scripts_pass_shellcheck() -> None:
    scripts = [str(p) for p in (REPO / "install").glob("*.sh")]
    out = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
