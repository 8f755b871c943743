"""The browser table: every OS's folders and keys, and snap/Flatpak detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinelx.install import browsers
from sentinelx.install.browsers import Machine
from tests.support.install_env import make_world

# DESIGN.md, "Per-user manifest folders on Linux".
LINUX_USER = {
    "chrome": ".config/google-chrome/NativeMessagingHosts",
    "chromium": ".config/chromium/NativeMessagingHosts",
    "edge": ".config/microsoft-edge/NativeMessagingHosts",
    "brave": ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    "vivaldi": ".config/vivaldi/NativeMessagingHosts",
    "firefox": ".mozilla/native-messaging-hosts",
}
# DESIGN.md, "Per-user manifest folders on macOS".
MAC_USER = {
    "chrome": "Google/Chrome/NativeMessagingHosts",
    "chromium": "Chromium/NativeMessagingHosts",
    "edge": "Microsoft Edge/NativeMessagingHosts",
    "brave": "BraveSoftware/Brave-Browser/NativeMessagingHosts",
    "vivaldi": "Vivaldi/NativeMessagingHosts",
    "firefox": "Mozilla/NativeMessagingHosts",
}
# DESIGN.md, "Windows registry" (Brave and Vivaldi follow the same vendor pattern).
WIN_KEYS = {
    "chrome": r"Software\Google\Chrome\NativeMessagingHosts\com.sentinelx.host",
    "chromium": r"Software\Chromium\NativeMessagingHosts\com.sentinelx.host",
    "edge": r"Software\Microsoft\Edge\NativeMessagingHosts\com.sentinelx.host",
    "firefox": r"Software\Mozilla\NativeMessagingHosts\com.sentinelx.host",
}
HOME = Path("/home/u")


def test_the_table_has_the_six_browsers() -> None:
    assert [b.name for b in browsers.BROWSERS] == list(LINUX_USER)
    assert {b.name: b.family for b in browsers.BROWSERS} == {
        **dict.fromkeys(["chrome", "chromium", "edge", "brave", "vivaldi"], "chrome"),
        "firefox": "firefox",
    }


@pytest.mark.parametrize("name", LINUX_USER)
def test_linux_user_folders(name: str) -> None:
    m = Machine("linux", HOME, {})
    assert browsers.manifest_dir(browsers.get(name), m) == HOME / LINUX_USER[name]


def test_linux_chrome_family_honours_xdg_config_home_but_firefox_does_not() -> None:
    m = Machine("linux", HOME, {"XDG_CONFIG_HOME": "/cfg"})
    assert browsers.manifest_dir(browsers.get("chromium"), m) == Path(
        "/cfg/chromium/NativeMessagingHosts")
    assert browsers.manifest_dir(browsers.get("firefox"), m) == HOME / LINUX_USER["firefox"]
    # A relative XDG value is invalid by the spec and ignored.
    rel = Machine("linux", HOME, {"XDG_CONFIG_HOME": "cfg"})
    assert browsers.manifest_dir(browsers.get("chrome"), rel) == HOME / LINUX_USER["chrome"]


@pytest.mark.parametrize("name", MAC_USER)
def test_macos_user_folders_come_from_the_same_table(name: str) -> None:
    m = Machine("darwin", HOME, {})
    assert browsers.manifest_dir(browsers.get(name), m) == (
        HOME / "Library/Application Support" / MAC_USER[name])


def test_system_folders() -> None:
    linux, mac = Machine("linux", HOME, {}), Machine("darwin", HOME, {})
    get = browsers.get
    assert browsers.manifest_dir(get("chrome"), linux, system=True) == Path(
        "/etc/opt/chrome/native-messaging-hosts")
    assert browsers.manifest_dir(get("chromium"), linux, system=True) == Path(
        "/etc/chromium/native-messaging-hosts")
    assert browsers.manifest_dir(get("firefox"), linux, system=True) == Path(
        "/usr/lib/mozilla/native-messaging-hosts")
    assert browsers.manifest_dir(get("chrome"), mac, system=True) == Path(
        "/Library/Google/Chrome/NativeMessagingHosts")
    assert browsers.manifest_dir(get("firefox"), mac, system=True) == Path(
        "/Library/Application Support/Mozilla/NativeMessagingHosts")
    for b in browsers.BROWSERS:  # nothing system-wide may land in a home folder
        for m in (linux, mac):
            assert not browsers.manifest_dir(b, m, system=True).is_relative_to(HOME)


@pytest.mark.parametrize("name", WIN_KEYS)
def test_windows_registry_keys(name: str) -> None:
    assert browsers.registry_key(browsers.get(name)) == WIN_KEYS[name]
    assert browsers.manifest_dir(browsers.get(name), Machine("windows", HOME, {})) is None


def test_unknown_browser_is_refused() -> None:
    with pytest.raises(ValueError, match="known: chrome"):
        browsers.get("netscape")


# --- detection -----------------------------------------------------------------------------------


def test_nothing_found_on_an_empty_machine(tmp_path, monkeypatch) -> None:
    w = make_world(tmp_path, monkeypatch)
    assert not any(browsers.detect(b, w.machine).found for b in browsers.BROWSERS)


def test_a_used_profile_dir_counts_but_one_holding_only_our_folder_does_not(
    tmp_path, monkeypatch
) -> None:
    w = make_world(tmp_path, monkeypatch)
    (w.home / ".config/chromium/NativeMessagingHosts").mkdir(parents=True)
    assert not browsers.detect(browsers.get("chromium"), w.machine).found
    w.profile(".config", "chromium")
    det = browsers.detect(browsers.get("chromium"), w.machine)
    assert det.native and not det.sandboxed


def test_a_binary_on_path_counts(tmp_path, monkeypatch) -> None:
    w = make_world(tmp_path, monkeypatch)
    exe = w.bin / "brave-browser"
    exe.write_bytes(b"\x7fELF" + b"\0" * 100)
    exe.chmod(0o755)
    assert browsers.detect(browsers.get("brave"), w.machine).native == (str(exe),)


def test_snap_chromium_is_detected_as_sandboxed(tmp_path, monkeypatch) -> None:
    w = make_world(tmp_path, monkeypatch)
    snap = w.root / "snap/bin/chromium"
    snap.parent.mkdir(parents=True)
    snap.symlink_to("/usr/bin/snap")
    det = browsers.detect(browsers.get("chromium"), w.machine)
    assert det.sandbox_only
    assert [s.kind for s in det.sandboxed] == ["snap"]
    advice = browsers.sandbox_advice(det)
    assert "snap" in advice and ".deb" in advice and "cannot" in advice


def test_fedora_snap_root_is_detected(tmp_path, monkeypatch) -> None:
    w = make_world(tmp_path, monkeypatch)
    (w.root / "var/lib/snapd/snap/bin").mkdir(parents=True)
    (w.root / "var/lib/snapd/snap/bin/firefox").touch()
    assert browsers.detect(browsers.get("firefox"), w.machine).sandbox_only


def test_ubuntu_transitional_wrapper_on_path_is_a_snap(tmp_path, monkeypatch) -> None:
    w = make_world(tmp_path, monkeypatch)
    stub = w.bin / "chromium-browser"
    stub.write_text('#!/bin/sh\nexec /snap/bin/chromium "$@"\n')
    stub.chmod(0o755)
    det = browsers.detect(browsers.get("chromium"), w.machine)
    assert det.sandbox_only and det.sandboxed[0].evidence == str(stub)


def test_flatpak_is_detected_in_user_and_system_installs(tmp_path, monkeypatch) -> None:
    w = make_world(tmp_path, monkeypatch)
    (w.home / ".var/app/com.brave.Browser").mkdir(parents=True)
    (w.root / "var/lib/flatpak/app/org.mozilla.firefox").mkdir(parents=True)
    brave = browsers.detect(browsers.get("brave"), w.machine)
    firefox = browsers.detect(browsers.get("firefox"), w.machine)
    assert brave.sandbox_only and firefox.sandbox_only
    assert {s.kind for s in brave.sandboxed + firefox.sandboxed} == {"flatpak"}
    assert "Flatpak" in browsers.sandbox_advice(brave)


def test_native_and_snap_side_by_side(tmp_path, monkeypatch) -> None:
    w = make_world(tmp_path, monkeypatch)
    w.profile(".config", "chromium")
    (w.root / "snap/bin").mkdir(parents=True)
    (w.root / "snap/bin/chromium").touch()
    det = browsers.detect(browsers.get("chromium"), w.machine)
    assert det.native and det.sandboxed and not det.sandbox_only
    assert "also found" in browsers.sandbox_advice(det)


def test_macos_and_windows_detection_use_their_own_rows(tmp_path, monkeypatch) -> None:
    w = make_world(tmp_path, monkeypatch)
    (w.home / "Library/Application Support/Microsoft Edge/Default").mkdir(parents=True)
    assert browsers.detect(browsers.get("edge"), w.with_os("darwin")).native
    assert not browsers.detect(browsers.get("edge"), w.machine).found  # not a Linux path
    local = tmp_path / "LocalAppData"
    (local / "Vivaldi/User Data/Default").mkdir(parents=True)
    win = Machine("windows", w.home, {"LOCALAPPDATA": str(local)}, w.root)
    assert browsers.detect(browsers.get("vivaldi"), win).native
    assert not browsers.detect(browsers.get("chrome"), win).found
