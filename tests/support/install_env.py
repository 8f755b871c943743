"""A throw-away machine for installer tests: temp HOME, fake filesystem root, SentinelX dirs.

Nothing here touches the real ~/.config, ~/.mozilla or the real data dir.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from sentinelx.install.browsers import Machine
from sentinelx.install.plan import Dirs


@dataclass(frozen=True)
class World:
    home: Path
    root: Path
    bin: Path  # the only PATH entry browsers are looked up in
    dirs: Dirs
    machine: Machine

    def with_os(self, os_name: str) -> Machine:
        return Machine(os_name, self.machine.home, self.machine.env, self.machine.root)

    def profile(self, *parts: str) -> Path:
        """Make a browser profile dir (with content, as a browser that ran once leaves it)."""
        p = self.home.joinpath(*parts)
        (p / "Default").mkdir(parents=True, exist_ok=True)
        return p


def make_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    home, root, bin_ = tmp_path / "home", tmp_path / "root", tmp_path / "bin"
    for d in (home, root, bin_):
        d.mkdir()
    dirs = Dirs(tmp_path / "data", tmp_path / "config", tmp_path / "cache", tmp_path / "log")
    # The config module and the host subprocess find their folders through these.
    monkeypatch.setenv("SENTINELX_DATA_DIR", str(dirs.data))
    monkeypatch.setenv("SENTINELX_CONFIG_DIR", str(dirs.config))
    monkeypatch.setenv("SENTINELX_CACHE_DIR", str(dirs.cache))
    monkeypatch.setenv("SENTINELX_LOG_DIR", str(dirs.log))
    monkeypatch.delenv("VT_API_KEY", raising=False)
    env = {"PATH": str(bin_), "HOME": str(home)}
    return World(home, root, bin_, dirs, Machine("linux", home, env, root))


def snapshot(*folders: Path) -> dict[str, tuple[int, float]]:
    """Every path under `folders` with its mode and mtime: equal snapshots mean nothing changed."""
    out: dict[str, tuple[int, float]] = {}
    for folder in folders:
        if not folder.exists():
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                st = p.lstat()
                out[str(p)] = (st.st_mode, st.st_mtime_ns)
    return out
