"""Shared by the enrichment tests: isolated SentinelX dirs, a fake clock, and a real
`sentinelx host` subprocess speaking frames over pipes."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.frames import HostProcess

# The console script of the venv running the tests, wherever that venv is.
SENTINELX = Path(sys.executable).parent / "sentinelx"


@dataclass
class Dirs:
    config: Path
    cache: Path
    log: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "VT_API_KEY"}
        env.update(SENTINELX_CONFIG_DIR=str(self.config), SENTINELX_CACHE_DIR=str(self.cache),
                   SENTINELX_LOG_DIR=str(self.log), **extra)
        return env


@pytest.fixture
def sx_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dirs:
    """Point this process (and children given dirs.env()) at empty temp dirs."""
    d = Dirs(tmp_path / "config", tmp_path / "cache", tmp_path / "log")
    for p in (d.config, d.cache, d.log):
        p.mkdir()
    monkeypatch.setenv("SENTINELX_CONFIG_DIR", str(d.config))
    monkeypatch.setenv("SENTINELX_CACHE_DIR", str(d.cache))
    monkeypatch.setenv("SENTINELX_LOG_DIR", str(d.log))
    monkeypatch.delenv("VT_API_KEY", raising=False)
    return d


class FakeClock:
    """Wall clock for quota/cache tests: wait() advances time instead of sleeping."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.cancel = threading.Event()

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        return self.cancel.is_set()


@pytest.fixture
def hosts() -> Iterator[list[HostProcess]]:
    """Collects started hosts and always stops them."""
    started: list[HostProcess] = []
    yield started
    for h in started:
        h.kill()


def only_providers(*names: str) -> None:
    """Enable exactly `names` in this test's config dir (call after `sx_dirs`). The others
    answer skipped/disabled for the types they take and never touch the network, so a
    test about one provider never reaches the internet through another."""
    from sentinelx import config
    from sentinelx.enrichment.providers import registry

    for name in registry.names():
        config.set_value(f"providers.{name}.enabled", name in names)


def pinned(results: list[dict[str, Any]], name: str = "virustotal") -> list[dict[str, Any]]:
    """The results of provider `name`, after checking every other one is a disabled skip
    (what `only_providers(name)` promises)."""
    others = [r for r in results if r["provider"] != name]
    assert all(r["status"] == "skipped" and r.get("reason", r.get("skipped")) == "disabled"
               for r in others), others[:3]
    return [r for r in results if r["provider"] == name]


def python() -> str:
    return sys.executable
