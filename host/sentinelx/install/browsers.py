"""THE browser table: where each browser reads host manifests and how to tell it is installed.

Every path the installer and `doctor` use comes from here, on every OS. Paths are templates:
`~/` is the home dir, `$XDG_CONFIG_HOME/`, `$XDG_DATA_HOME/`, `$LOCALAPPDATA/`, `$APPDATA/` and
`$PROGRAMFILES/` expand from the environment (with the usual defaults), and a leading `/` is
taken relative to `Machine.root` so tests can fake system folders.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sentinelx.extension_ids import NATIVE_HOST_NAME

CHROME = "chrome"
FIREFOX = "firefox"
MAC_APP_SUPPORT = "~/Library/Application Support"


@dataclass(frozen=True, slots=True)
class Browser:
    name: str  # what --browser takes
    label: str
    family: str  # CHROME (allowed_origins) or FIREFOX (allowed_extensions)
    extensions_page: str  # where the user loads the unpacked extension
    linux_user: str
    linux_system: str
    mac_user: str
    mac_system: str
    win_key: str  # under HKCU (or HKLM with --system); the host name is appended
    linux_evidence: tuple[str, ...]  # install dirs and profile dirs of a native (non-sandboxed) build
    linux_binaries: tuple[str, ...]  # names looked up on PATH
    mac_evidence: tuple[str, ...]
    win_evidence: tuple[str, ...]
    snap: str | None = None
    flatpak: str | None = None


def _chrome(
    name: str, label: str, page: str, linux: str, linux_system: str, mac: str, mac_system: str,
    win_key: str, win_data: str, linux_evidence: tuple[str, ...], binaries: tuple[str, ...],
    mac_app: str, win_exe: str, snap: str | None, flatpak: str | None,
) -> Browser:
    """A Chrome-family row: per-user manifests live in `<profile root>/NativeMessagingHosts`."""
    return Browser(
        name=name, label=label, family=CHROME, extensions_page=page,
        linux_user=f"$XDG_CONFIG_HOME/{linux}/NativeMessagingHosts",
        linux_system=linux_system,
        mac_user=f"{MAC_APP_SUPPORT}/{mac}/NativeMessagingHosts",
        mac_system=mac_system,
        win_key=win_key,
        linux_evidence=(f"$XDG_CONFIG_HOME/{linux}", *linux_evidence),
        linux_binaries=binaries,
        mac_evidence=(f"/Applications/{mac_app}", f"~/Applications/{mac_app}",
                      f"{MAC_APP_SUPPORT}/{mac}"),
        win_evidence=(f"$LOCALAPPDATA/{win_data}/User Data", f"$PROGRAMFILES/{win_exe}",
                      f"$PROGRAMFILES(X86)/{win_exe}", f"$LOCALAPPDATA/{win_exe}"),
        snap=snap, flatpak=flatpak,
    )


BROWSERS: tuple[Browser, ...] = (
    _chrome(
        "chrome", "Google Chrome", "chrome://extensions",
        "google-chrome", "/etc/opt/chrome/native-messaging-hosts",
        "Google/Chrome", "/Library/Google/Chrome/NativeMessagingHosts",
        r"Software\Google\Chrome\NativeMessagingHosts", "Google/Chrome",
        ("/opt/google/chrome/chrome",),
        ("google-chrome", "google-chrome-stable", "google-chrome-beta", "google-chrome-unstable"),
        "Google Chrome.app", "Google/Chrome/Application/chrome.exe",
        None, "com.google.Chrome",
    ),
    _chrome(
        "chromium", "Chromium", "chrome://extensions",
        "chromium", "/etc/chromium/native-messaging-hosts",
        "Chromium", "/Library/Application Support/Chromium/NativeMessagingHosts",
        r"Software\Chromium\NativeMessagingHosts", "Chromium",
        ("/usr/lib/chromium/chromium", "/usr/lib64/chromium-browser/chromium-browser"),
        ("chromium", "chromium-browser"),
        "Chromium.app", "Chromium/Application/chrome.exe",
        "chromium", "org.chromium.Chromium",
    ),
    _chrome(
        "edge", "Microsoft Edge", "edge://extensions",
        "microsoft-edge", "/etc/opt/edge/native-messaging-hosts",
        "Microsoft Edge", "/Library/Microsoft/Edge/NativeMessagingHosts",
        r"Software\Microsoft\Edge\NativeMessagingHosts", "Microsoft/Edge",
        ("/opt/microsoft/msedge/msedge",),
        ("microsoft-edge", "microsoft-edge-stable", "microsoft-edge-beta", "microsoft-edge-dev"),
        "Microsoft Edge.app", "Microsoft/Edge/Application/msedge.exe",
        None, "com.microsoft.Edge",
    ),
    _chrome(
        "brave", "Brave", "brave://extensions",
        "BraveSoftware/Brave-Browser", "/etc/opt/brave/native-messaging-hosts",
        "BraveSoftware/Brave-Browser",
        "/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        r"Software\BraveSoftware\Brave-Browser\NativeMessagingHosts", "BraveSoftware/Brave-Browser",
        ("/opt/brave.com/brave/brave",),
        ("brave-browser", "brave-browser-stable", "brave"),
        "Brave Browser.app", "BraveSoftware/Brave-Browser/Application/brave.exe",
        "brave", "com.brave.Browser",
    ),
    _chrome(
        "vivaldi", "Vivaldi", "vivaldi://extensions",
        "vivaldi", "/etc/opt/vivaldi/native-messaging-hosts",
        "Vivaldi", "/Library/Application Support/Vivaldi/NativeMessagingHosts",
        r"Software\Vivaldi\NativeMessagingHosts", "Vivaldi",
        ("/opt/vivaldi/vivaldi",),
        ("vivaldi", "vivaldi-stable"),
        "Vivaldi.app", "Vivaldi/Application/vivaldi.exe",
        "vivaldi", "com.vivaldi.Vivaldi",
    ),
    Browser(
        name="firefox", label="Firefox", family=FIREFOX,
        extensions_page="about:debugging#/runtime/this-firefox",
        linux_user="~/.mozilla/native-messaging-hosts",
        linux_system="/usr/lib/mozilla/native-messaging-hosts",
        mac_user=f"{MAC_APP_SUPPORT}/Mozilla/NativeMessagingHosts",
        mac_system="/Library/Application Support/Mozilla/NativeMessagingHosts",
        win_key=r"Software\Mozilla\NativeMessagingHosts",
        linux_evidence=("~/.mozilla/firefox", "/usr/lib/firefox/firefox",
                        "/usr/lib/firefox-esr/firefox-esr", "/opt/firefox/firefox"),
        linux_binaries=("firefox", "firefox-esr"),
        mac_evidence=("/Applications/Firefox.app", "~/Applications/Firefox.app",
                      f"{MAC_APP_SUPPORT}/Firefox"),
        win_evidence=("$APPDATA/Mozilla/Firefox", "$PROGRAMFILES/Mozilla Firefox/firefox.exe",
                      "$PROGRAMFILES(X86)/Mozilla Firefox/firefox.exe"),
        snap="firefox", flatpak="org.mozilla.firefox",
    ),
)
BY_NAME: dict[str, Browser] = {b.name: b for b in BROWSERS}


def get(name: str) -> Browser:
    try:
        return BY_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"unknown browser {name!r}; known: {', '.join(BY_NAME)}") from None


# --- the machine we look at ----------------------------------------------------------------------


def current_os() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    return "darwin" if sys.platform == "darwin" else "linux"


@dataclass(frozen=True, slots=True)
class Machine:
    """OS, home and environment the paths are computed for; tests build their own."""

    os: str  # "linux" | "darwin" | "windows"
    home: Path
    env: Mapping[str, str] = field(default_factory=dict)
    root: Path = Path("/")

    @classmethod
    def current(cls) -> Machine:
        return cls(current_os(), Path.home(), dict(os.environ))

    def expand(self, template: str) -> Path:
        head, _, rest = template.partition("/")
        defaults = {
            "~": self.home,
            "$XDG_CONFIG_HOME": self.home / ".config",
            "$XDG_DATA_HOME": self.home / ".local" / "share",
            "$LOCALAPPDATA": self.home / "AppData" / "Local",
            "$APPDATA": self.home / "AppData" / "Roaming",
            "$PROGRAMFILES": Path("C:/Program Files"),
            "$PROGRAMFILES(X86)": Path("C:/Program Files (x86)"),
        }
        if head == "":
            return self.root / rest
        if head not in defaults:
            raise ValueError(f"bad path template {template!r}")
        var = head[1:] if head.startswith("$") else None
        # XDG says a relative value is invalid and must be ignored.
        value = self.env.get(var or "", "") if var else ""
        base = Path(value) if value and Path(value).is_absolute() else defaults[head]
        return base / rest if rest else base


def manifest_dir(browser: Browser, machine: Machine, system: bool = False) -> Path | None:
    """Folder the browser reads `<name>.json` from; None on Windows, where the registry points."""
    if machine.os == "windows":
        return None
    if machine.os == "darwin":
        return machine.expand(browser.mac_system if system else browser.mac_user)
    return machine.expand(browser.linux_system if system else browser.linux_user)


def manifest_filename() -> str:
    return f"{NATIVE_HOST_NAME}.json"


def registry_key(browser: Browser) -> str:
    return f"{browser.win_key}\\{NATIVE_HOST_NAME}"


# --- detection -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sandbox:
    kind: str  # "snap" | "flatpak"
    evidence: str


@dataclass(frozen=True, slots=True)
class Detection:
    browser: Browser
    native: tuple[str, ...]  # evidence of a build that can start a host
    sandboxed: tuple[Sandbox, ...]

    @property
    def found(self) -> bool:
        return bool(self.native or self.sandboxed)

    @property
    def sandbox_only(self) -> bool:
        return bool(self.sandboxed) and not self.native


def _snap_roots(machine: Machine) -> tuple[Path, ...]:
    # /snap on Debian/Ubuntu, /var/lib/snapd/snap on Fedora and Arch.
    return (machine.root / "snap", machine.root / "var/lib/snapd/snap")


def _is_snap_wrapper(path: Path, machine: Machine) -> bool:
    """Ubuntu ships /usr/bin/chromium-browser and /usr/bin/firefox as stubs that run the snap."""
    try:
        real = path.resolve()
        if any(real.is_relative_to(r) for r in _snap_roots(machine)) or real.name == "snap":
            return True
        if path.stat().st_size > 64 * 1024:
            return False  # a real browser binary, not a shell stub
        return b"/snap/bin/" in path.read_bytes()
    except OSError:
        return False


def _on_path(names: tuple[str, ...], machine: Machine) -> list[Path]:
    search = machine.env.get("PATH", os.defpath)
    found = []
    for name in names:
        hit = shutil.which(name, path=search)
        if hit:
            found.append(Path(hit))
    return found


def _is_evidence(path: Path) -> bool:
    """An existing path, except a profile dir that holds nothing but our own manifest folder."""
    if not path.is_dir():
        return path.exists()
    try:
        return any(child.name != "NativeMessagingHosts" for child in path.iterdir())
    except OSError:
        return False


def detect(browser: Browser, machine: Machine) -> Detection:
    templates = {"windows": browser.win_evidence, "darwin": browser.mac_evidence}
    evidence = templates.get(machine.os, browser.linux_evidence)
    native = [str(p) for t in evidence if _is_evidence(p := machine.expand(t))]
    sandboxed: list[Sandbox] = []
    if machine.os == "linux":
        for exe in _on_path(browser.linux_binaries, machine):
            if _is_snap_wrapper(exe, machine):
                sandboxed.append(Sandbox("snap", str(exe)))
            elif str(exe) not in native:
                native.append(str(exe))
        if browser.snap:
            for root in _snap_roots(machine):
                for p in (root / "bin" / browser.snap, root / browser.snap):
                    if p.exists() or p.is_symlink():  # /snap/bin/x links to /usr/bin/snap
                        sandboxed.append(Sandbox("snap", str(p)))
        if browser.flatpak:
            data_home = machine.expand("$XDG_DATA_HOME/flatpak/app")
            for p in (machine.home / ".var/app" / browser.flatpak, data_home / browser.flatpak,
                      machine.root / "var/lib/flatpak/app" / browser.flatpak):
                if p.exists():
                    sandboxed.append(Sandbox("flatpak", str(p)))
    unique = tuple(dict.fromkeys(sandboxed))
    return Detection(browser, tuple(native), unique)


def sandbox_advice(det: Detection) -> str:
    """What to tell the user about a snap/Flatpak build; plain words, one paragraph."""
    kinds = sorted({s.kind for s in det.sandboxed})
    kind = " and ".join(k if k == "snap" else "Flatpak" for k in kinds)
    where = ", ".join(s.evidence for s in det.sandboxed)
    b = det.browser
    text = (
        f"{b.label} is installed as a {kind} ({where}). A {kind} browser runs in a sandbox that "
        f"cannot start programs outside it, so it cannot reach the SentinelX host and a manifest "
        f"would silently do nothing. Install {b.label} from its .deb/.rpm package (or use another "
        f"browser from this list), then run ./install/install.sh again."
    )
    if det.native:
        text += f" A non-sandboxed {b.label} was also found and is set up."
    return text
