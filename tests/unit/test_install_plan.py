"""Install and uninstall plans against a temp HOME: manifests, launcher, config, idempotency."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from sentinelx import config
from sentinelx.extension_ids import CHROME_EXTENSION_ID, GECKO_EXTENSION_ID
from sentinelx.install import plan
from sentinelx.install.actions import Outcome, RemoveEmptyDir, Symlink, WriteFile
from sentinelx.install.winreg_store import RegistryStore
from tests.support.fake_winreg import FakeWinreg
from tests.support.install_env import World, make_world, snapshot

ORIGIN = f"chrome-extension://{CHROME_EXTENSION_ID}/"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    w = make_world(tmp_path, monkeypatch)
    w.profile(".config", "chromium")
    w.profile(".config", "BraveSoftware", "Brave-Browser")
    (w.home / ".mozilla/firefox").mkdir(parents=True)
    (w.home / ".mozilla/firefox/profiles.ini").write_text("[General]\n")
    return w


def install(w: World, machine=None, **kw) -> tuple[plan.Plan, list[plan.Result]]:
    kw.setdefault("launcher_python", Path(sys.executable))
    p = plan.build_install(machine or w.machine, w.dirs, plan.Options(**kw))
    return p, plan.execute(p, echo=lambda _: None)


def outcomes(results: list[plan.Result]) -> list[Outcome | None]:
    return [r.outcome for r in results]


def test_install_writes_a_manifest_per_browser_found(world: World) -> None:
    p, results = install(world)
    assert all(r.outcome is Outcome.CREATED for r in results), results
    launcher = world.dirs.data / "sentinelx-host"
    assert p.launcher == launcher
    found = {t.browser.name: t.manifest for t in p.targets}
    assert found == {
        "chromium": world.home / ".config/chromium/NativeMessagingHosts/com.sentinelx.host.json",
        "brave": world.home
        / ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts/com.sentinelx.host.json",
        "firefox": world.home / ".mozilla/native-messaging-hosts/com.sentinelx.host.json",
    }
    for name, path in found.items():
        m = json.loads(path.read_text())
        assert m["name"] == "com.sentinelx.host" and m["type"] == "stdio"
        assert m["path"] == str(launcher) and Path(m["path"]).is_absolute()
        if name == "firefox":
            assert m["allowed_extensions"] == [GECKO_EXTENSION_ID]
            assert "allowed_origins" not in m
        else:
            assert m["allowed_origins"] == [ORIGIN]
            assert "allowed_extensions" not in m
    # Browsers that are not installed get nothing.
    assert not (world.home / ".config/google-chrome").exists()
    assert not (world.home / ".config/vivaldi").exists()


def test_launcher_calls_the_venv_python_by_absolute_path_unbuffered(world: World) -> None:
    py = world.dirs.data / "venv/bin/python"
    install(world, launcher_python=py, record_config=False)
    launcher = world.dirs.data / "sentinelx-host"
    text = launcher.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert f'exec {py} -u -I -m sentinelx host "$@"' in text
    assert os.access(launcher, os.X_OK) and (launcher.stat().st_mode & 0o777) == 0o755


def test_launcher_path_with_spaces_is_quoted(world: World) -> None:
    from sentinelx.install import launcher

    text = launcher.render(Path("/Users/a b/Library/Application Support/sentinelx/venv/bin/python"),
                           "darwin")
    assert "exec '/Users/a b/Library/Application Support/sentinelx/venv/bin/python' -u" in text


def test_ids_are_recorded_in_the_host_config_and_user_ids_kept(world: World) -> None:
    config.set_value("host.allowed_extensions", "abcdefghijklmnopabcdefghijklmnop")
    install(world)
    assert config.get("host.allowed_extensions") == (
        f"abcdefghijklmnopabcdefghijklmnop,{CHROME_EXTENSION_ID},{GECKO_EXTENSION_ID}")


def test_second_install_changes_nothing(world: World) -> None:
    install(world)
    before = snapshot(world.home, world.dirs.data, world.dirs.config)
    _, results = install(world)
    assert outcomes(results) == [Outcome.UNCHANGED] * len(results)
    assert snapshot(world.home, world.dirs.data, world.dirs.config) == before


def test_a_changed_manifest_is_repaired_and_reported_updated(world: World) -> None:
    install(world)
    target = world.home / ".mozilla/native-messaging-hosts/com.sentinelx.host.json"
    target.write_text("{}")
    _, results = install(world)
    updated = [r.action.target for r in results if r.outcome is Outcome.UPDATED]
    assert updated == [str(target)]
    assert json.loads(target.read_text())["allowed_extensions"] == [GECKO_EXTENSION_ID]


def test_a_lost_exec_bit_is_repaired(world: World) -> None:
    install(world)
    launcher = world.dirs.data / "sentinelx-host"
    launcher.chmod(0o644)
    _, results = install(world)
    assert Outcome.UPDATED in outcomes(results)
    assert os.access(launcher, os.X_OK)


def test_dry_run_writes_nothing_and_lists_everything(world: World) -> None:
    before = snapshot(world.home, world.dirs.data, world.dirs.config)
    p = plan.build_install(world.machine, world.dirs,
                           plan.Options(launcher_python=Path(sys.executable)))
    lines: list[str] = []
    results = plan.execute(p, dry_run=True, echo=lines.append)
    assert snapshot(world.home, world.dirs.data, world.dirs.config) == before
    assert not world.dirs.data.exists() and not world.dirs.config.exists()
    assert all(r.outcome is Outcome.CREATED for r in results)
    out = "\n".join(lines)
    for t in p.targets:
        assert f"would create  manifest {t.browser.name}" in out and str(t.manifest) in out
    assert str(p.launcher) in out and "host.allowed_extensions" in out
    assert ORIGIN in out  # the content is shown too


def test_named_browser_is_set_up_even_if_not_detected(world: World) -> None:
    p, _ = install(world, browsers=("vivaldi",))
    assert [t.browser.name for t in p.targets] == ["vivaldi"]
    assert (world.home / ".config/vivaldi/NativeMessagingHosts/com.sentinelx.host.json").is_file()
    assert not (world.home / ".mozilla/native-messaging-hosts").exists()


def test_unknown_browser_name_is_a_plan_error(world: World) -> None:
    with pytest.raises(plan.PlanError, match="unknown browser"):
        plan.build_install(world.machine, world.dirs, plan.Options(browsers=("opera",)))


def test_snap_only_browser_gets_no_manifest_and_a_plain_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_world(tmp_path, monkeypatch)
    (w.root / "snap/bin").mkdir(parents=True)
    (w.root / "snap/bin/chromium").touch()
    p, _ = install(w)
    assert p.targets == ()
    assert not (w.home / ".config/chromium").exists()
    text = " ".join(p.notices)
    assert "Chromium is installed as a snap" in text and ".deb" in text
    assert "No browser that can run SentinelX was found" in text


def test_manifest_dir_mode_registers_into_a_given_profile_only(world: World, tmp_path) -> None:
    profile = tmp_path / "chromium-profile"
    nmh = profile / "NativeMessagingHosts"
    p, results = install(world, browsers=("chromium",), manifest_dir=nmh)
    assert [t.manifest for t in p.targets] == [nmh / "com.sentinelx.host.json"]
    assert sorted(x.name for x in nmh.iterdir()) == ["com.sentinelx.host.json", "sentinelx-host"]
    m = json.loads((nmh / "com.sentinelx.host.json").read_text())
    assert m["path"] == str(nmh / "sentinelx-host") and m["allowed_origins"] == [ORIGIN]
    # The real per-user folders are untouched.
    assert not (world.home / ".config/chromium/NativeMessagingHosts").exists()
    assert not any(isinstance(r.action, Symlink) for r in results)
    with pytest.raises(plan.PlanError, match="exactly one"):
        plan.build_install(world.machine, world.dirs,
                           plan.Options(browsers=("chromium", "firefox"), manifest_dir=nmh))


def test_shim_links_the_venv_command_into_local_bin(world: World) -> None:
    (world.home / ".local/bin").mkdir(parents=True)
    py = world.dirs.data / "venv/bin/python"
    _, results = install(world, launcher_python=py)
    link = world.home / ".local/bin/sentinelx"
    assert os.readlink(link) == str(world.dirs.data / "venv/bin/sentinelx")
    assert [r.outcome for r in results if isinstance(r.action, Symlink)] == [Outcome.CREATED]


def test_shim_never_replaces_someone_elses_command(world: World) -> None:
    (world.home / ".local/bin").mkdir(parents=True)
    theirs = world.home / ".local/bin/sentinelx"
    theirs.write_text("#!/bin/sh\necho pipx\n")
    _, results = install(world, launcher_python=world.dirs.data / "venv/bin/python")
    assert [r.outcome for r in results if isinstance(r.action, Symlink)] == [Outcome.SKIPPED]
    assert theirs.read_text() == "#!/bin/sh\necho pipx\n"


def test_no_shim_for_a_python_outside_the_data_dir(world: World) -> None:
    (world.home / ".local/bin").mkdir(parents=True)
    _, results = install(world)  # the test interpreter, e.g. a dev venv
    assert not any(isinstance(r.action, Symlink) for r in results)


# --- uninstall -----------------------------------------------------------------------------------


def uninstall(w: World, machine=None, **kw) -> tuple[plan.Plan, list[plan.Result]]:
    p = plan.build_uninstall(machine or w.machine, w.dirs, plan.Options(**kw))
    return p, plan.execute(p, echo=lambda _: None)


def fake_venv(w: World) -> Path:
    py = w.dirs.data / "venv/bin/python"
    py.parent.mkdir(parents=True)
    py.symlink_to(sys.executable)
    (py.parent / "sentinelx").write_text("#!/bin/sh\n")
    return py


def test_uninstall_removes_everything_it_wrote_and_keeps_settings(world: World) -> None:
    (world.home / ".local/bin").mkdir(parents=True)
    before = snapshot(world.home)
    py = fake_venv(world)
    install(world, launcher_python=py)
    config.store_key("k" * 64)
    (world.dirs.cache).mkdir()
    (world.dirs.cache / "cache.sqlite3").write_bytes(b"")
    _, results = uninstall(world)
    assert None not in outcomes(results)
    # Manifests, their folders and the link are gone (parent dir mtimes moved, nothing else).
    assert set(snapshot(world.home)) == set(before)
    assert not world.dirs.data.exists()  # launcher and venv gone, folder removed when empty
    assert config.key_path().exists() and config.config_path().exists()
    assert (world.dirs.cache / "cache.sqlite3").exists()


def test_uninstall_purge_removes_settings_cache_and_logs_too(world: World) -> None:
    install(world, launcher_python=fake_venv(world))
    config.store_key("k" * 64)
    world.dirs.cache.mkdir()
    world.dirs.log.mkdir()
    _, results = uninstall(world, purge=True)
    assert None not in outcomes(results)
    for d in (world.dirs.data, world.dirs.config, world.dirs.cache, world.dirs.log):
        assert not d.exists(), d


def test_uninstall_twice_reports_absent(world: World) -> None:
    install(world)
    uninstall(world)
    _, results = uninstall(world)
    assert set(outcomes(results)) <= {Outcome.ABSENT, Outcome.SKIPPED}


def test_uninstall_one_browser_keeps_the_launcher_for_the_others(world: World) -> None:
    install(world)
    p, results = uninstall(world, browsers=("firefox",))
    assert None not in outcomes(results)
    assert any("launcher and venv stay" in n for n in p.notices)
    assert not (world.home / ".mozilla/native-messaging-hosts").exists()
    assert (world.home / ".config/chromium/NativeMessagingHosts/com.sentinelx.host.json").exists()
    assert (world.dirs.data / "sentinelx-host").exists()


def test_uninstall_leaves_a_foreign_sentinelx_command_alone(world: World) -> None:
    (world.home / ".local/bin").mkdir(parents=True)
    theirs = world.home / ".local/bin/sentinelx"
    theirs.symlink_to("/opt/other/sentinelx")
    install(world)
    uninstall(world)
    assert theirs.is_symlink()


def test_uninstall_dry_run_removes_nothing_but_says_what_it_would(world: World) -> None:
    install(world, launcher_python=fake_venv(world))
    before = snapshot(world.home, world.dirs.data)
    p = plan.build_uninstall(world.machine, world.dirs, plan.Options())
    lines: list[str] = []
    plan.execute(p, dry_run=True, echo=lines.append)
    assert snapshot(world.home, world.dirs.data) == before
    out = "\n".join(lines)
    assert "would remove  venv" in out and "would remove  dir" in out


def test_purge_refuses_to_delete_home(world: World) -> None:
    dirs = plan.Dirs(world.dirs.data, world.home, world.dirs.cache, world.dirs.log)
    p = plan.build_uninstall(world.machine, dirs, plan.Options(purge=True))
    assert not any(getattr(a, "path", None) == world.home for a in p.actions)
    assert any("home folder" in n for n in p.notices)


def test_manifest_dir_uninstall(world: World, tmp_path) -> None:
    nmh = tmp_path / "profile/NativeMessagingHosts"
    install(world, browsers=("chromium",), manifest_dir=nmh)
    uninstall(world, browsers=("chromium",), manifest_dir=nmh)
    assert list(nmh.iterdir()) == []


# --- macOS and Windows from the same table --------------------------------------------------------


def test_macos_install_uses_library_application_support(world: World) -> None:
    mac = world.with_os("darwin")
    (world.home / "Library/Application Support/Google/Chrome/Default").mkdir(parents=True)
    p, _ = install(world, machine=mac, record_config=False)
    assert [t.browser.name for t in p.targets] == ["chrome"]
    m = world.home / ("Library/Application Support/Google/Chrome/NativeMessagingHosts/"
                      "com.sentinelx.host.json")
    assert json.loads(m.read_text())["allowed_origins"] == [ORIGIN]


def windows_install(w: World, reg: FakeWinreg, system: bool = False) -> tuple[plan.Plan, list]:
    store = RegistryStore(reg, system)
    win = w.with_os("windows")
    opts = plan.Options(browsers=("chrome", "edge", "firefox"), system=system,
                        launcher_python=Path(sys.executable), record_config=False)
    p = plan.build_install(win, w.dirs, opts, registry=store)
    return p, plan.execute(p, echo=lambda _: None)


def test_windows_install_writes_hkcu_keys_pointing_at_manifests(world: World) -> None:
    reg = FakeWinreg()
    p, results = windows_install(world, reg)
    assert None not in outcomes(results)
    assert [t.registry_key is not None for t in p.targets] == [True, True, True]
    launcher = world.dirs.data / "sentinelx-host.bat"
    bat = launcher.read_bytes().decode()
    assert "\r\n" in bat and f'"{sys.executable}" -u -I -m sentinelx host %*' in bat
    for name, key in [("chrome", r"Software\Google\Chrome"), ("edge", r"Software\Microsoft\Edge"),
                      ("firefox", r"Software\Mozilla")]:
        manifest = world.dirs.data / "manifests" / f"{name}.json"
        value = reg.default("HKCU", key + r"\NativeMessagingHosts\com.sentinelx.host")
        assert value == str(manifest)
        assert json.loads(manifest.read_text())["path"] == str(launcher)
    assert not any(k[0] == "HKLM" for k in reg.keys)
    # Idempotent, registry included.
    _, again = windows_install(world, reg)
    assert outcomes(again) == [Outcome.UNCHANGED] * len(again)


def test_windows_system_install_uses_hklm(world: World) -> None:
    reg = FakeWinreg()
    windows_install(world, reg, system=True)
    assert reg.default("HKLM", r"Software\Google\Chrome\NativeMessagingHosts\com.sentinelx.host")
    assert not any(k[0] == "HKCU" for k in reg.keys)


def test_windows_uninstall_deletes_keys_and_files(world: World) -> None:
    reg = FakeWinreg()
    windows_install(world, reg)
    reg.CreateKeyEx("HKCU", r"Software\Google\Chrome\NativeMessagingHosts\other.host")
    store = RegistryStore(reg)
    p = plan.build_uninstall(world.with_os("windows"), world.dirs, plan.Options(), registry=store)
    results = plan.execute(p, echo=lambda _: None)
    assert None not in outcomes(results)
    assert not any("com.sentinelx.host" in k[1] for k in reg.keys)
    assert reg.OpenKey("HKCU", r"Software\Google\Chrome\NativeMessagingHosts\other.host")
    assert not (world.dirs.data / "manifests").exists()
    assert not any(isinstance(a, RemoveEmptyDir) and "NativeMessagingHosts" in str(a.path)
                   for a in p.actions)


def test_windows_dry_run_lists_keys_and_writes_none(world: World) -> None:
    reg = FakeWinreg()
    store = RegistryStore(reg)
    p = plan.build_install(world.with_os("windows"), world.dirs,
                           plan.Options(browsers=("chromium",), record_config=False,
                                        launcher_python=Path(sys.executable)), registry=store)
    lines: list[str] = []
    plan.execute(p, dry_run=True, echo=lines.append)
    assert reg.keys == {}
    assert any(r"HKCU\Software\Chromium\NativeMessagingHosts\com.sentinelx.host" in ln
               for ln in lines)
    assert not world.dirs.data.exists()


def test_write_file_is_atomic_and_keeps_no_temp_files(world: World, tmp_path) -> None:
    target = tmp_path / "x/m.json"
    assert WriteFile(target, "a\n").apply() is Outcome.CREATED
    assert WriteFile(target, "b\n").apply() is Outcome.UPDATED
    assert [p.name for p in target.parent.iterdir()] == ["m.json"]


def test_register_into_dir_is_the_e2e_entry_point(world: World, tmp_path: Path) -> None:
    nmh = tmp_path / "user-data-dir/NativeMessagingHosts"
    manifest = plan.register_into_dir("firefox", nmh, Path(sys.executable))
    assert manifest == nmh / "com.sentinelx.host.json"
    m = json.loads(manifest.read_text())
    assert m["allowed_extensions"] == [GECKO_EXTENSION_ID] and m["path"] == str(nmh / "sentinelx-host")
    assert sorted(p.name for p in nmh.iterdir()) == ["com.sentinelx.host.json", "sentinelx-host"]
    assert not world.dirs.config.exists() and not world.dirs.data.exists()  # nothing else written


def test_plain_uninstall_names_every_folder_it_leaves_and_a_purge_that_works(world: World) -> None:
    install(world, launcher_python=fake_venv(world))
    config.store_key("k" * 64)
    world.dirs.cache.mkdir()
    world.dirs.log.mkdir(parents=True)
    (world.dirs.log / "sentinelx.log").write_text("x")
    machine = plan.Machine("linux", world.home, {**world.machine.env,
                                                  "SENTINELX_INSTALLER": "/src/sx/install/install.sh"},
                           world.machine.root)
    p = plan.build_uninstall(machine, world.dirs, plan.Options())
    (note,) = [n for n in p.notices if n.startswith("Kept")]
    for folder in (world.dirs.config, world.dirs.cache, world.dirs.log):
        assert str(folder) in note
    assert "/src/sx/install/install.sh --uninstall --purge" in note


def test_purge_on_its_own_after_a_plain_uninstall(world: World) -> None:
    install(world, launcher_python=fake_venv(world))
    config.store_key("k" * 64)
    world.dirs.log.mkdir(parents=True)
    uninstall(world)
    _, results = uninstall(world, purge=True)  # nothing installed any more: still purges
    assert None not in outcomes(results)
    for d in (world.dirs.data, world.dirs.config, world.dirs.log):
        assert not d.exists(), d
